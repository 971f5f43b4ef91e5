"""Restart holes on the record: a collector that is killed, crashes or is stopped leaves a hole in every
device's readings; the next run records it as a `comms_gap` event from the device's last reading
committed before the restart to its first after, and the clearance's data-gap check sees it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bulkdaq.app.collector_service import CollectorService, restart_gap_event
from bulkdaq.evidence.chain import EvidenceLedger
from bulkdaq.shipments.live_quantities import batch_findings
from bulkdaq.shipments.model import load_shipment
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.line_protocol import Point
from bulkdaq.store.local_influxd import free_port, wait_listening
from bulkdaq.store.spool import DurableSpool, Resumed
from opcua_support import plant_model, plant_site
from scenario import example_site, loading, run_collector_until, simulators_for
from simulators.plant import PlantServer
from simulators.scenario_clock import ScenarioClock
from site_files import device, meter, point, write_site

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[3]
T0 = 1_790_000_000_000


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _reading_times(reader: InfluxReader, meter_id: str) -> list[datetime]:
    """Every stored reading of the meter (any quality), oldest first."""
    series = reader.query(f"SELECT quality FROM meter WHERE meter = '{meter_id}'")
    return [row[0] for row in series[0].values] if series else []


def _gap_events(reader: InfluxReader) -> list[dict]:
    series = reader.query("SELECT message, old, new FROM event WHERE kind = 'comms_gap' GROUP BY asset")
    return [{"asset": s.tags["asset"], **row} for s in series for row in s.rows()]


def _longest_hole(times: list[datetime]) -> tuple[datetime, datetime]:
    """The two consecutive readings farthest apart."""
    pairs = list(zip(times, times[1:], strict=False))
    return max(pairs, key=lambda pair: pair[1] - pair[0])


def test_kill_9_leaves_a_gap_event_from_the_last_reading_to_the_first_after(influx_db: InfluxReader, tmp_path: Path) -> None:
    """`bulkdaq collect` is killed with SIGKILL and started again 2 s later: the hole is on record, its times
    are the stored readings on both sides, and it says the previous run did not stop cleanly."""
    modbus_port = free_port()
    site = write_site(
        tmp_path,
        device("FT-1", modbus_port, point(0, "float64", "FT-1", "mass_total_kg"), poll=0.05) + meter("FT-1"),
        url=influx_db.url, database=influx_db.database,
    )
    simulator = subprocess.Popen(
        [BIN / "bulkdaq", "simulate", "flowmeter", "--site", site, "--device", "FT-1", "--speedup", "600", "--start-delay-min", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    collector = None
    try:
        wait_listening(modbus_port)
        collector = subprocess.Popen([BIN / "bulkdaq", "collect", site], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
        _wait(lambda: len(_reading_times(influx_db, "FT-1")) >= 20, 30)
        assert _gap_events(influx_db) == []  # a first start: nothing before it, no gap
        killed_ms = time.time_ns() // 1_000_000
        os.kill(collector.pid, signal.SIGKILL)
        collector.wait()
        time.sleep(2.0)
        restarted_ms = time.time_ns() // 1_000_000
        collector = subprocess.Popen([BIN / "bulkdaq", "collect", site], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
        _wait(lambda: _gap_events(influx_db) and _reading_times(influx_db, "FT-1")[-1].timestamp() * 1000 > restarted_ms + 500, 30)
        collector.send_signal(signal.SIGINT)
        collector.wait(timeout=30)
    finally:
        for process in (collector, simulator):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()

    (event,) = _gap_events(influx_db)
    last_before, first_after = _longest_hole(_reading_times(influx_db, "FT-1"))
    assert _ms(last_before) <= killed_ms < restarted_ms <= _ms(first_after)
    assert (event["asset"], event["old"], event["new"]) == ("FT-1", _iso(last_before), _iso(first_after))
    assert event["time"] == first_after  # stamped when the readings resumed
    seconds = (first_after - last_before).total_seconds()
    assert seconds >= 2.0
    assert event["message"] == (
        f"collector restart: no readings of FT-1 for {seconds:.3f} s, from {_iso(last_before)} (the last committed before the restart) "
        f"to {_iso(first_after)} (the first after it); the previous run ended without closing its spool (crash, kill or power loss)"
    )


async def test_a_restart_records_one_gap_per_device_and_the_data_gap_check_sees_it(influx_db: InfluxReader, tmp_path: Path) -> None:
    """Two meters (two Modbus devices); the collector is stopped and started again 2 s later. Each device
    gets its gap event, with the stop time as the cause, and a shipment loading through both meters is
    flagged `data_gap` for the hole when it exceeds the limit — and not when it does not, like any gap."""
    site = example_site(influx_db.url, influx_db.database, tmp_path)
    simulators = simulators_for(site, ScenarioClock(speedup=1.0), loading())
    servers = [s.server() for s in simulators]
    for server in servers:
        await server.start()
    try:
        first = CollectorService(site, collector_name="test")
        await _run_for(first, 1.5)
        assert _gap_events(influx_db) == []  # a first start (empty spool) records no gap
        stopped_ms = time.time_ns() // 1_000_000
        await asyncio.sleep(2.0)
        second = CollectorService(site, collector_name="test")
        assert second.spool.previous_stop_ms is not None and second.spool.previous_stop_ms <= stopped_ms
        await _run_for(second, 1.5)
    finally:
        for server in servers:
            await server.stop()

    events = {e["asset"]: e for e in _gap_events(influx_db)}
    assert sorted(events) == ["FT-101", "FT-102"]
    holes = {}
    for meter_id, event in events.items():
        last_before, first_after = holes[meter_id] = _longest_hole(_reading_times(influx_db, meter_id))
        assert (event["old"], event["new"], event["time"]) == (_iso(last_before), _iso(first_after), first_after)
        assert _ms(last_before) <= stopped_ms < _ms(first_after)
        assert event["message"].startswith(f"collector restart: no readings of {meter_id} for {(first_after - last_before).total_seconds():.3f} s")
        assert event["message"].endswith(f"the previous run stopped at {_iso(datetime.fromtimestamp(second.spool.previous_stop_ms / 1000, timezone.utc))}")

    shipment = load_shipment(REPO / "examples" / "shipments" / "jet-fuel-export.toml")
    assert shipment.assets.meters == ["FT-101", "FT-102"]
    everything = [t for m in ("FT-101", "FT-102") for t in _reading_times(influx_db, m)]
    start, end = min(everything), max(everything)  # a loading window holding both runs
    findings = await asyncio.to_thread(batch_findings, influx_db, shipment, site, start, end, 1.0)
    assert [(f.check, f.asset, f.message) for f in findings] == [
        ("data_gap", m, f"no good totalizer reading of {m} for {(holes[m][1] - holes[m][0]).total_seconds():.1f} s (limit 1 s)")
        for m in ("FT-101", "FT-102")
    ]
    longest = max((after - before).total_seconds() for before, after in holes.values())
    assert await asyncio.to_thread(batch_findings, influx_db, shipment, site, start, end, longest + 0.5) == []


async def test_an_opc_ua_server_gets_its_restart_gap_too(influx_db: InfluxReader, tmp_path: Path) -> None:
    """The plant's OPC UA server is a source like a Modbus device: one restart event for it, from the last
    data received before the stop to the first received after the restart (receive times: a value that
    does not change is not sent again, and its source time can be old)."""
    plant = PlantServer(plant_model(), ScenarioClock(speedup=100.0), update_interval_s=0.2)
    await plant.start()
    site = plant_site(influx_db, plant.endpoint, tmp_path)
    try:
        first = CollectorService(site, collector_name="test")
        await run_collector_until(first, lambda: first.opcua.servers[0].notifications >= 30, timeout_s=30)  # type: ignore[union-attr]
        stopped_ms = time.time_ns() // 1_000_000
        await asyncio.sleep(1.0)
        restarted_ms = time.time_ns() // 1_000_000
        second = CollectorService(site, collector_name="test")
        await run_collector_until(second, lambda: second.opcua.servers[0].notifications >= 30, timeout_s=30)  # type: ignore[union-attr]
    finally:
        await plant.stop()
    (event,) = _gap_events(influx_db)
    old, new = (datetime.fromisoformat(event[key]) for key in ("old", "new"))
    assert event["asset"] == "plant-dcs" and event["time"] == new
    assert stopped_ms - 1000 < _ms(old) <= stopped_ms  # the plant publishes every 0.1 s while values change
    assert restarted_ms <= _ms(new) < restarted_ms + 10_000
    assert event["message"].startswith(f"collector restart: no readings of plant-dcs for {(new - old).total_seconds():.3f} s")
    assert event["message"].endswith("the previous run stopped at " + _iso_ms(second.spool.previous_stop_ms))  # type: ignore[arg-type]


async def test_the_gap_event_is_committed_with_the_first_readings_after_the_restart(tmp_path: Path) -> None:
    """The event is in the same spool row and evidence block as the source's first readings after the
    restart, so no crash can leave those readings stored and the hole unrecorded; a source the earlier run
    never saw gets no event, and a restart gets one event, not one per commit."""
    path = tmp_path / "spool.sqlite"
    spool = DurableSpool(path, ledger=EvidenceLedger(None), on_resume=lambda resumed: [restart_gap_event("s", resumed)])
    await spool.submit([_meter("FT-1", T0), _meter("FT-1", T0 + 100)], source="FT-1")
    await spool.submit([_health(T0 + 150)])  # not a reading: does not move FT-1's last reading
    await spool.close()
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM spool_state")  # as a kill -9 leaves it: close() never wrote its stop marker
    reopened = DurableSpool(path, ledger=EvidenceLedger(None), on_resume=lambda resumed: [restart_gap_event("s", resumed)])
    assert reopened.previous_stop_ms is None
    await reopened.submit([_meter("FT-2", T0 + 4000)], source="FT-2")
    await reopened.submit([_meter("FT-1", T0 + 5000), _meter("FT-1", T0 + 5100)], source="FT-1")
    await reopened.submit([_meter("FT-1", T0 + 5200)], source="FT-1")
    await reopened.close()
    with sqlite3.connect(path) as db:
        rows = [text.split("\n") for (text,) in db.execute("SELECT lines FROM reading_batch ORDER BY id")]
        blocks = [json.loads(lines) for (lines,) in db.execute("SELECT lines FROM evidence_block ORDER BY seq")]
        seen = dict(db.execute("SELECT source, time_ms FROM source_seen"))
    event = restart_gap_event("s", Resumed("FT-1", T0 + 100, T0 + 5000, None))
    first_after = [_meter("FT-1", T0 + 5000).to_line(), _meter("FT-1", T0 + 5100).to_line(), event.to_line()]
    assert rows[3] == blocks[3] == first_after
    assert [line for row in rows for line in row if line.startswith("event,")] == [event.to_line()]
    assert (event.fields["old"], event.fields["new"], event.time_ms) == (_iso_ms(T0 + 100), _iso_ms(T0 + 5000), T0 + 5000)
    assert event.tags == {"site": "s", "asset": "FT-1", "kind": "comms_gap"}
    assert event.fields["message"].startswith("collector restart: no readings of FT-1 for 4.900 s")
    assert seen == {"FT-1": T0 + 5200, "FT-2": T0 + 4000}


def _meter(meter_id: str, time_ms: int) -> Point:
    return Point("meter", {"site": "s", "meter": meter_id}, {"mass_total_kg": 1.0, "quality": "good"}, time_ms)


def _health(time_ms: int) -> Point:
    return Point("collector_health", {"site": "s", "collector": "c", "source": "FT-1"}, {"connected": 1}, time_ms)


def _iso_ms(time_ms: int) -> str:
    return _iso(datetime.fromtimestamp(time_ms / 1000, timezone.utc))


async def _run_for(service: CollectorService, seconds: float) -> None:
    async def stop_later() -> None:
        await asyncio.sleep(seconds)
        service.stop()

    await asyncio.gather(service.run(tick_s=0.05), stop_later())


def _wait(condition, timeout_s: float) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not reached within {timeout_s} s")
