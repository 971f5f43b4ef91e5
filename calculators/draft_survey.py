"""Draft survey (水尺计重): cargo weight from a ship's draft marks, hydrostatics and deductibles.

The chain follows the UN/ECE Code and common surveyor practice, one named step per function:

1. means of the port and starboard marks forward, midships and aft; keel-plate thickness when the
   tables are moulded;
2. perpendicular corrections from each mark's declared distance to its perpendicular (a midship mark
   may stand off midships), length between marks, corrected drafts and true trim;
3. deflection (hog/sag) and the quarter mean (F + 6M + A)/8, or the river (F + 4M + A)/6 and barge
   (3F + 14M + 3A)/20 variants;
4. displacement, TPC and LCF at the quarter mean; MTC at quarter mean ± 0.5 m;
5. first and second (Nemoto) trim corrections, list correction, dock-water density correction;
6. deductibles (ballast tanks by volume × density, fresh water, fuels, lube, others) → net
   displacement; constant = light net − lightship; cargo = final net − initial net (negative for a
   discharge: the cargo weight is its magnitude, and the result names the operation).

Every figure is kept in the result, and the rounding policy that produced it is named in the input and
recorded in the output. Functions are pure: numbers in, numbers out, no I/O.

Sign conventions
----------------
* trim = aft − forward draft [m], positive by the stern, negative by the head;
* a mark's offset from its perpendicular (from midships for the midship mark) is positive when the mark
  stands forward of it;
* LCF is the distance of the centre of flotation from midships, positive aft.

References
----------
UN/ECE, *Code of Uniform Standards and Procedures for the Performance of Draught Surveys of Coal
Cargoes*, ECE/ENERGY/19, Geneva 1992, § 5 (calculation procedure) and Annex (draught survey form).
Nemoto's formula for the second trim correction: surveyor practice adopted by the Code, § 5.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Mapping, Sequence, get_args

from calculators.hydrostatics import DraftOutsideTable, HydrostaticTable, audit_table

METHOD = (
    "UN/ECE Code of Uniform Standards and Procedures for the Performance of Draught Surveys of Coal "
    "Cargoes (ECE/ENERGY/19, 1992) with surveyor practice (Nemoto second trim correction, list correction)"
)

# Guard thresholds (surveyor practice; the Code asks the surveyor to investigate, not to stop).
LIST_WARNING_DEG = 0.5
CONSTANT_TOLERANCE_FRACTION = 0.10
BILL_OF_LADING_TOLERANCE_PCT = 0.5
# Linear interpolation between rows further apart than this is no longer exact enough: with TPC
# rising ~1 t/cm per metre, the chord error is about 12.5 × step² t (0.5 t at 0.2 m, 530 t at 6.5 m).
TABLE_ROW_INTERVAL_WARNING_M = 0.2

MarkSide = Literal["forward", "aft"]
MeanMethod = Literal["quarter_mean", "river", "barge"]
MEAN_METHODS: tuple[str, ...] = get_args(MeanMethod)
DeductibleKind = Literal["ballast", "fresh_water", "fuel_oil", "diesel_oil", "lube_oil", "other"]
DEDUCTIBLE_KINDS: tuple[str, ...] = get_args(DeductibleKind)


class SurveyInputError(ValueError):
    """Survey input that is physically impossible or inconsistent (e.g. a negative density)."""


class OperationMismatch(SurveyInputError):
    """The surveys contradict the operation the job declares (a 'discharge' whose ship got heavier)."""


Operation = Literal["loading", "discharge"]
OPERATIONS: tuple[str, ...] = ("loading", "discharge")


# --------------------------------------------------------------------------------------------------
# Rounding


def round_half_away_from_zero(value: float, decimals: int) -> float:
    """Round to `decimals` places, halves away from zero, the way a surveyor rounds on paper.

    Binary floating point stores 13.97965 as 13.9796499999…; the scaled value is first rounded to six
    further places so such a written half still rounds up, as it does in decimal arithmetic.

    Parameters
    ----------
    value : float
    decimals : int
        Number of decimal places kept (0 or more).

    Returns
    -------
    float
        The rounded value (never −0.0).
    """
    scale = 10.0**decimals
    units = math.floor(round(abs(value) * scale, 6) + 0.5)
    if units == 0:
        return 0.0
    return units / scale if value > 0 else -units / scale


# The figures a rounding policy may round; each survey step names the figure it produces.
ROUNDABLE_FIGURES: tuple[str, ...] = (
    "mean_drafts",
    "length_between_marks",
    "perpendicular_corrections",
    "corrected_drafts",
    "true_trim",
    "quarter_mean",
    "displacement",
    "tpc",
    "lcf",
    "mtc",
    "mtc_difference",
    "first_trim_correction",
    "second_trim_correction",
    "list_correction",
    "displacement_trim_list_corrected",
    "density_correction",
    "displacement_density_corrected",
    "deductible_weight_from_volume",
    "total_deductibles",
    "net_displacement",
)


@dataclass(frozen=True)
class RoundingPolicy:
    """A named rule saying which figures are rounded, to how many decimals; later steps use the
    rounded value.

    Attributes
    ----------
    name : str
        Recorded on every result.
    decimals : Mapping[str, int]
        Figure name (one of ``ROUNDABLE_FIGURES``) → decimals kept. Figures not listed keep full
        precision.
    description : str
    """

    name: str
    decimals: Mapping[str, int]
    description: str
    shown: Mapping[str, int] = field(default_factory=lambda: dict(SHOWN_DECIMALS))

    def __post_init__(self) -> None:
        unknown = sorted(set(self.decimals) - set(ROUNDABLE_FIGURES))
        if unknown:
            raise ValueError(f"rounding policy {self.name!r} names unknown figures: {', '.join(unknown)}")
        object.__setattr__(self, "decimals", MappingProxyType(dict(self.decimals)))
        object.__setattr__(self, "shown", MappingProxyType({**SHOWN_DECIMALS, **self.shown}))

    def apply(self, figure: str, value: float) -> float:
        """`value` rounded as this policy rounds `figure` (unchanged when the policy leaves it)."""
        decimals = self.decimals.get(figure)
        return value if decimals is None else round_half_away_from_zero(value, decimals)

    def shown_decimals(self, unit: str) -> int:
        """Decimals a computed figure in `unit` is shown with on the form ('m', 't', 't/cm', 't·m/cm', 't/m³')."""
        return self.shown.get(unit, SHOWN_DECIMALS["t"])


# Decimals each kind of figure is shown with on the form, by unit: drafts and distances to 0.1 mm (the
# workbook carries corrections to 4 dp), weights to the kilogram (the form's 3 dp), TPC and MTC to 3 dp,
# densities to 0.0001 t/m³. A policy that rounds to 3 dp shows its drafts to 3 dp.
SHOWN_DECIMALS: Mapping[str, int] = MappingProxyType({"m": 4, "t": 3, "t/cm": 3, "t·m/cm": 3, "t/m³": 4, "mm": 0, "m³": 3})
# Inputs as read (never rounded in the calculation), shown at the resolution they are read to: draft marks
# and mark distances to 1 mm, weights to 1 kg, densities to 0.0001 t/m³, volumes to 1 L, TPC to 0.001 t/cm.
INPUT_DECIMALS: Mapping[str, int] = MappingProxyType({"m": 3, "t": 3, "t/cm": 3, "t·m/cm": 3, "t/m³": 4, "mm": 0, "m³": 3})

NO_ROUNDING = RoundingPolicy("none", {}, "full precision at every step")
UNECE_3DP = RoundingPolicy(
    "unece-3dp",
    {
        figure: 3
        for figure in ROUNDABLE_FIGURES
        if figure != "mtc"  # the form carries the MTC difference, not the two MTC values
    },
    "every figure the UN/ECE form reports rounded half away from zero to 3 decimals; later steps use "
    "the rounded value",
    {"m": 3},
)
WORKBOOK = RoundingPolicy(
    "workbook",
    {
        "perpendicular_corrections": 4,
        "quarter_mean": 4,
        "true_trim": 4,
        "displacement": 2,
        "tpc": 2,
        "lcf": 4,
        "mtc": 3,
        "first_trim_correction": 1,
        "second_trim_correction": 1,
        "displacement_density_corrected": 1,
    },
    "surveyor workbook: perpendicular corrections, quarter mean, true trim and LCF 4 dp; displacement and "
    "TPC 2 dp; MTC 3 dp; trim corrections and density-corrected displacement 0.1 t; half away from zero",
)
ROUNDING_POLICIES: Mapping[str, RoundingPolicy] = MappingProxyType(
    {policy.name: policy for policy in (NO_ROUNDING, UNECE_3DP, WORKBOOK)}
)


def rounding_policy(name: str) -> RoundingPolicy:
    """The predefined rounding policy called `name` ('none', 'unece-3dp' or 'workbook')."""
    try:
        return ROUNDING_POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown rounding policy {name!r}; expected one of {', '.join(ROUNDING_POLICIES)}") from None


# --------------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class MarkReadings:
    """The six draft mark readings [m] (as read, keel plate not yet applied)."""

    fwd_port: float
    fwd_stbd: float
    mid_port: float
    mid_stbd: float
    aft_port: float
    aft_stbd: float


@dataclass(frozen=True)
class MarkPosition:
    """Where a pair of draft marks stands relative to its perpendicular (or to midships).

    distance_m [m] ≥ 0 and side: 'forward' or 'aft' of the perpendicular / of midships.
    """

    distance_m: float
    side: MarkSide

    def __post_init__(self) -> None:
        if self.side not in ("forward", "aft"):
            raise SurveyInputError(f"mark side must be 'forward' or 'aft', got {self.side!r}")
        if not (math.isfinite(self.distance_m) and self.distance_m >= 0):
            raise SurveyInputError(
                f"mark distance must be a finite distance ≥ 0 m (the side says which way), got {self.distance_m!r}"
            )

    @property
    def offset_m(self) -> float:
        """Signed offset [m]: positive when the mark stands forward of its perpendicular."""
        if self.distance_m == 0:
            return 0.0  # no −0.0 on the form
        return self.distance_m if self.side == "forward" else -self.distance_m


@dataclass(frozen=True)
class MarkPositions:
    fwd: MarkPosition
    mid: MarkPosition
    aft: MarkPosition


@dataclass(frozen=True)
class Deductible:
    """One deductible weight: either `weight_t` [t], or `volume_m3` [m³] × `density_t_m3` [t/m³]."""

    kind: DeductibleKind
    name: str = ""
    weight_t: float | None = None
    volume_m3: float | None = None
    density_t_m3: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in DEDUCTIBLE_KINDS:
            raise SurveyInputError(f"unknown deductible kind {self.kind!r}; expected one of {', '.join(DEDUCTIBLE_KINDS)}")
        by_weight = self.weight_t is not None
        by_volume = self.volume_m3 is not None or self.density_t_m3 is not None
        if by_weight == by_volume:
            raise SurveyInputError(
                f"deductible {self.name or self.kind!r}: give either a weight in t or a volume in m³ with a density in t/m³"
            )
        if by_volume and (self.volume_m3 is None or self.density_t_m3 is None):
            raise SurveyInputError(f"deductible {self.name or self.kind!r}: a volume needs a density and a density needs a volume")
        if by_volume and not (self.density_t_m3 > 0):
            raise SurveyInputError(f"deductible {self.name or self.kind!r}: density must be positive, got {self.density_t_m3!r} t/m³")


@dataclass(frozen=True)
class TableReadings:
    """The surveyor's own readings from the ship's tables for one survey.

    rows : HydrostaticTable
        The rows read (normally the two bracketing the quarter mean); MTC column not needed.
    mtc_plus_t_m_cm, mtc_minus_t_m_cm : float
        MTC at quarter mean + 0.5 m and − 0.5 m [t·m/cm].
    """

    rows: HydrostaticTable
    mtc_plus_t_m_cm: float
    mtc_minus_t_m_cm: float


@dataclass(frozen=True)
class VesselParticulars:
    """What the survey needs to know about the ship.

    lbp_m [m]; table_density_t_m3 [t/m³] (density the hydrostatic tables are computed for);
    keel_plate_mm [mm], subtracted from the drafts when the tables are moulded (0 for extreme tables);
    lightship_t [t] and declared_constant_t [t], optional; breadth_m [m], optional, to express a list
    in degrees; trim_range_m (min, max) [m], optional, the trims the tables are valid for.
    """

    lbp_m: float
    table_density_t_m3: float = 1.025
    keel_plate_mm: float = 0.0
    lightship_t: float | None = None
    declared_constant_t: float | None = None
    breadth_m: float | None = None
    trim_range_m: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not self.lbp_m > 0:
            raise SurveyInputError(f"length between perpendiculars must be positive, got {self.lbp_m!r} m")
        if not 0.9 < self.table_density_t_m3 < 1.1:
            raise SurveyInputError(
                f"table density {self.table_density_t_m3!r} t/m³ is not a water density (expected 0.9 to 1.1 t/m³)"
            )
        if not 0 <= self.keel_plate_mm < 100:
            raise SurveyInputError(f"keel plate thickness {self.keel_plate_mm!r} mm is outside 0 to 100 mm")
        if self.breadth_m is not None and not self.breadth_m > 0:
            raise SurveyInputError(f"breadth must be positive, got {self.breadth_m!r} m")
        if self.trim_range_m is not None and not self.trim_range_m[0] <= self.trim_range_m[1]:
            raise SurveyInputError(f"trim range {self.trim_range_m!r} m must be (minimum, maximum)")


@dataclass(frozen=True)
class SurveyConditionInput:
    """One draft survey (one set of readings): e.g. 'initial', 'final', 'draft_check'.

    dock_density_t_m3 [t/m³]; list_tpc_t_cm (port, starboard) [t/cm] optional (no list correction
    without it); table_readings optional (the surveyor's rows instead of the vessel table).
    """

    name: str
    marks: MarkReadings
    positions: MarkPositions
    dock_density_t_m3: float
    deductibles: tuple[Deductible, ...] = ()
    list_tpc_t_cm: tuple[float, float] | None = None
    table_readings: TableReadings | None = None

    def __post_init__(self) -> None:
        if not 0.9 < self.dock_density_t_m3 < 1.1:
            raise SurveyInputError(
                f"survey {self.name!r}: dock water density {self.dock_density_t_m3!r} t/m³ is not a water "
                "density (expected 0.9 to 1.1 t/m³; enter t/m³, not kg/m³)"
            )
        object.__setattr__(self, "deductibles", tuple(self.deductibles))


# --------------------------------------------------------------------------------------------------
# The steps (each a published formula)


def length_between_marks(lbp_m: float, fwd_offset_m: float, aft_offset_m: float) -> float:
    """Length between the forward and aft draft marks.

    Parameters
    ----------
    lbp_m : float
        Length between perpendiculars [m].
    fwd_offset_m, aft_offset_m : float
        Signed offsets of the forward and aft marks from their perpendiculars [m], positive forward.

    Returns
    -------
    float
        LBM = LBP − d_A + d_F [m].

    References
    ----------
    UN/ECE Code (1992) § 5.3; docs/formulas.md A.3.
    """
    return lbp_m - aft_offset_m + fwd_offset_m


def perpendicular_correction(mark_offset_m: float, apparent_trim_m: float, length_between_marks_m: float) -> float:
    """Correction that moves a mark reading to its perpendicular (or to midships).

    Parameters
    ----------
    mark_offset_m : float
        Signed offset of the mark from its perpendicular [m], positive when the mark is forward of it.
    apparent_trim_m : float
        Aft mean − forward mean of the mark readings [m], positive by the stern.
    length_between_marks_m : float
        [m].

    Returns
    -------
    float
        Correction [m] to add to the mark reading: d × t / LBM. By the stern, a forward mark aft of
        the FP gets a negative correction and an aft mark forward of the AP a positive one.

    References
    ----------
    UN/ECE Code (1992) § 5.3; docs/formulas.md A.4.
    """
    return mark_offset_m * apparent_trim_m / length_between_marks_m


def mean_of_means(fwd_m: float, mid_m: float, aft_m: float, method: MeanMethod = "quarter_mean") -> float:
    """The mean draft entered into the tables, allowing for deflection.

    Parameters
    ----------
    fwd_m, mid_m, aft_m : float
        Drafts corrected to the perpendiculars and midships [m].
    method : {'quarter_mean', 'river', 'barge'}
        (F + 6M + A)/8 (the Code's quarter mean, mean of mean of means), (F + 4M + A)/6 (Simpson, used
        for river craft) or (3F + 14M + 3A)/20 (barges, fuller hull form).

    Returns
    -------
    float
        [m]

    References
    ----------
    UN/ECE Code (1992) § 5.3 (quarter mean); surveyor practice for the river and barge variants.
    """
    if method == "quarter_mean":
        return (fwd_m + 6.0 * mid_m + aft_m) / 8.0
    if method == "river":
        return (fwd_m + 4.0 * mid_m + aft_m) / 6.0
    if method == "barge":
        return (3.0 * fwd_m + 14.0 * mid_m + 3.0 * aft_m) / 20.0
    raise SurveyInputError(f"unknown mean method {method!r}; expected one of {', '.join(MEAN_METHODS)}")


def deflection_label(deflection_m: float) -> str:
    """'sag' when midships is deeper than the fore-and-aft mean, 'hog' when shallower, else 'none'."""
    if deflection_m > 0:
        return "sag"
    if deflection_m < 0:
        return "hog"
    return "none"


def first_trim_correction(true_trim_m: float, lcf_m: float, tpc_t_cm: float, lbp_m: float) -> float:
    """First (layer) trim correction: moves the displacement from midships to the centre of flotation.

    Parameters
    ----------
    true_trim_m : float
        [m], positive by the stern.
    lcf_m : float
        LCF from midships [m], positive aft.
    tpc_t_cm : float
        [t/cm] at the mean draft.
    lbp_m : float
        [m]

    Returns
    -------
    float
        FTC = T × LCF × TPC × 100 / LBP [t]; positive when trim and LCF are on the same side (by the
        stern with LCF aft, or by the head with LCF forward), so all four cases need no sign table.

    References
    ----------
    UN/ECE Code (1992) § 5.5; docs/formulas.md A.7.
    """
    return true_trim_m * lcf_m * tpc_t_cm * 100.0 / lbp_m


def second_trim_correction(true_trim_m: float, mtc_difference_t_m_cm: float, lbp_m: float) -> float:
    """Second trim correction (Nemoto): allows for the shift of LCF with trim.

    Parameters
    ----------
    true_trim_m : float
        [m]
    mtc_difference_t_m_cm : float
        MTC at mean draft + 0.5 m minus MTC at mean draft − 0.5 m [t·m/cm], i.e. dM/dZ per metre.
    lbp_m : float
        [m]

    Returns
    -------
    float
        STC = 50 × T² × ΔMTC / LBP [t]; positive whatever the direction of trim.

    References
    ----------
    UN/ECE Code (1992) § 5.5; docs/formulas.md A.8.
    """
    return 50.0 * true_trim_m * true_trim_m * mtc_difference_t_m_cm / lbp_m


def list_correction(mid_port_m: float, mid_stbd_m: float, tpc_port_t_cm: float, tpc_stbd_t_cm: float) -> float:
    """List correction from the midship drafts and the TPC at each of them.

    Parameters
    ----------
    mid_port_m, mid_stbd_m : float
        Midship draft readings port and starboard [m].
    tpc_port_t_cm, tpc_stbd_t_cm : float
        TPC at the port and starboard midship drafts [t/cm].

    Returns
    -------
    float
        LC = 6 × |MP − MS| × |TPC_P − TPC_S| [t], always ≥ 0 (added to displacement).

    References
    ----------
    Surveyor practice (not in the UN/ECE Code); docs/formulas.md A.9.
    """
    return 6.0 * abs(mid_port_m - mid_stbd_m) * abs(tpc_port_t_cm - tpc_stbd_t_cm)


def list_angle_deg(mid_port_m: float, mid_stbd_m: float, breadth_m: float) -> float:
    """Angle of list [°] from the midship drafts across the breadth: atan(|MP − MS| / B)."""
    return math.degrees(math.atan(abs(mid_port_m - mid_stbd_m) / breadth_m))


# --------------------------------------------------------------------------------------------------
# Results


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


def _tonnes(value: float, signed: bool = False) -> str:
    """A weight in a warning, as the form shows weights: to the kilogram (SHOWN_DECIMALS['t']), grouped."""
    rounded = round_half_away_from_zero(value, SHOWN_DECIMALS["t"])
    return f"{rounded:{'+' if signed else ''},.{SHOWN_DECIMALS['t']}f} t"


# --------------------------------------------------------------------------------------------------
# The chain


def survey_condition(
    condition: SurveyConditionInput,
    vessel: VesselParticulars,
    table: HydrostaticTable | None,
    rounding: RoundingPolicy = NO_ROUNDING,
    mean_method: MeanMethod = "quarter_mean",
) -> ConditionResult:
    """Compute one draft survey from its six readings to its net displacement.

    Parameters
    ----------
    condition : SurveyConditionInput
        Readings [m], mark positions, dock water density [t/m³], deductibles, optional list TPCs
        [t/cm] and optional surveyor table readings.
    vessel : VesselParticulars
    table : HydrostaticTable or None
        The vessel's full table (LCF already from midships, aft positive); may be None when the
        condition carries its own table readings.
    rounding : RoundingPolicy
        Which figures are rounded and carried forward rounded.
    mean_method : {'quarter_mean', 'river', 'barge'}

    Returns
    -------
    ConditionResult
        Every intermediate figure.

    Raises
    ------
    DraftOutsideTable
        The mean draft, or mean draft ± 0.5 m for MTC, lies outside the table.
    SurveyInputError
        No table to read, or a table without MTC and no MTC readings.

    References
    ----------
    UN/ECE Code (1992) § 5 and the draught survey form of its Annex.
    """
    r = rounding.apply
    marks = condition.marks
    positions = condition.positions
    lbp = vessel.lbp_m

    mean_fwd = r("mean_drafts", (marks.fwd_port + marks.fwd_stbd) / 2.0)
    mean_mid = r("mean_drafts", (marks.mid_port + marks.mid_stbd) / 2.0)
    mean_aft = r("mean_drafts", (marks.aft_port + marks.aft_stbd) / 2.0)
    apparent_trim = mean_aft - mean_fwd

    fwd_offset, mid_offset, aft_offset = positions.fwd.offset_m, positions.mid.offset_m, positions.aft.offset_m
    lbm = r("length_between_marks", length_between_marks(lbp, fwd_offset, aft_offset))
    if not lbm > 0:
        raise SurveyInputError(f"length between marks {lbm!r} m is not positive; check the mark positions")
    fwd_correction = r("perpendicular_corrections", perpendicular_correction(fwd_offset, apparent_trim, lbm))
    mid_correction = r("perpendicular_corrections", perpendicular_correction(mid_offset, apparent_trim, lbm))
    aft_correction = r("perpendicular_corrections", perpendicular_correction(aft_offset, apparent_trim, lbm))

    # Moulded tables are entered with moulded drafts: the keel plate comes off every corrected draft.
    keel = vessel.keel_plate_mm / 1000.0
    corrected_fwd = r("corrected_drafts", mean_fwd + fwd_correction - keel)
    corrected_mid = r("corrected_drafts", mean_mid + mid_correction - keel)
    corrected_aft = r("corrected_drafts", mean_aft + aft_correction - keel)
    true_trim = r("true_trim", corrected_aft - corrected_fwd)
    mean_fore_aft = (corrected_fwd + corrected_aft) / 2.0
    deflection = corrected_mid - mean_fore_aft
    quarter_mean = r("quarter_mean", mean_of_means(corrected_fwd, corrected_mid, corrected_aft, mean_method))

    readings = condition.table_readings
    source = readings.rows if readings is not None else table
    if source is None:
        raise SurveyInputError(f"survey {condition.name!r}: no hydrostatic table and no table readings")
    try:
        values = source.at(quarter_mean, f"survey {condition.name!r}: mean draft")
        if readings is None and source.mtc_t_m_cm is not None:
            mtc_plus = source.interpolate("mtc_t_m_cm", quarter_mean + 0.5, f"survey {condition.name!r}: mean draft + 0.5 m")
            mtc_minus = source.interpolate("mtc_t_m_cm", quarter_mean - 0.5, f"survey {condition.name!r}: mean draft − 0.5 m")
    except DraftOutsideTable as error:
        # the file layer points the person at the right table: the vessel's or this survey's readings
        error.survey = condition.name
        error.table_source = "surveyor readings" if readings is not None else "vessel table"
        raise
    displacement = r("displacement", values.displacement_t)
    tpc = r("tpc", values.tpc_t_cm)
    lcf = r("lcf", values.lcf_m)
    if readings is not None:
        mtc_plus, mtc_minus = readings.mtc_plus_t_m_cm, readings.mtc_minus_t_m_cm
    else:
        if source.mtc_t_m_cm is None:
            raise SurveyInputError(
                f"survey {condition.name!r}: the hydrostatic table has no MTC column and no MTC readings were given"
            )
    mtc_plus, mtc_minus = r("mtc", mtc_plus), r("mtc", mtc_minus)
    mtc_difference = r("mtc_difference", mtc_plus - mtc_minus)

    first = r("first_trim_correction", first_trim_correction(true_trim, lcf, tpc, lbp))
    second = r("second_trim_correction", second_trim_correction(true_trim, mtc_difference, lbp))

    if condition.list_tpc_t_cm is not None:
        tpc_port, tpc_stbd = condition.list_tpc_t_cm
        listing = r("list_correction", list_correction(marks.mid_port, marks.mid_stbd, tpc_port, tpc_stbd))
    else:
        tpc_port = tpc_stbd = None
        listing = 0.0
    angle = None if vessel.breadth_m is None else list_angle_deg(marks.mid_port, marks.mid_stbd, vessel.breadth_m)
    side = "port" if marks.mid_port > marks.mid_stbd else "starboard" if marks.mid_stbd > marks.mid_port else "upright"

    trim_list_corrected = r("displacement_trim_list_corrected", displacement + first + second + listing)
    density_ratio = condition.dock_density_t_m3 / vessel.table_density_t_m3
    density_correction = r("density_correction", trim_list_corrected * density_ratio - trim_list_corrected)
    density_corrected = r("displacement_density_corrected", trim_list_corrected + density_correction)
    # Report the correction the form shows, so that the two lines add up under every policy.
    density_correction = r("density_correction", density_corrected - trim_list_corrected)

    lines = []
    for item in condition.deductibles:
        if item.weight_t is not None:
            weight = item.weight_t
        else:
            weight = r("deductible_weight_from_volume", item.volume_m3 * item.density_t_m3)
        lines.append(DeductibleLine(item.kind, item.name, weight, item.volume_m3, item.density_t_m3))
    deductibles_total = r("total_deductibles", math.fsum(line.weight_t for line in lines))
    net = r("net_displacement", density_corrected - deductibles_total)

    return ConditionResult(
        name=condition.name,
        rounding=rounding.name,
        mean_method=mean_method,
        table_source="surveyor readings" if readings is not None else "vessel table",
        marks=marks,
        mean_fwd_m=mean_fwd,
        mean_mid_m=mean_mid,
        mean_aft_m=mean_aft,
        apparent_trim_m=apparent_trim,
        keel_plate_m=keel,
        fwd_mark_offset_m=fwd_offset,
        mid_mark_offset_m=mid_offset,
        aft_mark_offset_m=aft_offset,
        length_between_marks_m=lbm,
        fwd_correction_m=fwd_correction,
        mid_correction_m=mid_correction,
        aft_correction_m=aft_correction,
        corrected_fwd_m=corrected_fwd,
        corrected_mid_m=corrected_mid,
        corrected_aft_m=corrected_aft,
        true_trim_m=true_trim,
        mean_fore_aft_m=mean_fore_aft,
        deflection_m=deflection,
        deflection=deflection_label(deflection),
        quarter_mean_m=quarter_mean,
        table_row_interval_m=source.row_interval_m(quarter_mean),
        displacement_t=displacement,
        tpc_t_cm=tpc,
        lcf_m=lcf,
        mtc_plus_t_m_cm=mtc_plus,
        mtc_minus_t_m_cm=mtc_minus,
        mtc_difference_t_m_cm=mtc_difference,
        first_trim_correction_t=first,
        second_trim_correction_t=second,
        list_tpc_port_t_cm=tpc_port,
        list_tpc_stbd_t_cm=tpc_stbd,
        list_correction_t=listing,
        list_angle_deg=angle,
        list_side=side,
        displacement_trim_list_corrected_t=trim_list_corrected,
        table_density_t_m3=vessel.table_density_t_m3,
        dock_density_t_m3=condition.dock_density_t_m3,
        density_correction_t=density_correction,
        displacement_density_corrected_t=density_corrected,
        deductibles=tuple(lines),
        deductibles_t=deductibles_total,
        net_displacement_t=net,
    )


def _condition_warnings(result: ConditionResult, vessel: VesselParticulars) -> list[SurveyWarning]:
    warnings = []
    if result.list_angle_deg is not None and result.list_angle_deg > LIST_WARNING_DEG:
        warnings.append(
            SurveyWarning(
                "list",
                result.name,
                f"survey {result.name!r}: list {result.list_angle_deg:.2f}° to {result.list_side} exceeds "
                f"{LIST_WARNING_DEG}° (midship marks {result.mean_mid_m:.3f} m mean); correct the list before "
                "reading or apply the list correction",
            )
        )
    if result.list_angle_deg is None and result.list_side != "upright":
        warnings.append(
            SurveyWarning(
                "list_unchecked",
                result.name,
                f"survey {result.name!r}: midship marks differ port/starboard but the vessel breadth is not "
                f"given, so the list angle could not be checked against {LIST_WARNING_DEG}°",
            )
        )
    if result.table_row_interval_m > TABLE_ROW_INTERVAL_WARNING_M:
        warnings.append(
            SurveyWarning(
                "table_interval",
                result.name,
                f"survey {result.name!r}: mean draft {result.quarter_mean_m:.4f} m falls between table rows "
                f"{result.table_row_interval_m:.2f} m apart (more than {TABLE_ROW_INTERVAL_WARNING_M} m); "
                "linear interpolation over so wide a step is not exact — supply the rows around this draft",
            )
        )
    if vessel.trim_range_m is not None:
        low, high = vessel.trim_range_m
        if not low <= result.true_trim_m <= high:
            warnings.append(
                SurveyWarning(
                    "trim_range",
                    result.name,
                    f"survey {result.name!r}: true trim {result.true_trim_m:+.3f} m is outside the tables' trim "
                    f"range {low:+g} m to {high:+g} m; the trim corrections are less reliable",
                )
            )
    return warnings


def _audit_warnings(table: HydrostaticTable, where: str, tolerance_t: float, tolerance_fraction: float) -> list[SurveyWarning]:
    return [
        SurveyWarning("table_audit", "", f"{where}: {finding.message}")
        for finding in audit_table(table, tolerance_t, tolerance_fraction)
    ]


def draft_survey(
    vessel: VesselParticulars,
    table: HydrostaticTable | None,
    conditions: Sequence[SurveyConditionInput],
    rounding: RoundingPolicy = NO_ROUNDING,
    mean_method: MeanMethod = "quarter_mean",
    cargo_from: str = "initial",
    cargo_to: str = "final",
    bill_of_lading_t: float | None = None,
    audit_tolerance_t: float = 1.0,
    audit_tolerance_fraction: float = 0.01,
    operation: Operation | None = None,
) -> DraftSurveyResult:
    """Compute a survey job: every survey, the cargo between two of them, the constant, the warnings.

    Parameters
    ----------
    vessel : VesselParticulars
    table : HydrostaticTable or None
        Full vessel table, LCF from midships aft positive; None if every survey has table readings.
    conditions : sequence of SurveyConditionInput
        The surveys, with distinct names.
    rounding : RoundingPolicy
    mean_method : {'quarter_mean', 'river', 'barge'}
    cargo_from, cargo_to : str
        Names of the surveys the cargo is measured between: cargo = net(to) − net(from) [t]
        (negative for a discharge). Defaults 'initial' and 'final'.
    bill_of_lading_t : float, optional
        Declared cargo [t]; a difference over 0.5 % is a warning.
    audit_tolerance_t, audit_tolerance_fraction : float
        Tolerances of the table audit (see :func:`calculators.hydrostatics.audit_table`).
    operation : {'loading', 'discharge'}, optional
        What the job declares it measures. A loading needs net(to) ≥ net(from), a discharge
        net(to) < net(from). Default: taken from the sign of the cargo.

    Returns
    -------
    DraftSurveyResult
        cargo_t (signed), operation, and constant_t = net of the light survey − lightship [t] when
        lightship is given. The light survey is the one before loading (cargo_from) or after discharge
        (cargo_to).

    Raises
    ------
    SurveyInputError
        Duplicate survey names or cargo between surveys that do not exist.
    OperationMismatch
        The surveys contradict the declared operation.
    DraftOutsideTable
        A mean draft outside the table.

    References
    ----------
    UN/ECE Code (1992) § 5.7 (net displacement, constant, cargo).
    """
    names = [condition.name for condition in conditions]
    if len(set(names)) != len(names):
        raise SurveyInputError(f"survey names must be distinct, got {names}")
    for which, name in (("cargo_from", cargo_from), ("cargo_to", cargo_to)):
        if name not in names:
            raise SurveyInputError(f"{which} names survey {name!r}, which is not among the surveys ({', '.join(names)})")
    if cargo_from == cargo_to:
        raise SurveyInputError(f"the cargo must be measured between two different surveys, got {cargo_from!r} twice")

    warnings: list[SurveyWarning] = []
    if table is not None and len(table) > 1:
        warnings += _audit_warnings(table, "vessel table", audit_tolerance_t, audit_tolerance_fraction)

    results = []
    for condition in conditions:
        result = survey_condition(condition, vessel, table, rounding, mean_method)
        results.append(result)
        if condition.table_readings is not None and len(condition.table_readings.rows) > 1:
            warnings += _audit_warnings(
                condition.table_readings.rows,
                f"survey {condition.name!r} table readings",
                audit_tolerance_t,
                audit_tolerance_fraction,
            )
        warnings += _condition_warnings(result, vessel)

    by_name = {result.name: result for result in results}
    cargo = by_name[cargo_to].net_displacement_t - by_name[cargo_from].net_displacement_t
    found = "loading" if cargo >= 0 else "discharge"
    if operation is not None and operation not in OPERATIONS:
        raise SurveyInputError(f"operation must be one of {', '.join(OPERATIONS)}, got {operation!r}")
    if operation is not None and operation != found:
        raise OperationMismatch(
            f"the job declares a {operation}, but net {cargo_to} {by_name[cargo_to].net_displacement_t:.3f} t − net {cargo_from} "
            f"{by_name[cargo_from].net_displacement_t:.3f} t = {cargo:+.3f} t is a {found} "
            f"(a {operation} needs net {cargo_to} {'≥' if operation == 'loading' else '<'} net {cargo_from})"
        )

    constant = constant_survey = None
    if vessel.lightship_t is not None:
        constant_survey = cargo_from if cargo >= 0 else cargo_to
        constant = by_name[constant_survey].net_displacement_t - vessel.lightship_t
        declared = vessel.declared_constant_t
        if declared is not None and abs(constant - declared) > CONSTANT_TOLERANCE_FRACTION * abs(declared):
            warnings.append(
                SurveyWarning(
                    "constant",
                    constant_survey,
                    f"constant {_tonnes(constant)} (survey {constant_survey!r} net {_tonnes(by_name[constant_survey].net_displacement_t)} "
                    f"− lightship {_tonnes(vessel.lightship_t)}) differs from the declared {_tonnes(declared)} by "
                    f"{_tonnes(constant - declared, signed=True)}, more than {CONSTANT_TOLERANCE_FRACTION * 100:.0f} %; check for "
                    "unsounded tanks or undeclared weights",
                )
            )

    difference_pct = None
    if bill_of_lading_t is not None:
        if not bill_of_lading_t > 0:
            raise SurveyInputError(f"bill of lading quantity must be positive, got {bill_of_lading_t!r} t")
        difference_pct = (abs(cargo) - bill_of_lading_t) / bill_of_lading_t * 100.0
        if abs(difference_pct) > BILL_OF_LADING_TOLERANCE_PCT:
            warnings.append(
                SurveyWarning(
                    "bill_of_lading",
                    "",
                    f"cargo {_tonnes(abs(cargo))} differs from the bill of lading {_tonnes(bill_of_lading_t)} by "
                    f"{difference_pct:+.3f} %, more than {BILL_OF_LADING_TOLERANCE_PCT} %",
                )
            )

    return DraftSurveyResult(
        method=METHOD,
        rounding=rounding.name,
        rounding_description=rounding.description,
        mean_method=mean_method,
        surveys=tuple(results),
        cargo_from=cargo_from,
        cargo_to=cargo_to,
        cargo_t=cargo,
        lightship_t=vessel.lightship_t,
        constant_survey=constant_survey,
        constant_t=constant,
        declared_constant_t=vessel.declared_constant_t,
        bill_of_lading_t=bill_of_lading_t,
        bill_of_lading_difference_pct=difference_pct,
        warnings=tuple(warnings),
        operation=found,
    )


__all__ = [
    "BILL_OF_LADING_TOLERANCE_PCT",
    "CONSTANT_TOLERANCE_FRACTION",
    "ConditionResult",
    "DEDUCTIBLE_KINDS",
    "Deductible",
    "DeductibleLine",
    "DraftOutsideTable",
    "DraftSurveyResult",
    "LIST_WARNING_DEG",
    "MEAN_METHODS",
    "MarkPosition",
    "MarkPositions",
    "MarkReadings",
    "INPUT_DECIMALS",
    "NO_ROUNDING",
    "OPERATIONS",
    "Operation",
    "OperationMismatch",
    "ROUNDING_POLICIES",
    "RoundingPolicy",
    "SHOWN_DECIMALS",
    "SurveyConditionInput",
    "SurveyInputError",
    "SurveyWarning",
    "TABLE_ROW_INTERVAL_WARNING_M",
    "TableReadings",
    "UNECE_3DP",
    "VesselParticulars",
    "WORKBOOK",
    "deflection_label",
    "draft_survey",
    "first_trim_correction",
    "length_between_marks",
    "list_angle_deg",
    "list_correction",
    "mean_of_means",
    "perpendicular_correction",
    "rounding_policy",
    "second_trim_correction",
    "survey_condition",
]
