"""The yard's mass balance (JCGM 100 5.1.2 root-sum-square, k = 2) and blending-run ratios — worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bad_inputs import BadInput, ids
from calculators.blending.belt_scale_class import standard_uncertainty_t
from calculators.blending.dry_mass import dry_mass_t, dry_mass_uncertainty_t
from calculators.blending.mass_balance import (
    MassBalanceError,
    blending_run,
    mass_balance,
    sum_with_uncertainty,
)
from calculators.quantity_error import QuantityError


def test_a_lot_that_balances_within_its_uncertainty():
    # entered 150,000 t (draft survey u = 375 t), out 98,000 t (belt scales u = 283 t), stock 51,500 t (survey u = 1,030 t)
    # difference = 150,000 − 98,000 − 51,500 = 500 t; u = √(375² + 283² + 1,030²) = √1,281,614 = 1,132.0839192 t; U = 2,264.17 t
    result = mass_balance(150_000.0, 375.0, 98_000.0, 283.0, 51_500.0, 1_030.0, "wet")
    assert result.difference_t.tolist() == [500.0]
    assert result.u_difference_t[0] == pytest.approx(math.sqrt(375.0**2 + 283.0**2 + 1_030.0**2), rel=1e-12)
    assert result.u_difference_t[0] == pytest.approx(1_132.0839191, rel=1e-9)
    assert result.expanded_t[0] == pytest.approx(2 * 1_132.0839191, rel=1e-9)
    assert result.verdicts == ("balanced",) and result.balanced and result.basis == "wet" and result.coverage_factor == 2.0


def test_an_overdrawn_lot_and_an_unaccounted_one_vectorised():
    # three lots, each term with u = 100 t: u = √3 × 100 = 173.205 t, U = 346.41 t
    entered = np.array([60_000.0, 60_000.0, 60_000.0])
    out = np.array([45_000.0, 45_000.0, 45_000.0])
    stock = np.array([15_500.0, 15_300.0, 14_500.0])  # differences −500 (overdrawn), −300 (within), +500 (unaccounted)
    result = mass_balance(entered, 100.0, out, 100.0, stock, 100.0, "dry")
    np.testing.assert_allclose(result.difference_t, [-500.0, -300.0, 500.0])
    np.testing.assert_allclose(result.expanded_t, 2 * math.sqrt(3) * 100.0, rtol=1e-12)
    assert result.verdicts == ("overdrawn", "balanced", "unaccounted")
    assert not result.balanced


def test_the_boundary_is_balanced():
    # difference exactly U: u = √(30² + 40²) = 50 t, U = 100 t; 1,100 − 1,000 − 0 = 100 t
    result = mass_balance(1_100.0, 30.0, 1_000.0, 40.0, 0.0, 0.0, "wet")
    assert result.verdicts == ("balanced",)
    assert mass_balance(1_100.1, 30.0, 1_000.0, 40.0, 0.0, 0.0, "wet").verdicts == ("unaccounted",)
    # a wider coverage factor: k = 3 → U = 150 t
    assert mass_balance(1_140.0, 30.0, 1_000.0, 40.0, 0.0, 0.0, "wet", coverage_factor=3.0).verdicts == ("balanced",)


def test_a_dry_balance_built_from_the_other_calculators():
    # lot entered 80,000 t wet at 9 % (u = 200 t, u(w) = 0.15 %); out by a class 0.5 scale 50,000 t wet at 9 %; stock 22,750 t dry (u = 300 t)
    entered_dry = dry_mass_t(80_000.0, 9.0)  # 72,800 t
    u_entered_dry = dry_mass_uncertainty_t(80_000.0, 9.0, 200.0, 0.15)  # √(182² + 120²) = 218.0 t
    u_out_wet = standard_uncertainty_t(50_000.0, 0.5)  # 250/√3 = 144.34 t
    out_dry = dry_mass_t(50_000.0, 9.0)  # 45,500 t
    u_out_dry = dry_mass_uncertainty_t(50_000.0, 9.0, u_out_wet, 0.15)  # √((0.91 × 144.34)² + 75²)
    result = mass_balance(entered_dry, u_entered_dry, out_dry, u_out_dry, 22_750.0, 300.0, "dry")
    assert result.difference_t[0] == pytest.approx(72_800.0 - 45_500.0 - 22_750.0, rel=1e-12)  # 4,550 t: far beyond U
    by_hand_u = math.sqrt(182.0**2 + 120.0**2 + (0.91 * 250.0 / math.sqrt(3)) ** 2 + 75.0**2 + 300.0**2)
    assert result.u_difference_t[0] == pytest.approx(by_hand_u, rel=1e-12)
    assert result.verdicts == ("unaccounted",)


def test_sum_with_uncertainty():
    # three runs: 1,000 + 2,000 + 3,000 t, u = 3, 4, 12 t → √(9 + 16 + 144) = 13 t
    assert sum_with_uncertainty([1_000.0, 2_000.0, 3_000.0], [3.0, 4.0, 12.0]) == (6_000.0, 13.0)


def test_a_blending_run_on_recipe():
    # recipe 60 / 40 ± 2 pp; delivered 6,050 + 3,950 = 10,000 t → 60.5 % / 39.5 %
    run = blending_run(["PB fines", "Carajas"], [6_050.0, 3_950.0], [20.0, 15.0], [60.0, 40.0], 2.0, 10_030.0, 30.0)
    first, second = run.components
    assert first.share_pct == pytest.approx(60.5, rel=1e-12) and second.share_pct == pytest.approx(39.5, rel=1e-12)
    assert first.deviation_pp == pytest.approx(0.5, abs=1e-12) and second.deviation_pp == pytest.approx(-0.5, abs=1e-12)
    assert run.off_recipe == ()
    # u(share₁) = 100/S² · √((S − m₁)² u₁² + m₁² u₂²) = 100/10⁸ · √(3,950² × 20² + 6,050² × 15²)
    by_hand = 100.0 / 10_000.0**2 * math.sqrt(3_950.0**2 * 20.0**2 + 6_050.0**2 * 15.0**2)
    assert first.u_share_pct == pytest.approx(by_hand, rel=1e-12)
    assert second.u_share_pct == pytest.approx(by_hand, rel=1e-12)  # two components: the same
    # product 10,030 vs 10,000: +30 t; u = √(30² + 20² + 15²) = √1,525 = 39.05 t; U = 78.10 t → consistent
    assert run.sum_t == 10_000.0 and run.u_sum_t == pytest.approx(25.0, rel=1e-12)
    assert run.product_minus_sum_t == pytest.approx(30.0, abs=1e-9)
    assert run.u_product_minus_sum_t == pytest.approx(math.sqrt(1_525.0), rel=1e-12)
    assert run.product_verdict == "consistent"


def test_a_blending_run_off_recipe_and_short_of_product():
    # recipe 50 / 30 / 20, tolerances 1.5 / 1.5 / 1.0 pp; delivered 5,200 + 2,900 + 1,900 = 10,000 t → 52 / 29 / 19 %
    run = blending_run(["A", "B", "C"], [5_200.0, 2_900.0, 1_900.0], [10.0, 10.0, 10.0], [50.0, 30.0, 20.0], [1.5, 1.5, 1.0], 9_800.0, 10.0)
    assert [c.share_pct for c in run.components] == pytest.approx([52.0, 29.0, 19.0], rel=1e-12)
    assert [c.off_recipe for c in run.components] == [True, False, False]  # +2 > 1.5; −1 ≤ 1.5; −1 ≤ 1.0 (boundary)
    assert run.off_recipe == ("A",)
    # product 9,800 vs 10,000: −200 t; u = √(10² + 3 × 10²) = 20 t, U = 40 t → product short
    assert run.u_product_minus_sum_t == pytest.approx(20.0, rel=1e-12)
    assert run.product_verdict == "product_short"
    assert blending_run(["A"], [100.0], [1.0], [100.0], 0.0, 150.0, 1.0).product_verdict == "product_over"


# (what is wrong, the call as given, the call, the quantity the error names, the part of its message asserted)
_CASES = [
    ("negative mass entered", 'mass_balance(-1.0, 1.0, 0.0, 1.0, 0.0, 1.0, "wet")', lambda: mass_balance(-1.0, 1.0, 0.0, 1.0, 0.0, 1.0, "wet"), "entered_t",
     "entered_t = -1.0 t is negative; expected a value ≥ 0 t"),
    ("mass entered with an uncertainty of nan", 'mass_balance(1.0, float("nan"), 0.0, 1.0, 0.0, 1.0, "wet")',
     lambda: mass_balance(1.0, float("nan"), 0.0, 1.0, 0.0, 1.0, "wet"), "u_entered_t", "u_entered_t = nan t is not a finite number"),
    ("unknown mass balance basis", 'mass_balance(1.0, 1.0, 0.0, 1.0, 0.0, 1.0, "moist")', lambda: mass_balance(1.0, 1.0, 0.0, 1.0, 0.0, 1.0, "moist"), "basis",
     "basis 'moist' is unknown; expected one of wet, dry"),
    ("mass balance coverage factor of zero", 'mass_balance(1.0, 1.0, 0.0, 1.0, 0.0, 1.0, "wet", coverage_factor=0.0)',
     lambda: mass_balance(1.0, 1.0, 0.0, 1.0, 0.0, 1.0, "wet", coverage_factor=0.0), "coverage_factor", "coverage_factor = 0.0 is not a positive finite number"),
    ("mass balance figures that do not broadcast", 'mass_balance([1.0, 2.0], 1.0, [1.0, 2.0, 3.0], 1.0, 0.0, 1.0, "wet")',
     lambda: mass_balance([1.0, 2.0], 1.0, [1.0, 2.0, 3.0], 1.0, 0.0, 1.0, "wet"), "entered_t", "do not broadcast; expected one figure per lot"),
    ("no mass to sum", "sum_with_uncertainty([], [])", lambda: sum_with_uncertainty([], []), "masses_t", "no figure to sum; expected at least one mass"),
    ("fewer uncertainties than masses to sum", "sum_with_uncertainty([1.0, 2.0], [1.0])", lambda: sum_with_uncertainty([1.0, 2.0], [1.0]), "u_masses_t",
     "1 uncertainties for 2 masses; expected one uncertainty per mass"),
    ("blending run without components", "blending_run([], [], [], [], 1.0, 0.0, 0.0)", lambda: blending_run([], [], [], [], 1.0, 0.0, 0.0), "names",
     "a blending run needs at least one component"),
    ("blending run component named twice", 'blending_run(["A", "A"], [1.0, 1.0], [0.0, 0.0], [50.0, 50.0], 1.0, 2.0, 0.0)',
     lambda: blending_run(["A", "A"], [1.0, 1.0], [0.0, 0.0], [50.0, 50.0], 1.0, 2.0, 0.0), "names", "component 'A' is named twice"),
    ("blending run target shares summing to 90 percent", 'blending_run(["A", "B"], [1.0, 1.0], [0.0, 0.0], [60.0, 30.0], 1.0, 2.0, 0.0)',
     lambda: blending_run(["A", "B"], [1.0, 1.0], [0.0, 0.0], [60.0, 30.0], 1.0, 2.0, 0.0), "target_pct", "the target shares sum to 90.0 %; expected 100 %"),
    ("blending run with fewer deliveries than components", 'blending_run(["A", "B"], [1.0], [0.0, 0.0], [50.0, 50.0], 1.0, 2.0, 0.0)',
     lambda: blending_run(["A", "B"], [1.0], [0.0, 0.0], [50.0, 50.0], 1.0, 2.0, 0.0), "delivered_t", "delivered_t has 1 values for 2 components"),
    ("blending run delivering nothing", 'blending_run(["A", "B"], [0.0, 0.0], [0.0, 0.0], [50.0, 50.0], 1.0, 0.0, 0.0)',
     lambda: blending_run(["A", "B"], [0.0, 0.0], [0.0, 0.0], [50.0, 50.0], 1.0, 0.0, 0.0), "delivered_t", "the components delivered 0 t in all"),
    ("negative blending run tolerance", 'blending_run(["A"], [1.0], [0.0], [100.0], -1.0, 1.0, 0.0)',
     lambda: blending_run(["A"], [1.0], [0.0], [100.0], -1.0, 1.0, 0.0), "tolerance_pp", "tolerance_pp = -1.0 percentage points is negative"),
    ("negative blending run product", 'blending_run(["A"], [1.0], [0.0], [100.0], 1.0, -5.0, 0.0)',
     lambda: blending_run(["A"], [1.0], [0.0], [100.0], 1.0, -5.0, 0.0), "product_t", "product_t = -5.0 t is negative"),
    ("blending run product uncertainty as a list", 'blending_run(["A"], [1.0], [0.0], [100.0], 1.0, 1.0, [1.0, 2.0])',
     lambda: blending_run(["A"], [1.0], [0.0], [100.0], 1.0, 1.0, [1.0, 2.0]), "u_product_t", "u_product_t = [1.0, 2.0] t is not a number"),
]
BAD_INPUTS = [BadInput("blending calculator", what, given, message) for what, given, _call, _quantity, message in _CASES]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""


@pytest.mark.parametrize(("case", "call", "quantity"), [(case, c[2], c[3]) for case, c in zip(BAD_INPUTS, _CASES, strict=True)], ids=ids(BAD_INPUTS))
def test_bad_inputs_are_refused_by_name(case, call, quantity):
    with pytest.raises(MassBalanceError) as caught:
        call()
    assert isinstance(caught.value, QuantityError)
    assert caught.value.quantity == quantity
    assert case.expected_message_part in str(caught.value)
