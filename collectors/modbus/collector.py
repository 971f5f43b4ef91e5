"""Modbus TCP collector: one asyncio task per device, so a slow or dead device never stalls the others.

Each poll reads the device's planned blocks, decodes every point with its byte/word order, applies
scale and offset, stamps the receive time, and submits one point per (measurement, asset) to the sink
with a quality: ``good``, or ``bad`` with the reason kept (exception code, timeout, NaN from the
device). A device that is down keeps producing ``bad`` readings at its poll rate, so a dashboard sees
the gap, while the collector reconnects with a backoff capped at a few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import math
import struct
import time

from bulkdaq.backoff import Backoff
from bulkdaq.config.site_file import ModbusDevice, ModbusPoint
from bulkdaq.store import contract
from bulkdaq.store.line_protocol import Point
from bulkdaq.store.spool import SpoolFull
from collectors.cancellation import raise_if_cancel_requested
from collectors.device_status import DeviceStatus
from collectors.integrity_watch import WATCHED_MEASUREMENTS, IntegrityEvent, event_point
from collectors.modbus.adapter import ModbusReadError, ModbusRtuAdapter, ModbusTcpAdapter, SerialBus
from collectors.modbus.integrity import device_watch
from collectors.modbus.plan import ReadBlock, plan_reads
from collectors.modbus.register_codec import block_value_reader, engineering_converter
from collectors.reading_sink import ReadingSink

log = logging.getLogger(__name__)

MAX_RECONNECT_DELAY_S = 5.0
HEALTH_EVERY_S = 1.0
FIRST_RECONNECT_DELAY_S = 0.25


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class ModbusDeviceCollector:
    """Polls one device on its interval and submits its readings."""

    def __init__(
        self,
        device: ModbusDevice,
        site: str,
        sink: ReadingSink,
        *,
        collector_name: str = "modbus",
        adapter: ModbusTcpAdapter | ModbusRtuAdapter | None = None,
    ) -> None:
        self.device = device
        self.site = site
        self.sink = sink
        self.collector_name = collector_name
        self.blocks = plan_reads(device)
        self._readers = _point_readers(device, self.blocks)
        self.status = DeviceStatus(device.name)
        self.adapter = adapter or ModbusTcpAdapter(device.host or "", device.port, device.unit_id, device.timeout_s, device.retries)
        self._reconnect = Backoff(FIRST_RECONNECT_DELAY_S, MAX_RECONNECT_DELAY_S)
        self._next_connect = 0.0
        self.integrity = device_watch(device)
        self._down_since_ms: int | None = None  # first failed poll of the current outage
        self._last_good_ms: int | None = None
        self._next_health = 0.0
        self._last_reported: tuple[bool, int] | None = None

    async def run(self) -> None:
        """Poll until cancelled, on a fixed schedule (missed ticks are skipped, not bunched up)."""
        interval = self.device.poll_interval_s
        next_due = time.monotonic()
        task = asyncio.current_task()
        try:
            while True:
                try:
                    await self.poll_once()
                except SpoolFull as error:
                    self._note_error(f"readings refused: {error}")
                except Exception as error:  # a bug or an odd answer from one device must not stop the others
                    log.exception("device %s: poll failed", self.device.name)
                    self._note_error(f"poll failed: {type(error).__name__}: {error}")
                raise_if_cancel_requested(task)
                next_due += interval
                now = time.monotonic()
                if next_due < now:
                    next_due = now + interval - ((now - next_due) % interval)
                await asyncio.sleep(next_due - now)
        finally:
            self.adapter.close()

    async def poll_once(self) -> list[Point]:
        """One poll: connect if needed, read every block, submit the readings; returns what was submitted."""
        started = time.monotonic()
        if not self.adapter.connected and started >= self._next_connect:
            try:
                await self.adapter.connect()
                self._reconnect.reset()
            except ConnectionError as error:
                self._next_connect = time.monotonic() + self._reconnect.next_delay()
                self._note_error(str(error))
        if self.adapter.connected:
            points = await self._read_all()
        else:
            points = self._all_bad(self.status.last_error or "not connected")
        points += self._comms_gap_event(points)
        self.status.polls += 1
        self.status.connected = self.adapter.connected
        self.status.last_poll_ms = (time.monotonic() - started) * 1000
        if self._health_due(started):
            points.append(self._health_point())
        await self.sink.submit(points, source=self.device.name)
        return points

    async def _read_all(self) -> list[Point]:
        answers: list[tuple[list[int], int] | None] = [None] * len(self.blocks)  # (registers, receive time)
        failures: list[str | None] = [None] * len(self.blocks)
        for block_index, block in enumerate(self.blocks):
            try:
                values = await self.adapter.read(block.register, block.start, block.count)
            except ModbusReadError as error:
                self._note_error(f"{block.register} {block.start}: {error.reason}")
                lost = range(block_index, len(self.blocks)) if error.connection_lost else (block_index,)
                for lost_index in lost:
                    failures[lost_index] = error.reason
                if error.connection_lost:
                    break
                continue
            answers[block_index] = (values, now_ms())
        if not any(failures):
            self.status.last_good_time = time.time()
        return self._decoded_points(answers, failures)

    def _decoded_points(self, answers: list[tuple[list[int], int] | None], failures: list[str | None]) -> list[Point]:
        """One point per (measurement, asset) from the blocks' answers: each block is packed to bytes once
        and every value read out of it with a precompiled layout (the same values as
        `collectors.modbus.point_codec.decode_point`, which the simulators use to encode)."""
        wire: list[bytes | None] = [None] * len(self.blocks)
        swapped: list[bytes | None] = [None] * len(self.blocks)
        groups: dict[tuple[str, str], _Group] = {}
        for reader in self._readers:
            group = groups.get(reader.group)
            if group is None:
                group = groups[reader.group] = _Group()
            if failures[reader.block] is not None or (reader.overflow_block is not None and failures[reader.overflow_block] is not None):
                reasons = {failures[reader.block], failures[reader.overflow_block] if reader.overflow_block is not None else None} - {None}
                group.problems.setdefault("; ".join(sorted(reasons)), []).append(reader.field)  # type: ignore[arg-type]
                continue
            value = reader.convert(reader.layout.unpack_from(_block_bytes(reader.block, reader.swapped, answers, wire, swapped), reader.offset)[0])
            stamp = answers[reader.block][1]  # type: ignore[index]
            if reader.overflow_block is not None:
                overflow_bytes = _block_bytes(reader.overflow_block, reader.overflow_swapped, answers, wire, swapped)
                value += reader.overflow_layout.unpack_from(overflow_bytes, reader.overflow_offset)[0] * reader.overflow_unit
                stamp = max(stamp, answers[reader.overflow_block][1])  # type: ignore[index]
            if not math.isfinite(value):
                group.problems.setdefault(f"device sent {value!r}", []).append(reader.field)
                continue
            if value <= 0 and reader.field in contract.MUST_BE_POSITIVE:
                group.problems.setdefault(f"{value!r} cannot be real", []).append(reader.field)
                continue
            group.fields[reader.field] = int(value) if reader.integer else value
            if stamp > group.time_ms:
                group.time_ms = stamp
        points = []
        for (measurement_name, asset), group in groups.items():
            fields: dict[str, float | int | str] = dict(group.fields)
            if group.problems:
                fields[contract.QUALITY_FIELD] = contract.Quality.BAD.value
                fields[contract.QUALITY_REASON_FIELD] = "; ".join(f"{reason} ({', '.join(names)})" for reason, names in group.problems.items())
            else:
                fields[contract.QUALITY_FIELD] = contract.Quality.GOOD.value
            points.append(self._point(measurement_name, asset, fields, group.time_ms or now_ms()))
            if measurement_name in WATCHED_MEASUREMENTS and not group.problems:
                points += [event_point(self.site, e) for e in self.integrity.observe(asset, group.fields, group.time_ms)]
        return points

    def _comms_gap_event(self, points: list[Point]) -> list[Point]:
        """A `comms_gap` event when the device answers again after polls that failed entirely."""
        readings = [p for p in points if p.measurement != contract.EVENT.name]
        all_good = all(p.fields.get(contract.QUALITY_FIELD) == contract.Quality.GOOD.value for p in readings)
        if not all_good:
            if self._down_since_ms is None and not any(p.fields.get(contract.QUALITY_FIELD) == contract.Quality.GOOD.value for p in readings):
                self._down_since_ms = now_ms()
            return []
        stamp = max(p.time_ms for p in readings)
        events = []
        if self._down_since_ms is not None:
            last_good = self._last_good_ms or self._down_since_ms
            gap_s = (stamp - last_good) / 1000
            events.append(event_point(self.site, IntegrityEvent(
                self.device.name, "comms_gap",
                f"no answer from {self.device.name} for {gap_s:.3f} s (last good reading {contract.event_time_text(last_good)}, back at {contract.event_time_text(stamp)})",
                contract.event_time_text(last_good), contract.event_time_text(stamp), stamp,
            )))
            self._down_since_ms = None
        self._last_good_ms = stamp
        return events

    def _all_bad(self, reason: str) -> list[Point]:
        stamp = now_ms()
        assets = dict.fromkeys((p.measurement, p.asset) for p in self.device.points)
        return [
            self._point(m, a, {contract.QUALITY_FIELD: contract.Quality.BAD.value, contract.QUALITY_REASON_FIELD: reason}, stamp)
            for m, a in assets
        ]

    def _point(self, measurement_name: str, asset: str, fields: dict[str, float | int | str], time_ms: int) -> Point:
        measurement = contract.MEASUREMENTS[measurement_name]
        return Point(measurement_name, {contract.SITE_TAG: self.site, measurement.asset_tag: asset}, fields, time_ms)

    def _health_due(self, now: float) -> bool:
        """A health point with every poll up to 1 Hz; a faster device reports about once a second, and at
        once when it connects, disconnects or fails (a health line per 10 ms poll is noise, not news)."""
        reported = (self.status.connected, self.status.errors)
        if now < self._next_health and reported == self._last_reported:
            return False
        self._next_health = now + HEALTH_EVERY_S - min(self.device.poll_interval_s, HEALTH_EVERY_S) / 2
        self._last_reported = reported
        return True

    def _health_point(self) -> Point:
        health = contract.COLLECTOR_HEALTH
        return Point(
            health.name,
            {contract.SITE_TAG: self.site, contract.COLLECTOR_TAG: self.collector_name, health.asset_tag: self.device.name},
            {
                "connected": int(self.status.connected),
                "poll_ms": float(self.status.last_poll_ms),
                "errors": self.status.errors,
                "spool_depth": self.sink.depth,
                "lag_s": float(self.sink.lag_s),
            },
            now_ms(),
        )

    def _note_error(self, reason: str) -> None:
        self.status.errors += 1
        if reason != self.status.last_error:
            log.warning("device %s: %s", self.device.name, reason)
        self.status.last_error = reason


class _PointReader:
    """Where one configured point sits in the planned blocks, and how to read it out of their bytes."""

    __slots__ = (
        "group", "field", "integer", "block", "offset", "layout", "swapped", "convert",
        "overflow_block", "overflow_offset", "overflow_layout", "overflow_swapped", "overflow_unit",
    )

    def __init__(self, device: ModbusDevice, point: ModbusPoint, where: dict[str, tuple[int, int]]) -> None:
        byte_order, word_order = device.byte_order_of(point), device.word_order_of(point)
        self.group = (point.measurement, point.asset)
        self.field = point.field
        self.integer = point.field in contract.MEASUREMENTS[point.measurement].integer_fields
        self.block, self.offset = where["value"]
        self.layout, self.swapped = block_value_reader(point.data_type, byte_order, word_order)
        self.convert = engineering_converter(point.scale, point.offset)
        self.overflow_block: int | None = None
        if point.overflow is not None:
            self.overflow_block, self.overflow_offset = where["overflow"]
            self.overflow_layout, self.overflow_swapped = block_value_reader(point.overflow.data_type, byte_order, word_order)
            self.overflow_unit = point.overflow.unit


def _point_readers(device: ModbusDevice, blocks: list[ReadBlock]) -> list[_PointReader]:
    """One reader per configured point, in the configuration's order."""
    where: dict[int, dict[str, tuple[int, int]]] = {}
    for block_index, block in enumerate(blocks):
        for span in block.spans:
            where.setdefault(span.point_index, {})[span.role] = (block_index, 2 * (span.start - block.start))
    return [_PointReader(device, point, where[index]) for index, point in enumerate(device.points)]


def _block_bytes(
    index: int, swapped_bytes: bool, answers: list[tuple[list[int], int] | None], wire: list[bytes | None], swapped: list[bytes | None]
) -> bytes:
    """Block `index` as bytes — as sent on the wire, or with each register's two bytes swapped — packed once per poll."""
    cache = swapped if swapped_bytes else wire
    packed = cache[index]
    if packed is None:
        registers = answers[index][0]  # type: ignore[index]
        packed = cache[index] = struct.pack(f"{'<' if swapped_bytes else '>'}{len(registers)}H", *registers)
    return packed


class _Group:
    __slots__ = ("fields", "problems", "time_ms")

    def __init__(self) -> None:
        self.fields: dict[str, float | int] = {}
        self.problems: dict[str, list[str]] = {}  # reason -> the fields it hit
        self.time_ms = 0


class ModbusCollector:
    """All Modbus devices of a site, one task each."""

    def __init__(self, devices: list[ModbusDevice], site: str, sink: ReadingSink, *, collector_name: str = "modbus") -> None:
        self.buses: dict[str, SerialBus] = {}
        self.devices = [ModbusDeviceCollector(d, site, sink, collector_name=collector_name, adapter=self._adapter(d)) for d in devices]

    def _adapter(self, device: ModbusDevice) -> ModbusTcpAdapter | ModbusRtuAdapter:
        if device.transport == "tcp":
            return ModbusTcpAdapter(device.host or "", device.port, device.unit_id, device.timeout_s, device.retries)
        port = device.serial_port or ""
        if port not in self.buses:
            self.buses[port] = SerialBus(
                port, baudrate=device.baudrate, parity=device.parity, stopbits=device.stopbits, bytesize=device.bytesize, timeout_s=device.timeout_s
            )
        return ModbusRtuAdapter(self.buses[port], device.unit_id, device.timeout_s, device.retries)

    @property
    def statuses(self) -> list[DeviceStatus]:
        return [d.status for d in self.devices]

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                for device in self.devices:
                    group.create_task(device.run(), name=f"modbus:{device.device.name}")
        finally:
            for bus in self.buses.values():
                bus.close()


__all__ = [
    "FIRST_RECONNECT_DELAY_S",
    "HEALTH_EVERY_S",
    "MAX_RECONNECT_DELAY_S",
    "ModbusCollector",
    "ModbusDeviceCollector",
    "now_ms",
]
