"""Register images ⇄ values for every data type in every byte/word order, against known images."""

from __future__ import annotations

import math
import struct
from decimal import Decimal

import pytest

from bulkdaq.config.site_file import ModbusDevice
from collectors.modbus.point_codec import decode_point, encode_point
from collectors.modbus.register_codec import decode, encode, to_engineering, to_raw

# float32 1.0 = 0x3F800000 in the four orders named the usual way (ABCD, CDAB, BADC, DCBA).
FLOAT32_ONE = {
    ("big", "big"): [0x3F80, 0x0000],
    ("big", "little"): [0x0000, 0x3F80],
    ("little", "big"): [0x803F, 0x0000],
    ("little", "little"): [0x0000, 0x803F],
}


@pytest.mark.parametrize(("byte_order", "word_order"), list(FLOAT32_ONE))
def test_float32_one_in_each_order(byte_order: str, word_order: str) -> None:
    image = FLOAT32_ONE[(byte_order, word_order)]
    assert decode(image, "float32", byte_order, word_order) == 1.0
    assert encode(1.0, "float32", byte_order, word_order) == image


# Known images in big/big (ABCD…) order, written out by hand from the IEEE/two's-complement bytes.
KNOWN_BIG_ENDIAN = [
    ("int16", -2, [0xFFFE]),
    ("int16", -32768, [0x8000]),
    ("uint16", 65535, [0xFFFF]),
    ("int32", -123456789, [0xF8A4, 0x32EB]),
    ("uint32", 4294967295, [0xFFFF, 0xFFFF]),
    ("uint32", 305419896, [0x1234, 0x5678]),
    ("int64", -1, [0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF]),
    ("int64", -9223372036854775808, [0x8000, 0x0000, 0x0000, 0x0000]),
    ("uint64", 18446744073709551615, [0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF]),
    ("uint64", 0x0123456789ABCDEF, [0x0123, 0x4567, 0x89AB, 0xCDEF]),
    ("float32", -2.5, [0xC020, 0x0000]),
    ("float32", math.inf, [0x7F80, 0x0000]),
    ("float32", -math.inf, [0xFF80, 0x0000]),
    ("float64", 1.0, [0x3FF0, 0x0000, 0x0000, 0x0000]),
    ("float64", -0.1, [0xBFB9, 0x9999, 0x9999, 0x999A]),
    ("float64", math.inf, [0x7FF0, 0x0000, 0x0000, 0x0000]),
    ("float64", -math.inf, [0xFFF0, 0x0000, 0x0000, 0x0000]),
]


def _reorder(image: list[int], byte_order: str, word_order: str) -> list[int]:
    words = [((w & 0xFF) << 8) | (w >> 8) if byte_order == "little" else w for w in image]
    return words if word_order == "big" else list(reversed(words))


@pytest.mark.parametrize(("byte_order", "word_order"), list(FLOAT32_ONE))
@pytest.mark.parametrize(("data_type", "value", "big_image"), KNOWN_BIG_ENDIAN)
def test_known_images_in_every_order(data_type: str, value: float, big_image: list[int], byte_order: str, word_order: str) -> None:
    image = _reorder(big_image, byte_order, word_order)
    decoded = decode(image, data_type, byte_order, word_order)
    assert decoded == value
    assert type(decoded) is type(value)
    assert encode(value, data_type, byte_order, word_order) == image


@pytest.mark.parametrize(("byte_order", "word_order"), list(FLOAT32_ONE))
@pytest.mark.parametrize("data_type", ["float32", "float64"])
def test_nan_is_decoded_as_nan(data_type: str, byte_order: str, word_order: str) -> None:
    big = [0x7FC0, 0x0000] if data_type == "float32" else [0x7FF8, 0, 0, 0]
    assert math.isnan(decode(_reorder(big, byte_order, word_order), data_type, byte_order, word_order))


def test_wrong_register_count_and_out_of_range_values_are_refused() -> None:
    with pytest.raises(ValueError, match="uint64 needs 4 registers, got 2"):
        decode([1, 2], "uint64")
    with pytest.raises(ValueError, match="not 16-bit"):
        decode([0x10000], "uint16")
    with pytest.raises(ValueError, match="does not fit a int16"):
        encode(40000, "int16")


def test_scaled_integer_total_is_the_exact_decimal_reading() -> None:
    # 123 456 789 012 g as kg: the stored double is the one nearest the decimal reading, so
    # Decimal(repr(x)) gives the reading back exactly.
    value = to_engineering(123_456_789_012, 0.001)
    assert Decimal(repr(value)) == Decimal("123456789.012")
    assert to_raw(value, "uint64", 0.001) == 123_456_789_012
    assert to_engineering(-5, 0.5, 10.0) == 7.5


def test_point_with_overflow_counter_round_trips() -> None:
    device = ModbusDevice.model_validate(
        {
            "name": "FC", "host": "127.0.0.1", "word_order": "little",
            "points": [{"name": "vol", "register": "input", "address": 10, "data_type": "float32",
                        "overflow": {"address": 12, "data_type": "uint32", "unit": 1000.0},
                        "measurement": "meter", "asset": "FT-1", "field": "volume_total_m3"}],
        }
    )
    point = device.points[0]
    image = encode_point(device, point, 123_456.75)
    # 123 overflows of 1000 m³ in the counter (little word order: low word first), 456.75 in the float.
    assert image[("input", 12)] == 123 and image[("input", 13)] == 0
    assert struct.pack(">HH", image[("input", 11)], image[("input", 10)]) == struct.pack(">f", 456.75)
    assert decode_point(device, point, image) == 123_456.75
