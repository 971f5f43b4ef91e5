"""Belt scale accuracy classes (OIML R 50-1 as stated in the module), Σmin, legality, u = MPE/√3 — by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bad_inputs import BadInput, ids
from calculators.blending.belt_scale_class import (
    BeltScaleError,
    accuracy_class,
    minimum_totalized_load_mid_t,
    minimum_totalized_load_t,
    mpe_pct,
    mpe_t,
    standard_uncertainty_t,
    totalized_load_is_legal,
)
from calculators.quantity_error import QuantityError


@pytest.mark.parametrize(
    ("klass", "initial_pct", "in_service_pct"),
    [(0.2, 0.1, 0.2), (0.5, 0.25, 0.5), (1, 0.5, 1.0), (2, 1.0, 2.0)],
)
def test_the_four_classes_mpe_as_cited(klass, initial_pct, in_service_pct):
    # initial: Directive 2014/32/EU MI-006 Chapter IV Table 6 (0.10 / 0.25 / 0.50 / 1.00 %);
    # in service: twice the initial, as the issue gives OIML R 50-1:2014 (not verified against its text)
    assert mpe_pct(klass, "initial_verification") == initial_pct
    assert mpe_pct(klass, "in_service") == in_service_pct
    assert mpe_pct(klass) == in_service_pct  # in service is the default
    assert mpe_pct(str(klass)) == in_service_pct  # as written in a site file


def test_mpe_in_tonnes_and_vectorised():
    # 12,345.6 t on a class 0.5 scale: in service 0.5 % → 61.728 t; at initial verification 0.25 % → 30.864 t
    assert mpe_t(12_345.6, 0.5) == pytest.approx(61.728, rel=1e-12)
    assert mpe_t(12_345.6, 0.5, "initial_verification") == pytest.approx(30.864, rel=1e-12)
    np.testing.assert_allclose(mpe_t([1000.0, 0.0, 250.0], 2), [20.0, 0.0, 5.0], rtol=1e-12)


def test_standard_uncertainty_is_mpe_over_root_three():
    # 10,000 t class 0.5 in service: 50 t / √3 = 28.867513459481287 t
    assert standard_uncertainty_t(10_000.0, 0.5) == pytest.approx(50.0 / math.sqrt(3.0), rel=1e-12)
    assert standard_uncertainty_t(10_000.0, 0.5) == pytest.approx(28.867513459481287, rel=1e-12)
    # class 1 at initial verification: 0.5 % of 3,000 t = 15 t → 8.660254037844386 t
    assert standard_uncertainty_t(3_000.0, 1, "initial_verification") == pytest.approx(8.660254037844386, rel=1e-12)
    np.testing.assert_allclose(standard_uncertainty_t(np.array([100.0, 200.0]), 0.2), [0.2 / math.sqrt(3), 0.4 / math.sqrt(3)], rtol=1e-12)


def test_minimum_totalized_load_is_the_largest_term():
    # d = 0.01 t, n = 800 → 8 t; Q = 2,000 t/h, revolution 90 s → 50 t; 2 % of an hour (0.02 h) → 40 t
    assert minimum_totalized_load_t(0.01, 800, 2_000.0, 90.0, 0.02) == pytest.approx(50.0, rel=1e-12)
    # longer time at Q: 0.05 h → 100 t wins
    assert minimum_totalized_load_t(0.01, 800, 2_000.0, 90.0, 0.05) == pytest.approx(100.0, rel=1e-12)
    # coarse interval: 0.5 t × 800 = 400 t wins
    assert minimum_totalized_load_t(0.5, 800, 2_000.0, 90.0, 0.02) == pytest.approx(400.0, rel=1e-12)


def test_minimum_totalized_load_as_the_directive_defines_it():
    # the load at which the initial MPE equals d_t: class 0.5, d_t = 0.01 t → 0.01 / 0.0025 = 4 t
    assert minimum_totalized_load_mid_t(0.01, 0.5) == pytest.approx(4.0, rel=1e-12)
    # class 0.2, d_t = 0.05 t → 0.05 / 0.001 = 50 t; class 2, d_t = 0.1 t → 0.1 / 0.01 = 10 t
    assert minimum_totalized_load_mid_t(0.05, 0.2) == pytest.approx(50.0, rel=1e-12)
    assert minimum_totalized_load_mid_t(0.1, 2) == pytest.approx(10.0, rel=1e-12)
    # the manufacturer's minimum wins when larger
    assert minimum_totalized_load_mid_t(0.01, 0.5, 20.0) == 20.0


def test_totalized_load_is_legal_at_and_above_the_minimum():
    assert totalized_load_is_legal(50.0, 50.0)
    assert not totalized_load_is_legal(49.99, 50.0)
    np.testing.assert_array_equal(totalized_load_is_legal([10.0, 50.0, 5_000.0], 50.0), [False, True, True])


# (what is wrong, the call as given, the call, the quantity the error names, the part of its message asserted)
_CASES = [
    ("belt-scale accuracy class 3", "mpe_pct(3)", lambda: mpe_pct(3), "accuracy_class",
     "accuracy class 3 is not a class of OIML R 50-1; expected one of 0.2, 0.5, 1, 2"),
    ("belt-scale accuracy class as a letter", 'mpe_pct("A")', lambda: mpe_pct("A"), "accuracy_class", "accuracy class 'A' is not a class"),
    ("belt-scale accuracy class as a bool", "accuracy_class(True)", lambda: accuracy_class(True), "accuracy_class", "accuracy class True is not a class"),
    ("unknown belt-scale verification stage", 'mpe_pct(0.5, "yearly")', lambda: mpe_pct(0.5, "yearly"), "verification",
     "verification 'yearly' is unknown; expected one of in_service, initial_verification"),
    ("negative belt-scale load", "mpe_t(-1.0, 0.5)", lambda: mpe_t(-1.0, 0.5), "load_t", "load_t = -1.0 t: expected finite masses ≥ 0 t"),
    ("belt-scale load of nan", 'standard_uncertainty_t(float("nan"), 0.5)', lambda: standard_uncertainty_t(float("nan"), 0.5), "load_t",
     "load_t = nan t: expected finite masses ≥ 0 t"),
    ("minimum totalized load of zero", "totalized_load_is_legal(10.0, 0.0)", lambda: totalized_load_is_legal(10.0, 0.0), "minimum_t",
     "minimum_t = 0.0 t is not a finite number > 0"),
    ("negative belt-scale maximum flow rate", "minimum_totalized_load_t(0.01, 800, -5.0, 90.0, 0.02)",
     lambda: minimum_totalized_load_t(0.01, 800, -5.0, 90.0, 0.02), "max_flowrate_t_h", "max_flowrate_t_h = -5.0 t/h is not a finite number > 0"),
    ("belt revolution time as text", 'minimum_totalized_load_t(0.01, 800, 2_000.0, "90", 0.02)',
     lambda: minimum_totalized_load_t(0.01, 800, 2_000.0, "90", 0.02), "belt_revolution_s", "belt_revolution_s = '90' s is not a number"),
    ("belt-scale interval of zero", "minimum_totalized_load_mid_t(0.0, 0.5)", lambda: minimum_totalized_load_mid_t(0.0, 0.5), "scale_interval_t",
     "scale_interval_t = 0.0 t is not a finite number > 0"),
    ("negative manufacturer's minimum load", "minimum_totalized_load_mid_t(0.01, 0.5, -1.0)", lambda: minimum_totalized_load_mid_t(0.01, 0.5, -1.0),
     "manufacturer_minimum_t", "manufacturer_minimum_t = -1.0 t is not a finite number ≥ 0"),
    ("belt-scale accuracy class 5 for the minimum load", "minimum_totalized_load_mid_t(0.01, 5)", lambda: minimum_totalized_load_mid_t(0.01, 5),
     "accuracy_class", "accuracy class 5 is not a class of OIML R 50-1"),
]
BAD_INPUTS = [BadInput("blending calculator", what, given, message) for what, given, _call, _quantity, message in _CASES]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""


@pytest.mark.parametrize(("case", "call", "quantity"), [(case, c[2], c[3]) for case, c in zip(BAD_INPUTS, _CASES, strict=True)], ids=ids(BAD_INPUTS))
def test_bad_inputs_are_refused_by_name(case, call, quantity):
    with pytest.raises(BeltScaleError) as caught:
        call()
    assert isinstance(caught.value, QuantityError)
    assert caught.value.quantity == quantity
    assert case.expected_message_part in str(caught.value)
