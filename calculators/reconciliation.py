"""Reconciliation of independent cargo figures: differences, tolerance limits and the verdict.

Two figures of the same cargo (meter vs shore tank, meter vs the ship's figure adjusted by its VEF,
draft survey vs belt scale, any figure vs the declared quantity) are compared as

    difference = first − second                [t or m³, the figures' own unit]
    difference % = 100 · (first − second) / second

so the second figure is the reference (the declared quantity when one side is declared; the contract's
``clearance.difference_pct`` is (measured − declared)/declared). A pair is within tolerance when the
difference does not exceed the limit; the limit is fixed by the rule set or, as an option, the
root-sum-square of both methods' expanded uncertainties, or the wider of the two.

Numbers in, numbers out: scalars or numpy arrays, no I/O. Which pairs to compare and which rule applies
is configuration (``bulkdaq.shipments.tolerance_rules``).

References
----------
.. [1] JCGM 100:2008 (GUM), §5.1.2 and §6: combined standard uncertainty of uncorrelated inputs by
   root-sum-square, expanded uncertainty U = k·u; the same coverage factor on both sides lets expanded
   uncertainties be combined by root-sum-square directly.
.. [2] API MPMS Chapter 17.9 (Vessel Experience Factor), §9: VEF = ship figure / shore figure averaged
   over qualifying voyages; the ship's figure adjusted by the VEF is ship figure / VEF.
.. [3] API MPMS Chapter 17.1 (Guidelines for marine inspection): shore and ship figures compared as a
   difference and a percentage of the shore (reference) figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bulkdaq.errors import BulkdaqError

Sense = Literal["both", "short"]
Band = Literal["fixed", "uncertainty", "wider"]
SENSES = ("both", "short")
BANDS = ("fixed", "uncertainty", "wider")

COMPARISON_SLACK_PCT = 1e-9
"""Floating-point slack on the limit [%]: 100.3 vs 100 gives 0.29999999999999716 %, and an exact
boundary case must not flip on the last binary digit. Far below any printed decimal, not a tolerance."""


class InvalidReconciliationInput(BulkdaqError, ValueError):
    """A figure, limit, uncertainty or VEF that cannot be used (not finite, not positive, unknown option)."""


def _array(name: str, value: ArrayLike, *, positive: bool = False, non_negative: bool = False) -> NDArray[np.float64]:
    x = np.asarray(value, dtype=np.float64)
    if np.any(~np.isfinite(x)):
        raise InvalidReconciliationInput(f"{name} must be a finite number, got {value!r}")
    if positive and np.any(x <= 0):
        raise InvalidReconciliationInput(f"{name} must be greater than 0, got {value!r}")
    if non_negative and np.any(x < 0):
        raise InvalidReconciliationInput(f"{name} must not be negative, got {value!r}")
    return x


def _out(x: ArrayLike) -> NDArray[np.float64] | np.float64:
    array = np.asarray(x, dtype=np.float64)
    return array if array.ndim else np.float64(array)


def difference(first: ArrayLike, second: ArrayLike) -> tuple[NDArray[np.float64] | np.float64, NDArray[np.float64] | np.float64]:
    """Difference of two figures and the same as a percentage of the second (the reference).

    Parameters
    ----------
    first : array_like
        The figure under test [t or m³].
    second : array_like
        The reference figure, same unit and basis [t or m³], > 0.

    Returns
    -------
    difference : numpy.float64 or numpy.ndarray
        first − second [unit of the figures]; negative when the first is short.
    difference_pct : numpy.float64 or numpy.ndarray
        100 · (first − second) / second [%].

    Raises
    ------
    InvalidReconciliationInput
        A figure that is not finite, or a reference that is not positive.

    References
    ----------
    .. [1] API MPMS Chapter 17.1 (difference and percentage of the reference figure).
    """
    a = _array("first figure", first, non_negative=True)
    b = _array("reference figure", second, positive=True)
    delta = a - b
    return _out(delta), _out(100.0 * delta / b)


def combined_uncertainty_pct(first_pct: ArrayLike, second_pct: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Root-sum-square of two methods' relative expanded uncertainties.

    Parameters
    ----------
    first_pct, second_pct : array_like
        Expanded uncertainty of each method at the same coverage factor (k = 2, about 95 %) [% of the
        figure], ≥ 0.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        √(U₁² + U₂²) [%]: the expanded uncertainty of the difference of two uncorrelated figures.

    References
    ----------
    .. [1] JCGM 100:2008 (GUM) §5.1.2 (law of propagation, uncorrelated inputs) and §6.2.1.
    """
    u1 = _array("first uncertainty", first_pct, non_negative=True)
    u2 = _array("second uncertainty", second_pct, non_negative=True)
    return _out(np.hypot(u1, u2))


def applicable_limit_pct(
    band: Band,
    fixed_limit_pct: ArrayLike | None = None,
    first_uncertainty_pct: ArrayLike | None = None,
    second_uncertainty_pct: ArrayLike | None = None,
) -> NDArray[np.float64] | np.float64:
    """The limit a rule applies to a pair [%].

    Parameters
    ----------
    band : {"fixed", "uncertainty", "wider"}
        ``"fixed"``: the fixed limit. ``"uncertainty"``: the root-sum-square of both methods' expanded
        uncertainties. ``"wider"``: the larger of the two (a fixed commercial limit that never drops
        below what the two methods can tell apart).
    fixed_limit_pct : array_like, optional
        The rule's fixed limit [%], > 0; required for ``fixed`` and ``wider``.
    first_uncertainty_pct, second_uncertainty_pct : array_like, optional
        Expanded uncertainties (k = 2) of the two methods [%]; required for ``uncertainty`` and ``wider``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        The limit [%].

    Raises
    ------
    InvalidReconciliationInput
        Unknown band, or a value the band needs is missing or invalid.

    References
    ----------
    .. [1] JCGM 100:2008 (GUM) §5.1.2 (root-sum-square).
    """
    if band not in BANDS:
        raise InvalidReconciliationInput(f"unknown band {band!r}; expected one of {', '.join(BANDS)}")
    fixed = None
    if band in ("fixed", "wider"):
        if fixed_limit_pct is None:
            raise InvalidReconciliationInput(f"band {band!r} needs a fixed limit")
        fixed = _array("fixed limit", fixed_limit_pct, positive=True)
        if band == "fixed":
            return _out(fixed)
    if first_uncertainty_pct is None or second_uncertainty_pct is None:
        raise InvalidReconciliationInput(f"band {band!r} needs the expanded uncertainty of both methods")
    combined = np.asarray(combined_uncertainty_pct(first_uncertainty_pct, second_uncertainty_pct))
    if band == "uncertainty":
        if np.any(combined <= 0):
            raise InvalidReconciliationInput("an uncertainty band of 0 % accepts nothing; give the methods' uncertainties")
        return _out(combined)
    return _out(np.maximum(cast(NDArray[np.float64], fixed), combined))  # a wider band has its fixed limit (checked above)


def within_limit(difference_pct: ArrayLike, limit_pct: ArrayLike, sense: Sense = "both") -> NDArray[np.bool_] | np.bool_:
    """Whether a difference is within a limit.

    Parameters
    ----------
    difference_pct : array_like
        100 · (first − second) / second [%].
    limit_pct : array_like
        The limit [%], > 0.
    sense : {"both", "short"}, default "both"
        ``"both"``: |difference| ≤ limit. ``"short"``: only a shortfall counts (difference ≥ −limit),
        as in a short-weight clause where an over-delivery is not a discrepancy.

    Returns
    -------
    numpy.bool_ or numpy.ndarray of bool
        True when within (the limit itself is within).
    """
    if sense not in SENSES:
        raise InvalidReconciliationInput(f"unknown sense {sense!r}; expected one of {', '.join(SENSES)}")
    d = _array("difference", difference_pct)
    limit = _array("limit", limit_pct, positive=True) + COMPARISON_SLACK_PCT
    result = np.abs(d) <= limit if sense == "both" else d >= -limit
    return result if np.ndim(result) else np.bool_(result)


def vef_adjusted(ship_figure: ArrayLike, vessel_experience_factor: ArrayLike) -> NDArray[np.float64] | np.float64:
    """The ship's figure adjusted by its Vessel Experience Factor: ship figure / VEF.

    Parameters
    ----------
    ship_figure : array_like
        The vessel's figure (TCV loaded or before discharge, less OBQ/ROB) [t or m³], ≥ 0.
    vessel_experience_factor : array_like
        VEF [-], > 0 (typically 0.99 … 1.01).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        Adjusted ship figure [unit of ``ship_figure``], comparable with the shore figure.

    References
    ----------
    .. [1] API MPMS Chapter 17.9, §9 (application of the VEF).
    """
    ship = _array("ship figure", ship_figure, non_negative=True)
    vef = _array("vessel experience factor", vessel_experience_factor, positive=True)
    return _out(ship / vef)


@dataclass(frozen=True)
class PairResult:
    """The comparison of one pair of figures under one limit."""

    first: float
    second: float
    difference: float
    difference_pct: float
    limit_pct: float
    sense: Sense
    within: bool


def compare_pair(first: float, second: float, limit_pct: float, sense: Sense = "both") -> PairResult:
    """Compare two scalar figures under a limit.

    Parameters
    ----------
    first : float
        Figure under test [t or m³].
    second : float
        Reference figure, same unit and basis [t or m³], > 0.
    limit_pct : float
        Limit [%] (see :func:`applicable_limit_pct`).
    sense : {"both", "short"}, default "both"
        See :func:`within_limit`.

    Returns
    -------
    PairResult
        Difference [unit], difference [%], limit [%], sense and whether the pair is within.
    """
    delta, delta_pct = difference(first, second)
    within = within_limit(delta_pct, limit_pct, sense)
    return PairResult(float(first), float(second), float(delta), float(delta_pct), float(limit_pct), sense, bool(within))


def overall_verdict(within: ArrayLike) -> Literal["verified", "discrepancy"]:
    """``"verified"`` when every compared pair is within its limit, else ``"discrepancy"``.

    Raises
    ------
    InvalidReconciliationInput
        No pair was compared (a verdict must rest on at least one comparison).
    """
    flags = np.asarray(within, dtype=bool).ravel()
    if flags.size == 0:
        raise InvalidReconciliationInput("no pair of figures was compared; a verdict needs at least one comparison")
    return "verified" if bool(np.all(flags)) else "discrepancy"


__all__ = [
    "BANDS",
    "SENSES",
    "InvalidReconciliationInput",
    "PairResult",
    "applicable_limit_pct",
    "combined_uncertainty_pct",
    "compare_pair",
    "difference",
    "overall_verdict",
    "vef_adjusted",
    "within_limit",
]
