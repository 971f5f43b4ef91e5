"""One draft mark's observed time series (drone, camera or sensor) to the mark's draft reading: the mean
over whole wave periods, the spread, the standard uncertainty, and whether the reading is fit to be a
figure or only a preliminary reading (issue 16, the pure calculation; no files, no sessions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calculators.quantity_error import QuantityError

FloatArray = npt.NDArray[np.float64]

PRELIMINARY = "preliminary reading, not a figure"
"""What an unfit reading is: it may be shown, never entered into the survey as the mark's draft."""

FIGURE = "figure"
"""What a fit reading is: the mark's draft for the survey."""


class WaveSeriesError(QuantityError):
    """A mark's series the calculator cannot use (times not increasing, lengths differing, NaN or inf,
    too few samples, a limit that is not a number); the message names the mark."""


@dataclass(frozen=True)
class WaveMean:
    """The draft reading of one mark from its observed series.

    Attributes
    ----------
    mark : str
        The mark the series is of (``"FP"``, ``"AS"`` …).
    draft_m : float
        Mean draft over the whole wave periods used [m], time-weighted (trapezoidal). For a calm
        series (no crest or trough beyond the hysteresis) the time-weighted mean of the whole series.
    pairs : int
        Crest/trough pairs (whole wave periods) averaged [-].
    spread_m : float
        Mean crest − mean trough of the periods used [m]; for a calm series, max − min of the series.
    period_means_m : tuple of float
        Mean draft of each whole period [m].
    start_s, end_s : float
        Where the averaged span starts and ends [s], on the times' own scale.
    min_samples_per_period : int
        Fewest samples in any period used [-]; 0 for a calm series or when no whole period was found.
    u_type_a_m : float
        Type A standard uncertainty of the mean, s(period means)/√n [m]; 0 with fewer than two periods.
    u_resolution_m : float
        Reading resolution as a rectangular distribution, resolution/√12 [m].
    u_m : float
        Standard uncertainty of ``draft_m``, the two in quadrature [m]; never below ``u_resolution_m``.
    calm : bool
        No crest or trough beyond the hysteresis: there was no wave to average out.
    fit : bool
        True when no reason makes the reading unfit.
    reasons : tuple of str
        Why the reading is unfit, each naming the mark and the value against its limit; empty when fit.
    """

    mark: str
    draft_m: float
    pairs: int
    spread_m: float
    period_means_m: tuple[float, ...]
    start_s: float
    end_s: float
    min_samples_per_period: int
    u_type_a_m: float
    u_resolution_m: float
    u_m: float
    calm: bool
    fit: bool
    reasons: tuple[str, ...]

    @property
    def status(self) -> str:
        """``"figure"`` when fit, else ``"preliminary reading, not a figure"``."""
        return FIGURE if self.fit else PRELIMINARY


def _refuse(mark: str, quantity: str, message: str) -> WaveSeriesError:
    return WaveSeriesError(quantity, f"mark {mark}: {message}")


def _checked_series(times_s: npt.ArrayLike, drafts_m: npt.ArrayLike, mark: str) -> tuple[FloatArray, FloatArray]:
    try:
        t = np.asarray(times_s, dtype=np.float64)
        d = np.asarray(drafts_m, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise _refuse(mark, "drafts_m", f"the series is not numbers ({error})") from None
    if t.ndim != 1 or d.ndim != 1:
        raise _refuse(mark, "times_s", "times and drafts must each be one-dimensional series")
    if t.shape != d.shape:
        raise _refuse(mark, "drafts_m", f"{t.size} times but {d.size} drafts; the series must be of equal length")
    if t.size < 3:
        raise _refuse(mark, "drafts_m", f"{t.size} samples; at least 3 are needed")
    if not np.all(np.isfinite(t)):
        raise _refuse(mark, "times_s", f"a time is NaN or infinite (sample {int(np.flatnonzero(~np.isfinite(t))[0])})")
    if not np.all(np.isfinite(d)):
        raise _refuse(mark, "drafts_m", f"a draft is NaN or infinite (sample {int(np.flatnonzero(~np.isfinite(d))[0])})")
    steps = np.diff(t)
    if np.any(steps <= 0.0):
        i = int(np.flatnonzero(steps <= 0.0)[0])
        raise _refuse(mark, "times_s", f"times are not strictly increasing (sample {i + 1}: {float(t[i + 1])!r} s after {float(t[i])!r} s)")
    return t, d


def _check_limit(mark: str, name: str, value: float, *, positive: bool) -> None:
    if not math.isfinite(value) or value < 0.0 or (positive and value == 0.0):
        raise _refuse(mark, name, f"{name} = {value!r} is not a {'positive' if positive else 'non-negative'} finite number")


def extremes(drafts_m: FloatArray, hysteresis_m: float) -> list[tuple[int, int]]:
    """Crests and troughs of a series, with a hysteresis.

    A crest is kept only once the series has fallen more than ``hysteresis_m`` below it, a trough only
    once it has risen more than ``hysteresis_m`` above it, so crests and troughs alternate and noise
    whose peak-to-peak is below the hysteresis makes no extreme. The ends of the series are not extremes.

    Parameters
    ----------
    drafts_m : numpy.ndarray
        The series [m].
    hysteresis_m : float
        Reversal an extreme needs on both sides [m].

    Returns
    -------
    list of (int, int)
        (index, +1 for a crest or −1 for a trough), in time order.

    References
    ----------
    Surveyors' practice (read the draft at the top and the bottom of each wave); the detection is the
    usual peak detection with a reversal threshold.
    """
    found: list[tuple[int, int]] = []
    hi = lo = 0
    look = 0  # 0 until the series first moves by the hysteresis, then +1 seeking a crest, -1 a trough
    for i in range(1, drafts_m.size):
        x = drafts_m[i]
        if look == 0:
            if x > drafts_m[hi]:
                hi = i
            if x < drafts_m[lo]:
                lo = i
            if drafts_m[hi] - drafts_m[lo] > hysteresis_m:
                look = 1 if hi > lo else -1
        elif look == 1:
            if x > drafts_m[hi]:
                hi = i
            elif x < drafts_m[hi] - hysteresis_m:
                found.append((hi, 1))
                look, lo = -1, i
        else:
            if x < drafts_m[lo]:
                lo = i
            elif x > drafts_m[lo] + hysteresis_m:
                found.append((lo, -1))
                look, hi = 1, i
    return found


def _crossing(t: FloatArray, d: FloatArray, a: int, b: int) -> float:
    """Time the series first crosses the level halfway between the extremes at ``a`` and ``b`` (a < b)."""
    level = 0.5 * (d[a] + d[b])
    segment = d[a : b + 1]
    beyond = segment >= level if d[b] > d[a] else segment <= level
    j = a + int(np.argmax(beyond[1:]))  # the last sample before the crossing
    return float(t[j] + (level - d[j]) / (d[j + 1] - d[j]) * (t[j + 1] - t[j]))


def _integral(t: FloatArray, d: FloatArray, start: float, end: float) -> float:
    """Trapezoidal integral of the sampled series from ``start`` to ``end`` [m·s], interpolating at the ends."""
    inside = (t > start) & (t < end)
    tt = np.concatenate(([start], t[inside], [end]))
    dd = np.concatenate(([np.interp(start, t, d)], d[inside], [np.interp(end, t, d)]))
    return float(np.sum(0.5 * (dd[1:] + dd[:-1]) * np.diff(tt)))


def wave_mean(
    times_s: npt.ArrayLike,
    drafts_m: npt.ArrayLike,
    *,
    mark: str,
    min_pairs: int = 6,
    resolution_m: float = 0.01,
    hysteresis_m: float | None = None,
    max_spread_m: float = 0.5,
    min_samples_per_period: int = 10,
    list_deg: float | None = None,
    max_list_deg: float = 0.5,
    min_record_s: float = 0.0,
    min_wave_period_s: float = 0.0,
) -> WaveMean:
    """A draft mark's reading from its observed time series: the mean over whole wave periods.

    Crests and troughs are found with a hysteresis (:func:`extremes`). Between each crest and the next
    trough (and each trough and the next crest) the series crosses the level halfway between them; the
    averaged span runs from the first to the last crossing of the same direction (down-crossings or
    up-crossings, whichever give more periods), so it holds a whole number of periods, each with one
    crest and one trough, and no half period. The periods are cut at these crossings rather than at
    the crests themselves: there the series is steep and close to its mean, so where sampling or noise
    puts the cut changes the mean to second order only, where a cut at a flat crest would move it to
    first order. The mean is time-weighted (trapezoidal), so uneven sampling does not bias it.

    Parameters
    ----------
    times_s : array_like
        Sample times [s], strictly increasing; any origin.
    drafts_m : array_like
        Draft read at the mark at those times [m].
    mark : str
        The mark's name; every message and reason names it.
    min_pairs : int, default 6
        Fewest crest/trough pairs for a figure [-] (surveyors take at least six pairs).
    resolution_m : float, default 0.01
        Reading resolution [m] (marks are read to 1 cm); gives the uncertainty floor resolution/√12.
    hysteresis_m : float, optional
        Reversal a crest or trough needs [m]; default ``resolution_m``, so noise below the resolution
        makes no extreme. Raise it for a noisy sensor.
    max_spread_m : float, default 0.5
        Largest mean crest − mean trough for a figure [m]; above it the sea is too rough (a choice of
        this module, not a standard's limit).
    min_samples_per_period : int, default 10
        Fewest samples in any period used for a figure [-] (a choice of this module: fewer do not
        resolve the crest and the trough).
    list_deg : float, optional
        The vessel's list during the observation [°], when known.
    max_list_deg : float, default 0.5
        Largest list for a figure [°] (the Code's vessel acceptance conditions: the list must not
        exceed ½°).
    min_record_s : float, default 0
        Shortest series, first to last sample, for a figure [s]; 0: no limit.
    min_wave_period_s : float, default 0
        Shortest mean period of the whole periods averaged, for a figure [s]: a ship follows waves of
        seconds, so a shorter "wave" is a series squeezed in time, or noise; 0: no limit.

    Returns
    -------
    WaveMean
        The reading, its spread and uncertainty, and the verdict with its reasons.

    Raises
    ------
    WaveSeriesError
        (a :class:`~calculators.quantity_error.QuantityError`) for lengths differing, fewer than 3
        samples, NaN or inf, times not strictly increasing, or a limit that is not a usable number.

    Notes
    -----
    u_A = s(m_1 … m_n)/√n from the n period means (GUM 4.2.3; the periods are taken as independent
    observations, and the mean as their plain mean, which the time-weighted mean equals for periods of
    equal length); u_res = resolution/√12, a rectangular distribution of full width one resolution
    step (GUM 4.3.7, F.2.2.1); u = √(u_A² + u_res²). A series with no crest or trough beyond the
    hysteresis is calm: its reading is the mean of the whole series and u_A = s(samples)/√N.

    References
    ----------
    .. [1] UN/ECE, Code of Uniform Standards and Procedures for the Performance of Draught Surveys of
       Coal Cargoes, ECE/ENERGY/19 (1992): the draught marks are read and the vessel's list limited;
       the mean over crest/trough pairs and the six pairs are surveyors' practice.
    .. [2] JCGM 100:2008, Evaluation of measurement data — Guide to the expression of uncertainty in
       measurement (GUM), 4.2.3, 4.3.7, F.2.2.1.
    """
    t, d = _checked_series(times_s, drafts_m, mark)
    if isinstance(min_pairs, bool) or not isinstance(min_pairs, int) or min_pairs < 1:
        raise _refuse(mark, "min_pairs", f"min_pairs = {min_pairs!r} is not a positive whole number")
    if isinstance(min_samples_per_period, bool) or not isinstance(min_samples_per_period, int) or min_samples_per_period < 1:
        raise _refuse(mark, "min_samples_per_period", f"min_samples_per_period = {min_samples_per_period!r} is not a positive whole number")
    _check_limit(mark, "resolution_m", resolution_m, positive=True)
    hysteresis = resolution_m if hysteresis_m is None else hysteresis_m
    _check_limit(mark, "hysteresis_m", hysteresis, positive=False)
    _check_limit(mark, "max_spread_m", max_spread_m, positive=True)
    _check_limit(mark, "max_list_deg", max_list_deg, positive=False)
    _check_limit(mark, "min_record_s", min_record_s, positive=False)
    _check_limit(mark, "min_wave_period_s", min_wave_period_s, positive=False)
    if list_deg is not None and not math.isfinite(list_deg):
        raise _refuse(mark, "list_deg", f"list_deg = {list_deg!r} is not a finite number")

    u_res = resolution_m / math.sqrt(12.0)
    reasons: list[str] = []
    found = extremes(d, hysteresis)
    calm = not found
    ups = [_crossing(t, d, a, b) for (a, ka), (b, _) in zip(found, found[1:], strict=False) if ka == -1]
    downs = [_crossing(t, d, a, b) for (a, ka), (b, _) in zip(found, found[1:], strict=False) if ka == 1]
    cuts = downs if len(downs) > len(ups) else ups

    if len(cuts) >= 2:
        start, end = cuts[0], cuts[-1]
        means = np.array([_integral(t, d, a, b) / (b - a) for a, b in zip(cuts, cuts[1:], strict=False)])
        draft = _integral(t, d, start, end) / (end - start)
        pairs = int(means.size)
        kept = [(d[i], kind) for i, kind in found if start < t[i] < end]
        spread = float(np.mean([x for x, kind in kept if kind == 1]) - np.mean([x for x, kind in kept if kind == -1]))
        u_a = float(np.std(means, ddof=1) / math.sqrt(pairs)) if pairs >= 2 else 0.0
        counts = [int(np.count_nonzero((t >= a) & (t < b))) for a, b in zip(cuts, cuts[1:], strict=False)]
        fewest = min(counts)
        period_means = tuple(float(m) for m in means)
    else:
        start, end = float(t[0]), float(t[-1])
        draft = _integral(t, d, start, end) / (end - start)
        pairs, fewest, period_means = 0, 0, ()
        spread = float(np.max(d) - np.min(d))
        u_a = float(np.std(d, ddof=1) / math.sqrt(d.size))
        if not calm:
            reasons.append(f"mark {mark}: no whole wave period in the series ({len(found)} crests and troughs)")

    if not calm:
        if pairs < min_pairs:
            reasons.append(f"mark {mark}: {pairs} crest/trough pairs, fewer than the {min_pairs} required")
        if pairs and fewest < min_samples_per_period:
            reasons.append(f"mark {mark}: {fewest} samples in a wave period, fewer than the {min_samples_per_period} required")
    if spread > max_spread_m:
        reasons.append(f"mark {mark}: spread {spread:.3f} m above the limit {max_spread_m:.3f} m (rough sea)")
    if list_deg is not None and abs(list_deg) > max_list_deg:
        reasons.append(f"mark {mark}: list {abs(list_deg):.2f}° above the limit {max_list_deg:.2f}°")
    record_s = float(t[-1] - t[0])
    if record_s < min_record_s:
        reasons.append(f"mark {mark}: observed for {record_s:.1f} s, less than the {min_record_s:g} s required")
    if pairs and (end - start) / pairs < min_wave_period_s:
        reasons.append(
            f"mark {mark}: mean wave period {(end - start) / pairs:.2f} s, shorter than the {min_wave_period_s:g} s a wave a ship follows lasts at least"
        )

    return WaveMean(
        mark=mark,
        draft_m=float(draft),
        pairs=pairs,
        spread_m=spread,
        period_means_m=period_means,
        start_s=float(start),
        end_s=float(end),
        min_samples_per_period=fewest,
        u_type_a_m=u_a,
        u_resolution_m=u_res,
        u_m=math.hypot(u_a, u_res),
        calm=calm,
        fit=not reasons,
        reasons=tuple(reasons),
    )


__all__ = [
    "FIGURE",
    "PRELIMINARY",
    "WaveMean",
    "WaveSeriesError",
    "extremes",
    "wave_mean",
]
