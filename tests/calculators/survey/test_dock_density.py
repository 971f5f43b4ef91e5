"""Dock water density from hydrometer samples: mean, spread, s, the uncertainty by hand, the verdict and
its reasons, and bad samples refused naming the sample."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bad_inputs import BadInput, ids
from calculators.quantity_error import QuantityError
from calculators.survey.dock_density import DockDensityError, dock_density

# three depths at each of two places along the hull (surveyor's hydrometer, read to 0.0005 t/m³)
TIMES_S = [0.0, 40.0, 80.0, 300.0, 340.0, 380.0]
SAMPLES = [1.0225, 1.0230, 1.0235, 1.0225, 1.0230, 1.0230]


def test_mean_spread_and_uncertainty_by_hand():
    result = dock_density(TIMES_S, SAMPLES)
    n = 6
    mean = (1.0225 + 1.0230 + 1.0235 + 1.0225 + 1.0230 + 1.0230) / n  # 6.1375 / 6 = 1.0229167
    s = math.sqrt(sum((x - mean) ** 2 for x in SAMPLES) / (n - 1))  # √(0.000000708 / 5) = 0.000376
    assert result.density_t_m3 == pytest.approx(mean, abs=1e-12)
    assert result.density_t_m3 == pytest.approx(1.0229167, abs=1e-7)
    assert result.count == 6
    assert result.spread_t_m3 == pytest.approx(0.0010, abs=1e-12)
    assert result.std_t_m3 == pytest.approx(s, rel=1e-9)
    assert result.std_t_m3 == pytest.approx(0.00037639, abs=1e-8)
    assert result.u_type_a_t_m3 == pytest.approx(s / math.sqrt(6), rel=1e-9)
    assert result.u_resolution_t_m3 == pytest.approx(0.0005 / math.sqrt(12), rel=1e-12)  # 0.000144
    assert result.u_t_m3 == pytest.approx(math.sqrt(s * s / 6 + 0.0005**2 / 12), rel=1e-9)
    assert result.u_t_m3 == pytest.approx(0.00021082, abs=1e-8)  # √(2.361e-8 + 2.083e-8)
    assert (result.start_s, result.end_s) == (0.0, 380.0)
    assert result.fit and result.reasons == ()


def test_identical_samples_leave_the_resolution_floor():
    result = dock_density([5.0, 5.0, 5.0], [1.0250, 1.0250, 1.0250], resolution_t_m3=0.0001)
    assert result.std_t_m3 == 0.0 and result.spread_t_m3 == 0.0
    assert result.u_t_m3 == result.u_resolution_t_m3 == pytest.approx(0.0001 / math.sqrt(12))
    assert result.fit


def test_samples_in_any_order_and_any_time_origin():
    shuffled = dock_density(np.array(TIMES_S[::-1]) + 1.7e9, SAMPLES[::-1])
    ordered = dock_density(TIMES_S, SAMPLES)
    assert shuffled.density_t_m3 == pytest.approx(ordered.density_t_m3, abs=1e-15)
    assert shuffled.u_t_m3 == pytest.approx(ordered.u_t_m3, rel=1e-12)
    assert (shuffled.start_s, shuffled.end_s) == (1.7e9, 1.7e9 + 380.0)


def test_one_sample_is_not_a_figure():
    result = dock_density([12.0], [1.0240])
    assert result.count == 1 and result.density_t_m3 == 1.0240
    assert result.std_t_m3 == 0.0 and result.u_type_a_t_m3 == 0.0
    assert result.u_t_m3 == pytest.approx(0.0005 / math.sqrt(12))
    assert not result.fit
    assert result.reasons == ("1 density sample, fewer than the 2 required; sample at several depths",)
    assert dock_density([12.0], [1.0240], min_samples=1).fit


def test_a_wide_spread_is_flagged_as_stratified_or_mixed_water():
    # fresher water on top near a river mouth: 1.0150 at 1 m, 1.0230 at half draft, 1.0240 near the keel
    result = dock_density([0, 60, 120], [1.0150, 1.0230, 1.0240])
    assert result.spread_t_m3 == pytest.approx(0.0090, abs=1e-12)
    assert result.density_t_m3 == pytest.approx(3.0620 / 3, abs=1e-12)
    assert not result.fit
    (reason,) = result.reasons
    assert reason.startswith("density samples spread 0.0090 t/m³ (max − min), above the limit 0.0030 t/m³")
    assert "stratified" in reason and "different waters" in reason and "several depths" in reason
    # the limit is the caller's to set, and exactly at it is still fit
    assert dock_density([0, 60], [1.0200, 1.0230], max_spread_t_m3=0.003).fit
    assert not dock_density([0, 60], [1.0200, 1.0230], max_spread_t_m3=0.002).fit


def test_both_reasons_together():
    result = dock_density([0, 1], [1.000, 1.020], min_samples=3)
    assert len(result.reasons) == 2 and not result.fit
    assert result.reasons[0].startswith("2 density samples, fewer than the 3 required")


BAD_SAMPLES = [
    BadInput("survey calculator", "no density samples", "dock_density([], [])", "no density samples"),
    BadInput("survey calculator", "more sample times than densities", "dock_density([0, 1], [1.02])", "2 times but 1 densities"),
    BadInput("survey calculator", "density sample of nan", "dock_density([0, 1, 2], [1.021, math.nan, 1.022])", "sample 1: density nan is not a finite number"),
    BadInput("survey calculator", "density sample time of inf", "dock_density([0, math.inf], [1.021, 1.022])", "sample 1: time inf s is not a finite number"),
    BadInput("survey calculator", "density sample in kg/m3", "dock_density([0, 1, 2], [1.021, 1023.0, 1.022])",
             "sample 1: density 1023.0 t/m³ is not a dock water density (expected 0.990 to 1.040 t/m³); it looks like kg/m³: enter 1.0230 t/m³"),
    BadInput("survey calculator", "density sample too light for dock water", "dock_density([0, 1], [1.021, 0.95])",
             "sample 1: density 0.95 t/m³ is not a dock water density (expected 0.990 to 1.040 t/m³)"),
    BadInput("survey calculator", "density sample too dense for dock water", "dock_density([0, 1], [1.045, 1.02])", "sample 0: density 1.045 t/m³ is not a dock water density"),
    BadInput("survey calculator", "density samples in two dimensions", "dock_density([[0, 1]], [[1.02, 1.02]])", "one-dimensional"),
    BadInput("survey calculator", "density samples as text", 'dock_density([0, 1], ["1.02", "x"])', "not numbers"),
]
# (times, densities, the quantity refused, whether the message ends with the expected part)
_SAMPLE_EDITS = [
    ([], [], "densities_t_m3", False),
    ([0, 1], [1.02], "densities_t_m3", False),
    ([0, 1, 2], [1.021, math.nan, 1.022], "densities_t_m3", False),
    ([0, math.inf], [1.021, 1.022], "times_s", False),
    ([0, 1, 2], [1.021, 1023.0, 1.022], "densities_t_m3", False),
    ([0, 1], [1.021, 0.95], "densities_t_m3", True),
    ([0, 1], [1.045, 1.02], "densities_t_m3", False),
    ([[0, 1]], [[1.02, 1.02]], "densities_t_m3", False),
    ([0, 1], ["1.02", "x"], "densities_t_m3", False),
]


@pytest.mark.parametrize(("case", "edit"), list(zip(BAD_SAMPLES, _SAMPLE_EDITS, strict=True)), ids=ids(BAD_SAMPLES))
def test_bad_samples_are_refused_naming_the_sample(case, edit):
    times, densities, quantity, at_the_end = edit
    with pytest.raises(DockDensityError, match=re.escape(case.expected_message_part) + ("$" if at_the_end else "")) as refused:
        dock_density(times, densities)
    assert refused.value.quantity == quantity
    assert isinstance(refused.value, QuantityError) and isinstance(refused.value, ValueError)


BAD_LIMITS = [
    BadInput("survey calculator", "density resolution of zero", "dock_density(…, resolution_t_m3=0.0)", "resolution_t_m3 = 0.0 is not a positive finite number"),
    BadInput("survey calculator", "density resolution of nan", "dock_density(…, resolution_t_m3=math.nan)", "resolution_t_m3 = nan"),
    BadInput("survey calculator", "negative density spread limit", "dock_density(…, max_spread_t_m3=-0.001)", "max_spread_t_m3 = -0.001 is not a non-negative finite number"),
    BadInput("survey calculator", "no density samples required", "dock_density(…, min_samples=0)", "min_samples = 0 is not a positive whole number"),
    BadInput("survey calculator", "fractional density samples required", "dock_density(…, min_samples=2.5)", "min_samples = 2.5 is not a positive whole number"),
]
_LIMITS = [{"resolution_t_m3": 0.0}, {"resolution_t_m3": math.nan}, {"max_spread_t_m3": -0.001}, {"min_samples": 0}, {"min_samples": 2.5}]


@pytest.mark.parametrize(("case", "options"), list(zip(BAD_LIMITS, _LIMITS, strict=True)), ids=ids(BAD_LIMITS))
def test_bad_limits_are_refused(case, options):
    with pytest.raises(DockDensityError, match=re.escape(case.expected_message_part)):
        dock_density(TIMES_S, SAMPLES, **options)


def test_the_uncertainty_feeds_the_survey_s_density():
    # what a survey's density is worth in cargo: u × the trim-corrected displacement / the table density
    result = dock_density(TIMES_S, SAMPLES)
    assert result.u_t_m3 * 106_330.7 / 1.025 == pytest.approx(21.87, abs=0.01)  # tonnes, on a loaded Panamax


BAD_INPUTS = [*BAD_SAMPLES, *BAD_LIMITS]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
