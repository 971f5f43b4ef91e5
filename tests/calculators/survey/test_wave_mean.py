"""A draft mark's observed series to its reading: the mean over whole wave periods, the spread, the
uncertainty (type A against a Monte Carlo check) and the verdict; bad series refused naming the mark."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bad_inputs import BadInput, ids
from calculators.quantity_error import QuantityError
from calculators.survey.wave_mean import PRELIMINARY, WaveSeriesError, extremes, wave_mean

MEAN_M = 10.000
AMPLITUDE_M = 0.15
PERIOD_S = 8.0
FLOOR_M = 0.01 / math.sqrt(12.0)


def swell(times_s, amplitude_m=AMPLITUDE_M):
    return MEAN_M + amplitude_m * np.sin(2.0 * np.pi * np.asarray(times_s) / PERIOD_S)


# 80 s at 5 Hz (ten periods) plus half a period (4 s) more: 0, 0.2, …, 84 s
TIMES = np.round(np.arange(0.0, 84.0 + 1e-9, 0.2), 10)


def test_the_mean_covers_whole_periods_only_and_is_unbiased_where_the_raw_mean_is_not():
    drafts = swell(TIMES)
    reading = wave_mean(TIMES, drafts, mark="FP")
    raw = np.sum(0.5 * (drafts[1:] + drafts[:-1]) * np.diff(TIMES)) / (TIMES[-1] - TIMES[0])
    # the extra half period is a positive half-wave: 0.15 m × 4 s × 2/π over 84 s ≈ +4.5 mm
    assert raw - MEAN_M == pytest.approx(0.15 * 4.0 * 2.0 / math.pi / 84.0, rel=5e-3)
    assert abs(raw - MEAN_M) > 4e-3
    assert reading.draft_m == pytest.approx(MEAN_M, abs=1e-4)
    # cut at the up-crossings between trough and crest: 8 s … 80 s, nine whole periods
    assert (reading.start_s, reading.end_s) == pytest.approx((8.0, 80.0), abs=1e-9)
    assert (reading.end_s - reading.start_s) / PERIOD_S == pytest.approx(9.0, abs=1e-9)
    assert reading.pairs == 9 and len(reading.period_means_m) == 9
    assert reading.period_means_m == pytest.approx([MEAN_M] * 9, abs=1e-9)
    assert reading.spread_m == pytest.approx(0.30, abs=1e-9)
    assert reading.min_samples_per_period == 40
    assert reading.fit and reading.reasons == () and reading.status == "figure"
    assert not reading.calm


def test_the_crests_and_troughs_alternate_at_the_sine_s_extremes():
    found = extremes(swell(TIMES), 0.01)
    assert [kind for _, kind in found] == [1, -1] * 10 + [1]
    assert [TIMES[i] for i, kind in found if kind == 1] == pytest.approx([2.0 + 8.0 * k for k in range(11)])
    assert [TIMES[i] for i, kind in found if kind == -1] == pytest.approx([6.0 + 8.0 * k for k in range(10)])


def test_uneven_sampling_gives_the_same_mean():
    rng = np.random.default_rng(16)
    times = TIMES + rng.uniform(-0.08, 0.08, TIMES.size)
    even = wave_mean(TIMES, swell(TIMES), mark="FP")
    uneven = wave_mean(times, swell(times), mark="FP")
    assert uneven.draft_m == pytest.approx(MEAN_M, abs=1e-4)
    assert uneven.draft_m == pytest.approx(even.draft_m, abs=1e-4)
    assert uneven.pairs == even.pairs
    assert uneven.spread_m == pytest.approx(0.30, abs=2e-3)


def test_noise_below_the_resolution_adds_no_extreme():
    rng = np.random.default_rng(7)
    noisy = swell(TIMES) + rng.uniform(-0.0045, 0.0045, TIMES.size)  # peak-to-peak 9 mm < 1 cm
    assert len(extremes(noisy, 0.01)) == len(extremes(swell(TIMES), 0.01)) == 21
    assert len(extremes(noisy, 0.0)) > 30  # without the hysteresis the noise makes false extremes
    reading = wave_mean(TIMES, noisy, mark="FP")
    assert reading.pairs == 9
    assert reading.draft_m == pytest.approx(MEAN_M, abs=1e-3)


def test_fewer_than_six_pairs_is_a_preliminary_reading():
    times = TIMES[TIMES <= 40.0]  # five periods recorded, four whole ones between up-crossings
    reading = wave_mean(times, swell(times), mark="AS")
    assert reading.pairs == 4
    assert reading.draft_m == pytest.approx(MEAN_M, abs=1e-4)
    assert not reading.fit and reading.status == PRELIMINARY == "preliminary reading, not a figure"
    assert reading.reasons == ("mark AS: 4 crest/trough pairs, fewer than the 6 required",)
    assert wave_mean(times, swell(times), mark="AS", min_pairs=4).fit


def test_a_rough_sea_is_a_preliminary_reading():
    reading = wave_mean(TIMES, swell(TIMES, amplitude_m=0.40), mark="MP")
    assert reading.spread_m == pytest.approx(0.80, abs=1e-9)
    assert reading.draft_m == pytest.approx(MEAN_M, abs=1e-4)
    assert not reading.fit
    assert reading.reasons == ("mark MP: spread 0.800 m above the limit 0.500 m (rough sea)",)
    assert wave_mean(TIMES, swell(TIMES, amplitude_m=0.40), mark="MP", max_spread_m=1.0).fit


def test_too_few_samples_per_period_and_too_much_list_are_named():
    times = np.arange(0.0, 84.0 + 1e-9, 1.0)  # 1 Hz: 8 samples a period
    reading = wave_mean(times, swell(times), mark="FS", list_deg=-0.8)
    assert reading.min_samples_per_period == 8
    assert reading.reasons == (
        "mark FS: 8 samples in a wave period, fewer than the 10 required",
        "mark FS: list 0.80° above the limit 0.50°",
    )
    assert wave_mean(times, swell(times), mark="FS", min_samples_per_period=8, list_deg=0.3).fit


def test_a_record_too_short_and_waves_too_quick_are_named():
    """The 84 s swell of 8 s periods, told that marks need 90 s and waves at least 9 s (both off by default)."""
    assert wave_mean(TIMES, swell(TIMES), mark="MP").fit
    reading = wave_mean(TIMES, swell(TIMES), mark="MP", min_record_s=90.0, min_wave_period_s=9.0)
    period = (reading.end_s - reading.start_s) / reading.pairs
    assert period == pytest.approx(PERIOD_S, abs=0.01)
    assert reading.reasons == (
        "mark MP: observed for 84.0 s, less than the 90 s required",
        f"mark MP: mean wave period {period:.2f} s, shorter than the 9 s a wave a ship follows lasts at least",
    )
    assert reading.status == PRELIMINARY


def test_a_calm_series_is_read_as_its_mean():
    times = np.arange(0.0, 60.0, 0.5)
    drafts = np.full(times.size, 7.42)
    drafts[::3] += 0.004  # flicker below the resolution
    reading = wave_mean(times, drafts, mark="AP")
    assert reading.calm and reading.fit and reading.pairs == 0
    assert reading.draft_m == pytest.approx(7.42 + 0.004 / 3.0, abs=1e-4)
    assert reading.spread_m == pytest.approx(0.004, abs=1e-12)


def test_a_series_with_waves_but_no_whole_period_is_preliminary():
    times = TIMES[TIMES <= 9.0]  # crest 2 s, trough 6 s: one crossing of each kind
    reading = wave_mean(times, swell(times), mark="FP")
    assert reading.pairs == 0 and not reading.fit
    assert reading.reasons[0] == "mark FP: no whole wave period in the series (2 crests and troughs)"


@pytest.mark.parametrize("amplitude_m", [0.0, 0.15, 0.40])
def test_the_uncertainty_is_never_below_the_resolution_floor(amplitude_m):
    reading = wave_mean(TIMES, swell(TIMES, amplitude_m), mark="FP")
    assert reading.u_resolution_m == pytest.approx(FLOOR_M, rel=1e-12)
    assert reading.u_m >= FLOOR_M
    assert reading.u_m == pytest.approx(math.hypot(reading.u_type_a_m, FLOOR_M), rel=1e-12)


def test_the_uncertainty_of_a_clean_sine_is_the_resolution_floor():
    reading = wave_mean(TIMES, swell(TIMES), mark="FP")
    assert reading.u_type_a_m == pytest.approx(0.0, abs=1e-12)
    assert reading.u_m == pytest.approx(FLOOR_M, rel=1e-9)


def test_the_type_a_uncertainty_agrees_with_a_monte_carlo_check():
    # JCGM 101 style: many realisations of the swell with white sensor noise; the spread of their
    # means is what the type A uncertainty of one realisation estimates.
    rng = np.random.default_rng(101)
    sigma = 0.01
    means, u_a = [], []
    for _ in range(400):
        drafts = swell(TIMES) + rng.normal(0.0, sigma, TIMES.size)
        reading = wave_mean(TIMES, drafts, mark="FP", hysteresis_m=0.1)
        assert reading.pairs == 9
        means.append(reading.draft_m)
        u_a.append(reading.u_type_a_m)
    monte_carlo = float(np.std(means, ddof=1))
    assert monte_carlo == pytest.approx(sigma / math.sqrt(360), rel=0.15)  # ≈ σ/√(samples averaged)
    assert math.sqrt(float(np.mean(np.square(u_a)))) == pytest.approx(monte_carlo, rel=0.15)
    assert float(np.mean(means)) == pytest.approx(MEAN_M, abs=3 * monte_carlo / math.sqrt(400))


BAD_SERIES = [
    BadInput("survey calculator", "wave series time repeated", "times_s = [0.0, 1.0, 1.0, 2.0]", "mark FP: times are not strictly increasing (sample 2: 1.0 s after 1.0 s)"),
    BadInput("survey calculator", "wave series time going back", "times_s = [0.0, 2.0, 1.0, 3.0]", "mark FP: times are not strictly increasing (sample 2: 1.0 s after 2.0 s)"),
    BadInput("survey calculator", "wave series of unequal lengths", "times_s = [0.0, 1.0, 2.0, 3.0], drafts_m = [5.0, 5.1, 5.0]",
             "mark FP: 4 times but 3 drafts; the series must be of equal length"),
    BadInput("survey calculator", "wave series draft of nan", 'drafts_m = [5.0, float("nan"), 5.0]', "mark FP: a draft is NaN or infinite (sample 1)"),
    BadInput("survey calculator", "wave series draft of inf", 'drafts_m = [5.0, float("inf"), 5.0]', "mark FP: a draft is NaN or infinite (sample 1)"),
    BadInput("survey calculator", "wave series time of nan", 'times_s = [0.0, float("nan"), 2.0]', "mark FP: a time is NaN or infinite (sample 1)"),
    BadInput("survey calculator", "wave series of two samples", "times_s = [0.0, 1.0], drafts_m = [5.0, 5.1]", "mark FP: 2 samples; at least 3 are needed"),
]
# (times, drafts given to wave_mean(times, drafts, mark="FP"), the quantity refused)
_SERIES = [
    ([0.0, 1.0, 1.0, 2.0], [5.0, 5.1, 5.0, 4.9], "times_s"),
    ([0.0, 2.0, 1.0, 3.0], [5.0, 5.1, 5.0, 4.9], "times_s"),
    ([0.0, 1.0, 2.0, 3.0], [5.0, 5.1, 5.0], "drafts_m"),
    ([0.0, 1.0, 2.0], [5.0, float("nan"), 5.0], "drafts_m"),
    ([0.0, 1.0, 2.0], [5.0, float("inf"), 5.0], "drafts_m"),
    ([0.0, float("nan"), 2.0], [5.0, 5.1, 5.0], "times_s"),
    ([0.0, 1.0], [5.0, 5.1], "drafts_m"),
]


@pytest.mark.parametrize(("case", "series"), list(zip(BAD_SERIES, _SERIES, strict=True)), ids=ids(BAD_SERIES))
def test_a_bad_series_is_refused_naming_the_mark(case, series):
    times, drafts, quantity = series
    with pytest.raises(WaveSeriesError) as caught:
        wave_mean(times, drafts, mark="FP")
    assert isinstance(caught.value, QuantityError)
    assert caught.value.quantity == quantity
    assert str(caught.value) == case.expected_message_part


BAD_WAVE_LIMITS = [
    BadInput("survey calculator", "wave reading resolution of zero", 'wave_mean(…, mark="FP", resolution_m=0.0)', "mark FP: resolution_m = 0.0 is not a positive finite number"),
    BadInput("survey calculator", "no wave pairs required", 'wave_mean(…, mark="FP", min_pairs=0)', "mark FP: min_pairs = 0 is not a positive whole number"),
    BadInput("survey calculator", "wave spread limit of nan", 'wave_mean(…, mark="FP", max_spread_m=float("nan"))', "mark FP: max_spread_m = nan is not a positive finite number"),
    BadInput("survey calculator", "negative wave hysteresis", 'wave_mean(…, mark="FP", hysteresis_m=-0.01)', "mark FP: hysteresis_m = -0.01 is not a non-negative finite number"),
]
_WAVE_LIMITS = [{"resolution_m": 0.0}, {"min_pairs": 0}, {"max_spread_m": float("nan")}, {"hysteresis_m": -0.01}]


@pytest.mark.parametrize(("case", "option"), list(zip(BAD_WAVE_LIMITS, _WAVE_LIMITS, strict=True)), ids=ids(BAD_WAVE_LIMITS))
def test_an_unusable_limit_is_refused(case, option):
    message = case.expected_message_part
    with pytest.raises(WaveSeriesError, match="^" + message.replace(".", r"\.") + "$"):
        wave_mean(TIMES, swell(TIMES), mark="FP", **option)


BAD_INPUTS = [*BAD_SERIES, *BAD_WAVE_LIMITS]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
