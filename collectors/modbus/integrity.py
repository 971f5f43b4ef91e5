"""The Modbus part of the integrity watch (`collectors/integrity_watch.py`): a totalizer's roll-over span.

A totalizer read from an unsigned integer register (without an overflow register) wraps at
2^(16 × registers) × scale, so a drop from near that span to near zero is a roll-over, not a reset. The
watch itself (resets, jumps, frozen totals, meter factor, device clock) is shared with the OPC UA
collector; only this span is Modbus's own, and the Modbus collector gives it to the watch.
"""

from __future__ import annotations

from bulkdaq.config.register_types import INTEGER_TYPES, register_count
from bulkdaq.config.site_file import ModbusDevice
from collectors.integrity_watch import TOTALIZERS, IntegrityWatch


def rollover_spans(device: ModbusDevice) -> dict[tuple[str, str], float]:
    """(asset, totalizer field) -> the value at which its unsigned integer register wraps, for `device`'s totalizers."""
    spans: dict[tuple[str, str], float] = {}
    for point in device.points:
        if point.field in TOTALIZERS and point.data_type in INTEGER_TYPES and point.overflow is None and not point.data_type.startswith("int"):
            spans[(point.asset, point.field)] = float(2 ** (16 * register_count(point.data_type))) * point.scale
    return spans


def device_watch(device: ModbusDevice) -> IntegrityWatch:
    """The integrity watch of one Modbus device: its site limits and its registers' roll-over spans."""
    return IntegrityWatch(device.integrity, rollover_spans(device))


__all__ = [
    "device_watch",
    "rollover_spans",
]
