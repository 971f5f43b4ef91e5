"""The cargo's uncertainty from the marks' and dock densities': sensitivities against the chain rule worked
by hand, the quarter mean's weights, GUM against Monte Carlo (JCGM 101) on the EVER SHIP survey, the
table's edge, and bad uncertainties refused naming the survey and the mark."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace

import numpy as np
import pytest

from bad_inputs import BadInput, ids
from calculators.quantity_error import QuantityError
from calculators.survey.draft_survey import draft_survey, survey_condition
from calculators.survey.hydrostatics import HydrostaticTable
from calculators.survey.inputs import (
    Deductible,
    MarkPosition,
    MarkPositions,
    MarkReadings,
    SurveyConditionInput,
    SurveyInputError,
    VesselParticulars,
)
from calculators.survey.rounding import NO_ROUNDING, WORKBOOK
from calculators.survey.survey_uncertainty import (
    DOCK_DENSITY,
    MARKS,
    MonteCarloUncertainty,
    SurveyUncertaintyError,
    expanded_uncertainty,
    gum_validated_by_monte_carlo,
    numerical_tolerance,
    survey_uncertainty,
    survey_uncertainty_monte_carlo,
)
from reference_cases import reference_case

EVERSHIP = reference_case("DS-EVERSHIP-COAL-2019")
ROWS = EVERSHIP["hydrostatic_rows_subset"]
FWD_OFFSET_M = -2.255  # "2.255 m aft of FP"
AFT_OFFSET_M = 10.70  # "10.70 m forward of AP"
CARGO = {"cargo_from": "initial", "cargo_to": "draft_check"}

# The published subset ends at 14.48 m, 0.3 mm above the draft check's mean draft + 0.5 m (14.4797 m): no
# draw of a Monte Carlo run, and no full 1 mm step of a midship mark, stays on it. These seven rows continue
# the ship's own table (hydro-evership.js of sfraval/draft-survey at c2ee0e79, the source the reference case
# cites): draft [m], displacement [t], TPC [t/cm], MTC [t·m/cm], LCF [m from midships, aft positive].
SHIP_TABLE_ROWS_ABOVE = [
    (14.49, 110563, 83.6, 1437.1, 2.63),
    (14.50, 110646, 83.6, 1437.3, 2.64),
    (14.51, 110730, 83.6, 1437.5, 2.64),
    (14.52, 110813, 83.6, 1437.6, 2.64),
    (14.53, 110897, 83.6, 1437.8, 2.65),
    (14.54, 110981, 83.6, 1438.0, 2.65),
    (14.55, 111064, 83.6, 1438.1, 2.65),
]


def published_table() -> HydrostaticTable:
    return HydrostaticTable(
        [row["draft_m"] for row in ROWS],
        [row["displacement_t"] for row in ROWS],
        [row["tpc"] for row in ROWS],
        [row["lcf_m_aftpos"] for row in ROWS],
        [row["mtc"] for row in ROWS],
    )


def table() -> HydrostaticTable:
    above = SHIP_TABLE_ROWS_ABOVE
    return HydrostaticTable(
        [row["draft_m"] for row in ROWS] + [row[0] for row in above],
        [row["displacement_t"] for row in ROWS] + [row[1] for row in above],
        [row["tpc"] for row in ROWS] + [row[2] for row in above],
        [row["lcf_m_aftpos"] for row in ROWS] + [row[4] for row in above],
        [row["mtc"] for row in ROWS] + [row[3] for row in above],
    )


def vessel() -> VesselParticulars:
    given = EVERSHIP["vessel"]
    return VesselParticulars(
        given["lbp_m"], given["table_density"], given["keel_plate_mm"], given["lightship_t"], given["constant_declared_t"], given["breadth_m"]
    )


def conditions() -> list[SurveyConditionInput]:
    surveys = []
    for name, given in EVERSHIP["inputs"].items():
        positions = MarkPositions(
            MarkPosition(-FWD_OFFSET_M, "aft"), MarkPosition(given["mid_mark_aft_of_midship_m"], "aft"), MarkPosition(AFT_OFFSET_M, "forward")
        )
        deductibles = tuple(Deductible(kind, kind, weight_t=weight) for kind, weight in given["deductibles_t"].items())
        surveys.append(SurveyConditionInput(name, MarkReadings(**given["marks"]), positions, given["dock_water_density"], deductibles))
    return surveys


def every_mark(u_m: float, surveys=("initial", "draft_check")) -> dict[str, dict[str, float]]:
    return {survey: {mark: u_m for mark in MARKS} for survey in surveys}


def gum(marks, densities=None, the_table=None, **options):
    return survey_uncertainty(vessel(), the_table or table(), conditions(), marks, densities, **CARGO, **options)


def monte_carlo(marks, densities=None, seed=16, draws=10_000, the_table=None):
    return survey_uncertainty_monte_carlo(vessel(), the_table or table(), conditions(), marks, densities, rng=np.random.default_rng(seed), draws=draws, **CARGO)


def sensitivity(result, survey, item):
    (line,) = [line for line in result.contributions if line.survey == survey and line.item == item]
    return line.sensitivity


# ---------------------------------------------------------------------------------------------------
# The chain rule, by hand, from the Code's formulas (UN/ECE § 5; docs/formulas.md A.3–A.10)


def _at(column: str, draft: float) -> tuple[float, float]:
    """A column's value and slope [per m] at `draft`, between the table rows bracketing it."""
    drafts = [row["draft_m"] for row in ROWS]
    j = max(i for i, d in enumerate(drafts) if d <= draft)
    low, high = ROWS[j], ROWS[j + 1]
    slope = (high[column] - low[column]) / (high["draft_m"] - low["draft_m"])
    return low[column] + slope * (draft - low["draft_m"]), slope


def chain_rule(survey: str) -> dict[str, float]:
    """∂net/∂x for the six marks [t/m] and the dock density [m³] of one EVER SHIP survey."""
    given = EVERSHIP["inputs"][survey]
    m = given["marks"]
    lbp, rho_t, rho_d = EVERSHIP["vessel"]["lbp_m"], EVERSHIP["vessel"]["table_density"], given["dock_water_density"]
    d_f, d_m, d_a = FWD_OFFSET_M, -given["mid_mark_aft_of_midship_m"], AFT_OFFSET_M
    fwd, mid, aft = (m["fwd_port"] + m["fwd_stbd"]) / 2, (m["mid_port"] + m["mid_stbd"]) / 2, (m["aft_port"] + m["aft_stbd"]) / 2
    lbm = lbp - d_a + d_f
    trim = aft - fwd
    fc, mc, ac = fwd + d_f * trim / lbm, mid + d_m * trim / lbm, aft + d_a * trim / lbm
    true_trim = ac - fc
    qm = (fc + 6 * mc + ac) / 8
    disp, disp_slope = _at("displacement_t", qm)
    tpc, tpc_slope = _at("tpc", qm)
    lcf, lcf_slope = _at("lcf_m_aftpos", qm)
    mtc_plus, mtc_plus_slope = _at("mtc", qm + 0.5)
    mtc_minus, mtc_minus_slope = _at("mtc", qm - 0.5)
    ftc = true_trim * lcf * tpc * 100 / lbp
    stc = 50 * true_trim**2 * (mtc_plus - mtc_minus) / lbp
    k = rho_d / rho_t

    def d_net(qm_x: float, trim_x: float) -> float:
        d_ftc = 100 / lbp * (trim_x * lcf * tpc + true_trim * (lcf_slope * tpc + lcf * tpc_slope) * qm_x)
        d_stc = 50 / lbp * (2 * true_trim * trim_x * (mtc_plus - mtc_minus) + true_trim**2 * (mtc_plus_slope - mtc_minus_slope) * qm_x)
        return k * (disp_slope * qm_x + d_ftc + d_stc)

    # the perpendicular corrections move with the apparent trim A − F (A.4), so F and A reach every corrected draft
    qm_f, trim_f = (1 - d_f / lbm - 6 * d_m / lbm - d_a / lbm) / 8, -(1 + (d_a - d_f) / lbm)
    qm_a, trim_a = (1 + d_f / lbm + 6 * d_m / lbm + d_a / lbm) / 8, 1 + (d_a - d_f) / lbm
    per_pair = {"fwd": d_net(qm_f, trim_f), "mid": d_net(6 / 8, 0.0), "aft": d_net(qm_a, trim_a)}
    out = {mark: per_pair[mark.split("_")[0]] / 2 for mark in MARKS}  # each mark is half its pair's mean
    out[DOCK_DENSITY] = (disp + ftc + stc) / rho_t
    return out


def test_the_cargo_is_the_survey_s_own_unrounded_cargo():
    result = gum(every_mark(0.005))
    unrounded = EVERSHIP["expected_unrounded"]
    survey = draft_survey(vessel(), table(), conditions(), NO_ROUNDING, **CARGO)
    assert result.cargo_t == survey.cargo_t
    assert result.cargo_t == pytest.approx(unrounded["cargo_t"], abs=5e-4)
    assert result.net_displacement_t == pytest.approx({"initial": unrounded["initial_net_t"], "draft_check": unrounded["draft_check_net_t"]}, abs=5e-4)
    assert (result.cargo_from, result.cargo_to, result.mean_method) == ("initial", "draft_check", "quarter_mean")


def test_every_sensitivity_is_the_chain_rule_worked_by_hand():
    # the initial survey: every 1 mm step stays between the same two table rows (6.43/6.44, 5.93/5.94,
    # 6.93/6.94 m), where the model is a polynomial of degree two that a central difference takes exactly
    result = gum(every_mark(0.01), {"initial": 0.0005, "draft_check": 0.0005})
    by_hand = chain_rule("initial")
    for item, expected in by_hand.items():
        # the initial survey is the cargo's 'from': its inputs count against the cargo
        assert sensitivity(result, "initial", item) == pytest.approx(-expected, rel=1e-7), item
    # the trim-corrected displacement (45,513.97 t unrounded) / 1.025 per t/m³ of dock density
    assert -sensitivity(result, "initial", DOCK_DENSITY) == pytest.approx(
        survey_condition(conditions()[0], vessel(), table()).displacement_trim_list_corrected_t / 1.025, rel=1e-9
    )
    assert sensitivity(result, "initial", DOCK_DENSITY) == pytest.approx(-44_403.88, abs=0.01)
    assert {line.difference for line in result.contributions} == {"central"}
    # the draft check's steps cross a row (13.98 m) and take the mean of the two slopes: close to the chain rule
    for item, expected in chain_rule("draft_check").items():
        assert sensitivity(result, "draft_check", item) == pytest.approx(expected, rel=2e-3), item


def test_the_midship_marks_weigh_most_six_times_the_end_marks_plus_the_trim_terms():
    result = gum(every_mark(0.01))
    lbp = EVERSHIP["vessel"]["lbp_m"]
    lbm = lbp - AFT_OFFSET_M + FWD_OFFSET_M
    for survey, sign in (("initial", -1.0), ("draft_check", 1.0)):
        figures = survey_condition(conditions()[list(EVERSHIP["inputs"]).index(survey)], vessel(), table())
        k = figures.dock_density_t_m3 / figures.table_density_t_m3
        tonnes_per_metre = 100.0 * figures.tpc_t_cm * k  # one metre of mean draft [t/m]
        c = {mark: sign * sensitivity(result, survey, mark) for mark in MARKS}
        # a midship mark: 6/8 of the quarter mean × 1/2 of the port/starboard mean × TPC × 100
        assert c["mid_port"] == c["mid_stbd"] == pytest.approx(6 / 8 * 1 / 2 * tonnes_per_metre, rel=0.02)
        # an end mark: 1/8 × 1/2 of it, plus half its pair's trim terms: ∂T/∂F = −(1 + (d_A − d_F)/LBM), and
        # per metre of true trim the first trim correction moves LCF × TPC × 100 / LBP, the second 100 T ΔMTC / LBP
        # (the perpendicular corrections move with the apparent trim, so the 1/8 becomes (1 ∓ (d_F + 6 d_M + d_A)/LBM)/8;
        # left out: the slopes of LCF, TPC and MTC along the table, which move the trim corrections with the mean draft)
        per_trim = (figures.lcf_m * figures.tpc_t_cm * 100 + 100 * figures.true_trim_m * figures.mtc_difference_t_m_cm) / lbp * k
        trim_x = 1 + (AFT_OFFSET_M - FWD_OFFSET_M) / lbm
        offsets = (FWD_OFFSET_M + 6 * figures.mid_mark_offset_m + AFT_OFFSET_M) / lbm
        assert c["fwd_port"] == pytest.approx(((1 - offsets) / 8 * tonnes_per_metre - trim_x * per_trim) / 2, rel=0.03)
        assert c["aft_port"] == pytest.approx(((1 + offsets) / 8 * tonnes_per_metre + trim_x * per_trim) / 2, rel=0.03)
        # the bare 1/16 of TPC × 100 is within a third of it
        assert c["fwd_port"] == pytest.approx(1 / 16 * tonnes_per_metre, rel=0.35)
        assert c["aft_port"] == pytest.approx(1 / 16 * tonnes_per_metre, rel=0.35)
        for end in ("fwd_port", "fwd_stbd", "aft_port", "aft_stbd"):
            assert c["mid_port"] > 4.5 * abs(c[end])
    # with equal u for every mark the four midship marks head the contributions
    assert {(line.survey, line.item[:3]) for line in result.contributions[:4]} == {("initial", "mid"), ("draft_check", "mid")}
    sizes = [abs(line.contribution_t) for line in result.contributions]
    assert sizes == sorted(sizes, reverse=True)


def test_one_centimetre_of_mean_draft_is_about_one_tpc():
    result = gum(every_mark(0.01))
    for index, survey in ((0, "initial"), (1, "draft_check")):
        condition = conditions()[index]
        figures = survey_condition(condition, vessel(), table())
        tpc_in_dock_water = figures.tpc_t_cm * figures.dock_density_t_m3 / figures.table_density_t_m3
        per_cm = abs(sum(sensitivity(result, survey, mark) for mark in MARKS)) * 0.01
        assert per_cm == pytest.approx(tpc_in_dock_water, rel=0.02)
        # the calculator itself, every mark 1 cm deeper: the same tonnes, about one TPC
        deeper = replace(condition, marks=MarkReadings(*(getattr(condition.marks, mark) + 0.01 for mark in MARKS)))
        moved = survey_condition(deeper, vessel(), table()).net_displacement_t - figures.net_displacement_t
        assert moved == pytest.approx(tpc_in_dock_water, rel=0.02)
        assert moved == pytest.approx(per_cm, rel=0.01)


def test_the_uncertainties_add_in_quadrature_survey_by_survey():
    u = {
        "initial": {**{mark: 0.003 for mark in MARKS}, "mid_port": 0.01},
        "draft_check": {mark: 0.004 for mark in MARKS},
        "final": {mark: 0.02 for mark in MARKS},
    }
    result = gum(u, {"draft_check": 0.0003})
    lines = result.contributions
    assert len(lines) == 13  # six marks of each cargo survey and the draft check's density; 'final' is not in the cargo
    assert {line.survey for line in lines} == {"initial", "draft_check"}
    for line in lines:
        assert line.contribution_t == pytest.approx(line.sensitivity * line.u, rel=1e-15)
        assert line.unit == ("t/m³" if line.item == DOCK_DENSITY else "m")
        assert line.step == (0.0001 if line.item == DOCK_DENSITY else 0.001)
    for survey in ("initial", "draft_check"):
        own = [line.contribution_t for line in lines if line.survey == survey]
        assert result.u_net_displacement_t[survey] == pytest.approx(math.sqrt(sum(c * c for c in own)), rel=1e-12)
    assert result.u_cargo_t == pytest.approx(math.hypot(result.u_net_displacement_t["initial"], result.u_net_displacement_t["draft_check"]), rel=1e-12)
    assert result.u_cargo_t == pytest.approx(math.sqrt(sum(line.contribution_t**2 for line in lines)), rel=1e-12)
    # the final survey gets its net displacement's uncertainty all the same: 2 cm on the light ship's marks
    assert set(result.u_net_displacement_t) == {"initial", "draft_check", "final"}
    assert result.u_net_displacement_t["final"] > result.u_net_displacement_t["initial"]
    assert result.expanded_t() == 2 * result.u_cargo_t


def test_expanded_uncertainty_is_k_times_u():
    assert expanded_uncertainty(61.5) == 123.0
    assert expanded_uncertainty(61.5, 1.96) == pytest.approx(120.54)
    with pytest.raises(SurveyUncertaintyError, match="coverage factor 0"):
        expanded_uncertainty(1.0, 0)
    with pytest.raises(SurveyUncertaintyError, match="-1.0 is not a finite number ≥ 0"):
        expanded_uncertainty(-1.0)


def test_the_document_is_plain_data():
    result = gum(every_mark(0.005), {"initial": 0.0002})
    document = json.loads(json.dumps(result.as_document()))
    assert document["u_cargo_t"] == result.u_cargo_t and document["expanded_uncertainty_t"] == 2 * result.u_cargo_t
    assert document["contributions"][0] == {
        "survey": result.contributions[0].survey,
        "item": result.contributions[0].item,
        "unit": result.contributions[0].unit,
        "u": result.contributions[0].u,
        "sensitivity": result.contributions[0].sensitivity,
        "contribution_t": result.contributions[0].contribution_t,
        "step": result.contributions[0].step,
        "difference": "central",
    }
    assert "JCGM 100:2008" in document["method"]


def test_rounding_would_make_the_derivative_a_staircase():
    # why the propagation runs unrounded: the workbook rounds the quarter mean to 0.1 mm and the trim
    # corrections to 0.1 t, so a small step moves nothing and a step across a rounding edge jumps
    condition = conditions()[0]

    def net(rounding, fwd_port):
        moved = replace(condition, marks=replace(condition.marks, fwd_port=fwd_port))
        return survey_condition(moved, vessel(), table(), rounding).net_displacement_t

    x, h = condition.marks.fwd_port, 1e-5
    rounded = (net(WORKBOOK, x + h) - net(WORKBOOK, x - h)) / (2 * h)
    unrounded = (net(NO_ROUNDING, x + h) - net(NO_ROUNDING, x - h)) / (2 * h)
    assert rounded == 0.0
    assert unrounded == pytest.approx(-sensitivity(gum(every_mark(0.01)), "initial", "fwd_port"), rel=1e-6)


# ---------------------------------------------------------------------------------------------------
# GUM against Monte Carlo (JCGM 101)


@pytest.mark.parametrize(
    ("u_mark_m", "u_density_t_m3"),
    [(0.01 / math.sqrt(12.0), None), (0.01 / math.sqrt(12.0), 0.0005), (0.02, None)],
    ids=["resolution-floor", "floor-and-hydrometer", "two-centimetres"],
)
def test_gum_and_monte_carlo_agree_on_the_ever_ship_survey(u_mark_m, u_density_t_m3):
    densities = None if u_density_t_m3 is None else {"initial": u_density_t_m3, "draft_check": u_density_t_m3}
    first_order = gum(every_mark(u_mark_m), densities)
    simulated = monte_carlo(every_mark(u_mark_m), densities)
    assert simulated.draws == 10_000 and simulated.coverage_probability == 0.95
    # M = 10⁴ estimates u to about 0.7 %; the rest is the table's rows (the local slope of a table printed
    # to 1 t and 0.01 m against the chords the draws spread over)
    assert simulated.u_cargo_t == pytest.approx(first_order.u_cargo_t, rel=0.03)
    assert simulated.cargo_t == pytest.approx(first_order.cargo_t, abs=0.05 * first_order.u_cargo_t)
    for survey in ("initial", "draft_check"):
        assert simulated.u_net_displacement_t[survey] == pytest.approx(first_order.u_net_displacement_t[survey], rel=0.04)
    # the Gaussian output puts the 95 % interval at y ∓ 1.96 u
    assert (simulated.high_t - simulated.low_t) / 2 == pytest.approx(1.96 * first_order.u_cargo_t, rel=0.04)
    # JCGM 101 clause 8 at one significant digit of u, the digit M = 10⁴ resolves (endpoints to ≈ 3 % of u)
    check = gum_validated_by_monte_carlo(first_order, simulated, significant_digits=1)
    assert check.validated, check
    assert check.coverage_factor == pytest.approx(1.959964, abs=1e-6)
    assert check.gum_low_t == pytest.approx(first_order.cargo_t - 1.959964 * first_order.u_cargo_t, rel=1e-9)
    assert check.tolerance_t == numerical_tolerance(first_order.u_cargo_t, 1)


def test_the_ever_ship_uncertainties_in_tonnes():
    # 2 cm per mark: the four midship marks, about 3/8 × 100 × TPC × 0.02 m = 57 t (light) and 63 t (loaded) each
    two_cm = gum(every_mark(0.02))
    assert two_cm.u_cargo_t == pytest.approx(124.1, abs=0.1)
    # the 1 cm reading resolution alone, 2.9 mm per mark: 18 t, 0.02 % of the 88,760 t cargo
    floor = gum(every_mark(0.01 / math.sqrt(12.0)))
    assert floor.u_cargo_t == pytest.approx(two_cm.u_cargo_t * (0.01 / math.sqrt(12.0)) / 0.02, rel=1e-12)
    assert floor.u_cargo_t == pytest.approx(17.9, abs=0.1)
    # a hydrometer's 0.0005 t/m³ at each survey weighs more: 22 t light, 52 t loaded
    dens = gum(every_mark(0.0), {"initial": 0.0005, "draft_check": 0.0005})
    assert dens.u_net_displacement_t["initial"] == pytest.approx(45_513.97 / 1.025 * 0.0005, rel=1e-3)
    assert dens.u_net_displacement_t["draft_check"] == pytest.approx(106_330.7 / 1.025 * 0.0005, rel=1e-3)


def test_a_monte_carlo_run_is_repeatable_from_its_seed_and_certain_inputs_stay_certain():
    one = monte_carlo(every_mark(0.005), seed=3, draws=400)
    assert monte_carlo(every_mark(0.005), seed=3, draws=400) == one
    assert monte_carlo(every_mark(0.005), seed=4, draws=400).u_cargo_t != one.u_cargo_t
    exact = monte_carlo(every_mark(0.0), seed=3, draws=400)
    assert exact.u_cargo_t == 0.0 and exact.low_t == exact.high_t == exact.cargo_t == pytest.approx(88_759.7433, abs=1e-4)
    assert gum(every_mark(0.0)).u_cargo_t == 0.0
    document = json.loads(json.dumps(one.as_document()))
    assert document["coverage_interval_t"] == [one.low_t, one.high_t] and document["draws"] == 400


def test_the_validation_fails_when_the_monte_carlo_interval_is_elsewhere():
    first_order = gum(every_mark(0.02))  # u = 124.1 t: δ = 5 t at two digits (1.2 × 10²), 50 t at one
    y, u = first_order.cargo_t, first_order.u_cargo_t
    k = 1.959964
    shifted = MonteCarloUncertainty("initial", "draft_check", y + 8.0, u, y - k * u + 8.0, y + k * u + 8.0, 0.95, 10_000, {}, {})
    check = gum_validated_by_monte_carlo(first_order, shifted)
    assert check.tolerance_t == 5.0
    assert check.d_low_t == pytest.approx(8.0, abs=1e-4) and check.d_high_t == pytest.approx(8.0, abs=1e-4)
    assert not check.validated
    assert gum_validated_by_monte_carlo(first_order, shifted, significant_digits=1).validated
    other = replace(shifted, cargo_from="final")
    with pytest.raises(SurveyUncertaintyError, match="'final' → 'draft_check'"):
        gum_validated_by_monte_carlo(first_order, other)


@pytest.mark.parametrize(
    ("u", "digits", "delta"),
    [(0.028, 2, 0.0005), (35.37, 2, 0.5), (35.37, 1, 5.0), (124.1, 2, 5.0), (0.99996, 2, 0.05), (0.0, 2, 0.0)],
)
def test_the_numerical_tolerance_is_half_a_unit_of_the_last_digit(u, digits, delta):
    assert numerical_tolerance(u, digits) == pytest.approx(delta, rel=1e-12)


# ---------------------------------------------------------------------------------------------------
# The table's edge: never extrapolated


def test_at_the_table_s_edge_the_step_shrinks_and_the_monte_carlo_run_is_refused():
    # published rows only: the draft check's mean draft + 0.5 m (14.4797 m) is 0.3 mm under the last row
    edge = gum(every_mark(0.01), the_table=published_table())
    full = gum(every_mark(0.01))
    for mark in ("mid_port", "mid_stbd"):
        (line,) = [line for line in edge.contributions if line.survey == "draft_check" and line.item == mark]
        assert (line.step, line.difference) == (1e-6, "central")  # 1 mm × 3/8 would cross it; 1 µm does not
        assert line.sensitivity == pytest.approx(sensitivity(full, "draft_check", mark), rel=1e-3)
    assert edge.u_cargo_t == pytest.approx(full.u_cargo_t, rel=1e-3)
    with pytest.raises(
        SurveyUncertaintyError, match=r"draw 1 of 10000 .*survey 'draft_check': mean draft \+ 0\.5 m 14\.4\d+ m is outside the hydrostatic table"
    ) as refused:
        monte_carlo(every_mark(0.01), the_table=published_table())
    assert refused.value.survey == "draft_check" and refused.value.quantity == "table"


# ---------------------------------------------------------------------------------------------------
# Refusals


R = "survey calculator"
BAD_UNCERTAINTIES = [
    BadInput(R, "mark uncertainty missing", "marks: initial without aft_stbd", "survey 'initial': no standard uncertainty for mark aft_stbd (missing: aft_stbd)"),
    BadInput(R, "uncertainty of an unknown mark", "marks: initial with mid_prt = 0.01", "survey 'initial': unknown mark 'mid_prt'; the marks are fwd_port, fwd_stbd"),
    BadInput(R, "negative mark uncertainty", "marks: initial fwd_port = -0.01", "survey 'initial', mark fwd_port: standard uncertainty -0.01 m is not a finite number ≥ 0"),
    BadInput(R, "mark uncertainty of nan", "marks: draft_check mid_stbd = math.nan", "survey 'draft_check', mark mid_stbd: standard uncertainty nan m"),
    BadInput(R, "mark uncertainty of inf", "marks: draft_check aft_port = math.inf", "survey 'draft_check', mark aft_port: standard uncertainty inf m"),
    BadInput(R, "mark uncertainty as text", 'marks: draft_check aft_port = "1 cm"', "mark aft_port: standard uncertainty '1 cm' m is not a finite number"),
    BadInput(R, "negative dock density uncertainty", "densities: draft_check = -0.0005", "survey 'draft_check', dock water density: standard uncertainty -0.0005 t/m³"),
    BadInput(R, "mark uncertainties of an unknown survey", "marks: loaded = {…}", "survey 'loaded', which is not among the surveys ('initial', 'draft_check', 'final')"),
    BadInput(R, "density uncertainty of an unknown survey", "densities: arrival = 0.0005",
             "dock density uncertainty is given for survey 'arrival', which is not among the surveys"),
    BadInput(R, "mark uncertainties of the cargo's survey missing", "marks: initial only",
             "survey 'draft_check': no mark uncertainties given; the cargo needs the standard uncertainty of all six marks"),
    BadInput(R, "density uncertainty without mark uncertainties", "densities: final = 0.0005 (no marks of final)",
             "survey 'final': a dock density uncertainty is given but no mark uncertainties"),
]
# (mark uncertainties, dock density uncertainties, the survey and the item the error names)
_UNCERTAINTIES = [
    ({"initial": {mark: 0.01 for mark in MARKS if mark != "aft_stbd"}, "draft_check": {mark: 0.01 for mark in MARKS}}, None, "initial", "aft_stbd"),
    ({"initial": {**{mark: 0.01 for mark in MARKS}, "mid_prt": 0.01}, "draft_check": {mark: 0.01 for mark in MARKS}}, None, "initial", "mid_prt"),
    ({"initial": {**{mark: 0.01 for mark in MARKS}, "fwd_port": -0.01}, "draft_check": {mark: 0.01 for mark in MARKS}}, None, "initial", "fwd_port"),
    ({"initial": {mark: 0.01 for mark in MARKS}, "draft_check": {**{mark: 0.01 for mark in MARKS}, "mid_stbd": math.nan}}, None, "draft_check", "mid_stbd"),
    ({"initial": {mark: 0.01 for mark in MARKS}, "draft_check": {**{mark: 0.01 for mark in MARKS}, "aft_port": math.inf}}, None, "draft_check", "aft_port"),
    ({"initial": {mark: 0.01 for mark in MARKS}, "draft_check": {**{mark: 0.01 for mark in MARKS}, "aft_port": "1 cm"}}, None, "draft_check", "aft_port"),
    ({"initial": {mark: 0.01 for mark in MARKS}, "draft_check": {mark: 0.01 for mark in MARKS}}, {"draft_check": -0.0005}, "draft_check", "dock_density_t_m3"),
    ({"initial": {mark: 0.01 for mark in MARKS}, "draft_check": {mark: 0.01 for mark in MARKS}, "loaded": {mark: 0.01 for mark in MARKS}}, None, "loaded", None),
    ({"initial": {mark: 0.01 for mark in MARKS}, "draft_check": {mark: 0.01 for mark in MARKS}}, {"arrival": 0.0005}, "arrival", None),
    ({"initial": {mark: 0.01 for mark in MARKS}}, None, "draft_check", None),
    ({"initial": {mark: 0.01 for mark in MARKS}, "draft_check": {mark: 0.01 for mark in MARKS}}, {"final": 0.0005}, "final", None),
]


@pytest.mark.parametrize(("case", "given"), list(zip(BAD_UNCERTAINTIES, _UNCERTAINTIES, strict=True)), ids=ids(BAD_UNCERTAINTIES))
def test_bad_uncertainties_are_refused_naming_the_survey_and_the_mark(case, given):
    marks, densities, survey, item = given
    message = re.escape(case.expected_message_part)
    for propagate in (gum, lambda m, d: monte_carlo(m, d, draws=400)):
        with pytest.raises(SurveyUncertaintyError, match=message) as refused:
            propagate(marks, densities)
        assert (refused.value.survey, refused.value.item) == (survey, item)
        assert isinstance(refused.value, QuantityError) and isinstance(refused.value, SurveyInputError)


def test_bad_settings_are_refused():
    marks = every_mark(0.01)
    with pytest.raises(SurveyUncertaintyError, match=r"draws = 100: a 0.95 coverage interval needs a whole number of at least 200 draws"):
        monte_carlo(marks, draws=100)
    with pytest.raises(SurveyUncertaintyError, match="rng must be a numpy.random.Generator"):
        survey_uncertainty_monte_carlo(vessel(), table(), conditions(), marks, rng=16, **CARGO)  # type: ignore[arg-type]
    with pytest.raises(SurveyUncertaintyError, match="coverage probability 1.0 is not a number strictly between 0 and 1"):
        survey_uncertainty_monte_carlo(vessel(), table(), conditions(), marks, rng=np.random.default_rng(1), coverage_probability=1.0, **CARGO)
    with pytest.raises(SurveyUncertaintyError, match="mark_step_m = 0.0 is not a positive finite step"):
        gum(marks, mark_step_m=0.0)
    with pytest.raises(SurveyUncertaintyError, match="significant_digits = 0"):
        numerical_tolerance(1.0, 0)
    # what the survey refuses, the propagation refuses the same way
    with pytest.raises(SurveyInputError, match="cargo_to names survey 'loaded'"):
        survey_uncertainty(vessel(), table(), conditions(), {**marks, "final": marks["initial"]}, cargo_from="initial", cargo_to="loaded")


BAD_INPUTS = BAD_UNCERTAINTIES
"""Every bad input this module tries in a list (tests/bad_inputs.py: the table of docs/reliability.md)."""
