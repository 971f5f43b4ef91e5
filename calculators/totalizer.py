"""Indicated quantity from a meter's opening and closing totalizer readings.

References
----------
API MPMS Chapter 12.2.1 (Calculation of Petroleum Quantities Using Dynamic Measurement Methods),
§12.2.5.1: the indicated quantity of a batch is the closing minus the opening non-resettable
totalizer reading.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

from bulkdaq.errors import BulkdaqError

Reading = TypeVar("Reading", int, float, Decimal)
"""A totalizer reading: an exact count (int), a float, or a decimal (the stored value read back exactly)."""


class TotalizerWentBackwards(BulkdaqError, ValueError):
    """The closing reading is below the opening one and no roll-over explains it (a reset)."""

    def __init__(self, opening: Reading, closing: Reading, rollover_at: Reading | None) -> None:
        self.opening: int | float | Decimal = opening
        self.closing: int | float | Decimal = closing
        self.rollover_at: int | float | Decimal | None = rollover_at
        why = (
            "no roll-over is configured"
            if rollover_at is None
            else f"a roll-over at {rollover_at} would imply {rollover_at - opening + closing}, "
            "more than half the register span, so this is a reset"
        )
        super().__init__(
            f"totalizer went backwards: opening {opening}, closing {closing} ({why}); "
            "a reset is not a negative quantity"
        )


def indicated_quantity(opening: Reading, closing: Reading, rollover_at: Reading | None = None) -> Reading:
    """Indicated quantity (IV or indicated mass) = closing − opening, in the totalizer's own unit.

    Parameters
    ----------
    opening, closing : int, float or Decimal
        Totalizer readings at the start and end of the batch [unit of the totalizer]. Integers stay
        integers, so a 64-bit count in grams or millilitres is subtracted exactly.
    rollover_at : int, float or Decimal, optional
        The value at which the totalizer wraps to zero (e.g. 2**32 counts, or 1e9 m³ for a meter that
        wraps at nine digits). A closing reading below the opening is a roll-over only when the
        quantity it implies is less than half this span; otherwise it is a reset.

    Returns
    -------
    int, float or Decimal
        The indicated quantity [unit of the totalizer], never negative.

    Raises
    ------
    TotalizerWentBackwards
        The closing reading is below the opening and no roll-over explains it.
    """
    if closing >= opening:
        return closing - opening
    if rollover_at is not None and 0 <= closing and opening < rollover_at:
        wrapped = rollover_at - opening + closing
        if wrapped < rollover_at / 2:
            return wrapped
    raise TotalizerWentBackwards(opening, closing, rollover_at)


__all__ = [
    "Reading",
    "TotalizerWentBackwards",
    "indicated_quantity",
]
