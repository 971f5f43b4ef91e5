"""The bonded yard's mass balance for a lot or a period, and the ratios of a blending run.

Mass balance (per lot or per period, in wet or dry tonnes, the caller says which)::

    difference = entered − blended out − stock                           [t]
    u(difference) = √(u²(entered) + u²(out) + u²(stock))                 [t]
    U = k · u(difference),  k = 2                                        [t]

Each term is a figure of any method (draft survey, belt scale, stockpile survey) with its standard
uncertainty; the methods are independent, so the terms are taken as uncorrelated and combined by the
GUM law of propagation of uncertainty (JCGM 100:2008 5.1.2; every sensitivity coefficient is ±1). A term
made of several figures (the runs that drew on a lot, several outbound lots) is first summed with
:func:`sum_with_uncertainty` by the same law. The verdict:

* ``"balanced"``: |difference| ≤ U, the balance closes within what the methods can tell apart;
* ``"overdrawn"``: difference < −U, more was taken out (and is in stock) than entered, beyond uncertainty;
* ``"unaccounted"``: difference > U, more entered than is out plus in stock, beyond uncertainty.

Blending run: each component's delivered mass and its share of the sum, against the recipe's target
share with a tolerance in absolute percentage points; a component is *off recipe* when
|share − target| > tolerance. The product mass is compared with the sum of the components, with both
uncertainties, by the same law: ``"consistent"`` when |product − Σ components| ≤ U, ``"product_short"``
or ``"product_over"`` beyond it.

Numbers in, numbers out: scalars or numpy arrays (the balance is vectorised over lots), no I/O.

References
----------
.. [1] JCGM 100:2008 (GUM), 5.1.2 (combined standard uncertainty, uncorrelated inputs), 5.1.3
   (sensitivity coefficients), 6.2, 6.3 (expanded uncertainty U = k·u, k = 2 for about 95 %).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calculators.blending.quantity_arrays import non_negative
from calculators.quantity_error import QuantityError

Verdict = Literal["balanced", "overdrawn", "unaccounted"]
Basis = Literal["wet", "dry"]
ProductVerdict = Literal["consistent", "product_short", "product_over"]
BASES: tuple[str, ...] = ("wet", "dry")

COVERAGE_FACTOR = 2.0
"""k of the expanded uncertainty, about 95 % for a Gaussian output (JCGM 100 6.2, 6.3)."""

COMPARISON_SLACK_T = 1e-9
"""Floating-point slack on U [t], so that a difference exactly at U is not flipped by the last binary
digit. Far below any printed figure; not a tolerance."""

SHARE_SLACK_PCT = 1e-9
"""The same slack on a share's tolerance [percentage points]."""

TARGET_SUM_SLACK_PCT = 1e-6
"""How far the recipe's target shares may sum from 100 % [percentage points] (decimal targets such as
33.33 + 33.33 + 33.34 sum to 100 only to within binary rounding)."""

METHOD = (
    "difference = entered − blended out − stock; u(difference) by the JCGM 100:2008 law of propagation, "
    "uncorrelated inputs (5.1.2): √Σu²; U = k·u with k = 2 (6.2, 6.3); balanced when |difference| ≤ U"
)


class MassBalanceError(QuantityError):
    """A mass, uncertainty, basis, coverage factor or recipe the calculator cannot use."""


def _array(quantity: str, value: ArrayLike, unit: str = "t") -> NDArray[np.float64]:
    return non_negative(MassBalanceError, quantity, value, unit)


def _scalar(quantity: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise MassBalanceError(quantity, f"{quantity} = {value!r} t is not a number")
    return float(_array(quantity, float(value)))


def _coverage(coverage_factor: float) -> float:
    if (
        isinstance(coverage_factor, bool)
        or not isinstance(coverage_factor, numbers.Real)
        or not (math.isfinite(float(coverage_factor)) and float(coverage_factor) > 0.0)
    ):
        raise MassBalanceError("coverage_factor", f"coverage_factor = {coverage_factor!r} is not a positive finite number")
    return float(coverage_factor)


def _verdicts(difference: NDArray[np.float64], expanded: NDArray[np.float64]) -> tuple[Verdict, ...]:
    limit = expanded + COMPARISON_SLACK_T
    verdicts: list[Verdict] = []
    for d, u in zip(difference.ravel().tolist(), limit.ravel().tolist(), strict=True):
        verdicts.append("overdrawn" if d < -u else "unaccounted" if d > u else "balanced")
    return tuple(verdicts)


def sum_with_uncertainty(masses_t: ArrayLike, u_masses_t: ArrayLike) -> tuple[float, float]:
    """Sum of several uncorrelated figures and its standard uncertainty √Σu² [t].

    Parameters
    ----------
    masses_t : array_like
        The figures [t], ≥ 0 (e.g. the runs that drew on one lot).
    u_masses_t : array_like
        Their standard uncertainties [t], ≥ 0, same shape.

    Returns
    -------
    total_t : float
        Σ masses [t].
    u_total_t : float
        √Σu² [t].

    Raises
    ------
    MassBalanceError
        A negative or non-finite figure or uncertainty, shapes that differ, or no figure at all.

    References
    ----------
    .. [1] JCGM 100:2008 (GUM), 5.1.2 (every sensitivity coefficient is 1).
    """
    m = _array("masses_t", masses_t).ravel()
    u = _array("u_masses_t", u_masses_t).ravel()
    if m.size == 0:
        raise MassBalanceError("masses_t", "no figure to sum; expected at least one mass")
    if m.shape != u.shape:
        raise MassBalanceError("u_masses_t", f"{u.size} uncertainties for {m.size} masses; expected one uncertainty per mass")
    return float(np.sum(m)), float(math.sqrt(float(np.sum(u * u))))


@dataclass(frozen=True)
class MassBalance:
    """The yard's mass balance of one or several lots (or periods), element by element.

    Attributes
    ----------
    basis : {"wet", "dry"}
        Whether every figure is in wet or in dry tonnes (the caller's statement).
    difference_t : numpy.ndarray
        entered − out − stock [t], one per lot (1-D).
    u_difference_t : numpy.ndarray
        Combined standard uncertainty √(u²(entered) + u²(out) + u²(stock)) [t].
    expanded_t : numpy.ndarray
        U = k·u [t].
    coverage_factor : float
        k [-].
    verdicts : tuple of {"balanced", "overdrawn", "unaccounted"}
        One per lot.
    """

    basis: Basis
    difference_t: NDArray[np.float64]
    u_difference_t: NDArray[np.float64]
    expanded_t: NDArray[np.float64]
    coverage_factor: float
    verdicts: tuple[Verdict, ...]

    @property
    def balanced(self) -> bool:
        """True when every lot balances."""
        return all(verdict == "balanced" for verdict in self.verdicts)


def mass_balance(
    entered_t: ArrayLike,
    u_entered_t: ArrayLike,
    out_t: ArrayLike,
    u_out_t: ArrayLike,
    stock_t: ArrayLike,
    u_stock_t: ArrayLike,
    basis: Basis,
    coverage_factor: float = COVERAGE_FACTOR,
) -> MassBalance:
    """The mass balance entered − blended out − stock, its uncertainty and its verdict, per lot.

    Parameters
    ----------
    entered_t : array_like
        Mass entered into the yard (per lot) [t], ≥ 0.
    u_entered_t : array_like
        Its standard uncertainty [t], ≥ 0.
    out_t : array_like
        Mass blended out (taken from the lot) [t], ≥ 0.
    u_out_t : array_like
        Its standard uncertainty [t], ≥ 0.
    stock_t : array_like
        Mass in stock at the end of the period [t], ≥ 0.
    u_stock_t : array_like
        Its standard uncertainty [t], ≥ 0.
    basis : {"wet", "dry"}
        The basis every figure is on; all six must be on the same one (see
        :mod:`calculators.blending.dry_mass`).
    coverage_factor : float, default 2.0
        k [-].

    Returns
    -------
    MassBalance
        Difference, u, U and the verdict of each lot; inputs broadcast against each other (numpy rules).

    Raises
    ------
    MassBalanceError
        A negative or non-finite mass or uncertainty, an unknown basis, a coverage factor that is not
        positive, or shapes that do not broadcast.

    Examples
    --------
    Entered 150,000 t (draft survey, u = 375 t), out 98,000 t (belt scales, u = 283 t), stock 51,500 t
    (stockpile survey, u = 1,030 t): difference 500 t, u = √(375² + 283² + 1,030²) = 1,132 t,
    U = 2,264 t: balanced.

    References
    ----------
    .. [1] JCGM 100:2008 (GUM), 5.1.2, 6.2, 6.3.
    """
    if basis not in BASES:
        raise MassBalanceError("basis", f"basis {basis!r} is unknown; expected one of {', '.join(BASES)}")
    k = _coverage(coverage_factor)
    arrays = [
        _array("entered_t", entered_t),
        _array("u_entered_t", u_entered_t),
        _array("out_t", out_t),
        _array("u_out_t", u_out_t),
        _array("stock_t", stock_t),
        _array("u_stock_t", u_stock_t),
    ]
    try:
        entered, u_entered, out, u_out, stock, u_stock = (np.atleast_1d(a) for a in np.broadcast_arrays(*arrays))
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise MassBalanceError("entered_t", f"the figures' shapes {shapes} do not broadcast; expected one figure per lot") from None
    difference = entered - out - stock
    u = np.sqrt(u_entered**2 + u_out**2 + u_stock**2)
    expanded = k * u
    return MassBalance(basis, difference, u, expanded, k, _verdicts(difference, expanded))


@dataclass(frozen=True)
class ComponentShare:
    """One component of a blending run against its recipe.

    Attributes
    ----------
    name : str
        The component (its lot).
    delivered_t : float
        Mass delivered by its feeder [t].
    u_delivered_t : float
        Its standard uncertainty [t].
    share_pct : float
        100 · delivered / Σ delivered [%].
    u_share_pct : float
        Standard uncertainty of the share [percentage points], by the law of propagation with
        ∂p_i/∂m_i = 100·(S − m_i)/S², ∂p_i/∂m_j = −100·m_i/S² (JCGM 100 5.1.2, 5.1.3); for information,
        the flag rests on the tolerance alone.
    target_pct : float
        The recipe's target share [%].
    tolerance_pp : float
        The recipe's tolerance [percentage points, absolute].
    deviation_pp : float
        share − target [percentage points].
    off_recipe : bool
        |deviation| > tolerance.
    """

    name: str
    delivered_t: float
    u_delivered_t: float
    share_pct: float
    u_share_pct: float
    target_pct: float
    tolerance_pp: float
    deviation_pp: float
    off_recipe: bool


@dataclass(frozen=True)
class BlendingRun:
    """A blending run: the components against the recipe, and the product against their sum.

    Attributes
    ----------
    components : tuple of ComponentShare
        In the order given.
    sum_t : float
        Σ delivered [t].
    u_sum_t : float
        √Σu² of the components [t].
    product_t : float
        The product belt scale's mass [t].
    u_product_t : float
        Its standard uncertainty [t].
    product_minus_sum_t : float
        product − Σ delivered [t].
    u_product_minus_sum_t : float
        √(u²(product) + u²(sum)) [t].
    expanded_t : float
        U = k·u(product − sum) [t].
    coverage_factor : float
        k [-].
    product_verdict : {"consistent", "product_short", "product_over"}
        ``"consistent"`` when |product − sum| ≤ U; ``"product_short"`` when the product is short of
        the components beyond U; ``"product_over"`` when it exceeds them beyond U.
    """

    components: tuple[ComponentShare, ...]
    sum_t: float
    u_sum_t: float
    product_t: float
    u_product_t: float
    product_minus_sum_t: float
    u_product_minus_sum_t: float
    expanded_t: float
    coverage_factor: float
    product_verdict: ProductVerdict

    @property
    def off_recipe(self) -> tuple[str, ...]:
        """The components off recipe, by name (empty when the run kept its recipe)."""
        return tuple(component.name for component in self.components if component.off_recipe)


def blending_run(
    names: Sequence[str],
    delivered_t: ArrayLike,
    u_delivered_t: ArrayLike,
    target_pct: ArrayLike,
    tolerance_pp: ArrayLike,
    product_t: float,
    u_product_t: float,
    coverage_factor: float = COVERAGE_FACTOR,
) -> BlendingRun:
    """A blending run's achieved ratios against its recipe, and its product against the components.

    Parameters
    ----------
    names : sequence of str
        The components (lots), unique, non-empty.
    delivered_t : array_like
        Each component's delivered mass (its feeder belt scale) [t], ≥ 0, Σ > 0.
    u_delivered_t : array_like
        Their standard uncertainties [t], ≥ 0.
    target_pct : array_like
        The recipe's target shares [%], each 0 … 100, summing to 100.
    tolerance_pp : array_like
        The tolerance of each share [percentage points, absolute], ≥ 0 (a scalar applies to all).
    product_t : float
        The product belt scale's mass [t], ≥ 0.
    u_product_t : float
        Its standard uncertainty [t], ≥ 0.
    coverage_factor : float, default 2.0
        k [-].

    Returns
    -------
    BlendingRun

    Raises
    ------
    MassBalanceError
        Names missing or repeated; a mass, uncertainty, target or tolerance that is negative or not
        finite; lengths that differ; targets not summing to 100 %; nothing delivered.

    References
    ----------
    .. [1] JCGM 100:2008 (GUM), 5.1.2, 5.1.3, 6.2, 6.3.
    """
    labels = [str(name) for name in names]
    if not labels:
        raise MassBalanceError("names", "a blending run needs at least one component")
    repeated = sorted({name for name in labels if labels.count(name) > 1})
    if repeated:
        raise MassBalanceError("names", f"component {repeated[0]!r} is named twice; expected one entry per component")
    n = len(labels)
    m = _array("delivered_t", delivered_t).ravel()
    u = _array("u_delivered_t", u_delivered_t).ravel()
    target = _array("target_pct", target_pct, "%").ravel()
    tolerance = _array("tolerance_pp", tolerance_pp, "percentage points").ravel()
    if tolerance.size == 1:
        tolerance = np.full(n, tolerance[0])
    for quantity, values in (("delivered_t", m), ("u_delivered_t", u), ("target_pct", target), ("tolerance_pp", tolerance)):
        if values.size != n:
            raise MassBalanceError(quantity, f"{quantity} has {values.size} values for {n} components; expected one per component")
    if np.any(target > 100.0):
        raise MassBalanceError("target_pct", f"target_pct = {target.tolist()!r}: a share above 100 %; expected 0 … 100 %")
    if abs(float(np.sum(target)) - 100.0) > TARGET_SUM_SLACK_PCT:
        raise MassBalanceError("target_pct", f"the target shares sum to {float(np.sum(target))!r} %; expected 100 %")
    product = _scalar("product_t", product_t)
    u_product = _scalar("u_product_t", u_product_t)
    k = _coverage(coverage_factor)
    total = float(np.sum(m))
    if total <= 0.0:
        raise MassBalanceError("delivered_t", "the components delivered 0 t in all; shares of nothing cannot be compared with the recipe")
    share = 100.0 * m / total
    # ∂p_i/∂m_j = 100·(δ_ij·S − m_i)/S²; u²(p_i) = Σ_j (∂p_i/∂m_j)²·u_j²
    jacobian = 100.0 * (np.eye(n) * total - m[:, None]) / total**2
    u_share = np.sqrt((jacobian**2) @ (u**2))
    deviation = share - target
    off = np.abs(deviation) > tolerance + SHARE_SLACK_PCT
    components = tuple(
        ComponentShare(
            labels[i],
            float(m[i]),
            float(u[i]),
            float(share[i]),
            float(u_share[i]),
            float(target[i]),
            float(tolerance[i]),
            float(deviation[i]),
            bool(off[i]),
        )
        for i in range(n)
    )
    u_sum = math.sqrt(float(np.sum(u * u)))
    delta = product - total
    u_delta = math.hypot(u_product, u_sum)
    expanded = k * u_delta
    limit = expanded + COMPARISON_SLACK_T
    verdict: ProductVerdict = "product_short" if delta < -limit else "product_over" if delta > limit else "consistent"
    return BlendingRun(components, total, u_sum, product, u_product, delta, u_delta, expanded, k, verdict)


__all__ = [
    "BASES",
    "COVERAGE_FACTOR",
    "METHOD",
    "BlendingRun",
    "ComponentShare",
    "MassBalance",
    "MassBalanceError",
    "ProductVerdict",
    "blending_run",
    "mass_balance",
    "sum_with_uncertainty",
]
