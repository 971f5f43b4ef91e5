"""Modbus register images ⇄ numbers, for every data type in every byte and word order.

A Modbus register is 16 bits sent high byte first. Devices disagree on two things:

* **byte order** inside each register: ``big`` (AB, the Modbus norm) or ``little`` (BA, byte-swapped);
* **word order** across the registers of a 32/64-bit value: ``big`` (most significant register
  first) or ``little`` (least significant register first, "swapped words").

So a float32 1.0 (0x3F800000) reads ``[0x3F80, 0x0000]`` as big/big ("ABCD"), ``[0x0000, 0x3F80]`` as
big bytes/little words ("CDAB"), ``[0x803F, 0x0000]`` as little/big ("BADC") and ``[0x0000, 0x803F]``
as little/little ("DCBA").

The data types and their sizes are in `bulkdaq/config/register_types.py`, which the site file checks
register maps against. This module is written without pymodbus on purpose: pymodbus's converters know
only word order and have changed across minor releases.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from bulkdaq.config.register_types import DATA_TYPES, INTEGER_TYPES, Order


def decode(registers: Sequence[int], data_type: str, byte_order: Order = "big", word_order: Order = "big") -> int | float:
    """Decode the registers of one value.

    Integers come back as Python ints (exact, including the largest uint64); floats as Python floats
    (NaN and ±Inf included, as the device sent them).
    """
    count, fmt = DATA_TYPES[data_type]
    if len(registers) != count:
        raise ValueError(f"{data_type} needs {count} registers, got {len(registers)}")
    words = list(registers) if word_order == "big" else list(reversed(registers))
    raw = b"".join(_register_bytes(word, byte_order) for word in words)
    return struct.unpack(fmt, raw)[0]


def encode(value: int | float, data_type: str, byte_order: Order = "big", word_order: Order = "big") -> list[int]:
    """Encode one value into the registers a device with this byte/word order would hold."""
    count, fmt = DATA_TYPES[data_type]
    try:
        raw = struct.pack(fmt, value)
    except struct.error as error:
        raise ValueError(f"{value!r} does not fit a {data_type}: {error}") from None
    words = [_bytes_register(raw[2 * i : 2 * i + 2], byte_order) for i in range(count)]
    return words if word_order == "big" else list(reversed(words))


def _register_bytes(word: int, byte_order: Order) -> bytes:
    if not 0 <= word <= 0xFFFF:
        raise ValueError(f"register value {word!r} is not 16-bit")
    return word.to_bytes(2, "big" if byte_order == "big" else "little")


def _bytes_register(pair: bytes, byte_order: Order) -> int:
    return int.from_bytes(pair, "big" if byte_order == "big" else "little")


def to_engineering(raw: int | float, scale: float = 1.0, offset: float = 0.0) -> float:
    """Engineering value = raw × scale + offset, as a float.

    For integer raw values the product is formed in decimal and rounded once, so a total of
    123456789 g with scale 0.001 is stored as exactly the double nearest 123456.789 kg; a ticket can
    then recover the decimal reading from the stored value without error.
    """
    if isinstance(raw, int):
        if scale == 1.0 and offset == 0.0:
            return float(raw)
        return float(Decimal(raw) * Decimal(repr(scale)) + Decimal(repr(offset)))
    if scale == 1.0 and offset == 0.0:
        return raw
    return raw * scale + offset


def to_raw(value: float, data_type: str, scale: float = 1.0, offset: float = 0.0) -> int | float:
    """The raw register value a device holds for an engineering value (integers truncate toward zero,
    as a totalizer counts whole units)."""
    if data_type in INTEGER_TYPES:
        exact = (Decimal(repr(value)) - Decimal(repr(offset))) / Decimal(repr(scale))
        return int(exact.to_integral_value(rounding=ROUND_DOWN))
    return (value - offset) / scale


def block_value_reader(data_type: str, byte_order: Order = "big", word_order: Order = "big") -> tuple[struct.Struct, bool]:
    """How to read one value of `data_type` straight out of a whole block's bytes, without building it
    register by register: ``(layout, from_swapped)``.

    `layout.unpack_from(buffer, 2 * register_offset)[0]` gives the same number as `decode`, where
    `buffer` is the block packed as sent on the wire (``struct.pack(">nH", *registers)``) or, when
    `from_swapped` is true, with the two bytes of every register swapped (``struct.pack("<nH", …)``):
    big/big (ABCD) reads the wire bytes big-endian, little/little (DCBA) the wire bytes little-endian,
    little bytes/big words (BADC) the swapped bytes big-endian, big bytes/little words (CDAB) the
    swapped bytes little-endian. Word order means nothing for a one-register value.
    """
    count, fmt = DATA_TYPES[data_type]
    if count == 1:
        word_order = "big"
    return struct.Struct(("<" if word_order == "little" else ">") + fmt[1:]), byte_order != word_order


def engineering_converter(scale: float = 1.0, offset: float = 0.0):  # noqa: ANN201
    """`to_engineering` with the scale and offset fixed: the same result, their decimals formed once."""
    if scale == 1.0 and offset == 0.0:
        return lambda raw: float(raw) if isinstance(raw, int) else raw
    scale_decimal, offset_decimal = Decimal(repr(scale)), Decimal(repr(offset))

    def convert(raw: int | float) -> float:
        if isinstance(raw, int):
            return float(Decimal(raw) * scale_decimal + offset_decimal)
        return raw * scale + offset

    return convert


__all__ = [
    "block_value_reader",
    "decode",
    "encode",
    "engineering_converter",
    "to_engineering",
    "to_raw",
]
