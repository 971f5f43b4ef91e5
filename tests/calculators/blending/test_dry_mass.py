"""Wet and dry tonnes from moisture (ISO 3087 wet basis) and u(dry) by the GUM — worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bad_inputs import BadInput, ids
from calculators.blending.dry_mass import (
    DryMassError,
    dry_mass_t,
    dry_mass_uncertainty_t,
    sensitivity_coefficients,
    wet_mass_t,
)
from calculators.quantity_error import QuantityError


def test_dry_mass_from_wet_and_moisture():
    # 100,000 t wet at 8.5 %: 100,000 × 0.915 = 91,500 t
    assert dry_mass_t(100_000.0, 8.5) == pytest.approx(91_500.0, rel=1e-12)
    # 0 % moisture: dry = wet; 30 % (the upper bound) is accepted: 1,000 × 0.7 = 700 t
    assert dry_mass_t(1_234.5, 0.0) == 1_234.5
    assert dry_mass_t(1_000.0, 30.0) == pytest.approx(700.0, rel=1e-12)
    np.testing.assert_allclose(dry_mass_t([200.0, 400.0], [10.0, 5.0]), [180.0, 380.0], rtol=1e-12)


def test_wet_mass_inverts_dry_mass():
    # 91,500 t dry at 8.5 % → 91,500 / 0.915 = 100,000 t
    assert wet_mass_t(91_500.0, 8.5) == pytest.approx(100_000.0, rel=1e-12)


def test_sensitivity_coefficients_written_out():
    c_wet, c_w = sensitivity_coefficients(100_000.0, 8.5)
    assert c_wet == pytest.approx(0.915, rel=1e-12)  # 1 − 8.5/100
    assert c_w == pytest.approx(-1_000.0, rel=1e-12)  # −100,000/100 t per %


def test_dry_mass_uncertainty_by_the_gum():
    # u(wet) = 300 t, u(w) = 0.1 %: √((0.915 × 300)² + (1,000 × 0.1)²) = √(274.5² + 100²) = 292.1476510259838 t
    u = dry_mass_uncertainty_t(100_000.0, 8.5, 300.0, 0.1)
    assert u == pytest.approx(math.sqrt(274.5**2 + 100.0**2), rel=1e-12)
    assert u == pytest.approx(292.1476510259838, rel=1e-12)
    # only the moisture uncertain: 50,000 t, u(w) = 0.2 % → 500 × 0.2 = 100 t
    assert dry_mass_uncertainty_t(50_000.0, 9.0, 0.0, 0.2) == pytest.approx(100.0, rel=1e-12)
    # vectorised over lots
    np.testing.assert_allclose(dry_mass_uncertainty_t([100_000.0, 50_000.0], [8.5, 9.0], [300.0, 0.0], [0.1, 0.2]), [292.1476510259838, 100.0], rtol=1e-12)


# (what is wrong, the call as given, the call, the quantity the error names, the part of its message asserted)
_CASES = [
    ("moisture of 31 percent", "dry_mass_t(100.0, 31.0)", lambda: dry_mass_t(100.0, 31.0), "moisture_pct", "moisture_pct = 31.0 % is outside 0 … 30 % (wet basis)"),
    ("negative moisture", "dry_mass_t(100.0, -0.5)", lambda: dry_mass_t(100.0, -0.5), "moisture_pct", "moisture_pct = -0.5 % is negative; expected a value ≥ 0 %"),
    ("moisture of nan", 'dry_mass_t(100.0, float("nan"))', lambda: dry_mass_t(100.0, float("nan")), "moisture_pct", "moisture_pct = nan % is not a finite number"),
    ("negative wet mass", "dry_mass_t(-100.0, 8.0)", lambda: dry_mass_t(-100.0, 8.0), "wet_t", "wet_t = -100.0 t is negative; expected a value ≥ 0 t"),
    ("wet mass of nan", 'dry_mass_t(float("nan"), 8.0)', lambda: dry_mass_t(float("nan"), 8.0), "wet_t", "wet_t = nan t is not a finite number"),
    ("wet mass as text", 'dry_mass_t("heavy", 8.0)', lambda: dry_mass_t("heavy", 8.0), "wet_t", "wet_t = 'heavy' t is not a number"),
    ("negative dry mass", "wet_mass_t(-1.0, 8.0)", lambda: wet_mass_t(-1.0, 8.0), "dry_t", "dry_t = -1.0 t is negative"),
    ("negative uncertainty of the wet mass", "dry_mass_uncertainty_t(100.0, 8.0, -1.0, 0.1)", lambda: dry_mass_uncertainty_t(100.0, 8.0, -1.0, 0.1), "u_wet_t",
     "u_wet_t = -1.0 t is negative"),
    ("moisture uncertainty of inf", 'dry_mass_uncertainty_t(100.0, 8.0, 1.0, float("inf"))', lambda: dry_mass_uncertainty_t(100.0, 8.0, 1.0, float("inf")),
     "u_moisture_pct", "u_moisture_pct = inf % is not a finite number"),
]
BAD_INPUTS = [BadInput("blending calculator", what, given, message) for what, given, _call, _quantity, message in _CASES]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""


@pytest.mark.parametrize(("case", "call", "quantity"), [(case, c[2], c[3]) for case, c in zip(BAD_INPUTS, _CASES, strict=True)], ids=ids(BAD_INPUTS))
def test_bad_inputs_are_refused_by_name(case, call, quantity):
    with pytest.raises(DryMassError) as caught:
        call()
    assert isinstance(caught.value, QuantityError)
    assert caught.value.quantity == quantity
    assert case.expected_message_part in str(caught.value)
