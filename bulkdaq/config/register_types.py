"""The Modbus data types a register map may name: how many 16-bit registers each occupies and how its
big-endian bytes unpack, and the two byte/word orders.

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


def register_count(data_type: str) -> int:
    """Number of 16-bit registers a value of `data_type` occupies."""
    return DATA_TYPES[data_type][0]


__all__ = ["DATA_TYPES", "INTEGER_TYPES", "DataType", "Order", "register_count"]
