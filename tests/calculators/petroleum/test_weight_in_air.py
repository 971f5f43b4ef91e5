"""Table 56 weight-conversion factor and mass ↔ weight in air."""

from __future__ import annotations

import numpy as np
import pytest

from bad_inputs import BadInput, ids
from calculators.petroleum import weight_in_air as wia
from reference_cases import petroleum_cases

TABLE_56 = petroleum_cases("table_56")
(CHAIN,) = petroleum_cases("tank_gauging_chain")


def test_four_table_56_cases_are_in_the_reference_file():
    assert len(TABLE_56) == 4


@pytest.mark.parametrize("case", TABLE_56, ids=[c["id"] for c in TABLE_56])
def test_table_56_worksheet_values(case):
    wcf = wia.weight_conversion_factor(case["inputs"]["density15_kg_per_L"] * 1000.0)
    assert abs(wcf - case["expected"]["WCF_t_per_m3_in_air"]) <= case["tolerance"]["WCF"]


def test_wcf_vectorised_and_unrounded():
    rho = np.array([953.4, 947.6, 947.7, 947.5])
    np.testing.assert_array_equal(wia.weight_conversion_factor(rho), [0.9523, 0.9465, 0.9466, 0.9464])
    assert wia.weight_conversion_factor(953.45, rounded=False) == pytest.approx(0.95235, abs=1e-15)
    assert wia.weight_conversion_factor(953.45) == 0.9524  # a half rounds up


def test_gsv_to_mass_in_vacuum_and_weight_in_air_from_the_bunker_worksheet():
    row = next(r for r in CHAIN["cases"] if "GSV_m3" in r["inputs"])
    gsv, rho = row["inputs"]["GSV_m3"], row["inputs"]["density15"] * 1000.0
    tolerance = CHAIN["tolerance"]["t"]
    mass_vacuum = round(gsv * rho / 1000.0, 3)
    assert abs(mass_vacuum - row["expected"]["MT_vacuum"]) <= tolerance
    assert wia.weight_conversion_factor(rho) == row["expected"]["WCF"]
    weight = round(float(wia.weight_in_air_from_volume(gsv, rho)), 3)
    assert abs(weight - row["expected"]["MT_air"]) <= tolerance


def test_mass_and_weight_in_air_are_inverse_and_consistent_with_wcf():
    mass = np.array([1000.0, 2500.5])
    rho = np.array([850.0, 990.0])
    weight = wia.weight_in_air_from_mass(mass, rho)
    np.testing.assert_allclose(weight, mass * (1 - 1.1 / rho), rtol=1e-15)
    np.testing.assert_allclose(wia.mass_from_weight_in_air(weight, rho), mass, rtol=1e-14)
    volume_m3 = mass * 1000.0 / rho  # mass in t, density in kg/m³
    np.testing.assert_allclose(wia.weight_in_air_from_volume(volume_m3, rho, rounded_wcf=False), weight, rtol=1e-12)


NOT_LIQUID_DENSITIES = [
    BadInput("petroleum calculator", "WCF of a density of zero", "weight_conversion_factor(0.0)", "not a liquid density"),
    BadInput("petroleum calculator", "WCF of the density of air", "weight_conversion_factor(1.1)", "not a liquid density"),
    BadInput("petroleum calculator", "WCF of a negative density", "weight_conversion_factor(-800.0)", "not a liquid density"),
    BadInput("petroleum calculator", "WCF of a density of nan", 'weight_conversion_factor(float("nan"))', "not a liquid density"),
    BadInput("petroleum calculator", "WCF of a density of inf", 'weight_conversion_factor(float("inf"))', "not a liquid density"),
]
_RHOS = [0.0, 1.1, -800.0, float("nan"), float("inf")]


@pytest.mark.parametrize(("case", "rho"), list(zip(NOT_LIQUID_DENSITIES, _RHOS, strict=True)), ids=ids(NOT_LIQUID_DENSITIES))
def test_non_physical_density_is_refused(case, rho):
    with pytest.raises(wia.DensityNotPhysical, match=case.expected_message_part):
        wia.weight_conversion_factor(rho)


BAD_INPUTS = NOT_LIQUID_DENSITIES
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
