"""A configured Modbus point ⇄ its registers: data type, byte/word order, scale/offset, overflow counter.

The collector decodes with it and the simulators encode with it, from the same site configuration.
"""

from __future__ import annotations

from collections.abc import Mapping

from bulkdaq.config.register_types import register_count
from bulkdaq.config.site_file import ModbusDevice, ModbusPoint
from collectors.modbus.register_codec import decode, encode, to_engineering, to_raw

RegisterImage = Mapping[tuple[str, int], int]  # (register type, address) -> 16-bit word


def point_addresses(point: ModbusPoint) -> list[int]:
    """Every register address the point occupies (its value, then its overflow counter if any)."""
    addresses = list(range(point.address, point.address + point.registers))
    if point.overflow is not None:
        counter = point.overflow
        addresses += range(counter.address, counter.address + register_count(counter.data_type))
    return addresses


def decode_point(device: ModbusDevice, point: ModbusPoint, image: RegisterImage) -> float:
    """Engineering value of `point` from a register image (KeyError if a register is missing)."""
    byte_order, word_order = device.byte_order_of(point), device.word_order_of(point)
    words = [image[(point.register_type, point.address + i)] for i in range(point.registers)]
    value = to_engineering(decode(words, point.data_type, byte_order, word_order), point.scale, point.offset)
    if point.overflow is not None:
        counter = point.overflow
        count_words = [image[(point.register_type, counter.address + i)] for i in range(register_count(counter.data_type))]
        value += decode(count_words, counter.data_type, byte_order, word_order) * counter.unit
    return value


def encode_point(device: ModbusDevice, point: ModbusPoint, value: float) -> dict[tuple[str, int], int]:
    """The registers a device holds for engineering value `value` of `point`."""
    byte_order, word_order = device.byte_order_of(point), device.word_order_of(point)
    words: dict[tuple[str, int], int] = {}
    if point.overflow is not None:
        counter = point.overflow
        overflows = int(value // counter.unit)
        value -= overflows * counter.unit
        for i, word in enumerate(encode(overflows, counter.data_type, byte_order, word_order)):
            words[(point.register_type, counter.address + i)] = word
    raw = to_raw(value, point.data_type, point.scale, point.offset)
    for i, word in enumerate(encode(raw, point.data_type, byte_order, word_order)):
        words[(point.register_type, point.address + i)] = word
    return words


__all__ = [
    "RegisterImage",
    "decode_point",
    "encode_point",
    "point_addresses",
]
