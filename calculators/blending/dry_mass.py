"""Wet and dry tonnes of iron ore from its moisture content, and the uncertainty of the dry mass.

    dry = wet × (1 − w/100)                    [t]

with w the moisture content on the wet basis [% of the wet mass], the figure ISO 3087 (iron ores —
determination of the moisture content of a lot) gives for a lot. The yard keeps its balance in dry tonnes
as well as wet, so that water leaving a pile is not taken for ore lost.

The uncertainty of the dry mass follows the GUM law of propagation, first order, for uncorrelated
inputs (JCGM 100:2008 5.1.2), with the sensitivity coefficients of the model above:

    c_wet = ∂dry/∂wet = 1 − w/100              [t/t]
    c_w   = ∂dry/∂w   = −wet/100               [t/%]
    u(dry) = √((c_wet·u(wet))² + (c_w·u(w))²)  [t]

The model is a product of the two inputs, so the first-order law leaves out one second-order term,
(u(wet)·u(w)/100)² under the root (JCGM 100 5.1.2, Note): for 100,000 t ± 300 t at 8.5 % ± 0.1 % it
changes u(dry) by about 0.0002 t out of 292 t. The wet mass and the moisture are taken as uncorrelated: they come from different
measurements (a scale or a draft survey, and a laboratory's oven).

Numbers in, numbers out: scalars or numpy arrays, no I/O.

References
----------
.. [1] ISO 3087, Iron ores — Determination of the moisture content of a lot (the method of the
   moisture figure w, wet basis).
.. [2] JCGM 100:2008 (GUM), 5.1.2 (law of propagation of uncertainty, uncorrelated inputs), 5.1.3
   (sensitivity coefficients).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calculators.blending.quantity_arrays import non_negative, scalar_or_array
from calculators.quantity_error import QuantityError

MOISTURE_RANGE_PCT: tuple[float, float] = (0.0, 30.0)
"""Moisture contents accepted [% wet basis]: iron ore lots carry a few per cent, rarely above 12; a
figure above 30 % is not an iron ore moisture but a typing or unit error, and is refused, never used."""

METHOD = (
    "dry = wet × (1 − w/100), w by ISO 3087 [% wet basis]; u(dry) by the JCGM 100:2008 law of propagation, "
    "first order, uncorrelated inputs (5.1.2), c_wet = 1 − w/100, c_w = −wet/100"
)


class DryMassError(QuantityError):
    """A mass, moisture content or uncertainty the calculator cannot use (not finite, negative, out of range)."""


def _array(quantity: str, value: ArrayLike, unit: str) -> NDArray[np.float64]:
    return non_negative(DryMassError, quantity, value, unit)


def _moisture(value: ArrayLike) -> NDArray[np.float64]:
    w = _array("moisture_pct", value, "%")
    low, high = MOISTURE_RANGE_PCT
    if np.any(w > high):
        raise DryMassError(
            "moisture_pct",
            f"moisture_pct = {value!r} % is outside {low:g} … {high:g} % (wet basis), the range of iron ore moisture; "
            "a figure on the dry basis or in a fraction must be converted, not used",
        )
    return w


def dry_mass_t(wet_t: ArrayLike, moisture_pct: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Dry mass from the wet mass and the moisture content: wet × (1 − w/100) [t].

    Parameters
    ----------
    wet_t : array_like
        Wet mass [t], ≥ 0.
    moisture_pct : array_like
        Moisture content w [% wet basis], 0 … 30 (ISO 3087).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        Dry mass [t]; e.g. 100,000 t wet at 8.5 % is 91,500 t dry.

    Raises
    ------
    DryMassError
        A mass that is negative or not finite; a moisture outside 0 … 30 % or not finite.

    References
    ----------
    .. [1] ISO 3087 (moisture content of a lot of iron ore, wet basis).
    """
    wet = _array("wet_t", wet_t, "t")
    w = _moisture(moisture_pct)
    return scalar_or_array(wet * (1.0 - w / 100.0))


def wet_mass_t(dry_t: ArrayLike, moisture_pct: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Wet mass from the dry mass and the moisture content: dry / (1 − w/100) [t].

    Parameters
    ----------
    dry_t : array_like
        Dry mass [t], ≥ 0.
    moisture_pct : array_like
        Moisture content w [% wet basis], 0 … 30 (ISO 3087).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        Wet mass [t].

    Raises
    ------
    DryMassError
        As :func:`dry_mass_t`.
    """
    dry = _array("dry_t", dry_t, "t")
    w = _moisture(moisture_pct)
    return scalar_or_array(dry / (1.0 - w / 100.0))


def sensitivity_coefficients(wet_t: ArrayLike, moisture_pct: ArrayLike) -> tuple[NDArray[np.float64] | np.float64, NDArray[np.float64] | np.float64]:
    """Sensitivity coefficients of the dry mass (JCGM 100 5.1.3).

    Parameters
    ----------
    wet_t : array_like
        Wet mass [t], ≥ 0.
    moisture_pct : array_like
        Moisture content w [% wet basis], 0 … 30.

    Returns
    -------
    c_wet : numpy.float64 or numpy.ndarray
        ∂dry/∂wet = 1 − w/100 [t/t].
    c_moisture : numpy.float64 or numpy.ndarray
        ∂dry/∂w = −wet/100 [t/%].
    """
    wet = _array("wet_t", wet_t, "t")
    w = _moisture(moisture_pct)
    c_wet, c_w = np.broadcast_arrays(1.0 - w / 100.0, -wet / 100.0)
    return scalar_or_array(np.array(c_wet)), scalar_or_array(np.array(c_w))


def dry_mass_uncertainty_t(wet_t: ArrayLike, moisture_pct: ArrayLike, u_wet_t: ArrayLike, u_moisture_pct: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Standard uncertainty of the dry mass: √((c_wet·u(wet))² + (c_w·u(w))²) [t].

    Parameters
    ----------
    wet_t : array_like
        Wet mass [t], ≥ 0.
    moisture_pct : array_like
        Moisture content w [% wet basis], 0 … 30.
    u_wet_t : array_like
        Standard uncertainty of the wet mass [t], ≥ 0 (from the draft survey, the belt scale's class …).
    u_moisture_pct : array_like
        Standard uncertainty of the moisture content [percentage points, % wet basis], ≥ 0.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        u(dry) [t]. E.g. 100,000 t ± 300 t wet at 8.5 % ± 0.1 %: c_wet = 0.915, c_w = −1,000 t/%,
        u = √(274.5² + 100²) = 292.1 t.

    Raises
    ------
    DryMassError
        A mass or uncertainty that is negative or not finite; a moisture out of range.

    References
    ----------
    .. [1] JCGM 100:2008 (GUM), 5.1.2 and 5.1.3.
    """
    c_wet, c_w = sensitivity_coefficients(wet_t, moisture_pct)
    u_wet = _array("u_wet_t", u_wet_t, "t")
    u_w = _array("u_moisture_pct", u_moisture_pct, "%")
    return scalar_or_array(np.asarray(np.hypot(c_wet * u_wet, c_w * u_w), dtype=np.float64))


__all__ = [
    "METHOD",
    "MOISTURE_RANGE_PCT",
    "DryMassError",
    "dry_mass_t",
    "dry_mass_uncertainty_t",
    "sensitivity_coefficients",
    "wet_mass_t",
]
