"""The Modbus data types a register map may name: how many 16-bit registers each occupies and how its
big-endian bytes unpack, the two byte/word orders, and the letter notation of device manuals for them.

The site file checks its register maps against this table (`bulkdaq/config/site_file.py`); the
collector's codec reads and writes values with it (`collectors/modbus/register_codec.py`).
"""

from __future__ import annotations

from typing import Literal

DataType = Literal["int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]
Order = Literal["big", "little"]

# data type -> (registers, struct format of the big-endian value)
DATA_TYPES: dict[str, tuple[int, str]] = {
    "int16": (1, ">h"),
    "uint16": (1, ">H"),
    "int32": (2, ">i"),
    "uint32": (2, ">I"),
    "int64": (4, ">q"),
    "uint64": (4, ">Q"),
    "float32": (2, ">f"),
    "float64": (4, ">d"),
}
INTEGER_TYPES = frozenset({"int16", "uint16", "int32", "uint32", "int64", "uint64"})


# The notation of device manuals (`register_order` in the site file): the value's bytes A (most
# significant) to D (or H, 64-bit) in the order the registers hold them, first register first; a 32-bit
# name means the same for 16- and 64-bit values (docs/configuration.md has the table).
# notation -> (byte_order, word_order)
REGISTER_ORDERS: dict[str, tuple[Order, Order]] = {
    "ABCD": ("big", "big"),
    "CDAB": ("big", "little"),
    "BADC": ("little", "big"),
    "DCBA": ("little", "little"),
    "ABCDEFGH": ("big", "big"),
    "GHEFCDAB": ("big", "little"),
    "BADCFEHG": ("little", "big"),
    "HGFEDCBA": ("little", "little"),
}


def register_order_problem(notation: str) -> str | None:
    """What is wrong with a `register_order` (None when bulkdaq reads it)."""
    if notation in REGISTER_ORDERS:
        return None
    known = ", ".join(REGISTER_ORDERS)
    if notation.upper() in REGISTER_ORDERS:
        return f"{notation!r}: write the letters in capitals, {notation.upper()!r}"
    if sorted(notation.upper()) in (list("ABCD"), list("ABCDEFGH")):
        return (
            f"{notation!r} is an order bulkdaq cannot read: it reads one byte order inside every register, and a "
            f"value's registers either in order or all reversed; the orders that are: {known}"
        )
    return f"{notation!r} is not a register order; expected one of {known} (the bytes A = most significant … as the registers hold them)"


def register_count(data_type: str) -> int:
    """Number of 16-bit registers a value of `data_type` occupies."""
    return DATA_TYPES[data_type][0]


__all__ = ["DATA_TYPES", "INTEGER_TYPES", "REGISTER_ORDERS", "DataType", "Order", "register_count", "register_order_problem"]
