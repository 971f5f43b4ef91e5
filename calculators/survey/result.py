"""What a draft survey gives: every figure of each survey condition, its warnings, and the cargo,
constant and bill-of-lading comparison of the whole job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from calculators.survey.inputs import DEDUCTIBLE_KINDS, MarkReadings


@dataclass(frozen=True)
class DeductibleLine:
    """A deductible as entered and the weight [t] it contributes (after the policy's rounding)."""

    kind: str
    name: str
    weight_t: float
    volume_m3: float | None = None
    density_t_m3: float | None = None


@dataclass(frozen=True)
class ConditionResult:
    """Every figure of one draft survey, in the order of the UN/ECE form.

    Drafts and corrections [m]; displacement and corrections [t]; TPC [t/cm]; MTC [t·m/cm]; densities
    [t/m³]; LCF [m from midships, aft positive].
    """

    name: str
    rounding: str
    mean_method: str
    table_source: str  # 'vessel table' or 'surveyor readings'
    marks: MarkReadings
    mean_fwd_m: float
    mean_mid_m: float
    mean_aft_m: float
    apparent_trim_m: float
    keel_plate_m: float
    fwd_mark_offset_m: float
    mid_mark_offset_m: float
    aft_mark_offset_m: float
    length_between_marks_m: float
    fwd_correction_m: float
    mid_correction_m: float
    aft_correction_m: float
    corrected_fwd_m: float
    corrected_mid_m: float
    corrected_aft_m: float
    true_trim_m: float
    mean_fore_aft_m: float
    deflection_m: float
    deflection: str
    quarter_mean_m: float
    table_row_interval_m: float
    displacement_t: float
    tpc_t_cm: float
    lcf_m: float
    mtc_plus_t_m_cm: float
    mtc_minus_t_m_cm: float
    mtc_difference_t_m_cm: float
    first_trim_correction_t: float
    second_trim_correction_t: float
    list_tpc_port_t_cm: float | None
    list_tpc_stbd_t_cm: float | None
    list_correction_t: float
    list_angle_deg: float | None
    list_side: str
    displacement_trim_list_corrected_t: float
    table_density_t_m3: float
    dock_density_t_m3: float
    density_correction_t: float
    displacement_density_corrected_t: float
    deductibles: tuple[DeductibleLine, ...]
    deductibles_t: float
    net_displacement_t: float

    @property
    def trim_correction_t(self) -> float:
        """First + second trim correction [t]."""
        return self.first_trim_correction_t + self.second_trim_correction_t

    def deductibles_by_kind(self) -> dict[str, float]:
        """Deductible weight per kind [t], in the order of DEDUCTIBLE_KINDS (kinds present only)."""
        totals: dict[str, float] = {}
        for kind in DEDUCTIBLE_KINDS:
            lines = [line.weight_t for line in self.deductibles if line.kind == kind]
            if lines:
                totals[kind] = math.fsum(lines)
        return totals


@dataclass(frozen=True)
class SurveyWarning:
    """Something the officer must look at; the figures were still computed.

    code: 'list', 'list_unchecked', 'trim_range', 'table_interval', 'constant', 'bill_of_lading' or
    'table_audit';
    survey: the survey it concerns ('' for the whole job); message: a sentence naming the values.
    """

    code: str
    survey: str
    message: str


@dataclass(frozen=True)
class DraftSurveyResult:
    """A survey job: each survey's figures, the cargo, the constant and the warnings."""

    method: str
    rounding: str
    rounding_description: str
    mean_method: str
    surveys: tuple[ConditionResult, ...]
    cargo_from: str | None
    cargo_to: str | None
    cargo_t: float | None
    lightship_t: float | None
    constant_survey: str | None
    constant_t: float | None
    declared_constant_t: float | None
    bill_of_lading_t: float | None
    bill_of_lading_difference_pct: float | None
    warnings: tuple[SurveyWarning, ...] = field(default=())
    operation: str = "loading"  # 'loading' (cargo_t ≥ 0) or 'discharge' (cargo_t < 0)

    @property
    def cargo_weight_t(self) -> float | None:
        """The cargo loaded or discharged [t], a positive figure: |net(to) − net(from)|."""
        return None if self.cargo_t is None else abs(self.cargo_t)

    def survey(self, name: str) -> ConditionResult:
        """The survey called `name`."""
        for condition in self.surveys:
            if condition.name == name:
                return condition
        raise KeyError(f"no survey named {name!r}; surveys: {', '.join(c.name for c in self.surveys)}")


__all__ = [
    "ConditionResult",
    "DeductibleLine",
    "DraftSurveyResult",
    "SurveyWarning",
]
