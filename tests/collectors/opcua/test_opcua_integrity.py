"""Totalizer integrity over OPC UA: a belt scale's total that is reset, jumps, or freezes while the rate says
flow is an `event` point in the same spool commit (and evidence block) as the readings that show it.

Two real asyncua servers: a small one in this file, whose values and source timestamps the test writes
itself (so every event's time, old and new value are known exactly), and the plant simulator with its
injected totalizer faults (`reset_total`, `jump_total`), where the expected values are what it served.
The collector runs as in production, into a real durable spool with an evidence ledger.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from asyncua import Server, ua

from bulkdaq.config.opcua_section import OpcUaServer
from bulkdaq.config.site_file import IntegrityLimits, load_site
from bulkdaq.evidence.chain import EvidenceLedger
from bulkdaq.store.line_protocol import Point, parse_line
from bulkdaq.store.local_influxd import free_port
from bulkdaq.store.spool import DurableSpool
from collectors.integrity_watch import IntegrityWatch
from collectors.opcua.collector import OpcUaServerCollector
from opcua_support import loading
from scenario import REPO
from simulators.loading_profile import LoadingProfile
from simulators.plant import PlantServer
from simulators.plant_model import PLANT_NAMESPACE_URI, PlantModel
from simulators.scenario_clock import ScenarioClock

NAMESPACE = "urn:test:belt-scale"
T0 = datetime(2026, 3, 2, 8, 0, 0, tzinfo=timezone.utc)
T0_MS = 1772438400000
pytestmark = pytest.mark.timeout(120)
LIMITS = IntegrityLimits(frozen_after_s=2.0, jump_margin=0.5, jump_allowance=1.0)  # 3,600 t/h for 1 s allows 1 × 1.5 + 1 = 2.5 t


def test_t0_ms_is_t0() -> None:
    assert int(T0.timestamp() * 1000) == T0_MS


class BeltScaleServer:
    """An asyncua server with one belt scale's Total [t] and Rate [t/h], written with the source times the test gives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"opc.tcp://127.0.0.1:{self.port}/belt"
        self.server = Server()
        self.nodes: dict[str, ua.NodeId] = {}

    async def start(self, total_t: float, rate_t_h: float) -> None:
        await self.server.init()
        self.server.set_endpoint(self.endpoint)
        self.server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        index = await self.server.register_namespace(NAMESPACE)
        scale = await self.server.nodes.objects.add_object(ua.NodeId("BS-1", index), ua.QualifiedName("BS-1", index))
        for name in ("Total", "Rate"):
            variable = await scale.add_variable(ua.NodeId(f"BS-1.{name}", index), ua.QualifiedName(name, index), 0.0)
            self.nodes[name] = variable.nodeid
        # The first values are in place before any client subscribes: the collector's first notification carries T0.
        await self.write("Total", total_t, 0)
        await self.write("Rate", rate_t_h, 0)
        await self.server.start()

    async def write(self, name: str, value: float, at_ms: int) -> None:
        """`name` takes `value` with the source timestamp T0 + `at_ms`."""
        stamp = T0 + timedelta(milliseconds=at_ms)
        datavalue = ua.DataValue(ua.Variant(value, ua.VariantType.Double), SourceTimestamp=stamp, ServerTimestamp=stamp)
        await self.server.write_attribute_value(self.nodes[name], datavalue)

    async def stop(self) -> None:
        await self.server.stop()

    def config(self) -> OpcUaServer:
        return OpcUaServer.model_validate({
            "name": "belt-dcs", "endpoint": self.endpoint, "namespace_uri": NAMESPACE,
            "publishing_interval_ms": 50.0, "sampling_interval_ms": 0.0, "stale_after_s": 3.0, "reconnect_max_delay_s": 1.0,
            "health_interval_s": 60.0,
            "nodes": [
                {"node_id": "s=BS-1.Total", "measurement": "scale", "asset": "BS-1", "field": "total_t"},
                {"node_id": "s=BS-1.Rate", "measurement": "scale", "asset": "BS-1", "field": "rate_t_h"},
            ],
        })


async def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


class Collecting:
    """The OPC UA collector of one server, running into a durable spool with an evidence ledger."""

    def __init__(self, server: OpcUaServer, spool_path: Path, limits: IntegrityLimits = LIMITS) -> None:
        self.spool_path = spool_path
        self.spool = DurableSpool(spool_path, ledger=EvidenceLedger(None))
        self.collector = OpcUaServerCollector(server, "test-site", self.spool, integrity=limits)
        self.task: asyncio.Task[None] | None = None

    async def start(self, notifications: int) -> None:
        self.task = asyncio.create_task(self.collector.run())
        await wait_for(lambda: self.collector.notifications >= notifications)

    async def received(self, notifications: int) -> None:
        """Wait until the collector has received `notifications` in all, so the next write is a notification of its own."""
        await wait_for(lambda: self.collector.notifications >= notifications)

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.spool.close()

    def rows(self) -> list[list[Point]]:
        """The points of each spool row, in commit order (the collector's flushes)."""
        with contextlib.closing(sqlite3.connect(self.spool_path)) as db:
            return [[parse_line(line) for line in text.split("\n")] for (text,) in db.execute("SELECT lines FROM reading_batch ORDER BY id")]

    def blocks(self) -> list[list[str]]:
        """The lines of each evidence block."""
        with contextlib.closing(sqlite3.connect(self.spool_path)) as db:
            return [json.loads(lines) for (lines,) in db.execute("SELECT lines FROM evidence_block ORDER BY seq")]

    def events(self) -> list[Point]:
        return [p for row in self.rows() for p in row if p.measurement == "event"]

    def scale_readings(self) -> list[tuple[int, float | None, float | None, str]]:
        """(time, total, rate, quality) of each stored `scale` point, merged by time as InfluxDB stores them
        (a Total and a Rate of one source time may reach the collector in two flushes)."""
        merged: dict[int, dict[str, object]] = {}
        for row in self.rows():
            for p in row:
                if p.measurement == "scale":
                    merged.setdefault(p.time_ms, {}).update(p.fields)
        return [
            (t, fields.get("total_t"), fields.get("rate_t_h"), fields["quality"])
            for t, fields in sorted(merged.items())
        ]


@contextlib.asynccontextmanager
async def belt_scale(tmp_path: Path, total_t: float, rate_t_h: float) -> AsyncIterator[tuple[BeltScaleServer, Collecting]]:
    server = BeltScaleServer()
    await server.start(total_t, rate_t_h)
    collecting = Collecting(server.config(), tmp_path / "spool.sqlite")
    try:
        await collecting.start(notifications=2)
        yield server, collecting
    finally:
        with contextlib.suppress(Exception):
            await collecting.stop()
        await server.stop()


def event_of(point: Point) -> tuple[int, dict[str, str], dict[str, object]]:
    return point.time_ms, dict(point.tags), dict(point.fields)


def assert_committed_with_its_reading(collecting: Collecting, event: Point, total_t: float) -> None:
    """The event is in the same spool row and evidence block as the reading that raised it."""
    (row,) = [row for row in collecting.rows() if event in row]
    assert any(p.measurement == "scale" and p.time_ms == event.time_ms and p.fields.get("total_t") == total_t for p in row)
    (block,) = [block for block in collecting.blocks() if event.to_line() in block]
    assert all(p.to_line() in block for p in row)


async def test_a_reset_of_the_belt_scale_total_is_one_totalizer_reset_event(tmp_path: Path) -> None:
    async with belt_scale(tmp_path, 1000.0, 3600.0) as (server, collecting):
        await server.write("Total", 1001.0, 1000)
        await collecting.received(3)
        await server.write("Total", 2.5, 2000)  # a technician's reset
        await collecting.received(4)
        await server.write("Total", 3.5, 3000)  # counting again from zero: no further event
        await collecting.received(5)
    assert collecting.scale_readings() == [
        (T0_MS, 1000.0, 3600.0, "good"), (T0_MS + 1000, 1001.0, None, "good"), (T0_MS + 2000, 2.5, None, "good"), (T0_MS + 3000, 3.5, None, "good"),
    ]
    (event,) = collecting.events()
    assert event_of(event) == (
        T0_MS + 2000,
        {"site": "test-site", "asset": "BS-1", "kind": "totalizer_reset", "field": "total_t"},
        {"message": "total_t went backwards (reset): 1001.0 then 2.5", "old": "1001.0", "new": "2.5"},
    )
    assert_committed_with_its_reading(collecting, event, 2.5)


async def test_a_jump_beyond_the_last_known_rate_is_a_totalizer_jump_event(tmp_path: Path) -> None:
    """The rate is sent once (at T0) and never changes, so the server never sends it again: the jump check
    uses the last known rate, 3,600 t/h, which allows 2.5 t in 1 s."""
    async with belt_scale(tmp_path, 1000.0, 3600.0) as (server, collecting):
        await server.write("Total", 1001.0, 1000)
        await collecting.received(3)
        await server.write("Total", 1010.0, 2000)  # 9 t in 1 s, without material behind it
        await collecting.received(4)
        await server.write("Total", 1011.0, 3000)
        await collecting.received(5)
    (event,) = collecting.events()
    assert event_of(event) == (
        T0_MS + 2000,
        {"site": "test-site", "asset": "BS-1", "kind": "totalizer_jump", "field": "total_t"},
        {"message": "total_t advanced 9.0 in 1.000 s; the flow rate allows at most 2.5", "old": "1001.0", "new": "1010.0"},
    )
    assert_committed_with_its_reading(collecting, event, 1010.0)


async def test_a_total_that_stops_while_the_rate_says_flow_is_frozen_after_the_limit(tmp_path: Path) -> None:
    """The total stops at 1000 t: the server sends nothing more for it, only the rate's changes. The total
    last known still stands, and after 2 s (the limit) without a change while the rate reads flow it is
    frozen: one event, not one per update."""
    async with belt_scale(tmp_path, 1000.0, 3600.0) as (server, collecting):
        for n, rate in enumerate((3601.0, 3600.0, 3601.0, 3600.0), start=1):
            await server.write("Rate", rate, n * 1000)
            await collecting.received(2 + n)
    assert [(t, total, rate) for t, total, rate, _ in collecting.scale_readings()] == [
        (T0_MS, 1000.0, 3600.0), (T0_MS + 1000, None, 3601.0), (T0_MS + 2000, None, 3600.0), (T0_MS + 3000, None, 3601.0), (T0_MS + 4000, None, 3600.0),
    ]
    (event,) = collecting.events()
    assert event_of(event) == (
        T0_MS + 2000,
        {"site": "test-site", "asset": "BS-1", "kind": "frozen", "field": "total_t"},
        {"message": "total_t has not moved for 2.0 s while the flow rate reads 3600.0", "old": "1000.0", "new": "1000.0"},
    )
    (row,) = [row for row in collecting.rows() if event in row]
    assert any(p.measurement == "scale" and p.time_ms == T0_MS + 2000 and p.fields.get("rate_t_h") == 3600.0 for p in row)


async def test_a_total_that_rises_with_its_rate_raises_nothing(tmp_path: Path) -> None:
    """1 t per second at 3,600 t/h (the rate moving a little); the belt stops for 3 s (rate 0, the total
    stands still); it restarts: the rate is read a second before the total's first step. No event: the
    total never stood still for 2 s while flow was reported."""
    async with belt_scale(tmp_path, 1000.0, 3600.0) as (server, collecting):
        notifications = 2
        for n in range(1, 6):
            await server.write("Total", 1000.0 + n, n * 1000)
            await server.write("Rate", 3600.0 + n % 2, n * 1000)
            notifications += 2
            await collecting.received(notifications)
        for name, value, at_ms in (("Rate", 0.0, 6000), ("Rate", 3600.0, 9000), ("Total", 1006.0, 10_000)):
            await server.write(name, value, at_ms)
            notifications += 1
            await collecting.received(notifications)
    assert [(t, total, rate) for t, total, rate, _ in collecting.scale_readings()] == [
        (T0_MS, 1000.0, 3600.0),
        *((T0_MS + n * 1000, 1000.0 + n, 3600.0 + n % 2) for n in range(1, 6)),
        (T0_MS + 6000, None, 0.0), (T0_MS + 9000, None, 3600.0), (T0_MS + 10_000, 1006.0, None),
    ]
    assert collecting.events() == []


def test_a_restart_after_a_stop_is_not_frozen_but_a_total_stuck_after_it_is() -> None:
    """The watch itself: `frozen` counts from the later of the last change and the moment flow was reported again."""
    watch = IntegrityWatch(LIMITS)
    assert watch.observe("BS-1", {"total_t": 5.0, "rate_t_h": 0.0}, 0) == []
    assert watch.observe("BS-1", {"total_t": 5.0, "rate_t_h": 3600.0}, 10_000) == []  # still 10 s, but flow only now
    assert watch.observe("BS-1", {"total_t": 5.0, "rate_t_h": 3600.0}, 11_000) == []
    (event,) = watch.observe("BS-1", {"total_t": 5.0, "rate_t_h": 3600.0}, 12_000)
    assert (event.kind, event.message, event.old, event.new, event.time_ms) == (
        "frozen", "total_t has not moved for 2.0 s while the flow rate reads 3600.0", "5.0", "5.0", 12_000,
    )


async def test_the_plant_belt_scale_reset_and_jump_over_opc_ua(tmp_path: Path) -> None:
    """The plant simulator (its rates on the collector's clock, as the Modbus simulators serve theirs) at 100 ×
    real time: a normal run raises nothing; a reset and a jump injected into BS-1.Total are one event each,
    with the values the plant served just before and at the fault."""
    model = PlantModel(loading(), scale_profile=LoadingProfile(600_000.0, 1_000_000.0, 10, 10, start_s=0))
    clock = ScenarioClock(speedup=100.0)
    plant = PlantServer(model, clock, port=free_port(), update_interval_s=0.2, record_history=True)
    await plant.start()
    server = load_site(REPO / "examples" / "site.toml").config.opcua.servers[0].model_copy(update={
        "endpoint": plant.endpoint, "publishing_interval_ms": 100.0, "sampling_interval_ms": 50.0, "stale_after_s": 3.0,
        "reconnect_max_delay_s": 1.0, "health_interval_s": 60.0,
    })
    assert server.namespace_uri == PLANT_NAMESPACE_URI
    collecting = Collecting(server, tmp_path / "spool.sqlite", IntegrityLimits())  # the site's defaults
    try:
        await collecting.start(notifications=len(server.nodes))
        await asyncio.sleep(1.5)
        await plant.reset_total("BS-1.Total")
        await asyncio.sleep(1.0)
        await plant.jump_total("BS-1.Total", 500.0)
        await asyncio.sleep(1.0)
        assert plant.history is not None
        last_served = plant.history["BS-1.Total"][-1][0]
        await wait_for(lambda: any(t >= last_served and total is not None for t, total, _, _ in collecting.scale_readings()))
    finally:
        with contextlib.suppress(Exception):
            await collecting.stop()
        await plant.stop()
    stored = [(t, total) for t, total, _, _ in collecting.scale_readings() if total is not None]
    # Every value served from the collector's first to its last stored one is stored, at its source time.
    totals = [(t, value) for t, value, _ in plant.history["BS-1.Total"] if stored[0][0] <= t <= stored[-1][0]]
    assert stored == totals
    assert 1_000.0 * 100 in {rate for _, _, rate, _ in collecting.scale_readings()}  # 1,000 t/h served as 100,000 t/h at 100 ×
    reset_at = next(i for i in range(1, len(totals)) if totals[i][1] < totals[i - 1][1])
    jump_at = next(i for i in range(reset_at + 1, len(totals)) if totals[i][1] - totals[i - 1][1] > 400.0)
    assert 0.0 <= totals[reset_at][1] < 10.0
    events = [(p.time_ms, p.tags["kind"], p.tags["field"], p.fields["old"], p.fields["new"]) for p in collecting.events()]
    assert events == [
        (totals[reset_at][0], "totalizer_reset", "total_t", repr(totals[reset_at - 1][1]), repr(totals[reset_at][1])),
        (totals[jump_at][0], "totalizer_jump", "total_t", repr(totals[jump_at - 1][1]), repr(totals[jump_at][1])),
    ]
