"""Belt-scale drift: each belt scale against the draft surveys of the lots it moved, over time.

For every lot a belt scale moved that was also draft-surveyed, the pair (scale total, survey figure)
gives a relative difference

    d_i = 100 · (scale_i − survey_i) / survey_i   [%]

and the paired comparison of the most recent n lots tests the scale's bias: the mean d̄, the standard
deviation s, the standard error s/√n, Student's t = d̄ / (s/√n) with n − 1 degrees of freedom, its
two-sided p, and the confidence interval d̄ ± t_(1−α/2, n−1) · s/√n for the bias. The scale's class
enters through its maximum permissible error (:func:`calculators.blending.belt_scale_class.mpe_pct`):

* ``drifted``: the whole confidence interval lies beyond ±MPE (below −MPE or above +MPE): at the stated
  confidence the scale's bias is larger than its class permits;
* ``within_class``: the whole interval lies inside [−MPE, +MPE];
* ``undetermined``: the interval straddles ±MPE: the pairs cannot tell yet;
* ``insufficient``: fewer than :data:`MIN_PAIRS` pairs.

The precision is checked too: s is set against what the class and the surveys explain,
σ_exp = √(mean_i(u_scale,i² + u_survey,i²)) with u_scale = MPE/√3 (the class as a rectangular
distribution, JCGM 100 4.3.7, as :func:`~calculators.blending.belt_scale_class.standard_uncertainty_t`
takes it) and u_survey,i the survey's own standard uncertainty relative to its figure. The one-sided
χ² test (n − 1)s²/σ_exp² > χ²_(1−α, n−1) says the differences scatter more than that (``excess``);
otherwise ``explained``. Taking the whole MPE as random scatter per lot is generous to the scale (part of
a scale's error is a bias common to every lot), so ``excess`` is a strong signal and ``explained`` a weak one.

Choices of bulkdaq, not of a standard
-------------------------------------
* **At least 5 pairs** (:data:`MIN_PAIRS`). With n pairs, s has n − 1 degrees of freedom; below 5 the
  critical t at 95 % is 3.18 (n = 4), 4.30 (n = 3), 12.71 (n = 2), so the interval is too wide to say
  anything a customs officer can act on, and s itself is uncertain by about 1/√(2(n − 1)) of its value
  (50 % at n = 3, 35 % at n = 5, 24 % at n = 10; JCGM 100 Table E.1 tabulates the exact figures, of
  which only "about 13 % at n = 30", quoted in G.1.2, was read here). Five is where both start to
  settle (t = 2.78, falling to 2.26 at n = 10). It is a floor for a verdict, not
  a recommended sample: ISO 3086 and ISO 12745 set their own numbers of pairs, which could not be read
  here (below).
* **Relative differences** (%), because the class's MPE is a percentage of the totalized load and lots
  of different sizes are then comparable; the survey figure is the reference, as ISO 12745's scope
  describes a static or draft-survey figure checking a dynamic one (not verified beyond its contents).
* **Unweighted**: every lot counts once, as in a plain paired comparison (ISO 3301).
* **Verdict in three ways, not a single t-test against zero**: a scale is allowed a bias up to its MPE, so
  "bias ≠ 0" (the p of the t-test) is shown but decides nothing; the verdict compares the confidence
  interval with ±MPE (an equivalence-style reading of the same interval).
* The surveys' common systematic errors (the same hydrostatic tables, the same dock-water density
  practice) do not average out over pairs; the interval covers only what scatters from lot to lot.

Student's t and χ² without scipy
--------------------------------
scipy is not a dependency of bulkdaq. The distribution functions are the exact finite series for an
integer number of degrees of freedom ν (Abramowitz & Stegun 26.7.3 and 26.7.4 for Student's t; 26.4.4
and 26.4.5 for χ²), evaluated with :mod:`math`, and the quantiles are found by bisection on them to
1e-12. They were checked against ``scipy.stats.t.ppf``/``chi2.ppf`` (scipy 1.17.1, outside bulkdaq's
environment) for ν = 1 … 60, 100, 500 at p = 0.05, 0.3, 0.9, 0.95, 0.975, 0.99, 0.995, to better than 1e-9 (quantiles) and 1e-12 (distribution functions); the tests pin the
familiar table values (t_(0.975, 4) = 2.776, t_(0.975, 9) = 2.262, …).

What could be read and what not
-------------------------------
* ISO 12745:2008 is **"Copper, lead and zinc ores and concentrates — Precision and bias of mass
  measurement techniques"** (2nd edition, 2008-10-01), not an iron-ore standard. Read: its scope (tests
  for bias over a wide range of mass measurement techniques, the variance as the basic measure of
  precision, linearity of static scales) and its table of contents (4.1 Draft surveys, 4.2 Belt scales,
  6.2 Draft surveys, 6.3 Belt scales; Annex B: B.2 central tendency, B.3 variability, B.4 precision, B.6
  Student's t-test, B.7 bias detection limits, B.8 probable bias ranges, B.9 correlation-regression),
  and a passage of 4.2 (1996 edition) saying a belt scale may be calibrated with a chain, a static
  weight or a quantity of material weighed on a static scale. NOT read: the formulas of Annex B, any
  minimum number of pairs, its significance levels, and whether it forms relative or absolute
  differences. That the paired t-test of this module is the one of its Annex B is an assumption.
* ISO 3086:2006, "Iron ores — Experimental methods for checking the bias of sampling" (4th edition):
  read its scope (bias of sampling against a stopped-belt reference; its data analysis may also check a
  difference between results of one lot at a loading and an unloading point) and its contents (7.1
  differences, 7.2 mean and standard deviation of the differences, 7.3 Grubbs' test for outliers, 7.4
  selection of data, 7.5 statistical test for bias, 7.5.1 confidence interval for d̄). NOT read: the
  formulas, the confidence level, the value of practical importance δ and the number of pairs. It
  checks sampling (quality), not mass; it is cited for the form of the analysis only. Grubbs' outlier
  test is not applied here: a lot whose pair is an outlier is a finding for the officer, not data to drop.
* ISO 3085 (precision of sampling, sample preparation and measurement): not found; nothing of it is used.
* ISO 3301:1975, comparison of the mean of paired observations with zero or another assigned value:
  read in its scope only (in translation).

References
----------
.. [1] ISO 12745:2008, Copper, lead and zinc ores and concentrates — Precision and bias of mass
   measurement techniques, 4.2, 6.3, Annex B.6 (contents and scope read; formulas not verified).
.. [2] ISO 3086:2006, Iron ores — Experimental methods for checking the bias of sampling, 7.2, 7.5.1
   (contents and scope read; formulas not verified).
.. [3] ISO 3301:1975, Statistical interpretation of data — Comparison of two means in the case of paired
   observations (scope read).
.. [4] M. Abramowitz, I. A. Stegun, Handbook of Mathematical Functions (1964), 26.7.3–26.7.4 (Student's
   t), 26.4.4–26.4.5 (χ²), for integer degrees of freedom.
.. [5] JCGM 100:2008 (GUM), 4.3.7 (u = a/√3); G.1.2 and Table E.1 (uncertainty of an experimental standard
   deviation; only G.1.2's figure for 30 observations read here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calculators.blending.belt_scale_class import RECTANGULAR_DIVISOR, Verification, mpe_pct
from calculators.quantity_error import QuantityError

MIN_PAIRS = 5
"""The fewest pairs on which a verdict is given [-] (see the module's note: bulkdaq's choice)."""

DEFAULT_CONFIDENCE = 0.95
"""Two-sided confidence of the interval for the bias, and of the one-sided precision test [-]."""

DEFAULT_WINDOW = 10
"""The most recent pairs a verdict looks at by default [-]."""

Verdict = Literal["drifted", "within_class", "undetermined", "insufficient"]
VERDICTS: tuple[str, ...] = ("drifted", "within_class", "undetermined", "insufficient")
Precision = Literal["explained", "excess", "insufficient"]
_VERDICT_OF: dict[str, Verdict] = {"drifted": "drifted", "within_class": "within_class", "undetermined": "undetermined", "insufficient": "insufficient"}

METHOD = (
    "paired comparison of belt-scale totals with the draft surveys of the same lots: relative differences, "
    "Student's t confidence interval of the mean difference against ±MPE of the OIML R 50 class; precision by a one-sided "
    "χ² test of s against the class (MPE/√3) and the surveys' standard uncertainties (bulkdaq; ISO 12745:2008 Annex B and "
    "ISO 3086:2006 7.5 not verified)"
)

_BISECTION_STEPS = 200


class ScaleDriftError(QuantityError):
    """Pairs, a window or a confidence the drift check cannot use."""


# -- distributions -----------------------------------------------------------------------------------


def _check_dof(dof: int) -> int:
    if isinstance(dof, bool) or not isinstance(dof, (int, np.integer)) or dof < 1:
        raise ScaleDriftError("degrees_of_freedom", f"degrees of freedom = {dof!r}: expected an integer ≥ 1")
    return int(dof)


def _check_probability(quantity: str, p: float) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0.0 < float(p) < 1.0:
        raise ScaleDriftError(quantity, f"{quantity} = {p!r}: expected a probability strictly between 0 and 1")
    return float(p)


def student_t_central(t: float, dof: int) -> float:
    """A(t|ν) = P(|T| ≤ t) for Student's t with ν degrees of freedom, exactly (finite series) [-].

    Parameters
    ----------
    t : float
        |t| [-]; the sign is ignored.
    dof : int
        ν ≥ 1 [-].

    Returns
    -------
    float
        A(t|ν) in [0, 1]; the two-sided p of a t statistic is 1 − A.

    References
    ----------
    .. [1] Abramowitz & Stegun 26.7.3 (ν odd) and 26.7.4 (ν even), θ = arctan(t/√ν).
    """
    nu = _check_dof(dof)
    if math.isinf(t):
        return 1.0
    theta = math.atan(abs(t) / math.sqrt(nu))
    c2 = math.cos(theta) ** 2
    if nu % 2 == 1:
        if nu == 1:
            return 2.0 * theta / math.pi
        term, total = math.cos(theta), math.cos(theta)
        for k in range(1, (nu - 3) // 2 + 1):  # terms cos θ · Π (2j)/(2j+1) cos^(2k) θ
            term *= c2 * (2 * k) / (2 * k + 1)
            total += term
        return min(1.0, 2.0 / math.pi * (theta + math.sin(theta) * total))
    term, total = 1.0, 1.0
    for k in range(1, (nu - 2) // 2 + 1):  # terms Π (2j−1)/(2j) cos^(2k) θ
        term *= c2 * (2 * k - 1) / (2 * k)
        total += term
    return min(1.0, math.sin(theta) * total)


def student_t_quantile(probability: float, dof: int) -> float:
    """The quantile t_(p, ν) of Student's t (p > 0.5 gives the upper critical value) [-].

    Parameters
    ----------
    probability : float
        Cumulative probability p, 0 < p < 1 (0.975 for a two-sided 95 % interval).
    dof : int
        ν ≥ 1 [-].

    Returns
    -------
    float
        t with P(T ≤ t) = p; e.g. t_(0.975, 4) = 2.7764, t_(0.975, 9) = 2.2622.

    Raises
    ------
    ScaleDriftError
        A probability outside (0, 1) or degrees of freedom below 1.
    """
    p = _check_probability("probability", probability)
    nu = _check_dof(dof)
    if p == 0.5:
        return 0.0
    central = abs(2.0 * p - 1.0)  # P(|T| ≤ t) for the wanted |t|
    low, high = 0.0, math.pi / 2.0  # bisection on θ = arctan(t/√ν): A is monotone in θ
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (low + high)
        if student_t_central(math.tan(mid) * math.sqrt(nu), nu) < central:
            low = mid
        else:
            high = mid
        if high - low < 1e-15:
            break
    magnitude = math.tan(0.5 * (low + high)) * math.sqrt(nu)
    return magnitude if p > 0.5 else -magnitude


def chi2_upper(x: float, dof: int) -> float:
    """Q(χ²|ν) = P(X > x) for χ² with ν degrees of freedom, exactly (finite series) [-].

    References
    ----------
    .. [1] Abramowitz & Stegun 26.4.4 (ν odd: via the normal tail) and 26.4.5 (ν even: Poisson sum).
    """
    nu = _check_dof(dof)
    if x <= 0.0:
        return 1.0
    # Each term of the series in logarithms: exp(−x/2) and the powers of x would overflow apart for large ν.
    half = x / 2.0
    if nu % 2 == 0:
        total = sum(math.exp(-half + k * math.log(half) - math.lgamma(k + 1)) for k in range(nu // 2))
        return min(1.0, total)
    z = math.sqrt(x)
    tail = math.erfc(z / math.sqrt(2.0))  # 2 Q(z) of the standard normal
    # 2 Z(z) z^(2r−1) / (1·3·…·(2r−1)), with 1·3·…·(2r−1) = (2r)! / (2^r r!)
    log_density = -half - 0.5 * math.log(2.0 * math.pi)
    total = sum(
        math.exp(math.log(2.0) + log_density + (2 * r - 1) * math.log(z) - (math.lgamma(2 * r + 1) - r * math.log(2.0) - math.lgamma(r + 1)))
        for r in range(1, (nu - 1) // 2 + 1)
    )
    return min(1.0, tail + total)


def chi2_quantile(probability: float, dof: int) -> float:
    """The quantile χ²_(p, ν): P(X ≤ χ²) = p [-]; e.g. χ²_(0.95, 4) = 9.4877.

    Raises
    ------
    ScaleDriftError
        A probability outside (0, 1) or degrees of freedom below 1.
    """
    p = _check_probability("probability", probability)
    nu = _check_dof(dof)
    low, high = 0.0, float(nu)
    while chi2_upper(high, nu) > 1.0 - p:
        high *= 2.0
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (low + high)
        if chi2_upper(mid, nu) > 1.0 - p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return 0.5 * (low + high)


# -- inputs ------------------------------------------------------------------------------------------


def _array(quantity: str, value: ArrayLike, unit: str) -> NDArray[np.float64]:
    try:
        x = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ScaleDriftError(quantity, f"{quantity} = {value!r} {unit} is not a number") from None
    x = np.atleast_1d(x)
    if x.ndim != 1:
        raise ScaleDriftError(quantity, f"{quantity}: expected one figure per lot (a 1-D array), got shape {x.shape}")
    bad = ~np.isfinite(x)
    if np.any(bad):
        raise ScaleDriftError(quantity, f"{quantity}: lot {int(np.argmax(bad))} is {float(x[bad][0])!r} {unit}; expected a finite number")
    return x


def _pairs(
    scale_t: ArrayLike, survey_t: ArrayLike, survey_u_t: ArrayLike, time_s: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    scale = _array("scale_t", scale_t, "t")
    survey = _array("survey_t", survey_t, "t")
    u = _array("survey_u_t", survey_u_t, "t")
    times = _array("time_s", time_s, "s") if time_s is not None else np.arange(scale.size, dtype=np.float64)
    lengths = {"scale_t": scale.size, "survey_t": survey.size, "survey_u_t": u.size, "time_s": times.size}
    if len(set(lengths.values())) != 1:
        raise ScaleDriftError("pairs", "scale_t, survey_t, survey_u_t and time_s must have one figure per lot each; got " + ", ".join(f"{k} {v}" for k, v in lengths.items()))
    for quantity, x, positive in (("scale_t", scale, False), ("survey_t", survey, True), ("survey_u_t", u, False)):
        wrong = x <= 0.0 if positive else x < 0.0
        if np.any(wrong):
            i = int(np.argmax(wrong))
            raise ScaleDriftError(quantity, f"{quantity}: lot {i} is {float(x[i])!r} t; expected {'> 0' if positive else '≥ 0'} t")
    order = np.argsort(times, kind="stable")
    return scale[order], survey[order], u[order], times[order]


def _confidence(confidence: float) -> float:
    return _check_probability("confidence", confidence)


def _window(window: int) -> int:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < MIN_PAIRS:
        raise ScaleDriftError("window", f"window = {window!r} pairs: expected an integer ≥ {MIN_PAIRS} (the fewest pairs a verdict rests on)")
    return int(window)


def relative_differences_pct(scale_t: ArrayLike, survey_t: ArrayLike) -> NDArray[np.float64]:
    """d_i = 100 · (scale − survey) / survey, per lot [%].

    Parameters
    ----------
    scale_t : array_like
        The belt scale's total for each lot [t], ≥ 0.
    survey_t : array_like
        The draft survey's figure for the same lot [t], > 0.

    Returns
    -------
    numpy.ndarray
        d [%], positive where the scale weighed more than the survey.

    Raises
    ------
    ScaleDriftError
        NaN or infinite figures, a survey ≤ 0, a negative scale total, lengths that differ.
    """
    scale, survey, _, _ = _pairs(scale_t, survey_t, np.zeros(np.size(survey_t)), None)
    return 100.0 * (scale - survey) / survey


# -- the test ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftCheck:
    """The bias and precision of one scale over a window of pairs, with the verdict.

    Attributes
    ----------
    n : int
        Pairs in the window [-].
    mean_pct, std_pct, standard_error_pct : float
        d̄, s and s/√n of the relative differences [%] (NaN when n < 2).
    t_statistic : float
        d̄ / (s/√n) [-] (±inf when s = 0 and d̄ ≠ 0).
    p_two_sided : float
        P(|T| ≥ |t|) under "no bias" [-]; shown, not used by the verdict.
    t_critical : float
        t_(1−α/2, n−1) [-].
    ci_low_pct, ci_high_pct : float
        The confidence interval for the bias [%].
    mpe_pct : float
        ±MPE of the class [%].
    expected_std_pct : float
        σ_exp: what the class (MPE/√3) and the surveys' uncertainties explain [%].
    precision : {"explained", "excess", "insufficient"}
        The one-sided χ² test of s against σ_exp.
    verdict : {"drifted", "within_class", "undetermined", "insufficient"}
    confidence : float
        Two-sided confidence of the interval [-].
    first_time_s, last_time_s : float
        Time of the oldest and newest pair of the window (the caller's clock) [s].
    """

    n: int
    mean_pct: float
    std_pct: float
    standard_error_pct: float
    t_statistic: float
    p_two_sided: float
    t_critical: float
    ci_low_pct: float
    ci_high_pct: float
    mpe_pct: float
    expected_std_pct: float
    precision: Precision
    verdict: Verdict
    confidence: float
    first_time_s: float
    last_time_s: float


def classify(ci_low_pct: ArrayLike, ci_high_pct: ArrayLike, mpe_pct_: float) -> NDArray[np.str_]:
    """The verdict of confidence intervals against ±MPE (vectorised; NaN bounds give ``insufficient``).

    Parameters
    ----------
    ci_low_pct, ci_high_pct : array_like
        Bounds of the confidence interval for the bias [%].
    mpe_pct_ : float
        MPE of the class [%], > 0.

    Returns
    -------
    numpy.ndarray of str
        ``drifted`` where the interval lies wholly beyond ±MPE, ``within_class`` where wholly inside
        [−MPE, +MPE], ``undetermined`` where it straddles a bound, ``insufficient`` where a bound is NaN.
    """
    low = np.atleast_1d(np.asarray(ci_low_pct, dtype=np.float64))
    high = np.atleast_1d(np.asarray(ci_high_pct, dtype=np.float64))
    unknown = np.isnan(low) | np.isnan(high)
    with np.errstate(invalid="ignore"):
        drifted = (low > mpe_pct_) | (high < -mpe_pct_)
        within = (low >= -mpe_pct_) & (high <= mpe_pct_)
    return np.where(unknown, "insufficient", np.where(drifted, "drifted", np.where(within, "within_class", "undetermined")))


def _expected_std_pct(survey_t: NDArray[np.float64], survey_u_t: NDArray[np.float64], mpe: float) -> NDArray[np.float64]:
    """Per lot, the variance of d the class and the survey explain [%²]."""
    return (mpe / RECTANGULAR_DIVISOR) ** 2 + (100.0 * survey_u_t / survey_t) ** 2


def drift_check(
    scale_t: ArrayLike,
    survey_t: ArrayLike,
    survey_u_t: ArrayLike,
    time_s: ArrayLike,
    accuracy_class_: object,
    *,
    window: int = DEFAULT_WINDOW,
    confidence: float = DEFAULT_CONFIDENCE,
    verification: Verification = "in_service",
) -> DriftCheck:
    """The bias test and verdict of one belt scale over its most recent `window` pairs.

    Parameters
    ----------
    scale_t : array_like
        The scale's total for each lot it moved [t], ≥ 0.
    survey_t : array_like
        The draft survey's figure for the same lot [t], > 0.
    survey_u_t : array_like
        The survey figure's standard uncertainty [t], ≥ 0.
    time_s : array_like
        When each lot was moved [s] (any monotone clock, e.g. Unix time); pairs are taken in this order.
    accuracy_class_ : {0.2, 0.5, 1, 2}
        The scale's OIML R 50 class [-].
    window : int, default 10
        How many of the most recent pairs to test [-], ≥ :data:`MIN_PAIRS`.
    confidence : float, default 0.95
        Two-sided confidence of the interval for the bias [-].
    verification : {"in_service", "initial_verification"}, default "in_service"
        Which MPE of the class the interval is held against.

    Returns
    -------
    DriftCheck
        ``verdict == "insufficient"`` when fewer than :data:`MIN_PAIRS` pairs exist, with the mean of those
        there are and every other statistic NaN: that is a state of the yard (too few surveyed lots yet),
        not a bad input.

    Raises
    ------
    ScaleDriftError
        NaN or infinite figures, a survey ≤ 0, a negative total or uncertainty, lengths that differ,
        a window below :data:`MIN_PAIRS`, a confidence outside (0, 1), an unknown class.

    Examples
    --------
    Five lots, d = 1.2, 1.5, 1.4, 1.7, 1.6 % on a class 0.5 scale: d̄ = 1.48 %, s = 0.19235 %,
    t = 17.2047, 95 % interval 1.2412 … 1.7188 %, wholly above +0.5 %: ``drifted``.
    """
    scale, survey, u, times = _pairs(scale_t, survey_t, survey_u_t, time_s)
    size = _window(window)
    level = _confidence(confidence)
    mpe = mpe_pct(accuracy_class_, verification)
    scale, survey, u, times = scale[-size:], survey[-size:], u[-size:], times[-size:]
    d = 100.0 * (scale - survey) / survey
    n = int(d.size)
    first = float(times[0]) if n else math.nan
    last = float(times[-1]) if n else math.nan
    if n < MIN_PAIRS:
        nan = math.nan
        return DriftCheck(n, float(d.mean()) if n else nan, nan, nan, nan, nan, nan, nan, nan, mpe, nan, "insufficient", "insufficient", level, first, last)
    mean = float(d.mean())
    std = float(d.std(ddof=1))
    se = std / math.sqrt(n)
    dof = n - 1
    if se > 0.0:
        t_stat = mean / se
        p = 1.0 - student_t_central(t_stat, dof)
    else:  # identical differences: no scatter at all
        t_stat = math.copysign(math.inf, mean) if mean != 0.0 else 0.0
        p = 0.0 if mean != 0.0 else 1.0
    t_crit = student_t_quantile(1.0 - (1.0 - level) / 2.0, dof)
    low, high = mean - t_crit * se, mean + t_crit * se
    expected = float(np.sqrt(_expected_std_pct(survey, u, mpe).mean()))
    excess = dof * std**2 > expected**2 * chi2_quantile(level, dof)
    verdict = _VERDICT_OF[str(classify(low, high, mpe)[0])]
    precision: Precision = "excess" if excess else "explained"
    return DriftCheck(n, mean, std, se, t_stat, p, t_crit, low, high, mpe, expected, precision, verdict, level, first, last)


@dataclass(frozen=True)
class RollingDrift:
    """The drift check after each pair, over the `window` pairs ending there (arrays in time order).

    Attributes
    ----------
    time_s : numpy.ndarray
        Time of the pair that closes each window [s].
    n : numpy.ndarray of int
        Pairs in each window (fewer than `window` at the start) [-].
    d_pct : numpy.ndarray
        Each pair's own relative difference [%].
    mean_pct, std_pct, t_statistic, ci_low_pct, ci_high_pct, expected_std_pct : numpy.ndarray
        As in :class:`DriftCheck`, per window; NaN where n < :data:`MIN_PAIRS`.
    verdict : numpy.ndarray of str
        Per window, as in :class:`DriftCheck`.
    mpe_pct : float
        ±MPE of the class [%].
    """

    time_s: NDArray[np.float64]
    n: NDArray[np.int64]
    d_pct: NDArray[np.float64]
    mean_pct: NDArray[np.float64]
    std_pct: NDArray[np.float64]
    t_statistic: NDArray[np.float64]
    ci_low_pct: NDArray[np.float64]
    ci_high_pct: NDArray[np.float64]
    expected_std_pct: NDArray[np.float64]
    verdict: NDArray[np.str_]
    mpe_pct: float


def _trailing_sums(x: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    """Σ of the `window` values ending at each index (fewer at the start), by a cumulative sum."""
    c = np.concatenate(([0.0], np.cumsum(x)))
    idx = np.arange(1, x.size + 1)
    return c[idx] - c[np.maximum(idx - window, 0)]


def rolling_drift(
    scale_t: ArrayLike,
    survey_t: ArrayLike,
    survey_u_t: ArrayLike,
    time_s: ArrayLike,
    accuracy_class_: object,
    *,
    window: int = DEFAULT_WINDOW,
    confidence: float = DEFAULT_CONFIDENCE,
    verification: Verification = "in_service",
) -> RollingDrift:
    """The bias trend: the drift check after every pair, vectorised over the pairs.

    Each window's mean and standard deviation come from trailing sums of d − d₀ and (d − d₀)², with
    d₀ the median of all d (shifting by a constant first keeps the sums of squares from cancelling);
    the critical t is worked out once per number of degrees of freedom (at most `window` of them).

    Parameters
    ----------
    scale_t, survey_t, survey_u_t, time_s, accuracy_class_, window, confidence, verification
        As in :func:`drift_check`.

    Returns
    -------
    RollingDrift
        In time order; the last window equals :func:`drift_check` on the same pairs.

    Raises
    ------
    ScaleDriftError
        As :func:`drift_check`.
    """
    scale, survey, u, times = _pairs(scale_t, survey_t, survey_u_t, time_s)
    size = _window(window)
    level = _confidence(confidence)
    mpe = mpe_pct(accuracy_class_, verification)
    d = 100.0 * (scale - survey) / survey
    shift = float(np.median(d)) if d.size else 0.0
    x = d - shift
    n = np.minimum(np.arange(1, d.size + 1), size).astype(np.int64)
    s1 = _trailing_sums(x, size)
    s2 = _trailing_sums(x * x, size)
    enough = n >= MIN_PAIRS
    nf = n.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x = s1 / nf
        var = np.where(n > 1, (s2 - nf * mean_x**2) / np.maximum(nf - 1.0, 1.0), np.nan)
        std = np.sqrt(np.maximum(var, 0.0))
        se = std / np.sqrt(nf)
        mean = mean_x + shift
        t_stat = np.where(se > 0.0, mean / se, np.where(mean == 0.0, 0.0, np.copysign(np.inf, mean)))
    critical = {int(k): student_t_quantile(1.0 - (1.0 - level) / 2.0, int(k) - 1) for k in np.unique(n[enough])}
    t_crit = np.array([critical.get(int(k), np.nan) for k in n], dtype=np.float64)
    low = np.where(enough, mean - t_crit * se, np.nan)
    high = np.where(enough, mean + t_crit * se, np.nan)
    expected = np.sqrt(_trailing_sums(_expected_std_pct(survey, u, mpe), size) / nf)
    nan = np.full(d.size, np.nan)
    return RollingDrift(
        time_s=times,
        n=n,
        d_pct=d,
        mean_pct=np.where(enough, mean, nan),
        std_pct=np.where(enough, std, nan),
        t_statistic=np.where(enough, t_stat, nan),
        ci_low_pct=low,
        ci_high_pct=high,
        expected_std_pct=np.where(enough, expected, nan),
        verdict=classify(low, high, mpe) if d.size else np.array([], dtype=np.str_),
        mpe_pct=mpe,
    )


__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_WINDOW",
    "METHOD",
    "MIN_PAIRS",
    "VERDICTS",
    "DriftCheck",
    "Precision",
    "RollingDrift",
    "ScaleDriftError",
    "Verdict",
    "chi2_quantile",
    "chi2_upper",
    "classify",
    "drift_check",
    "relative_differences_pct",
    "rolling_drift",
    "student_t_central",
    "student_t_quantile",
]
