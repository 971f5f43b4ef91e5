"""Reconciliation maths: differences, limits, RSS bands, VEF, verdicts — expected values worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bad_inputs import BadInput, ids
from calculators.reconciliation import (
    InvalidReconciliationInput,
    applicable_limit_pct,
    combined_uncertainty_pct,
    compare_pair,
    difference,
    overall_verdict,
    vef_adjusted,
    within_limit,
)


def test_difference_is_first_minus_reference_and_percent_of_reference():
    # meter 90,210.5 t vs shore tank 90,000 t: 210.5 t; 210.5 / 90,000 × 100 = 0.233888… %
    delta, pct = difference(90_210.5, 90_000.0)
    assert delta == pytest.approx(210.5, abs=1e-9)
    assert pct == pytest.approx(0.2338888888888889, rel=1e-12)
    # short: 89,700 vs 90,000 → −300 t, −0.333… %
    delta, pct = difference(89_700.0, 90_000.0)
    assert delta == -300.0 and pct == pytest.approx(-1 / 3, rel=1e-12)


def test_difference_vectorised():
    deltas, pcts = difference(np.array([101.0, 99.5]), np.array([100.0, 100.0]))
    np.testing.assert_allclose(deltas, [1.0, -0.5])
    np.testing.assert_allclose(pcts, [1.0, -0.5])


def test_fixed_limits_both_senses_and_the_boundary():
    # 0.3 % limit: +0.29 and −0.3 are within (the limit itself is within), +0.31 is not
    assert within_limit(0.29, 0.3) and within_limit(-0.3, 0.3) and not within_limit(0.31, 0.3)
    # boundary computed from figures: (100.3 − 100)/100 × 100 = 0.29999999999999716 in binary: within
    assert compare_pair(100.3, 100.0, 0.3).within
    # short-weight 5 ‰ = 0.5 %: only a shortfall beyond 0.5 % is a discrepancy
    assert within_limit(+2.0, 0.5, "short")
    assert within_limit(-0.5, 0.5, "short")
    assert not within_limit(-0.51, 0.5, "short")


def test_compare_pair_records_every_number():
    # draft survey 64,800 t vs belt scale 65,200 t: −400 t; −400/65,200 × 100 = −0.6134969… %
    result = compare_pair(64_800.0, 65_200.0, 0.5)
    assert result.difference == -400.0
    assert result.difference_pct == pytest.approx(-400 / 65_200 * 100, rel=1e-12)
    assert result.difference_pct == pytest.approx(-0.6134969325153374, rel=1e-12)
    assert result.limit_pct == 0.5 and result.sense == "both" and result.within is False


def test_rss_uncertainty_band():
    # draft survey ±0.5 %, belt scale ±0.25 %: √(0.25 + 0.0625) = √0.3125 = 0.5590169943749475 %
    assert combined_uncertainty_pct(0.5, 0.25) == pytest.approx(math.sqrt(0.3125), rel=1e-15)
    assert applicable_limit_pct("uncertainty", None, 0.5, 0.25) == pytest.approx(0.5590169943749475, rel=1e-15)
    # "wider": max(0.5 fixed, 0.559 RSS) = 0.559; max(0.6 fixed, 0.559) = 0.6
    assert applicable_limit_pct("wider", 0.5, 0.5, 0.25) == pytest.approx(0.5590169943749475, rel=1e-15)
    assert applicable_limit_pct("wider", 0.6, 0.5, 0.25) == 0.6
    assert applicable_limit_pct("fixed", 0.3) == 0.3
    # −0.5521 % is outside a fixed 0.5 % but inside the 0.559 % band
    assert not within_limit(-0.5521, 0.5) and within_limit(-0.5521, applicable_limit_pct("wider", 0.5, 0.5, 0.25))


def test_vef_adjustment():
    # ship 90,450 t, VEF 1.0030 → 90,450 / 1.003 = 90,179.46161515453 t
    assert vef_adjusted(90_450.0, 1.0030) == pytest.approx(90_179.46161515453, rel=1e-14)
    # against meters 90,210.5 t: (90,210.5 − 90,179.4616…)/90,179.4616… × 100 = 0.034418… %
    _, pct = difference(90_210.5, vef_adjusted(90_450.0, 1.0030))
    assert pct == pytest.approx((90_210.5 - 90_450.0 / 1.003) / (90_450.0 / 1.003) * 100, rel=1e-12)


def test_overall_verdict():
    assert overall_verdict([True, True]) == "verified"
    assert overall_verdict([True, False]) == "discrepancy"
    with pytest.raises(InvalidReconciliationInput, match="at least one comparison"):
        overall_verdict([])


# The input as given is the call; the calls below make them.
BAD_INPUTS = [
    BadInput("reconciliation calculator", "reference figure of zero", "difference(100.0, 0.0)", "reference figure must be greater than 0"),
    BadInput("reconciliation calculator", "first figure of nan", 'difference(float("nan"), 100.0)', "first figure must be a finite number"),
    BadInput("reconciliation calculator", "limit of zero", "within_limit(0.1, 0.0)", "limit must be greater than 0"),
    BadInput("reconciliation calculator", "unknown sense", 'within_limit(0.1, 0.3, "over")', "unknown sense 'over'"),
    BadInput("reconciliation calculator", "unknown band", 'applicable_limit_pct("gauss", 0.3)', "unknown band 'gauss'"),
    BadInput("reconciliation calculator", "fixed band without a limit", 'applicable_limit_pct("fixed")', "needs a fixed limit"),
    BadInput("reconciliation calculator", "uncertainty band with one method's uncertainty", 'applicable_limit_pct("uncertainty", None, 0.5)',
             "needs the expanded uncertainty of both methods"),
    BadInput("reconciliation calculator", "uncertainty band of zero", 'applicable_limit_pct("uncertainty", None, 0.0, 0.0)', "accepts nothing"),
    BadInput("reconciliation calculator", "negative uncertainty", "combined_uncertainty_pct(-0.1, 0.2)", "must not be negative"),
    BadInput("reconciliation calculator", "vessel experience factor of zero", "vef_adjusted(100.0, 0.0)", "vessel experience factor must be greater than 0"),
]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
_CALLS = [
    lambda: difference(100.0, 0.0),
    lambda: difference(float("nan"), 100.0),
    lambda: within_limit(0.1, 0.0),
    lambda: within_limit(0.1, 0.3, "over"),
    lambda: applicable_limit_pct("gauss", 0.3),
    lambda: applicable_limit_pct("fixed"),
    lambda: applicable_limit_pct("uncertainty", None, 0.5),
    lambda: applicable_limit_pct("uncertainty", None, 0.0, 0.0),
    lambda: combined_uncertainty_pct(-0.1, 0.2),
    lambda: vef_adjusted(100.0, 0.0),
]


@pytest.mark.parametrize(("case", "call"), list(zip(BAD_INPUTS, _CALLS, strict=True)), ids=ids(BAD_INPUTS))
def test_refusals_are_value_errors_with_clear_messages(case, call):  # noqa: ANN001
    with pytest.raises(ValueError, match=case.expected_message_part):
        call()
