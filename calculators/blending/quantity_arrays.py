"""The blending calculators' one check of a quantity given as a scalar or an array, and their one way back.

Every figure of a yard (masses, moisture, uncertainties) is finite and never negative; a calculator names the
quantity that is not, with its own error class (a `QuantityError`), and returns a scalar for a scalar input.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calculators.quantity_error import QuantityError


def non_negative(error: type[QuantityError], quantity: str, value: ArrayLike, unit: str) -> NDArray[np.float64]:
    """`value` as a float array, every element finite and ≥ 0 [`unit`].

    Raises
    ------
    QuantityError
        Of class `error`, naming `quantity`: not a number, not finite, or negative.
    """
    try:
        x = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise error(quantity, f"{quantity} = {value!r} {unit} is not a number") from None
    if np.any(~np.isfinite(x)):
        raise error(quantity, f"{quantity} = {value!r} {unit} is not a finite number")
    if np.any(x < 0.0):
        raise error(quantity, f"{quantity} = {value!r} {unit} is negative; expected a value ≥ 0 {unit}")
    return x


def scalar_or_array(x: NDArray[np.float64]) -> NDArray[np.float64] | np.float64:
    """A 0-d result as a numpy scalar (the caller gave scalars), an array as it is."""
    return x if x.ndim else np.float64(x)


__all__ = ["non_negative", "scalar_or_array"]
