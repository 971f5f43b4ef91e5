"""The durable spool: readings are on disk before they are acknowledged, survive an InfluxDB outage and
a kill -9 of the collector, and reach InfluxDB exactly once per timestamp afterwards."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bulkdaq.store.forwarder import SpoolForwarder
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.influx_writer import InfluxWriter
from bulkdaq.store.line_protocol import Point
from bulkdaq.store.local_influxd import LocalInfluxd, free_port, wait_listening
from bulkdaq.store.spool import ROW_LINES, DurableSpool, SpoolFull
from site_files import device, meter, point, spooled, write_site

T0 = 1_790_000_000_000
BIN = Path(sys.executable).parent


def reading(i: int, meter_id: str = "FT-1") -> Point:
    return Point("meter", {"site": "s", "meter": meter_id}, {"mass_total_kg": 1000.0 + i, "quality": "good"}, T0 + i)


async def test_spool_drains_in_batches_and_empties(influx_db: InfluxReader, tmp_path: Path) -> None:
    spool = DurableSpool(tmp_path / "spool.sqlite")
    for commit in range(10):  # ten commits of 100 lines: the forwarder takes whole commits up to its batch size
        await spool.submit([reading(100 * commit + i) for i in range(100)])
    assert spool.depth == 1000 and spool.lag_s >= 0
    writer = InfluxWriter(influx_db.url, influx_db.database, quarantine_dir=tmp_path / "q")
    forwarder = SpoolForwarder(spool, writer, batch_size=300, flush_interval_s=0.05)
    forwarder.start()
    await forwarder.close()
    await writer.aclose()
    assert spool.depth == 0 and spool.lag_s == 0.0
    assert writer.stats.batches_written == 4 and writer.stats.lines_written == 1000
    assert influx_db.query("SELECT count(mass_total_kg) FROM meter")[0].values[0][1] == 1000
    await spool.close()


async def test_outage_keeps_readings_on_disk_across_restarts_then_drains(tmp_path: Path) -> None:
    port = free_port()
    path = tmp_path / "spool.sqlite"
    spool = DurableSpool(path)
    writer = InfluxWriter(f"http://127.0.0.1:{port}", "outage", quarantine_dir=tmp_path / "q", first_retry_delay_s=0.05, max_retry_delay_s=0.2)
    forwarder = SpoolForwarder(spool, writer, batch_size=500, flush_interval_s=0.05)
    forwarder.start()
    for batch in range(5):
        await spool.submit([reading(batch * 200 + i) for i in range(200)])
    await asyncio.sleep(0.3)
    await forwarder.close(drain_timeout_s=0.5)  # InfluxDB is down: stop anyway, keep everything
    await writer.aclose()
    assert spool.depth == 1000 and writer.stats.retries > 0
    await spool.close()

    reopened = DurableSpool(path)  # a new process would see the same
    assert reopened.depth == 1000
    server = LocalInfluxd(tmp_path / "influxd", port=port)
    await asyncio.to_thread(server.start)
    try:
        with InfluxReader(server.url, "outage") as reader:
            reader.create_database()
            writer = InfluxWriter(server.url, "outage", quarantine_dir=tmp_path / "q")
            forwarder = SpoolForwarder(reopened, writer, batch_size=500)
            forwarder.start()
            await forwarder.close()
            await writer.aclose()
            assert reopened.depth == 0
            rows = reader.query("SELECT mass_total_kg FROM meter")[0].values
            assert [r[1] for r in rows] == [1000.0 + i for i in range(1000)]  # all of them, in order, once each
    finally:
        await reopened.close()
        await asyncio.to_thread(server.stop)


async def test_a_big_commit_is_sent_in_batches_of_whole_rows(influx_db: InfluxReader, tmp_path: Path) -> None:
    spool = DurableSpool(tmp_path / "spool.sqlite")
    await spool.submit([reading(i) for i in range(2500)])  # one commit, stored as rows of ROW_LINES lines
    assert spool.stats.commits == 1 and spool.depth == 2500
    assert [len(text.split("\n")) for (text,) in sqlite3.connect(tmp_path / "spool.sqlite").execute("SELECT lines FROM reading_batch ORDER BY id")] == [
        ROW_LINES, ROW_LINES, 2500 - 2 * ROW_LINES
    ]
    writer = InfluxWriter(influx_db.url, influx_db.database, quarantine_dir=tmp_path / "q")
    forwarder = SpoolForwarder(spool, writer, batch_size=1500, flush_interval_s=0.05)
    forwarder.start()
    await forwarder.close()
    await writer.aclose()
    assert writer.stats.batches_written == 2 and writer.stats.lines_written == 2500  # 2 rows (2,000 lines), then 1 row
    rows = influx_db.query("SELECT mass_total_kg FROM meter")[0].values
    assert [r[1] for r in rows] == [1000.0 + i for i in range(2500)]
    await spool.close()


async def test_a_spool_written_one_row_per_line_is_taken_over_whole(influx_db: InfluxReader, tmp_path: Path) -> None:
    """An earlier bulkdaq kept one row per line in table `reading`: opening it keeps every line, in order."""
    path = tmp_path / "spool.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE reading (id INTEGER PRIMARY KEY AUTOINCREMENT, enqueued REAL NOT NULL, line TEXT NOT NULL)")
        db.executemany("INSERT INTO reading (enqueued, line) VALUES (?, ?)", [(1.7e9 + i, reading(i).to_line()) for i in range(700)])
    spool = DurableSpool(path)
    assert spool.depth == 700
    assert spool.size_bytes == sum(len(reading(i).to_line()) + 24 for i in range(700))
    assert spool.lag_s > 0  # the oldest line's enqueue time came along
    assert _spool_lines(path) == [reading(i).to_line() for i in range(700)]
    await spool.submit([reading(700)])  # and new readings go after them
    writer = InfluxWriter(influx_db.url, influx_db.database, quarantine_dir=tmp_path / "q")
    forwarder = SpoolForwarder(spool, writer, batch_size=300, flush_interval_s=0.05)
    forwarder.start()
    await forwarder.close()
    await writer.aclose()
    rows = influx_db.query("SELECT mass_total_kg FROM meter")[0].values
    assert [r[1] for r in rows] == [1000.0 + i for i in range(701)]
    assert spool.depth == 0
    await spool.close()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM sqlite_master WHERE name = 'reading'").fetchone()[0] == 0


async def test_full_spool_refuses_new_readings_and_keeps_the_old(tmp_path: Path) -> None:
    spool = DurableSpool(tmp_path / "spool.sqlite", max_bytes=20_000)
    accepted = 0
    with pytest.raises(SpoolFull, match="is full"):
        for i in range(1000):
            await spool.submit([reading(i)])
            accepted += 1
    assert 100 < accepted < 1000
    assert spool.depth == accepted and spool.stats.refused_full == 1
    first = _spool_lines(tmp_path / "spool.sqlite")[0]
    assert first == reading(0).to_line()  # the oldest reading is never discarded
    await spool.close()


async def test_group_commit_acknowledges_concurrent_collectors(tmp_path: Path) -> None:
    spool = DurableSpool(tmp_path / "spool.sqlite")
    await asyncio.gather(*(spool.submit([reading(i, f"FT-{d}") for i in range(10)]) for d in range(50)))
    assert spool.depth == 500
    assert spool.stats.commits < 50  # readings that arrived together were committed together
    await spool.close()


def test_kill_9_loses_no_acknowledged_reading(tmp_path: Path) -> None:
    """A collector with InfluxDB down is killed with SIGKILL; on restart every reading it had acknowledged
    to the spool reaches InfluxDB, once."""
    influx_port, modbus_port = free_port(), free_port()
    site = write_site(
        tmp_path,
        device("FT-1", modbus_port, point(0, "float64", "FT-1", "mass_total_kg"), poll=0.05) + meter("FT-1"),
        url=f"http://127.0.0.1:{influx_port}", database="crash",
    )
    simulator = subprocess.Popen(
        [BIN / "bulkdaq", "simulate", "flowmeter", "--site", site, "--device", "FT-1", "--speedup", "600", "--start-delay-min", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    collector = None
    try:
        wait_listening(modbus_port)
        collector = subprocess.Popen([BIN / "bulkdaq", "collect", site], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
        spool_path = tmp_path / "spool.sqlite"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(_good_meter_lines(spool_path)) < 40:
            time.sleep(0.1)
        os.kill(collector.pid, signal.SIGKILL)
        collector.wait()
        good_before = _good_meter_lines(spool_path)
        assert spooled(spool_path) > len(good_before) >= 40  # meter readings plus collector_health

        with LocalInfluxd(tmp_path / "influxd", port=influx_port) as server, InfluxReader(server.url, "crash") as reader:
            reader.create_database()
            collector = subprocess.Popen([BIN / "bulkdaq", "collect", site], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and _stored(reader, good_before) < len(good_before):
                time.sleep(0.2)
            collector.send_signal(signal.SIGINT)
            collector.wait(timeout=30)
            assert _stored(reader, good_before) == len(good_before)
            assert spooled(spool_path) == 0  # drained on the clean stop
    finally:
        for process in (collector, simulator):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


def _spool_lines(path: Path) -> list[str]:
    """Every line in the spool file, oldest first (read with sqlite3, not through DurableSpool)."""
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        try:
            rows = db.execute("SELECT lines FROM reading_batch ORDER BY id").fetchall()
        except sqlite3.OperationalError:
            return []
    return [line for (text,) in rows for line in text.split("\n")]


def _good_meter_lines(path: Path) -> dict[int, float]:
    """time_ms -> mass_total_kg of every good meter reading in the spool."""
    lines = [line for line in _spool_lines(path) if line.startswith("meter,") and 'quality="good"' in line]
    out = {}
    for line in lines:
        _, fields, stamp = line.rsplit(" ", 2)
        value = next(f.split("=", 1)[1] for f in fields.split(",") if f.startswith("mass_total_kg="))
        out[int(stamp)] = float(value)
    return out


def _stored(reader: InfluxReader, expected: dict[int, float]) -> int:
    """How many of the expected (time, value) readings InfluxDB holds, each exactly as spooled."""
    series = reader.query(f"SELECT mass_total_kg FROM meter WHERE time >= {min(expected)}ms AND time <= {max(expected)}ms")
    stored = {row[0]: row[1] for row in (series[0].values if series else [])}
    return sum(1 for t, v in expected.items() if stored.get(_ms(t)) == v)


def _ms(time_ms: int):  # noqa: ANN202
    from datetime import timedelta

    from bulkdaq.store.influx_reader import EPOCH

    return EPOCH + timedelta(milliseconds=time_ms)
