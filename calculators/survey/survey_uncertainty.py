"""Uncertainty of a draft survey's cargo from the uncertainties of its observed marks and dock densities:
first-order propagation (GUM, JCGM 100:2008) through the survey calculator itself, a Monte Carlo
propagation of the same distributions (JCGM 101:2008) and the validation of the one by the other.

The model is the calculator: cargo = net(cargo_to) − net(cargo_from), each net displacement computed
by :func:`calculators.survey.draft_survey.survey_condition`, exactly as
:func:`calculators.survey.draft_survey.draft_survey` computes it. Nothing of the survey is written again
here, so the uncertainty is always that of the figure the survey reports.

Issue 16 (drone and sensor draft observation): an observed mark comes with its standard uncertainty
(:func:`calculators.survey.wave_mean.wave_mean` gives one per mark, and
:func:`calculators.survey.dock_density.dock_density` one for the dock water density); this module says
what they make of the cargo. Numbers in, numbers out; no files, no logging.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, replace
from statistics import NormalDist
from types import MappingProxyType
from typing import Any, Mapping, Sequence, cast

import numpy as np

from calculators.quantity_error import QuantityError
from calculators.survey.draft_survey import draft_survey, survey_condition
from calculators.survey.hydrostatics import DraftOutsideTable, HydrostaticTable
from calculators.survey.inputs import (
    MarkReadings,
    MeanMethod,
    Operation,
    SurveyConditionInput,
    SurveyInputError,
    VesselParticulars,
)
from calculators.survey.rounding import NO_ROUNDING

MARKS: tuple[str, ...] = ("fwd_port", "fwd_stbd", "mid_port", "mid_stbd", "aft_port", "aft_stbd")
"""The six draft marks, in the order of :class:`~calculators.survey.inputs.MarkReadings`."""

DOCK_DENSITY = "dock_density_t_m3"
"""The name a contribution of the dock water density carries."""

MARK_STEP_M = 0.001
"""Default step of the central differences for a mark [m]: 1 mm, the resolution marks are written to."""

DENSITY_STEP_T_M3 = 0.0001
"""Default step of the central differences for the dock water density [t/m³]: a hydrometer's last digit."""

STEP_REDUCTION = 1000.0
"""Where a full step would leave the hydrostatic table, the step is divided by this (1 mm → 1 µm)."""

COVERAGE_FACTOR_95 = 2.0
"""Coverage factor k of the expanded uncertainty, ≈ 95 % coverage for a Gaussian output (JCGM 100 6.2, 6.3)."""

METHOD = (
    "JCGM 100:2008 (GUM) law of propagation of uncertainty, uncorrelated inputs (5.1.2), sensitivity "
    "coefficients by central differences of the unrounded UN/ECE draft survey calculator (5.1.3)"
)
MONTE_CARLO_METHOD = (
    "JCGM 101:2008 Monte Carlo propagation (clause 7): Gaussian inputs, the unrounded UN/ECE draft survey "
    "calculator evaluated per draw, probabilistically symmetric coverage interval"
)


class SurveyUncertaintyError(QuantityError, SurveyInputError):
    """An uncertainty, a step or a Monte Carlo setting the calculator cannot use, or a Monte Carlo draw
    the survey cannot evaluate; the message names the survey and the mark (or the density).

    Attributes
    ----------
    quantity : str
        The input at fault (``"mark_uncertainty_m"``, ``"dock_density_uncertainty_t_m3"``, ``"draws"`` …).
    survey : str or None
        The survey it belongs to, when it belongs to one.
    item : str or None
        The mark (``"mid_port"`` …) or ``"dock_density_t_m3"``, when one is at fault.
    """

    def __init__(self, quantity: str, message: str, survey: str | None = None, item: str | None = None) -> None:
        self.survey = survey
        self.item = item
        super().__init__(quantity, message)


@dataclass(frozen=True)
class Contribution:
    """One input's share of the cargo's uncertainty (JCGM 100 5.1.3).

    Attributes
    ----------
    survey : str
        The survey the input belongs to.
    item : str
        The mark (one of ``MARKS``) or ``"dock_density_t_m3"``.
    unit : str
        The input's unit: ``"m"`` for a mark, ``"t/m³"`` for the density.
    u : float
        The input's standard uncertainty [m] or [t/m³].
    sensitivity : float
        c = ∂cargo/∂x at the readings [t/m] for a mark, [t/(t/m³)] = [m³] for the density; negative
        for an input of the ``cargo_from`` survey.
    contribution_t : float
        c·u [t], signed (the GUM's u_i(y) = |c·u|).
    step : float
        The difference step used [m] or [t/m³].
    difference : str
        ``"central"``; ``"forward"`` or ``"backward"`` only where no central difference stays on the table.
    """

    survey: str
    item: str
    unit: str
    u: float
    sensitivity: float
    contribution_t: float
    step: float
    difference: str


@dataclass(frozen=True)
class SurveyUncertainty:
    """The cargo of a survey job with its combined standard uncertainty (JCGM 100 5.1.2).

    Attributes
    ----------
    cargo_from, cargo_to : str
        The surveys the cargo is measured between: cargo = net(cargo_to) − net(cargo_from).
    cargo_t : float
        The cargo [t], unrounded (signed: negative for a discharge, as the survey gives it).
    u_cargo_t : float
        Combined standard uncertainty u_c(cargo) [t].
    contributions : tuple of Contribution
        The inputs of the two cargo surveys, largest |c·u| first.
    net_displacement_t : Mapping[str, float]
        Net displacement of each survey whose uncertainties were given [t], unrounded.
    u_net_displacement_t : Mapping[str, float]
        Combined standard uncertainty of each of those net displacements [t].
    mean_method : str
        The mean of means the survey used.
    """

    cargo_from: str
    cargo_to: str
    cargo_t: float
    u_cargo_t: float
    contributions: tuple[Contribution, ...]
    net_displacement_t: Mapping[str, float]
    u_net_displacement_t: Mapping[str, float]
    mean_method: str

    def expanded_t(self, coverage_factor: float = COVERAGE_FACTOR_95) -> float:
        """Expanded uncertainty U = k·u_c(cargo) [t]; k = 2 by default (≈ 95 %, JCGM 100 6.2, 6.3)."""
        return expanded_uncertainty(self.u_cargo_t, coverage_factor)

    def as_document(self) -> dict[str, Any]:
        """The result as plain data (numbers unrounded), with U for k = 2 and the method it follows."""
        return {
            "method": METHOD,
            "mean_method": self.mean_method,
            "cargo_from": self.cargo_from,
            "cargo_to": self.cargo_to,
            "cargo_t": self.cargo_t,
            "u_cargo_t": self.u_cargo_t,
            "coverage_factor": COVERAGE_FACTOR_95,
            "expanded_uncertainty_t": self.expanded_t(),
            "net_displacement_t": dict(self.net_displacement_t),
            "u_net_displacement_t": dict(self.u_net_displacement_t),
            "contributions": [asdict(line) for line in self.contributions],
        }


@dataclass(frozen=True)
class MonteCarloUncertainty:
    """The cargo's distribution by Monte Carlo (JCGM 101:2008, clause 7).

    Attributes
    ----------
    cargo_from, cargo_to : str
    cargo_t : float
        Estimate of the cargo: the mean of the M model values [t] (JCGM 101 7.6).
    u_cargo_t : float
        Standard uncertainty: their standard deviation, divisor M − 1 [t] (JCGM 101 7.6).
    low_t, high_t : float
        Probabilistically symmetric coverage interval for ``coverage_probability`` [t] (JCGM 101 7.7).
    coverage_probability : float
        p [-].
    draws : int
        M, the number of model evaluations [-].
    net_displacement_t : Mapping[str, float]
        Mean net displacement of each of the two cargo surveys [t].
    u_net_displacement_t : Mapping[str, float]
        Standard deviation of each of those net displacements [t].
    """

    cargo_from: str
    cargo_to: str
    cargo_t: float
    u_cargo_t: float
    low_t: float
    high_t: float
    coverage_probability: float
    draws: int
    net_displacement_t: Mapping[str, float]
    u_net_displacement_t: Mapping[str, float]

    def as_document(self) -> dict[str, Any]:
        """The result as plain data (numbers unrounded), with the method it follows."""
        return {
            "method": MONTE_CARLO_METHOD,
            "cargo_from": self.cargo_from,
            "cargo_to": self.cargo_to,
            "cargo_t": self.cargo_t,
            "u_cargo_t": self.u_cargo_t,
            "coverage_interval_t": [self.low_t, self.high_t],
            "coverage_probability": self.coverage_probability,
            "draws": self.draws,
            "net_displacement_t": dict(self.net_displacement_t),
            "u_net_displacement_t": dict(self.u_net_displacement_t),
        }


@dataclass(frozen=True)
class GumValidation:
    """The comparison of the GUM coverage interval with the Monte Carlo one (JCGM 101:2008, clause 8).

    Attributes
    ----------
    validated : bool
        Both endpoint differences within the numerical tolerance: the GUM result stands.
    coverage_probability : float
        p [-].
    coverage_factor : float
        k_p of the GUM interval, from the Gaussian distribution (1.96 for 95 %) [-].
    gum_low_t, gum_high_t : float
        y ∓ k_p·u_c(y) [t].
    monte_carlo_low_t, monte_carlo_high_t : float
        The Monte Carlo interval [t].
    d_low_t, d_high_t : float
        |gum_low − mc_low| and |gum_high − mc_high| [t] (JCGM 101 8.2).
    tolerance_t : float
        δ, the numerical tolerance of u_c(y) at ``significant_digits`` [t] (JCGM 101 7.9.2, 8.2).
    significant_digits : int
        n_dig [-].
    """

    validated: bool
    coverage_probability: float
    coverage_factor: float
    gum_low_t: float
    gum_high_t: float
    monte_carlo_low_t: float
    monte_carlo_high_t: float
    d_low_t: float
    d_high_t: float
    tolerance_t: float
    significant_digits: int


@dataclass(frozen=True)
class _Inputs:
    """Checked uncertainties of one survey: marks [m] in ``MARKS`` order, density [t/m³] or None."""

    marks_m: tuple[float, ...]
    density_t_m3: float | None


def expanded_uncertainty(u: float, coverage_factor: float = COVERAGE_FACTOR_95) -> float:
    """Expanded uncertainty U = k·u.

    Parameters
    ----------
    u : float
        Combined standard uncertainty, in any unit.
    coverage_factor : float, default 2.0
        k [-]. k = 2 gives a coverage probability of about 95 % when the output is about Gaussian
        (JCGM 100 6.2, 6.3, G.6.6); for a stated p use the Monte Carlo interval instead.

    Returns
    -------
    float
        U, in the unit of ``u``.

    Raises
    ------
    SurveyUncertaintyError
        ``u`` negative or not finite, or ``coverage_factor`` not a positive finite number.

    References
    ----------
    JCGM 100:2008 (GUM), 6.2, 6.3.
    """
    if not (math.isfinite(u) and u >= 0.0):
        raise SurveyUncertaintyError("u", f"standard uncertainty {u!r} is not a finite number ≥ 0")
    if not (math.isfinite(coverage_factor) and coverage_factor > 0.0):
        raise SurveyUncertaintyError("coverage_factor", f"coverage factor {coverage_factor!r} is not a positive finite number")
    return coverage_factor * u


def numerical_tolerance(u: float, significant_digits: int = 2) -> float:
    """The numerical tolerance δ of a standard uncertainty: half a unit in its last significant digit.

    Parameters
    ----------
    u : float
        Standard uncertainty (> 0 for a useful answer), in any unit.
    significant_digits : int, default 2
        n_dig, the digits of ``u`` that are meaningful (usually 1 or 2).

    Returns
    -------
    float
        δ = ½ × 10^l where u = c × 10^l with c an integer of n_dig digits; 0 when u = 0. For example
        u = 0.028 with two digits gives δ = 0.0005; u = 35.4 t gives 0.5 t (two digits) or 5 t (one).

    Raises
    ------
    SurveyUncertaintyError
        ``u`` negative or not finite, or ``significant_digits`` not a positive whole number.

    References
    ----------
    JCGM 101:2008, 7.9.2.
    """
    if not (math.isfinite(u) and u >= 0.0):
        raise SurveyUncertaintyError("u", f"standard uncertainty {u!r} is not a finite number ≥ 0")
    if isinstance(significant_digits, bool) or not isinstance(significant_digits, int) or significant_digits < 1:
        raise SurveyUncertaintyError("significant_digits", f"significant_digits = {significant_digits!r} is not a positive whole number")
    if u == 0.0:
        return 0.0
    exponent = math.floor(math.log10(u)) - significant_digits + 1
    if round(u / 10.0**exponent) >= 10**significant_digits:  # 0.99996 at 2 digits is 1.0, not 100 × 10⁻²
        exponent += 1
    return 0.5 * 10.0**exponent


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def _checked_u(value: object, quantity: str, survey: str, item: str, label: str, unit: str) -> float:
    number = _number(value)
    if number is None or not math.isfinite(number) or number < 0.0:
        raise SurveyUncertaintyError(
            quantity,
            f"survey {survey!r}, {label}: standard uncertainty {value!r} {unit} is not a finite number ≥ 0",
            survey,
            item,
        )
    return number


def _checked_inputs(
    conditions: Sequence[SurveyConditionInput],
    mark_uncertainties_m: Mapping[str, Mapping[str, float]],
    dock_density_uncertainties_t_m3: Mapping[str, float] | None,
    required: tuple[str, ...],
) -> dict[str, _Inputs]:
    """The uncertainties per survey, checked, in the order of the surveys."""
    names = [condition.name for condition in conditions]
    known = ", ".join(repr(name) for name in names)
    for survey in mark_uncertainties_m:
        if survey not in names:
            raise SurveyUncertaintyError(
                "mark_uncertainty_m", f"mark uncertainties are given for survey {survey!r}, which is not among the surveys ({known})", survey
            )
    densities = {} if dock_density_uncertainties_t_m3 is None else dock_density_uncertainties_t_m3
    for survey in densities:
        if survey not in names:
            raise SurveyUncertaintyError(
                "dock_density_uncertainty_t_m3",
                f"a dock density uncertainty is given for survey {survey!r}, which is not among the surveys ({known})",
                survey,
            )
    for survey in required:
        if survey not in mark_uncertainties_m:
            raise SurveyUncertaintyError(
                "mark_uncertainty_m",
                f"survey {survey!r}: no mark uncertainties given; the cargo needs the standard uncertainty of all six marks ({', '.join(MARKS)}) in m",
                survey,
            )
    checked: dict[str, _Inputs] = {}
    for survey in names:
        if survey not in mark_uncertainties_m:
            continue
        given = mark_uncertainties_m[survey]
        unknown = [str(mark) for mark in given if mark not in MARKS]
        if unknown:
            raise SurveyUncertaintyError(
                "mark_uncertainty_m",
                f"survey {survey!r}: unknown mark {unknown[0]!r}; the marks are {', '.join(MARKS)}",
                survey,
                unknown[0],
            )
        missing = [mark for mark in MARKS if mark not in given]
        if missing:
            raise SurveyUncertaintyError(
                "mark_uncertainty_m",
                f"survey {survey!r}: no standard uncertainty for mark {missing[0]} (missing: {', '.join(missing)}); all six marks need one, in m",
                survey,
                missing[0],
            )
        marks = tuple(_checked_u(given[mark], "mark_uncertainty_m", survey, mark, f"mark {mark}", "m") for mark in MARKS)
        density = None
        if survey in densities:
            density = _checked_u(densities[survey], "dock_density_uncertainty_t_m3", survey, DOCK_DENSITY, "dock water density", "t/m³")
        checked[survey] = _Inputs(marks, density)
    for survey in densities:
        if survey not in checked:
            raise SurveyUncertaintyError(
                "mark_uncertainty_m",
                f"survey {survey!r}: a dock density uncertainty is given but no mark uncertainties; give all six marks' too",
                survey,
            )
    return checked


def _checked_step(value: float, name: str) -> float:
    if not (math.isfinite(value) and value > 0.0):
        raise SurveyUncertaintyError(name, f"{name} = {value!r} is not a positive finite step")
    return value


def _with_value(condition: SurveyConditionInput, item: str, value: float) -> SurveyConditionInput:
    if item == DOCK_DENSITY:
        return replace(condition, dock_density_t_m3=value)
    return replace(condition, marks=replace(condition.marks, **{item: value}))


def _net(condition: SurveyConditionInput, vessel: VesselParticulars, table: HydrostaticTable | None, mean_method: MeanMethod) -> float:
    return survey_condition(condition, vessel, table, NO_ROUNDING, mean_method).net_displacement_t


def _sensitivity(
    condition: SurveyConditionInput,
    item: str,
    step: float,
    nominal_net_t: float,
    vessel: VesselParticulars,
    table: HydrostaticTable | None,
    mean_method: MeanMethod,
) -> tuple[float, float, str]:
    """∂net/∂x by differences of the calculator: (derivative, step used, kind of difference).

    A central difference with the full step first; where that reaches off the table, a central
    difference with a step STEP_REDUCTION times smaller (the table is linear between its rows, so a
    smaller step loses nothing); where even that reaches off it, a one-sided difference on the side
    that stays on it. The table is never extrapolated.
    """
    x = condition.dock_density_t_m3 if item == DOCK_DENSITY else float(getattr(condition.marks, item))
    small = step / STEP_REDUCTION
    failure: DraftOutsideTable | None = None
    for h, kind in ((step, "central"), (small, "central"), (small, "forward"), (small, "backward")):
        low = x if kind == "forward" else x - h
        high = x if kind == "backward" else x + h
        try:
            net_high = nominal_net_t if kind == "backward" else _net(_with_value(condition, item, high), vessel, table, mean_method)
            net_low = nominal_net_t if kind == "forward" else _net(_with_value(condition, item, low), vessel, table, mean_method)
        except DraftOutsideTable as error:
            failure = error
            continue
        return (net_high - net_low) / (high - low), h, kind
    raise SurveyUncertaintyError(
        "table",
        f"survey {condition.name!r}, {item}: no difference of {small:g} on either side stays on the hydrostatic table ({failure})",
        condition.name,
        item,
    )


def _job_cargo(
    vessel: VesselParticulars,
    table: HydrostaticTable | None,
    conditions: Sequence[SurveyConditionInput],
    mean_method: MeanMethod,
    cargo_from: str,
    cargo_to: str,
    operation: Operation | None,
) -> float:
    """The unrounded cargo of the whole job; refuses what the survey refuses (names, operation, table)."""
    result = draft_survey(vessel, table, conditions, NO_ROUNDING, mean_method, cargo_from, cargo_to, operation=operation)
    return cast(float, result.cargo_t)  # a job's cargo is always measured, between cargo_from and cargo_to


def survey_uncertainty(
    vessel: VesselParticulars,
    table: HydrostaticTable | None,
    conditions: Sequence[SurveyConditionInput],
    mark_uncertainties_m: Mapping[str, Mapping[str, float]],
    dock_density_uncertainties_t_m3: Mapping[str, float] | None = None,
    *,
    mean_method: MeanMethod = "quarter_mean",
    cargo_from: str = "initial",
    cargo_to: str = "final",
    operation: Operation | None = None,
    mark_step_m: float = MARK_STEP_M,
    density_step_t_m3: float = DENSITY_STEP_T_M3,
) -> SurveyUncertainty:
    """Combined standard uncertainty of a draft survey's cargo from its marks and dock densities (GUM).

    The law of propagation of uncertainty for uncorrelated inputs, u_c²(y) = Σ c_i² u²(x_i)
    (JCGM 100 5.1.2), with every sensitivity coefficient c_i = ∂y/∂x_i evaluated numerically by a
    central difference of the survey calculator itself (JCGM 100 5.1.3 allows it): the survey is
    computed with the input raised and lowered by one step, everything else as read.

    Parameters
    ----------
    vessel, table, conditions :
        As for :func:`calculators.survey.draft_survey.draft_survey`.
    mark_uncertainties_m : Mapping[str, Mapping[str, float]]
        Survey name → {mark → standard uncertainty u [m]}, all six marks (``MARKS``) of a survey. The
        ``cargo_from`` and ``cargo_to`` surveys are required; other surveys may be given, and get their
        net displacement's uncertainty (their marks do not enter the cargo).
    dock_density_uncertainties_t_m3 : Mapping[str, float], optional
        Survey name → standard uncertainty of its dock water density [t/m³] (e.g. ``u_t_m3`` of
        :func:`calculators.survey.dock_density.dock_density`). A survey left out has its density taken
        as exact.
    mean_method : {'quarter_mean', 'river', 'barge'}
    cargo_from, cargo_to : str
        The surveys the cargo is measured between (defaults 'initial' and 'final').
    operation : {'loading', 'discharge'}, optional
        Checked against the surveys, as the survey checks it.
    mark_step_m : float, default 0.001
        Step of the differences for a mark [m].
    density_step_t_m3 : float, default 0.0001
        Step of the differences for a density [t/m³].

    Returns
    -------
    SurveyUncertainty
        The unrounded cargo [t], u_c(cargo) [t], each input's contribution (largest first) and the
        uncertainty of each survey's net displacement [t].

    Raises
    ------
    SurveyUncertaintyError
        A survey named in the uncertainties that is not among the surveys; a cargo survey without mark
        uncertainties; a mark missing or unknown; an uncertainty negative, NaN, infinite or not a number;
        a step that is not a positive finite number. The message names the survey and the mark.
    SurveyInputError, OperationMismatch, DraftOutsideTable
        What the survey itself refuses.

    Notes
    -----
    *No rounding.* The survey is evaluated with ``NO_ROUNDING`` whatever the job's rounding policy:
    rounding turns the model into a staircase whose central difference is either 0 (both sides in
    one step) or a spike (a step edge between them), neither a sensitivity. The cargo reported here
    is therefore the unrounded one; a policy's rounding moves the printed cargo by a few tenths of a
    tonne at most (EVER SHIP: 0.54 t), which this module does not count.

    *Independence.* The inputs are taken as uncorrelated: the marks of one survey among themselves,
    the marks of different surveys, and the densities. That holds for the reading scatter (waves,
    resolution) of each mark. It does not hold for an effect common to several readings, such as a
    bias of the observation method (a wet band read as the waterline on every mark, a camera or
    sensor offset, a hydrometer's calibration error used at both surveys): such an effect cancels in
    part in the cargo, or adds, through correlations this propagation leaves out (JCGM 100 5.2). It
    must be controlled by the method (calibration, reading both sides, the same instrument at both
    surveys), not by this number.

    *Which marks weigh most.* With the quarter mean (F + 6M + A)/8 of the port/starboard means, a
    midship mark moves the mean draft by 6/8 × 1/2 = 3/8 of its own error and a forward or aft mark by
    1/8 × 1/2 = 1/16 (a little more or less through the perpendicular corrections). The displacement
    changes by TPC × 100 t per metre of mean draft, corrected for the dock density: a midship mark's
    sensitivity is about 3/8 × 100 × TPC t/m, six times a forward or aft mark's 1/16 × 100 × TPC t/m,
    to which the forward and aft marks add their trim terms (the first trim correction's LCF × TPC ×
    100 / LBP and the second's 100 × T × ΔMTC / LBP, per metre of trim, half of it per mark). A 1 cm
    error in the mean draft is about one TPC of cargo. The river and barge means weigh the marks
    differently (4/6 and 14/20 midships).

    *Where the table ends.* Where a central step would reach off the hydrostatic table (a mean draft
    + 0.5 m a fraction of a millimetre below the last row), the step is made 1000 times smaller, and
    one-sided where even that reaches off it; the contribution records the step and the difference
    used. A derivative exactly at a kink of the model (the table's rows, or equal port and starboard
    midship readings with list TPCs, where the list correction's |MP − MS| turns) is the mean of the
    two slopes; the first-order result is then an approximation, which the Monte Carlo propagation
    (:func:`survey_uncertainty_monte_carlo`) checks.

    References
    ----------
    .. [1] JCGM 100:2008, Evaluation of measurement data — Guide to the expression of uncertainty in
       measurement (GUM), 5.1.2 (law of propagation), 5.1.3 (sensitivity coefficients, evaluated
       numerically), 5.2 (correlated inputs), 6.2–6.3 (expanded uncertainty).
    .. [2] UN/ECE, Code of Uniform Standards and Procedures for the Performance of Draught Surveys of
       Coal Cargoes, ECE/ENERGY/19 (1992), § 5: the model, through
       :func:`calculators.survey.draft_survey.survey_condition`.
    """
    mark_step = _checked_step(mark_step_m, "mark_step_m")
    density_step = _checked_step(density_step_t_m3, "density_step_t_m3")
    cargo = _job_cargo(vessel, table, conditions, mean_method, cargo_from, cargo_to, operation)
    inputs = _checked_inputs(conditions, mark_uncertainties_m, dock_density_uncertainties_t_m3, (cargo_from, cargo_to))
    by_name = {condition.name: condition for condition in conditions}

    nets: dict[str, float] = {}
    u_nets: dict[str, float] = {}
    contributions: list[Contribution] = []
    for survey, given in inputs.items():
        condition = by_name[survey]
        nominal = _net(condition, vessel, table, mean_method)
        sign = 1.0 if survey == cargo_to else -1.0 if survey == cargo_from else 0.0
        items: list[tuple[str, str, float, float]] = [(mark, "m", u, mark_step) for mark, u in zip(MARKS, given.marks_m, strict=True)]
        if given.density_t_m3 is not None:
            items.append((DOCK_DENSITY, "t/m³", given.density_t_m3, density_step))
        squares = []
        for item, unit, u, step in items:
            c_net, used, kind = _sensitivity(condition, item, step, nominal, vessel, table, mean_method)
            squares.append((c_net * u) ** 2)
            if sign != 0.0:
                contributions.append(Contribution(survey, item, unit, u, sign * c_net, sign * c_net * u, used, kind))
        nets[survey] = nominal
        u_nets[survey] = math.sqrt(math.fsum(squares))

    contributions.sort(key=lambda line: abs(line.contribution_t), reverse=True)  # stable: ties keep survey and mark order
    u_cargo = math.sqrt(math.fsum(line.contribution_t**2 for line in contributions))
    return SurveyUncertainty(
        cargo_from=cargo_from,
        cargo_to=cargo_to,
        cargo_t=cargo,
        u_cargo_t=u_cargo,
        contributions=tuple(contributions),
        net_displacement_t=MappingProxyType(nets),
        u_net_displacement_t=MappingProxyType(u_nets),
        mean_method=mean_method,
    )


def _coverage_interval(sorted_values: np.ndarray, probability: float) -> tuple[float, float]:
    """Probabilistically symmetric coverage interval from M sorted model values (JCGM 101 7.7.2)."""
    m = int(sorted_values.size)
    q = int(math.floor(probability * m + 0.5))  # pM when it is a whole number, else the integer part of pM + 1/2
    r = (m - q) // 2 if (m - q) % 2 == 0 else (m - q + 1) // 2
    # JCGM 101 counts the sorted values from 1: the interval is [y_(r), y_(r+q)]
    return float(sorted_values[r - 1]), float(sorted_values[r + q - 1])


def survey_uncertainty_monte_carlo(
    vessel: VesselParticulars,
    table: HydrostaticTable | None,
    conditions: Sequence[SurveyConditionInput],
    mark_uncertainties_m: Mapping[str, Mapping[str, float]],
    dock_density_uncertainties_t_m3: Mapping[str, float] | None = None,
    *,
    rng: np.random.Generator,
    draws: int = 10_000,
    coverage_probability: float = 0.95,
    mean_method: MeanMethod = "quarter_mean",
    cargo_from: str = "initial",
    cargo_to: str = "final",
    operation: Operation | None = None,
) -> MonteCarloUncertainty:
    """The cargo's standard uncertainty and coverage interval by Monte Carlo (JCGM 101).

    Each mark and each density given an uncertainty is drawn M times from a Gaussian with its reading
    as mean and its u as standard deviation, independently (the same assumption as
    :func:`survey_uncertainty`, with the same limits); the survey calculator computes the net
    displacement of the two cargo surveys for every draw; the cargo's M values give its estimate
    (their mean), its standard uncertainty (their standard deviation) and the probabilistically
    symmetric coverage interval (JCGM 101 7.2–7.7).

    Parameters
    ----------
    vessel, table, conditions, mark_uncertainties_m, dock_density_uncertainties_t_m3, mean_method, cargo_from, cargo_to, operation :
        As for :func:`survey_uncertainty`. Only the two cargo surveys are drawn.
    rng : numpy.random.Generator
        The source of the draws; seed it (``numpy.random.default_rng(seed)``) for a repeatable result.
    draws : int, default 10000
        M, the number of model evaluations [-]. At least 10 / (1 − p) (five draws beyond each end of
        the interval; a choice of this module). M = 10⁴ gives u to about 1 % and the 95 % endpoints to
        about 3 % of u; JCGM 101 7.2 asks for M large compared with 1/(1 − p), and 7.9 gives an
        adaptive procedure when more digits are wanted.
    coverage_probability : float, default 0.95
        p, strictly between 0 and 1 [-].

    Returns
    -------
    MonteCarloUncertainty

    Raises
    ------
    SurveyUncertaintyError
        What :func:`survey_uncertainty` refuses; ``rng`` not a numpy Generator, ``draws`` too few or not
        a whole number, ``coverage_probability`` outside (0, 1); and a draw the survey cannot evaluate
        (its mean draft, or mean draft ± 0.5 m, off the hydrostatic table: the table must cover the
        spread of the inputs, it is never extrapolated; or a drawn density outside 0.9–1.1 t/m³). The
        message names the survey and the draw.

    Notes
    -----
    The calculator is evaluated once per draw and survey (no rounding, as in
    :func:`survey_uncertainty`), about 20 µs each for the EVER SHIP survey: M = 10⁴ takes about 0.4 s.
    The draws are taken survey by survey, ``cargo_from`` first, seven standard normals per draw (six
    marks and the density, drawn even when its u is zero so the marks' draws do not depend on it).
    The job (survey names, ``operation``) is checked once, at the readings, as
    :func:`calculators.survey.draft_survey.draft_survey` checks it; the draws are not checked against
    the operation.

    References
    ----------
    .. [1] JCGM 101:2008, Evaluation of measurement data — Supplement 1 to the GUM — Propagation of
       distributions using a Monte Carlo method, 6.4.7 (Gaussian input), 7.2 (number of trials),
       7.6 (estimate and standard uncertainty), 7.7 (coverage interval), 7.9 (adaptive procedure).
    """
    if not isinstance(rng, np.random.Generator):
        raise SurveyUncertaintyError("rng", f"rng must be a numpy.random.Generator (numpy.random.default_rng(seed)), got {type(rng).__name__}")
    if not (isinstance(coverage_probability, float | int) and not isinstance(coverage_probability, bool) and 0.0 < coverage_probability < 1.0):
        raise SurveyUncertaintyError("coverage_probability", f"coverage probability {coverage_probability!r} is not a number strictly between 0 and 1")
    fewest = math.ceil(10.0 / (1.0 - coverage_probability))
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < fewest:
        raise SurveyUncertaintyError(
            "draws", f"draws = {draws!r}: a {coverage_probability:g} coverage interval needs a whole number of at least {fewest} draws"
        )
    _job_cargo(vessel, table, conditions, mean_method, cargo_from, cargo_to, operation)
    inputs = _checked_inputs(conditions, mark_uncertainties_m, dock_density_uncertainties_t_m3, (cargo_from, cargo_to))
    by_name = {condition.name: condition for condition in conditions}

    samples: dict[str, np.ndarray] = {}
    for survey in (cargo_from, cargo_to):
        condition = by_name[survey]
        given = inputs[survey]
        normals = rng.standard_normal((draws, 7))
        nominal_marks = np.array([float(getattr(condition.marks, mark)) for mark in MARKS])
        marks = (nominal_marks + normals[:, :6] * np.array(given.marks_m)).tolist()
        u_density = 0.0 if given.density_t_m3 is None else given.density_t_m3
        densities = (condition.dock_density_t_m3 + u_density * normals[:, 6]).tolist()
        nets = np.empty(draws)
        for i in range(draws):
            try:
                drawn = replace(condition, marks=MarkReadings(*marks[i]), dock_density_t_m3=densities[i])
                nets[i] = _net(drawn, vessel, table, mean_method)
            except (DraftOutsideTable, SurveyInputError) as error:
                raise SurveyUncertaintyError(
                    "table" if isinstance(error, DraftOutsideTable) else "dock_density_uncertainty_t_m3",
                    f"Monte Carlo draw {i + 1} of {draws} cannot be evaluated: {error}. Every draw must stay within what the "
                    "survey accepts: the hydrostatic table must cover the mean draft and mean draft ± 0.5 m over several "
                    "standard uncertainties of the marks",
                    survey,
                ) from error
        samples[survey] = nets

    cargo = samples[cargo_to] - samples[cargo_from]
    low, high = _coverage_interval(np.sort(cargo), coverage_probability)
    return MonteCarloUncertainty(
        cargo_from=cargo_from,
        cargo_to=cargo_to,
        cargo_t=float(np.mean(cargo)),
        u_cargo_t=float(np.std(cargo, ddof=1)),
        low_t=low,
        high_t=high,
        coverage_probability=float(coverage_probability),
        draws=draws,
        net_displacement_t=MappingProxyType({survey: float(np.mean(values)) for survey, values in samples.items()}),
        u_net_displacement_t=MappingProxyType({survey: float(np.std(values, ddof=1)) for survey, values in samples.items()}),
    )


def gum_validated_by_monte_carlo(gum: SurveyUncertainty, monte_carlo: MonteCarloUncertainty, significant_digits: int = 2) -> GumValidation:
    """Whether the GUM's coverage interval is confirmed by the Monte Carlo one (JCGM 101 clause 8).

    The GUM interval is y ∓ U_p with U_p = k_p·u_c(y), k_p from the Gaussian distribution for the Monte
    Carlo run's coverage probability p (1.96 for 95 %). With δ the numerical tolerance of u_c(y) at
    ``significant_digits`` (:func:`numerical_tolerance`), the GUM result is validated when both
    d_low = |y − U_p − y_low| and d_high = |y + U_p − y_high| are at most δ.

    Parameters
    ----------
    gum : SurveyUncertainty
        From :func:`survey_uncertainty`.
    monte_carlo : MonteCarloUncertainty
        From :func:`survey_uncertainty_monte_carlo`, for the same job and uncertainties.
    significant_digits : int, default 2
        n_dig of u_c(y) to validate [-]. The Monte Carlo run must itself be good to that tolerance
        (JCGM 101 7.9): with M = 10⁴ its endpoints scatter by about 3 % of u, enough for one digit.

    Returns
    -------
    GumValidation

    Raises
    ------
    SurveyUncertaintyError
        The two results are for different cargoes (other surveys), or ``significant_digits`` is not a
        positive whole number.

    References
    ----------
    JCGM 101:2008, 7.9.2 (numerical tolerance), 8.1–8.2 (validation of the GUM uncertainty framework).
    """
    if (gum.cargo_from, gum.cargo_to) != (monte_carlo.cargo_from, monte_carlo.cargo_to):
        raise SurveyUncertaintyError(
            "monte_carlo",
            f"the GUM result is for the cargo {gum.cargo_from!r} → {gum.cargo_to!r} but the Monte Carlo result for "
            f"{monte_carlo.cargo_from!r} → {monte_carlo.cargo_to!r}",
        )
    tolerance = numerical_tolerance(gum.u_cargo_t, significant_digits)
    p = monte_carlo.coverage_probability
    k_p = NormalDist().inv_cdf((1.0 + p) / 2.0)
    low = gum.cargo_t - k_p * gum.u_cargo_t
    high = gum.cargo_t + k_p * gum.u_cargo_t
    d_low = abs(low - monte_carlo.low_t)
    d_high = abs(high - monte_carlo.high_t)
    return GumValidation(
        validated=d_low <= tolerance and d_high <= tolerance,
        coverage_probability=p,
        coverage_factor=k_p,
        gum_low_t=low,
        gum_high_t=high,
        monte_carlo_low_t=monte_carlo.low_t,
        monte_carlo_high_t=monte_carlo.high_t,
        d_low_t=d_low,
        d_high_t=d_high,
        tolerance_t=tolerance,
        significant_digits=significant_digits,
    )


__all__ = [
    "COVERAGE_FACTOR_95",
    "DENSITY_STEP_T_M3",
    "DOCK_DENSITY",
    "MARKS",
    "MARK_STEP_M",
    "METHOD",
    "MONTE_CARLO_METHOD",
    "STEP_REDUCTION",
    "SurveyUncertainty",
    "Contribution",
    "GumValidation",
    "MonteCarloUncertainty",
    "SurveyUncertaintyError",
    "survey_uncertainty",
    "survey_uncertainty_monte_carlo",
    "expanded_uncertainty",
    "gum_validated_by_monte_carlo",
    "numerical_tolerance",
]
