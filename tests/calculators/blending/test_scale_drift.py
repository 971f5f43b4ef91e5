"""Belt-scale drift against draft surveys: the paired bias test, its verdict against the class, the rolling trend — by hand."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bad_inputs import BadInput, ids
from bulkdaq.errors import BulkdaqError
from calculators.blending.belt_scale_class import BeltScaleError
from calculators.blending.scale_drift import (
    MIN_PAIRS,
    ScaleDriftError,
    chi2_quantile,
    chi2_upper,
    classify,
    drift_check,
    relative_differences_pct,
    rolling_drift,
    student_t_central,
    student_t_quantile,
)
from calculators.quantity_error import QuantityError


def _lots(d_pct, surveys=None):
    """Scale totals that differ from the surveys by d_pct [%] (surveys default to 10,000 t each)."""
    survey = np.asarray(surveys if surveys is not None else [10_000.0] * len(d_pct), dtype=float)
    return survey * (1.0 + np.asarray(d_pct, dtype=float) / 100.0), survey


# -- the distributions, against the printed tables ---------------------------------------------------


@pytest.mark.parametrize(
    ("p", "dof", "table"),
    [(0.975, 4, 2.7764), (0.975, 9, 2.2622), (0.975, 19, 2.0930), (0.95, 1, 6.3138), (0.995, 29, 2.7564), (0.975, 1, 12.7062)],
)
def test_student_t_quantiles_are_the_table_values(p, dof, table):
    assert student_t_quantile(p, dof) == pytest.approx(table, abs=5e-5)
    assert student_t_quantile(1.0 - p, dof) == pytest.approx(-table, abs=5e-5)  # symmetric
    assert student_t_central(student_t_quantile(p, dof), dof) == pytest.approx(2.0 * p - 1.0, abs=1e-12)


@pytest.mark.parametrize(("p", "dof", "table"), [(0.95, 1, 3.8415), (0.95, 4, 9.4877), (0.95, 9, 16.9190), (0.99, 10, 23.2093)])
def test_chi2_quantiles_are_the_table_values(p, dof, table):
    assert chi2_quantile(p, dof) == pytest.approx(table, abs=5e-4)
    assert chi2_upper(chi2_quantile(p, dof), dof) == pytest.approx(1.0 - p, abs=1e-12)


def test_distributions_hold_for_many_degrees_of_freedom():
    # the series are summed in logarithms: no overflow of exp(−x/2) · x^k far in the tail
    assert chi2_upper(5_000.0, 500) == pytest.approx(0.0, abs=1e-300)
    assert student_t_quantile(0.975, 500) == pytest.approx(1.9647, abs=5e-5)
    assert student_t_central(math.inf, 7) == 1.0


# -- the bias test, by hand ---------------------------------------------------------------------------


def test_five_pairs_by_hand_an_honest_scale_within_class():
    # d = +0.2, −0.1, +0.3, 0.0, +0.1 % on lots of 10,000 … 50,000 t
    # d̄ = 0.1 %; deviations 0.1, −0.2, 0.2, −0.1, 0 → Σ = 0.10, s² = 0.025, s = 0.158114 %
    # s/√5 = 0.0707107 %, t = 0.1 / 0.0707107 = √2 = 1.4142, two-sided p (4 df) = 0.2302
    # t_0.975,4 = 2.776445 → half-width 0.196324 %: interval −0.0963 … 0.2963 %, inside ±0.5 % (class 0.5)
    scale, survey = _lots([0.2, -0.1, 0.3, 0.0, 0.1], [10_000.0, 20_000.0, 50_000.0, 40_000.0, 25_000.0])
    np.testing.assert_allclose(scale, [10_020.0, 19_980.0, 50_150.0, 40_000.0, 25_025.0])
    check = drift_check(scale, survey, [50.0] * 5, [1.0, 2.0, 3.0, 4.0, 5.0], 0.5)
    assert check.n == 5
    assert check.mean_pct == pytest.approx(0.1, abs=1e-12)
    assert check.std_pct == pytest.approx(0.158114, abs=5e-7)
    assert check.standard_error_pct == pytest.approx(0.0707107, abs=5e-8)
    assert round(check.t_statistic, 4) == 1.4142
    assert check.p_two_sided == pytest.approx(0.2302, abs=5e-5)
    assert check.t_critical == pytest.approx(2.776445, abs=5e-7)
    assert (check.ci_low_pct, check.ci_high_pct) == pytest.approx((-0.096324, 0.296324), abs=5e-7)
    assert check.mpe_pct == 0.5
    assert check.verdict == "within_class"
    # σ_exp from the class (0.5/√3 = 0.288675 %) and the surveys' u (50 t on 10,000 … 50,000 t): the
    # scatter s = 0.158 % is explained
    survey_rel = 100.0 * 50.0 / survey
    assert check.expected_std_pct == pytest.approx(math.sqrt(np.mean(0.5**2 / 3.0 + survey_rel**2)), rel=1e-12)
    assert check.precision == "explained"
    assert (check.first_time_s, check.last_time_s) == (1.0, 5.0)


def test_a_scale_reading_one_and_a_half_percent_high_on_class_0_5_has_drifted():
    # d = 1.2, 1.5, 1.4, 1.7, 1.6 %: d̄ = 1.48 %, s = √(0.148/4) = 0.192354 %, t = 1.48/(s/√5) = 17.2047
    # interval 1.48 ± 2.776445 · 0.0860233 = 1.2412 … 1.7188 %, wholly above +0.5 %
    scale, survey = _lots([1.2, 1.5, 1.4, 1.7, 1.6])
    check = drift_check(scale, survey, [30.0] * 5, np.arange(5.0), 0.5)
    assert check.mean_pct == pytest.approx(1.48, abs=1e-12)
    assert check.std_pct == pytest.approx(0.192354, abs=5e-7)
    assert round(check.t_statistic, 4) == pytest.approx(17.2047, abs=1e-4)
    assert (round(check.ci_low_pct, 4), round(check.ci_high_pct, 4)) == (1.2412, 1.7188)
    assert check.verdict == "drifted"
    # ten lots at +1.5 % with scatter: drifted too, and reading low by as much is drifted the other way
    noise = [-0.2, 0.1, 0.3, -0.1, 0.0, 0.2, -0.3, 0.1, -0.1, 0.0]
    for sign in (1.0, -1.0):
        scale, survey = _lots([sign * 1.5 + e for e in noise])
        assert drift_check(scale, survey, [30.0] * 10, np.arange(10.0), 0.5).verdict == "drifted"


def test_an_interval_across_the_class_limit_is_undetermined():
    # d = 0.0, 1.0, 0.2, 0.8, 0.5 %: d̄ = 0.5 %, s = 0.412311 %, half-width 2.776445 · s/√5 = 0.511951 %
    scale, survey = _lots([0.0, 1.0, 0.2, 0.8, 0.5])
    check = drift_check(scale, survey, [30.0] * 5, np.arange(5.0), 0.5)
    assert (check.ci_low_pct, check.ci_high_pct) == pytest.approx((0.5 - 0.511951, 0.5 + 0.511951), abs=5e-6)
    assert check.verdict == "undetermined"
    # the same pairs on a class 2 scale (MPE 2 %) are within class
    assert drift_check(scale, survey, [30.0] * 5, np.arange(5.0), 2).verdict == "within_class"


def test_scatter_beyond_what_the_class_and_surveys_explain_is_flagged():
    # class 0.2: u = 0.2/√3 = 0.1155 %; surveys u = 0.1 %: σ_exp = 0.1528 %; s here ≈ 0.63 %
    scale, survey = _lots([0.8, -0.7, 0.5, -0.6, 0.9, -0.4])
    check = drift_check(scale, survey, [10.0] * 6, np.arange(6.0), 0.2)
    assert check.expected_std_pct == pytest.approx(math.sqrt(0.2**2 / 3.0 + 0.1**2), rel=1e-12)
    assert check.precision == "excess"
    assert check.verdict == "undetermined"  # and the bias cannot be told from such scatter


def test_too_few_pairs_are_insufficient_not_an_error():
    scale, survey = _lots([1.5, 1.6, 1.4, 1.5])  # MIN_PAIRS − 1 lots so far
    assert MIN_PAIRS == 5
    check = drift_check(scale, survey, [30.0] * 4, np.arange(4.0), 0.5)
    assert check.verdict == "insufficient" and check.precision == "insufficient" and check.n == 4
    assert math.isnan(check.ci_low_pct) and math.isnan(check.t_statistic)
    assert check.mean_pct == pytest.approx(1.5)  # the mean is still shown
    empty = drift_check([], [], [], [], 0.5)
    assert empty.n == 0 and empty.verdict == "insufficient"


def test_the_window_takes_the_most_recent_pairs_by_time_whatever_the_input_order():
    # six old lots read 1.5 % high (before a recalibration), six recent ones are honest
    d = [1.5, 1.4, 1.6, 1.5, 1.7, 1.3, 0.1, -0.1, 0.0, 0.2, -0.2, 0.05]
    scale, survey = _lots(d)
    times = np.arange(12.0) * 86_400.0
    order = np.random.default_rng(7).permutation(12)
    recent = drift_check(scale[order], survey[order], np.full(12, 30.0)[order], times[order], 0.5, window=6)
    assert recent.n == 6 and recent.verdict == "within_class" and recent.first_time_s == 6 * 86_400.0
    assert drift_check(scale, survey, [30.0] * 12, times, 0.5, window=12).verdict == "undetermined"


def test_confidence_and_verification_stage_are_the_callers():
    scale, survey = _lots([0.2, -0.1, 0.3, 0.0, 0.1])
    at_99 = drift_check(scale, survey, [30.0] * 5, np.arange(5.0), 0.5, confidence=0.99)
    assert at_99.t_critical == pytest.approx(4.6041, abs=5e-5)
    # at initial verification the MPE of class 0.5 is 0.25 %: the interval −0.096 … 0.296 % now straddles it
    initial = drift_check(scale, survey, [30.0] * 5, np.arange(5.0), 0.5, verification="initial_verification")
    assert initial.mpe_pct == 0.25 and initial.verdict == "undetermined"


def test_identical_differences_have_no_scatter():
    scale, survey = _lots([1.0] * 5)
    check = drift_check(scale, survey, [30.0] * 5, np.arange(5.0), 0.5)
    assert check.std_pct == pytest.approx(0.0, abs=1e-12)
    assert check.verdict == "drifted"  # the interval shrinks to the point 1.0 %


def test_classify_vectorised():
    verdicts = classify([0.6, -0.4, 0.4, -0.9, np.nan], [0.9, 0.4, 0.6, -0.55, 0.2], 0.5)
    assert verdicts.tolist() == ["drifted", "within_class", "undetermined", "drifted", "insufficient"]


# -- the trend over time -----------------------------------------------------------------------------


def test_the_rolling_form_equals_the_check_on_each_window():
    rng = np.random.default_rng(17)
    d = np.concatenate([rng.normal(0.0, 0.15, 15), rng.normal(1.5, 0.15, 15)])  # the scale drifts after lot 15
    survey = rng.uniform(20_000.0, 80_000.0, 30)
    scale = survey * (1.0 + d / 100.0)
    u = survey * 0.002
    times = np.arange(30.0) * 3 * 86_400.0
    trend = rolling_drift(scale, survey, u, times, 0.5, window=8)
    assert trend.n.tolist() == [1, 2, 3, 4, 5, 6, 7] + [8] * 23
    np.testing.assert_allclose(trend.d_pct, d, atol=1e-9)
    assert trend.verdict[:4].tolist() == ["insufficient"] * 4
    for i in range(MIN_PAIRS - 1, 30):
        one = drift_check(scale[: i + 1], survey[: i + 1], u[: i + 1], times[: i + 1], 0.5, window=8)
        assert trend.verdict[i] == one.verdict
        assert trend.mean_pct[i] == pytest.approx(one.mean_pct, abs=1e-9)
        assert trend.std_pct[i] == pytest.approx(one.std_pct, abs=1e-9)
        assert trend.t_statistic[i] == pytest.approx(one.t_statistic, rel=1e-9)
        assert (trend.ci_low_pct[i], trend.ci_high_pct[i]) == pytest.approx((one.ci_low_pct, one.ci_high_pct), abs=1e-9)
        assert trend.expected_std_pct[i] == pytest.approx(one.expected_std_pct, rel=1e-12)
    assert trend.verdict[14] == "within_class" and trend.verdict[-1] == "drifted"
    assert math.isnan(trend.mean_pct[3]) and trend.mpe_pct == 0.5


def test_the_rolling_form_of_nothing_is_empty():
    trend = rolling_drift([], [], [], [], 1)
    assert trend.verdict.size == 0 and trend.n.size == 0


# -- bad inputs are refused, naming the quantity ------------------------------------------------------


# (what is wrong, the argument as given, the arguments changed, the quantity the error names, the part of its message asserted);
# drift_check and rolling_drift are each given five honest pairs of lots with the change
_CASES = [
    ("drift check survey of 0 t", "survey_t = [10000.0, 0.0, 10000.0, 10000.0, 10000.0]", {"survey_t": [10_000.0, 0.0, 10_000.0, 10_000.0, 10_000.0]}, "survey_t",
     "survey_t: lot 1 is 0.0 t; expected > 0 t"),
    ("drift check negative survey", "survey_t = [10000.0, -5.0, 10000.0, 10000.0, 10000.0]", {"survey_t": [10_000.0, -5.0, 10_000.0, 10_000.0, 10_000.0]},
     "survey_t", "survey_t: lot 1 is -5.0 t; expected > 0 t"),
    ("drift check scale total of nan", "scale_t = [10000.0, math.nan, 10000.0, 10000.0, 10000.0]", {"scale_t": [10_000.0, math.nan, 10_000.0, 10_000.0, 10_000.0]},
     "scale_t", "scale_t: lot 1 is nan t; expected a finite number"),
    ("drift check negative scale total", "scale_t = [10000.0, 10000.0, -1.0, 10000.0, 10000.0]", {"scale_t": [10_000.0, 10_000.0, -1.0, 10_000.0, 10_000.0]},
     "scale_t", "scale_t: lot 2 is -1.0 t; expected ≥ 0 t"),
    ("drift check survey uncertainty of inf", "survey_u_t = [30.0, 30.0, 30.0, math.inf, 30.0]", {"survey_u_t": [30.0, 30.0, 30.0, math.inf, 30.0]}, "survey_u_t",
     "survey_u_t: lot 3 is inf t; expected a finite number"),
    ("drift check negative survey uncertainty", "survey_u_t = [30.0, -30.0, 30.0, 30.0, 30.0]", {"survey_u_t": [30.0, -30.0, 30.0, 30.0, 30.0]}, "survey_u_t",
     "survey_u_t: lot 1 is -30.0 t; expected ≥ 0 t"),
    ("drift check time of nan", "time_s = [0.0, 1.0, math.nan, 3.0, 4.0]", {"time_s": [0.0, 1.0, math.nan, 3.0, 4.0]}, "time_s",
     "time_s: lot 2 is nan s; expected a finite number"),
    ("drift check with fewer surveys than scale totals", "survey_t = [10000.0] * 4", {"survey_t": [10_000.0] * 4}, "pairs",
     "scale_t, survey_t, survey_u_t and time_s must have one figure per lot each; got scale_t 5, survey_t 4, survey_u_t 5, time_s 5"),
    ("drift check scale totals as text", 'scale_t = "heavy"', {"scale_t": "heavy"}, "scale_t", "scale_t = 'heavy' t is not a number"),
    ("drift window of 4 pairs", "window = 4", {"window": MIN_PAIRS - 1}, "window", f"window = 4 pairs: expected an integer ≥ {MIN_PAIRS}"),
    ("drift window of 7.5 pairs", "window = 7.5", {"window": 7.5}, "window", "window = 7.5 pairs: expected an integer ≥ 5 (the fewest pairs a verdict rests on)"),
    ("drift confidence of 1", "confidence = 1.0", {"confidence": 1.0}, "confidence", "confidence = 1.0: expected a probability strictly between 0 and 1"),
    ("drift confidence as a percentage", "confidence = 95", {"confidence": 95}, "confidence",
     "confidence = 95: expected a probability strictly between 0 and 1"),
]
BAD_INPUTS = [BadInput("blending calculator", what, given, message) for what, given, _kwargs, _quantity, message in _CASES]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""


@pytest.mark.parametrize(("case", "kwargs", "quantity"), [(case, c[2], c[3]) for case, c in zip(BAD_INPUTS, _CASES, strict=True)], ids=ids(BAD_INPUTS))
def test_bad_inputs_are_refused_naming_the_quantity(case, kwargs, quantity):
    arguments = {"scale_t": [10_000.0] * 5, "survey_t": [10_000.0] * 5, "survey_u_t": [30.0] * 5, "time_s": [0.0, 1.0, 2.0, 3.0, 4.0],
                 "accuracy_class_": 0.5, **kwargs}
    for function in (drift_check, rolling_drift):
        with pytest.raises(ScaleDriftError, match=re.escape(case.expected_message_part)) as caught:
            function(**arguments)
        assert caught.value.quantity == quantity
        assert isinstance(caught.value, QuantityError) and isinstance(caught.value, BulkdaqError)


def test_an_unknown_class_is_refused_by_the_class_module():
    scale, survey = _lots([0.1] * 5)
    with pytest.raises(BeltScaleError, match="accuracy class 3"):
        drift_check(scale, survey, [30.0] * 5, np.arange(5.0), 3)


def test_relative_differences_and_distribution_arguments_are_checked():
    np.testing.assert_allclose(relative_differences_pct([10_150.0, 9_900.0], [10_000.0, 10_000.0]), [1.5, -1.0])
    with pytest.raises(ScaleDriftError, match="survey_t") as caught:
        relative_differences_pct([10_000.0], [0.0])
    assert caught.value.quantity == "survey_t"
    with pytest.raises(ScaleDriftError, match="degrees of freedom"):
        student_t_quantile(0.975, 0)
    with pytest.raises(ScaleDriftError, match="probability"):
        chi2_quantile(1.5, 3)
