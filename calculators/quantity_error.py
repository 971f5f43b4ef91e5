"""The error every calculator raises for an input it cannot use, naming which input it was."""

from __future__ import annotations

from bulkdaq.errors import BulkdaqError


class QuantityError(BulkdaqError, ValueError):
    """An input a calculator refuses (out of a standard's range, off a table, not a measurement).

    Attributes
    ----------
    quantity : str
        The input at fault (``"density"``, ``"temperature"``, ``"meter_factor"`` …), so a caller that
        read it from a file can name the file's field.
    """

    def __init__(self, quantity: str, message: str) -> None:
        self.quantity = quantity
        super().__init__(message)


__all__ = [
    "QuantityError",
]
