"""The density of the dock water a survey needs, from the hydrometer samples taken at the time of the
draft reading: their mean, spread and standard uncertainty, and whether they make a figure (issue 16,
the pure calculation; no files, no logging).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calculators.quantity_error import QuantityError

FloatArray = npt.NDArray[np.float64]

RESOLUTION_T_M3 = 0.0005
"""Default reading resolution of a draft-survey hydrometer [t/m³] (graduations of 0.0005 kg/L)."""

# Densities accepted [t/m³]: from fresh water at any temperature a port sees (about 0.993 to 0.999 t/m³
# in air) to the densest sea water a port sees (about 1.030 t/m³), with room for a hydrometer's error.
# Anything outside is not dock water, or not in t/m³.
LOWEST_T_M3 = 0.990
HIGHEST_T_M3 = 1.040

MAX_SPREAD_T_M3 = 0.003
"""Default largest max − min of the samples for a figure [t/m³] (a choice of this module, not a
standard's limit): 0.003 t/m³ is 0.3 % of the displacement, about 300 t on a loaded Panamax."""


class DockDensityError(QuantityError):
    """Samples the calculator cannot use (none, lengths differing, NaN or inf, a value that is not a
    dock water density in t/m³, a limit that is not a number); the message names the sample."""


@dataclass(frozen=True)
class DockDensity:
    """The dock water density of one survey from its hydrometer samples.

    Attributes
    ----------
    density_t_m3 : float
        Mean of the samples [t/m³], apparent density in air as the hydrometer reads it.
    count : int
        Number of samples n [-].
    spread_t_m3 : float
        Largest − smallest sample [t/m³].
    std_t_m3 : float
        Experimental standard deviation s of the samples, divisor n − 1 [t/m³]; 0 with one sample.
    u_type_a_t_m3 : float
        Type A standard uncertainty of the mean, s/√n [t/m³] (0 with one sample).
    u_resolution_t_m3 : float
        The reading resolution as a rectangular distribution, resolution/√12 [t/m³].
    u_t_m3 : float
        Standard uncertainty of ``density_t_m3``: √(s²/n + resolution²/12) [t/m³].
    start_s, end_s : float
        Earliest and latest sample time [s], on the times' own scale (to set against the time of the
        draft reading).
    fit : bool
        True when no reason makes the density unfit to be the survey's figure.
    reasons : tuple of str
        Why it is unfit, each naming the value against its limit; empty when fit.
    """

    density_t_m3: float
    count: int
    spread_t_m3: float
    std_t_m3: float
    u_type_a_t_m3: float
    u_resolution_t_m3: float
    u_t_m3: float
    start_s: float
    end_s: float
    fit: bool
    reasons: tuple[str, ...]


def _checked_limit(name: str, value: float, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise DockDensityError(name, f"{name} = {value!r} is not a {'positive' if positive else 'non-negative'} finite number")
    return float(value)


def _checked_samples(times_s: npt.ArrayLike, densities_t_m3: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    try:
        t = np.asarray(times_s, dtype=np.float64)
        rho = np.asarray(densities_t_m3, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise DockDensityError("densities_t_m3", f"the samples are not numbers ({error})") from None
    if t.ndim != 1 or rho.ndim != 1:
        raise DockDensityError("densities_t_m3", "times and densities must each be one-dimensional series")
    if t.shape != rho.shape:
        raise DockDensityError("densities_t_m3", f"{t.size} times but {rho.size} densities; give one time per sample")
    if rho.size == 0:
        raise DockDensityError("densities_t_m3", "no density samples; at least one hydrometer reading is needed")
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        raise DockDensityError("times_s", f"sample {int(bad[0])}: time {float(t[bad[0]])!r} s is not a finite number")
    bad = np.flatnonzero(~np.isfinite(rho))
    if bad.size:
        raise DockDensityError("densities_t_m3", f"sample {int(bad[0])}: density {float(rho[bad[0]])!r} is not a finite number")
    bad = np.flatnonzero((rho < LOWEST_T_M3) | (rho > HIGHEST_T_M3))
    if bad.size:
        i = int(bad[0])
        value = float(rho[i])
        hint = f"; it looks like kg/m³: enter {value / 1000.0:.4f} t/m³" if 1000.0 * LOWEST_T_M3 <= value <= 1000.0 * HIGHEST_T_M3 else ""
        raise DockDensityError(
            "densities_t_m3",
            f"sample {i}: density {value!r} t/m³ is not a dock water density (expected {LOWEST_T_M3:.3f} to {HIGHEST_T_M3:.3f} t/m³){hint}",
        )
    return t, rho


def dock_density(
    times_s: npt.ArrayLike,
    densities_t_m3: npt.ArrayLike,
    *,
    resolution_t_m3: float = RESOLUTION_T_M3,
    min_samples: int = 2,
    max_spread_t_m3: float = MAX_SPREAD_T_M3,
) -> DockDensity:
    """The dock water density of a survey from its hydrometer samples, with its standard uncertainty.

    Parameters
    ----------
    times_s : array_like
        When each sample was read [s], any origin, in any order (samples at several depths may share a
        time).
    densities_t_m3 : array_like
        The hydrometer reading of each sample [t/m³]: the *apparent density in air* (kg/L in air),
        read at the water's own temperature. Draft-survey hydrometers are graduated so: the ship's
        displacement is a weight in air and its tables are computed for water of 1.025 t/m³ in the
        same sense, so the density correction ρ_dock/ρ_table needs the density in air, uncorrected for
        temperature (the water the ship floats in is at that temperature). The true (in vacuo) density
        is about 0.001 t/m³ higher; a laboratory density, or one corrected to 15 °C, must not be mixed
        in: 0.001 t/m³ is 0.1 % of the displacement.
    resolution_t_m3 : float, default 0.0005
        The hydrometer's graduation [t/m³]; gives the uncertainty floor resolution/√12.
    min_samples : int, default 2
        Fewest samples for a figure [-]. One sample tells nothing of how the water varies.
    max_spread_t_m3 : float, default 0.003
        Largest max − min of the samples for a figure [t/m³] (this module's choice): more means the
        water is stratified (a fresh layer over salt water near a river mouth) or the samples come
        from different waters, and their mean is not the density the hull floats in.

    Returns
    -------
    DockDensity
        The mean, count, spread, s, the uncertainty and its parts, the sampling span, and the verdict
        with its reasons.

    Raises
    ------
    DockDensityError
        (a :class:`~calculators.quantity_error.QuantityError`) for no samples, times and densities of
        different lengths, NaN or inf, a density outside 0.990–1.040 t/m³ (naming the sample and, for
        990–1040, pointing out kg/m³), or a limit that is not a usable number.

    Notes
    -----
    u_A = s/√n, the experimental standard deviation of the mean of n independent samples (GUM 4.2.3);
    u_res = resolution/√12, a rectangular distribution of full width one graduation (GUM 4.3.7,
    F.2.2.1); u = √(u_A² + u_res²) (GUM 5.1.2, the two uncorrelated), never below u_res. With
    resolution 0.0005 t/m³ the floor is 0.00014 t/m³. Samples from different depths are treated as
    independent draws of one water's density; in stratified water they are not, and the spread check
    says so. The hydrometer's calibration error is not in u (it is common to every sample; add it
    separately from the hydrometer's certificate).

    The UN/ECE Code asks for the density of the water the ship floats in, at the time of the draught
    reading, from samples taken at several depths (and places along the hull where the water may
    differ); that is what these samples are for, and what the spread check tests.

    References
    ----------
    .. [1] UN/ECE, Code of Uniform Standards and Procedures for the Performance of Draught Surveys of
       Coal Cargoes, ECE/ENERGY/19 (1992): the provisions on the density of the dock water (the
       section number was not verified against the Code's text for this module).
    .. [2] JCGM 100:2008, Evaluation of measurement data — Guide to the expression of uncertainty in
       measurement (GUM), 4.2.3, 4.3.7, 5.1.2, F.2.2.1.
    .. [3] D. C. Marshall, E. Stokoe, J. L. Strange and J. E. Turner, *Guidance for use of hydrometers
       for draft survey purposes* (apparent density in air; no temperature correction of the reading).
    """
    t, rho = _checked_samples(times_s, densities_t_m3)
    resolution = _checked_limit("resolution_t_m3", resolution_t_m3, positive=True)
    max_spread = _checked_limit("max_spread_t_m3", max_spread_t_m3, positive=False)
    if isinstance(min_samples, bool) or not isinstance(min_samples, int) or min_samples < 1:
        raise DockDensityError("min_samples", f"min_samples = {min_samples!r} is not a positive whole number")

    n = int(rho.size)
    mean = float(np.mean(rho))
    spread = float(np.max(rho) - np.min(rho))
    s = float(np.std(rho, ddof=1)) if n >= 2 else 0.0
    u_a = s / math.sqrt(n)
    u_res = resolution / math.sqrt(12.0)

    reasons: list[str] = []
    if n < min_samples:
        reasons.append(f"{n} density sample{'s' if n != 1 else ''}, fewer than the {min_samples} required; sample at several depths")
    if spread > max_spread:
        reasons.append(
            f"density samples spread {spread:.4f} t/m³ (max − min), above the limit {max_spread:.4f} t/m³: the water is "
            "stratified or the samples are from different waters; sample at several depths and places along the hull "
            "and find out which water the ship floats in"
        )

    return DockDensity(
        density_t_m3=mean,
        count=n,
        spread_t_m3=spread,
        std_t_m3=s,
        u_type_a_t_m3=u_a,
        u_resolution_t_m3=u_res,
        u_t_m3=math.hypot(u_a, u_res),
        start_s=float(np.min(t)),
        end_s=float(np.max(t)),
        fit=not reasons,
        reasons=tuple(reasons),
    )


__all__ = [
    "HIGHEST_T_M3",
    "LOWEST_T_M3",
    "MAX_SPREAD_T_M3",
    "RESOLUTION_T_M3",
    "DockDensity",
    "DockDensityError",
    "dock_density",
]
