"""Draft survey chain: the published reference cases, hand-worked cases for every sign, and the guards."""

from __future__ import annotations

import math

import pytest

from calculators.survey.corrections import first_trim_correction, list_correction, second_trim_correction
from calculators.survey.draft_marks import deflection_label, length_between_marks, mean_of_means, perpendicular_correction
from calculators.survey.draft_survey import draft_survey, survey_condition
from calculators.survey.hydrostatics import DraftOutsideTable, HydrostaticTable
from calculators.survey.inputs import (
    Deductible,
    MarkPosition,
    MarkPositions,
    MarkReadings,
    SurveyConditionInput,
    SurveyInputError,
    TableReadings,
    VesselParticulars,
)
from calculators.survey.rounding import NO_ROUNDING, UNECE_3DP, WORKBOOK, RoundingPolicy, round_half_away_from_zero, rounding_policy
from reference_cases import reference_case

EVERSHIP = reference_case("DS-EVERSHIP-COAL-2019")


def source_decimals(expected: float | int) -> int:
    """How many decimals the source printed (its JSON literal)."""
    if isinstance(expected, int):
        return 0
    text = repr(expected)
    return len(text.split(".")[1]) if "." in text else 0


def assert_to_source_digits(actual: float, expected: float | int, label: str) -> None:
    """The figure, rounded to the digits the source prints, is the source's figure."""
    decimals = source_decimals(expected)
    assert round_half_away_from_zero(actual, decimals) == pytest.approx(expected, abs=1e-9), (
        f"{label}: {actual!r} rounds to {round_half_away_from_zero(actual, decimals)!r} at {decimals} dp, "
        f"source says {expected!r}"
    )


# ---------------------------------------------------------------------------------------------------
# The real survey (EVER SHIP, coal, December 2019)


def evership_table() -> HydrostaticTable:
    rows = EVERSHIP["hydrostatic_rows_subset"]
    return HydrostaticTable(
        [row["draft_m"] for row in rows],
        [row["displacement_t"] for row in rows],
        [row["tpc"] for row in rows],
        [row["lcf_m_aftpos"] for row in rows],  # the source already gives LCF from midships, aft positive
        [row["mtc"] for row in rows],
    )


def evership_vessel(**overrides) -> VesselParticulars:
    vessel = EVERSHIP["vessel"]
    particulars = dict(
        lbp_m=vessel["lbp_m"],
        table_density_t_m3=vessel["table_density"],
        keel_plate_mm=vessel["keel_plate_mm"],
        lightship_t=vessel["lightship_t"],
        declared_constant_t=vessel["constant_declared_t"],
        breadth_m=vessel["breadth_m"],
    )
    particulars.update(overrides)
    return VesselParticulars(**particulars)


def evership_conditions() -> list[SurveyConditionInput]:
    conditions = []
    for name, given in EVERSHIP["inputs"].items():
        positions = MarkPositions(
            fwd=MarkPosition(2.255, "aft"),  # "2.255 m aft of FP"
            mid=MarkPosition(given["mid_mark_aft_of_midship_m"], "aft"),
            aft=MarkPosition(10.70, "forward"),  # "10.70 m forward of AP"
        )
        deductibles = tuple(Deductible(kind, kind, weight_t=weight) for kind, weight in given["deductibles_t"].items())
        conditions.append(
            SurveyConditionInput(name, MarkReadings(**given["marks"]), positions, given["dock_water_density"], deductibles)
        )
    return conditions


def evership(rounding: RoundingPolicy, **options):
    return draft_survey(
        evership_vessel(),
        evership_table(),
        evership_conditions(),
        rounding,
        cargo_from="initial",
        cargo_to="draft_check",
        bill_of_lading_t=88000,
        **options,
    )


# reference key → result attribute
FIGURES = {
    "quarter_mean_m": "quarter_mean_m",
    "true_trim_m": "true_trim_m",
    "corr_fwd_m": "fwd_correction_m",
    "corr_mid_m": "mid_correction_m",
    "corr_aft_m": "aft_correction_m",
    "displacement_t": "displacement_t",
    "tpc": "tpc_t_cm",
    "lcf_m": "lcf_m",
    "mtc_plus": "mtc_plus_t_m_cm",
    "mtc_minus": "mtc_minus_t_m_cm",
    "first_trim_corr_t": "first_trim_correction_t",
    "second_trim_corr_t": "second_trim_correction_t",
    "trim_corr_total_t": "trim_correction_t",
    "disp_trim_corrected_t": "displacement_trim_list_corrected_t",
    "disp_density_corrected_t": "displacement_density_corrected_t",
    "deductibles_t": "deductibles_t",
    "net_displacement_t": "net_displacement_t",
}
EXPECTED_FIGURES = [
    (condition, key, value)
    for condition in ("initial", "draft_check", "final")
    for key, value in EVERSHIP["expected"][condition].items()
]


def test_every_reference_figure_is_mapped_to_a_result_figure():
    assert {key for _, key, _ in EXPECTED_FIGURES} <= set(FIGURES)
    assert len(EXPECTED_FIGURES) == 16 + 14 + 13  # every figure the source prints


@pytest.mark.parametrize(("condition", "key", "expected"), EXPECTED_FIGURES, ids=[f"{c}-{k}" for c, k, _ in EXPECTED_FIGURES])
def test_evership_workbook_figures_to_the_source_digits(condition, key, expected):
    result = evership(WORKBOOK).survey(condition)
    assert_to_source_digits(getattr(result, FIGURES[key]), expected, f"{condition}.{key}")


def test_evership_workbook_cargo_constant_and_bill_of_lading():
    result = evership(WORKBOOK)
    tolerance = EVERSHIP["tolerance"]["same_rounding_policy_t"]
    assert result.rounding == "workbook"
    assert result.cargo_t == pytest.approx(EVERSHIP["expected"]["cargo_loaded_initial_to_draft_check_t"], abs=tolerance)
    # "initial net - lightship - 350 = 0.52 t (within 2 t)"
    assert result.constant_survey == "initial"
    assert result.constant_t - 350 == pytest.approx(0.52, abs=tolerance)
    # "B/L 88000 t -> difference +0.863 % (> 0.5 % alert)": 760.28 / 88000 = 0.864 % with the workbook
    # cargo; the source's 0.863 % is the unrounded cargo's (759.74 / 88000)
    assert result.bill_of_lading_difference_pct == pytest.approx(760.28 / 88000 * 100, abs=1e-6)
    assert [w.code for w in result.warnings] == ["bill_of_lading"]
    assert "88,000.000 t" in result.warnings[0].message and "+0.864 %" in result.warnings[0].message


def test_evership_unrounded_nets_and_cargo():
    result = evership(NO_ROUNDING)
    expected = EVERSHIP["expected_unrounded"]
    tolerance = EVERSHIP["tolerance"]["unrounded_t"]
    assert result.rounding == "none"
    assert result.survey("initial").net_displacement_t == pytest.approx(expected["initial_net_t"], abs=tolerance)
    assert result.survey("draft_check").net_displacement_t == pytest.approx(expected["draft_check_net_t"], abs=tolerance)
    assert result.survey("final").net_displacement_t == pytest.approx(expected["final_net_t"], abs=tolerance)
    assert result.cargo_t == pytest.approx(expected["cargo_t"], abs=tolerance)
    # "with no intermediate rounding the cargo is 88759.74 t (0.54 t lower)"
    assert evership(WORKBOOK).cargo_t - result.cargo_t == pytest.approx(0.54, abs=0.01)
    assert result.bill_of_lading_difference_pct == pytest.approx(0.863, abs=0.0005)


def test_evership_final_list_is_006_degrees_to_starboard_and_not_a_warning():
    final = evership(WORKBOOK).survey("final")
    # atan(|6.18 - 6.22| / 38) = atan(0.04 / 38) = 0.0603°
    assert final.list_angle_deg == pytest.approx(math.degrees(math.atan(0.04 / 38)), rel=1e-12)
    assert round(final.list_angle_deg, 2) == 0.06
    assert final.list_side == "starboard"
    assert final.list_correction_t == 0.0  # no list TPCs given: not applied, as in the source


def test_evership_unece_3dp_worked_by_hand_for_the_initial_survey():
    initial = evership(UNECE_3DP).survey("initial")
    # corrections: -2.255 × 1.61 / 214.045 = -0.01696 → -0.017; 10.70 × 1.61 / 214.045 = 0.08048 → 0.080
    assert (initial.fwd_correction_m, initial.mid_correction_m, initial.aft_correction_m) == (-0.017, 0.0, 0.08)
    # corrected drafts 5.673, 6.400, 7.380; true trim 7.380 - 5.673 = 1.707
    assert (initial.corrected_fwd_m, initial.corrected_mid_m, initial.corrected_aft_m) == (5.673, 6.4, 7.38)
    assert initial.true_trim_m == 1.707
    # QM = (5.673 + 6 × 6.400 + 7.380) / 8 = 51.453 / 8 = 6.431625 → 6.432
    assert initial.quarter_mean_m == 6.432
    # table at 6.432: 45914 + 0.2 × 76 = 45929.2 t; TPC 75.8; LCF -7.71 + 0.2 × 0.02 = -7.706
    assert (initial.displacement_t, initial.tpc_t_cm, initial.lcf_m) == (45929.2, 75.8, -7.706)
    # MTC at 6.932: 1102.4 + 0.2 × 0.4 = 1102.48; at 5.932: 1061.1 + 0.2 × 0.4 = 1061.18 → difference 41.300
    assert initial.mtc_difference_t_m_cm == 41.3
    # FTC = 1.707 × -7.706 × 75.8 × 100 / 227 = -99708.17 / 227 = -439.2440 → -439.244
    assert 1.707 * -7.706 * 75.8 * 100 / 227 == pytest.approx(-439.2440, abs=1e-4)
    assert initial.first_trim_correction_t == -439.244
    # STC = 50 × 1.707² × 41.3 / 227 = 26.5072 → 26.507
    assert initial.second_trim_correction_t == 26.507
    # 45929.2 - 439.244 + 26.507 = 45516.463
    assert initial.displacement_trim_list_corrected_t == 45516.463
    # density: 45516.463 × (1.023 / 1.025 - 1) = -88.8126 → -88.813; 45516.463 - 88.813 = 45427.650
    assert initial.density_correction_t == -88.813
    assert initial.displacement_density_corrected_t == 45427.65
    # 45427.650 - 30437.680 = 14989.970
    assert initial.deductibles_t == 30437.68
    assert initial.net_displacement_t == 14989.97


def test_unece_3dp_rounds_exactly_the_listed_figures_to_three_decimals():
    result = evership(UNECE_3DP)
    rounded = [
        "mean_fwd_m", "mean_mid_m", "mean_aft_m", "length_between_marks_m", "fwd_correction_m",
        "mid_correction_m", "aft_correction_m", "corrected_fwd_m", "corrected_mid_m", "corrected_aft_m",
        "true_trim_m", "quarter_mean_m", "displacement_t", "tpc_t_cm", "lcf_m", "mtc_difference_t_m_cm",
        "first_trim_correction_t", "second_trim_correction_t", "list_correction_t",
        "displacement_trim_list_corrected_t", "density_correction_t", "displacement_density_corrected_t",
        "deductibles_t", "net_displacement_t",
    ]
    for survey in result.surveys:
        assert survey.rounding == "unece-3dp"
        for name in rounded:
            value = getattr(survey, name)
            assert value == round_half_away_from_zero(value, 3), f"{survey.name}.{name} = {value!r}"
    # and the deflection, which the form does not round, is not rounded
    assert result.survey("initial").deflection_m != round_half_away_from_zero(result.survey("initial").deflection_m, 3)


def test_evership_table_readings_mode_gives_the_same_survey():
    """The surveyor's two bracketing rows and MTC ± 0.5 m instead of the full table."""
    rows = {row["draft_m"]: row for row in EVERSHIP["hydrostatic_rows_subset"]}
    bracket = {"initial": (6.43, 6.44), "draft_check": (13.97, 13.98), "final": (6.23, 6.24)}
    mtc = {"initial": (1102.468, 1061.168), "draft_check": (1436.994, 1417.794), "final": (1093.732, 1053.532)}
    conditions = []
    for condition in evership_conditions():
        low, high = (rows[d] for d in bracket[condition.name])
        readings = TableReadings(
            HydrostaticTable(
                [low["draft_m"], high["draft_m"]],
                [low["displacement_t"], high["displacement_t"]],
                [low["tpc"], high["tpc"]],
                [low["lcf_m_aftpos"], high["lcf_m_aftpos"]],
            ),
            *mtc[condition.name],
        )
        conditions.append(
            SurveyConditionInput(
                condition.name, condition.marks, condition.positions, condition.dock_density_t_m3,
                condition.deductibles, table_readings=readings,
            )
        )
    by_readings = draft_survey(evership_vessel(), None, conditions, WORKBOOK, cargo_to="draft_check")
    by_table = evership(WORKBOOK)
    assert by_readings.survey("initial").table_source == "surveyor readings"
    for name in ("initial", "draft_check", "final"):
        assert by_readings.survey(name).net_displacement_t == by_table.survey(name).net_displacement_t
    assert by_readings.cargo_t == pytest.approx(88760.28, abs=0.01)


# ---------------------------------------------------------------------------------------------------
# Textbook perpendicular corrections


def test_sevensurveyor_perpendicular_corrections():
    sevensurveyor = reference_case("DS-PERP-SEVENSURVEYOR")
    given, expected, recomputed = sevensurveyor["inputs"], sevensurveyor["expected"], sevensurveyor["expected_recomputed"]
    tolerance = sevensurveyor["tolerance"]["m"]
    fwd = MarkPosition(given["fwd_mark_aft_of_FP"], "aft").offset_m
    mid = MarkPosition(given["mid_mark_aft_of_midship"], "aft").offset_m
    aft = MarkPosition(given["aft_mark_fwd_of_AP"], "forward").offset_m
    lbm = length_between_marks(given["LBP"], fwd, aft)
    assert lbm == pytest.approx(expected["LBM"], abs=1e-9)  # 150 - 0.8 - 4.5
    # The blog works with trim 2.05 m ("7.45 - 5.40", a typo: DA is 7.25, which gives 1.85 m). Its
    # corrections follow from 2.05 m, so that is the trim entered here.
    trim = expected["apparent_trim"]
    assert given["DA"] - given["DF"] == pytest.approx(1.85)
    assert 7.45 - given["DF"] == pytest.approx(trim)
    fwd_correction = perpendicular_correction(fwd, trim, lbm)
    mid_correction = perpendicular_correction(mid, trim, lbm)
    aft_correction = perpendicular_correction(aft, trim, lbm)
    assert fwd_correction == pytest.approx(expected["fwd_correction"], abs=tolerance)
    assert given["DF"] + fwd_correction == pytest.approx(expected["fwd_corrected"], abs=tolerance)
    assert mid_correction == pytest.approx(recomputed["mid_correction"], abs=tolerance)
    assert aft_correction == pytest.approx(recomputed["aft_correction"], abs=tolerance)
    assert given["DM"] + mid_correction == pytest.approx(recomputed["mid_corrected"], abs=tolerance)
    assert given["DA"] + aft_correction == pytest.approx(recomputed["aft_corrected"], abs=tolerance)


def test_geludug_perpendicular_corrections():
    geludug = reference_case("DS-PERP-GELUDUG")
    given, expected, tolerance = geludug["inputs"], geludug["expected"], geludug["tolerance"]["m"]
    assert given["trim_direction"] == "stern" and given["trim_m"] > 0
    # marks inside the perpendiculars: the forward mark aft of the FP, the aft mark forward of the AP
    fwd = MarkPosition(given["fwd_mark_distance_to_FP_m"], "aft").offset_m
    aft = MarkPosition(given["aft_mark_distance_to_AP_m"], "forward").offset_m
    lbm = given["length_between_marks_m"]
    assert perpendicular_correction(aft, given["trim_m"], lbm) == pytest.approx(expected["aft_correction_m"], abs=tolerance)
    assert perpendicular_correction(fwd, given["trim_m"], lbm) == pytest.approx(expected["fwd_correction_m"], abs=tolerance)


# ---------------------------------------------------------------------------------------------------
# Hand-worked cases: a wall-sided ship where every figure can be checked on paper
#
# LBP 100 m; drafts 4 to 8 m; TPC 20 t/cm everywhere, so displacement = 10000 + 2000 × (draft - 4) t;
# LCF constant; MTC constant (no second trim correction); dock water = table density (no density
# correction); marks on the perpendiculars unless a case says otherwise.

BOX_LBP = 100.0


def box_table(lcf_m: float, mtc_slope: float = 0.0) -> HydrostaticTable:
    drafts = [round(4.0 + i / 10, 1) for i in range(41)]  # 4.0 to 8.0 m every 10 cm
    return HydrostaticTable(
        drafts,
        [10000 + 2000 * (d - 4) for d in drafts],
        [20.0] * 41,
        [lcf_m] * 41,
        [200.0 + mtc_slope * (d - 4) for d in drafts],
    )


def box_condition(fwd: float, mid: float, aft: float, positions: MarkPositions | None = None, **options) -> SurveyConditionInput:
    on_perpendiculars = MarkPositions(MarkPosition(0, "aft"), MarkPosition(0, "aft"), MarkPosition(0, "forward"))
    return SurveyConditionInput(
        options.pop("name", "initial"),
        MarkReadings(fwd, fwd, mid, mid, aft, aft),
        positions or on_perpendiculars,
        options.pop("dock_density_t_m3", 1.025),
        **options,
    )


BOX = VesselParticulars(lbp_m=BOX_LBP, table_density_t_m3=1.025, keel_plate_mm=0)


@pytest.mark.parametrize(
    ("fwd", "aft", "lcf", "expected_ftc"),
    [
        # by the stern (trim +1), LCF 4 m aft: draft at the LCF = 6.00 + 1/100 × 4 = 6.04 m,
        # displacement there 10000 + 2000 × 2.04 = 14080 t, i.e. 14000 + 80 → FTC = +80
        (5.5, 6.5, +4.0, +80.0),
        # by the stern, LCF 4 m forward: draft at the LCF = 6.00 - 0.04 = 5.96 m → 13920 t → FTC = -80
        (5.5, 6.5, -4.0, -80.0),
        # by the head (trim -1), LCF 4 m aft: draft at the LCF = 6.00 - 0.04 → FTC = -80
        (6.5, 5.5, +4.0, -80.0),
        # by the head, LCF 4 m forward: draft at the LCF = 6.00 + 0.04 → FTC = +80
        (6.5, 5.5, -4.0, +80.0),
    ],
    ids=["stern-lcf-aft", "stern-lcf-fwd", "head-lcf-aft", "head-lcf-fwd"],
)
def test_first_trim_correction_in_all_four_quadrants(fwd, aft, lcf, expected_ftc):
    table = box_table(lcf)
    result = survey_condition(box_condition(fwd, 6.0, aft), BOX, table)
    assert result.true_trim_m == pytest.approx(aft - fwd)
    assert result.quarter_mean_m == pytest.approx(6.0)  # (F + 6 × 6.0 + A)/8 with F + A = 12
    assert result.displacement_t == pytest.approx(14000.0)
    assert result.first_trim_correction_t == pytest.approx(expected_ftc)
    assert result.second_trim_correction_t == 0.0
    # independent check: the displacement of an even-keel ship at the draft at the LCF
    draft_at_lcf = 6.0 + (aft - fwd) / BOX_LBP * lcf
    assert result.displacement_trim_list_corrected_t == pytest.approx(10000 + 2000 * (draft_at_lcf - 4))


def test_first_trim_correction_formula_signs():
    # T × LCF × TPC × 100 / LBP: 2 × -3 × 50 × 100 / 200 = -150
    assert first_trim_correction(2.0, -3.0, 50.0, 200.0) == pytest.approx(-150.0)
    assert first_trim_correction(-2.0, -3.0, 50.0, 200.0) == pytest.approx(150.0)


def test_second_trim_correction_is_positive_by_head_and_by_stern():
    table = box_table(0.0, mtc_slope=10.0)  # MTC rises 10 t·m/cm per metre of draft
    for fwd, aft in ((5.0, 7.0), (7.0, 5.0)):
        result = survey_condition(box_condition(fwd, 6.0, aft), BOX, table)
        # MTC(6.5) - MTC(5.5) = 10; STC = 50 × 2² × 10 / 100 = 20 t
        assert result.mtc_difference_t_m_cm == pytest.approx(10.0)
        assert result.second_trim_correction_t == pytest.approx(20.0)
    assert second_trim_correction(-2.0, 10.0, 100.0) == second_trim_correction(2.0, 10.0, 100.0)


def test_trim_by_head_with_marks_inside_the_perpendiculars():
    # LBP 100; forward mark 2 m aft of FP, aft mark 5 m forward of AP → LBM = 100 - 5 - 2 = 93 m
    positions = MarkPositions(MarkPosition(2.0, "aft"), MarkPosition(0, "aft"), MarkPosition(5.0, "forward"))
    result = survey_condition(box_condition(7.0, 6.5, 6.0, positions), BOX, box_table(0.0))
    assert result.apparent_trim_m == pytest.approx(-1.0)
    assert result.length_between_marks_m == pytest.approx(93.0)
    # by the head the FP is deeper than a mark aft of it: +2 × 1/93 = +0.021505
    assert result.fwd_correction_m == pytest.approx(2.0 / 93.0)
    # and the AP shallower than a mark forward of it: -5 × 1/93 = -0.053763
    assert result.aft_correction_m == pytest.approx(-5.0 / 93.0)
    assert result.true_trim_m == pytest.approx((6.0 - 5 / 93) - (7.0 + 2 / 93))  # = -1.075269
    assert result.true_trim_m == pytest.approx(-100 / 93)  # the slope 1/93 over the full LBP


@pytest.mark.parametrize(("side", "sign"), [("aft", -1.0), ("forward", +1.0)])
def test_mid_mark_off_midships(side, sign):
    # trim 2 m by the stern over LBM 100; mid mark 0.54 m off midships
    positions = MarkPositions(MarkPosition(0, "aft"), MarkPosition(0.54, side), MarkPosition(0, "forward"))
    result = survey_condition(box_condition(5.0, 6.0, 7.0, positions), BOX, box_table(0.0))
    # midships is forward of a mark standing aft of it, so shallower by the stern: -0.54 × 2 / 100
    assert result.mid_correction_m == pytest.approx(sign * 0.54 * 2.0 / 100.0)
    assert result.corrected_mid_m == pytest.approx(6.0 + sign * 0.0108)


def test_keel_plate_comes_off_every_corrected_draft():
    vessel = VesselParticulars(lbp_m=BOX_LBP, table_density_t_m3=1.025, keel_plate_mm=20)
    result = survey_condition(box_condition(6.0, 6.0, 6.0), vessel, box_table(0.0))
    assert (result.corrected_fwd_m, result.corrected_mid_m, result.corrected_aft_m) == pytest.approx((5.98, 5.98, 5.98))
    assert result.displacement_t == pytest.approx(10000 + 2000 * 1.98)


def test_deflection_labels_and_mean_variants():
    sag = survey_condition(box_condition(6.0, 6.1, 6.0), BOX, box_table(0.0))
    assert sag.deflection_m == pytest.approx(0.1) and sag.deflection == "sag"
    assert sag.quarter_mean_m == pytest.approx((6.0 + 6 * 6.1 + 6.0) / 8)  # 6.075
    hog = survey_condition(box_condition(6.0, 5.9, 6.0), BOX, box_table(0.0))
    assert hog.deflection_m == pytest.approx(-0.1) and hog.deflection == "hog"
    assert deflection_label(0.0) == "none"
    river = survey_condition(box_condition(6.0, 6.1, 6.0), BOX, box_table(0.0), mean_method="river")
    assert river.quarter_mean_m == pytest.approx((6.0 + 4 * 6.1 + 6.0) / 6)  # 6.0667
    assert river.mean_method == "river"
    barge = survey_condition(box_condition(6.0, 6.1, 6.0), BOX, box_table(0.0), mean_method="barge")
    assert barge.quarter_mean_m == pytest.approx((3 * 6.0 + 14 * 6.1 + 3 * 6.0) / 20)  # 6.07
    with pytest.raises(SurveyInputError, match="mean method"):
        mean_of_means(6, 6, 6, "simpson")  # type: ignore[arg-type]


def test_density_list_and_deductibles_by_hand():
    condition = box_condition(
        6.0, 6.0, 6.0,
        dock_density_t_m3=1.000,
        list_tpc_t_cm=(20.2, 19.8),
        deductibles=(
            Deductible("ballast", "DB1P", volume_m3=1374.73, density_t_m3=1.025),
            Deductible("fresh_water", weight_t=73),
            Deductible("fuel_oil", weight_t=657.17),
        ),
    )
    condition = SurveyConditionInput(
        condition.name,
        MarkReadings(6.0, 6.0, 6.1, 5.9, 6.0, 6.0),  # listed: port 6.1, starboard 5.9 (mean 6.0)
        condition.positions,
        condition.dock_density_t_m3,
        condition.deductibles,
        condition.list_tpc_t_cm,
    )
    result = survey_condition(condition, BOX, box_table(0.0), UNECE_3DP)
    # list correction 6 × |6.1 - 5.9| × |20.2 - 19.8| = 6 × 0.2 × 0.4 = 0.48 t
    assert list_correction(6.1, 5.9, 20.2, 19.8) == pytest.approx(0.48)
    assert result.list_correction_t == 0.48
    assert result.displacement_trim_list_corrected_t == 14000.48
    # density 14000.48 × (1.000 / 1.025 - 1) = -341.4751 → -341.475; 14000.48 - 341.475 = 13659.005
    assert result.density_correction_t == -341.475
    assert result.displacement_density_corrected_t == 13659.005
    # ballast DB1P 1374.73 × 1.025 = 1409.09825 → 1409.098; total 1409.098 + 73 + 657.17 = 2139.268
    assert result.deductibles[0].weight_t == 1409.098
    assert result.deductibles_t == 2139.268
    assert result.deductibles_by_kind() == pytest.approx({"ballast": 1409.098, "fresh_water": 73, "fuel_oil": 657.17})
    assert result.net_displacement_t == 11519.737


def test_discharge_gives_negative_cargo_and_constant_from_the_light_survey():
    vessel = VesselParticulars(lbp_m=BOX_LBP, table_density_t_m3=1.025, keel_plate_mm=0, lightship_t=10500, declared_constant_t=500)
    loaded = box_condition(7.5, 7.5, 7.5, name="initial")  # 10000 + 2000 × 3.5 = 17000 t
    light = box_condition(4.5, 4.5, 4.5, name="final")  # 10000 + 2000 × 0.5 = 11000 t
    result = draft_survey(vessel, box_table(0.0), [loaded, light])
    assert result.cargo_t == pytest.approx(11000 - 17000)
    assert result.constant_survey == "final"
    assert result.constant_t == pytest.approx(500.0)
    assert result.warnings == ()


# ---------------------------------------------------------------------------------------------------
# Guards


def test_quarter_mean_outside_the_table_is_refused_with_the_draft_and_range():
    with pytest.raises(DraftOutsideTable) as raised:
        survey_condition(box_condition(8.2, 8.3, 8.4), BOX, box_table(0.0))
    message = str(raised.value)
    assert "8.3000 m" in message and "4 m to 8 m" in message and "never extrapolated" in message
    assert raised.value.survey == "initial"


def test_mtc_draft_outside_the_table_is_refused():
    # QM 7.8 is in the table, QM + 0.5 = 8.3 is not
    with pytest.raises(DraftOutsideTable, match=r"mean draft \+ 0.5 m 8.3000 m is outside"):
        survey_condition(box_condition(7.8, 7.8, 7.8), BOX, box_table(0.0))


def test_mean_draft_between_rows_far_apart_is_a_warning():
    table = HydrostaticTable([4.0, 5.0, 5.1, 8.0], [10000, 12000, 12200, 18000], [20] * 4, [0] * 4, [200] * 4)
    result = draft_survey(BOX, table, [box_condition(5.05, 5.05, 5.05), box_condition(6, 6, 6, name="final")])
    assert result.survey("initial").table_row_interval_m == pytest.approx(0.1)
    assert result.survey("final").table_row_interval_m == pytest.approx(2.9)
    assert [(w.code, w.survey) for w in result.warnings] == [("table_interval", "final")]
    assert "2.90 m apart" in result.warnings[0].message


def test_table_without_mtc_needs_mtc_readings():
    table = HydrostaticTable([4.0, 8.0], [10000, 18000], [20, 20], [0, 0])
    with pytest.raises(SurveyInputError, match="no MTC column"):
        survey_condition(box_condition(6.0, 6.0, 6.0), BOX, table)


def test_table_audit_finding_becomes_a_warning():
    drafts = [round(4.0 + i / 100, 2) for i in range(201)]  # 4.00 to 6.00 m every centimetre
    displacements = [10000 + 2000 * (d - 4) for d in drafts]  # TPC 20: 20 t per centimetre
    assert displacements[52] == pytest.approx(11040)
    # the typo: 11050 printed for 11040 at 4.52 m (still rising: a displacement that falls is refused outright,
    # tests/calculators/survey/test_hardening_hydrostatics.py)
    displacements[52] = 11050
    table = HydrostaticTable(drafts, displacements, [20.0] * 201, [0.0] * 201, [200.0] * 201)
    result = draft_survey(BOX, table, [box_condition(5, 5, 5), box_condition(5.5, 5.5, 5.5, name="final")])
    audit = [w for w in result.warnings if w.code == "table_audit"]
    assert len(audit) == 2  # the step into the bad row and the step out of it
    assert "4.51 → 4.52" in audit[0].message and "+10.00 t" in audit[0].message
    assert "4.52 → 4.53" in audit[1].message and "-10.00 t" in audit[1].message
    # the figures are still computed (the typo is not at these drafts), and the warning says where to look
    assert result.cargo_t == pytest.approx(1000.0)


def test_list_over_half_a_degree_is_a_warning():
    vessel = VesselParticulars(lbp_m=BOX_LBP, table_density_t_m3=1.025, keel_plate_mm=0, breadth_m=38.0)
    listed = SurveyConditionInput(
        "initial", MarkReadings(6, 6, 6.2, 5.8, 6, 6), box_condition(6, 6, 6).positions, 1.025
    )  # atan(0.4 / 38) = 0.603°
    result = draft_survey(vessel, box_table(0.0), [listed, box_condition(6, 6, 6, name="final")])
    assert [w.code for w in result.warnings] == ["list"]
    assert "0.60° to port" in result.warnings[0].message
    # without the breadth the list cannot be checked, which is said, not ignored
    unchecked = draft_survey(BOX, box_table(0.0), [listed, box_condition(6, 6, 6, name="final")])
    assert [w.code for w in unchecked.warnings] == ["list_unchecked"]


def test_trim_outside_the_tables_trim_range_is_a_warning():
    vessel = VesselParticulars(lbp_m=BOX_LBP, table_density_t_m3=1.025, keel_plate_mm=0, trim_range_m=(-1.0, 2.0))
    result = draft_survey(vessel, box_table(0.0), [box_condition(5.0, 6.0, 7.5), box_condition(6, 6, 6, name="final")])
    assert [(w.code, w.survey) for w in result.warnings] == [("trim_range", "initial")]
    assert "+2.500 m" in result.warnings[0].message


def test_constant_outside_ten_percent_of_declared_is_a_warning():
    # initial net 14000 t (draft 6 m); lightship 13400 → constant 600 t vs declared 500 (+20 %)
    vessel = VesselParticulars(lbp_m=BOX_LBP, table_density_t_m3=1.025, keel_plate_mm=0, lightship_t=13400, declared_constant_t=500)
    result = draft_survey(vessel, box_table(0.0), [box_condition(6, 6, 6), box_condition(7, 7, 7, name="final")])
    assert result.constant_t == pytest.approx(600.0)
    assert [w.code for w in result.warnings] == ["constant"]
    # 549 t is within 10 % of 500 t
    inside = VesselParticulars(lbp_m=BOX_LBP, table_density_t_m3=1.025, keel_plate_mm=0, lightship_t=13451, declared_constant_t=500)
    assert draft_survey(inside, box_table(0.0), [box_condition(6, 6, 6), box_condition(7, 7, 7, name="final")]).warnings == ()


def test_cargo_against_bill_of_lading():
    conditions = [box_condition(6, 6, 6), box_condition(7, 7, 7, name="final")]  # cargo 2000 t
    over = draft_survey(BOX, box_table(0.0), conditions, bill_of_lading_t=1980)  # +1.01 %
    assert [w.code for w in over.warnings] == ["bill_of_lading"]
    assert over.bill_of_lading_difference_pct == pytest.approx((2000 - 1980) / 1980 * 100)
    within = draft_survey(BOX, box_table(0.0), conditions, bill_of_lading_t=1995)  # +0.25 %
    assert within.warnings == ()


def test_job_level_errors():
    with pytest.raises(SurveyInputError, match="'final'.*not among"):
        draft_survey(BOX, box_table(0.0), [box_condition(6, 6, 6)])
    with pytest.raises(SurveyInputError, match="distinct"):
        draft_survey(BOX, box_table(0.0), [box_condition(6, 6, 6), box_condition(6, 6, 6)])
    with pytest.raises(SurveyInputError, match="dock water density 1023"):
        box_condition(6, 6, 6, dock_density_t_m3=1023)
    with pytest.raises(SurveyInputError, match="either a weight"):
        Deductible("ballast", "DB1", weight_t=10, volume_m3=10, density_t_m3=1.025)
    with pytest.raises(SurveyInputError, match="side"):
        MarkPosition(1.0, "inside")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------
# Rounding


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (13.97965, 4, 13.9797),  # stored as 13.979649999… in binary; a written half rounds up
        (111.8372 / 8, 4, 13.9797),  # the draft check's quarter mean, computed
        (-0.0005, 3, -0.001),  # halves go away from zero on both sides
        (0.0005, 3, 0.001),
        (2.5, 0, 3.0),
        (-2.5, 0, -3.0),
        (-0.00049, 3, 0.0),  # and never print as -0.000
        (45425.2149, 1, 45425.2),
        (106302.48, 1, 106302.5),
    ],
)
def test_round_half_away_from_zero(value, decimals, expected):
    rounded = round_half_away_from_zero(value, decimals)
    assert rounded == expected
    assert math.copysign(1.0, rounded) == math.copysign(1.0, expected)


def test_rounding_policies_are_named():
    assert rounding_policy("none") is NO_ROUNDING
    assert rounding_policy("unece-3dp") is UNECE_3DP
    assert rounding_policy("workbook") is WORKBOOK
    with pytest.raises(ValueError, match="unknown rounding policy 'unece'"):
        rounding_policy("unece")
    with pytest.raises(ValueError, match="unknown figures: draft"):
        RoundingPolicy("mine", {"draft": 2}, "")
