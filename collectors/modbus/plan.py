"""Which registers to read, in as few requests as the device allows.

Points of one register type are sorted by address and merged into blocks when the gap between them
is at most `merge_gap` registers and the block stays within `max_registers_per_read` (≤ 125, the
Modbus limit for one read). Many devices answer "illegal data address" for a read that spans an
unmapped register, hence a gap of 0 by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bulkdaq.config.register_types import register_count
from bulkdaq.config.site_file import ModbusDevice

Role = Literal["value", "overflow"]


@dataclass(frozen=True)
class Span:
    """The registers of one value: a point's own value or its overflow counter."""

    point_index: int
    role: Role
    start: int
    count: int
    data_type: str


@dataclass(frozen=True)
class ReadBlock:
    register: Literal["holding", "input"]
    start: int
    count: int
    spans: tuple[Span, ...]


def plan_reads(device: ModbusDevice) -> list[ReadBlock]:
    """Group the device's points into read blocks (one Modbus request each)."""
    by_register: dict[str, list[Span]] = {}
    for index, point in enumerate(device.points):
        by_register.setdefault(point.register_type, []).append(Span(index, "value", point.address, point.registers, point.data_type))
        if point.overflow is not None:
            counter = point.overflow
            by_register[point.register_type].append(Span(index, "overflow", counter.address, register_count(counter.data_type), counter.data_type))
    blocks: list[ReadBlock] = []
    for register in sorted(by_register):
        spans = sorted(by_register[register], key=lambda s: s.start)
        current: list[Span] = []
        start = end = 0
        for span in spans:
            span_end = span.start + span.count
            if current and span.start - end <= device.merge_gap and max(end, span_end) - start <= device.max_registers_per_read:
                current.append(span)
                end = max(end, span_end)
                continue
            if current:
                blocks.append(ReadBlock(register, start, end - start, tuple(current)))  # type: ignore[arg-type]
            current, start, end = [span], span.start, span_end
        if current:
            blocks.append(ReadBlock(register, start, end - start, tuple(current)))  # type: ignore[arg-type]
    return blocks


__all__ = [
    "ReadBlock",
    "Role",
    "Span",
    "plan_reads",
]
