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

This module chains the steps. The inputs are in `inputs.py`, the rounding policies in `rounding.py`,
steps 1–3 in `draft_marks.py`, step 4 in `hydrostatics.py`, step 5's trim and list corrections in
`corrections.py`, and the figures it gives in `result.py`.

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
from typing import Sequence, cast

from calculators.survey.corrections import first_trim_correction, list_angle_deg, list_correction, second_trim_correction
from calculators.survey.draft_marks import deflection_label, length_between_marks, mean_of_means, perpendicular_correction
from calculators.survey.hydrostatics import DraftOutsideTable, HydrostaticTable, audit_table
from calculators.survey.inputs import (
    OPERATIONS,
    MeanMethod,
    Operation,
    OperationMismatch,
    SurveyConditionInput,
    SurveyInputError,
    VesselParticulars,
)
from calculators.survey.result import ConditionResult, DeductibleLine, DraftSurveyResult, SurveyWarning
from calculators.survey.rounding import NO_ROUNDING, SHOWN_DECIMALS, RoundingPolicy, round_half_away_from_zero

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


def _tonnes(value: float, signed: bool = False) -> str:
    """A weight in a warning, as the form shows weights: to the kilogram (SHOWN_DECIMALS['t']), grouped."""
    rounded = round_half_away_from_zero(value, SHOWN_DECIMALS["t"])
    return f"{rounded:{'+' if signed else ''},.{SHOWN_DECIMALS['t']}f} t"


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
            mtc_plus = cast(float, source.interpolate("mtc_t_m_cm", quarter_mean + 0.5, f"survey {condition.name!r}: mean draft + 0.5 m"))  # one draft, one value
            mtc_minus = cast(float, source.interpolate("mtc_t_m_cm", quarter_mean - 0.5, f"survey {condition.name!r}: mean draft − 0.5 m"))
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

    tpc_port: float | None
    tpc_stbd: float | None
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
            weight = r("deductible_weight_from_volume", cast(float, item.volume_m3) * cast(float, item.density_t_m3))  # by volume: both given
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
        Tolerances of the table audit (see :func:`calculators.survey.hydrostatics.audit_table`).
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
    "LIST_WARNING_DEG",
    "METHOD",
    "TABLE_ROW_INTERVAL_WARNING_M",
    "draft_survey",
    "survey_condition",
]
