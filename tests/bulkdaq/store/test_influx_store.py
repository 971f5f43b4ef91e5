"""The writer and reader against a real influxd: typed reads, poison batches quarantined, outages retried."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.influx_writer import InfluxWriter
from bulkdaq.store.line_protocol import Point
from bulkdaq.store.local_influxd import LocalInfluxd, free_port

T0 = 1_790_000_000_000  # ms since epoch, 2026-09-21


def meter_point(meter: str, time_ms: int, quality: str = "good", **fields: float) -> Point:
    return Point("meter", {"site": "s", "meter": meter}, {**fields, "quality": quality}, time_ms)


def test_line_protocol_escapes_names_and_strings() -> None:
    point = Point("meter", {"site": "a b,c", "meter": "x=y"}, {"quality_reason": 'said "no" \\ twice', "status": 3, "v": 1.5}, 5)
    assert point.to_line() == 'meter,meter=x\\=y,site=a\\ b\\,c quality_reason="said \\"no\\" \\\\ twice",status=3i,v=1.5 5'
    with pytest.raises(ValueError, match="NaN or infinity"):
        Point("meter", {}, {"v": float("nan")}, 1).to_line()


async def test_written_points_read_back_typed(influx_db: InfluxReader, tmp_path: Path) -> None:
    writer = InfluxWriter(influx_db.url, influx_db.database, quarantine_dir=tmp_path)
    points = [
        meter_point("FT-1", T0, mass_total_kg=100.125, status=0),
        meter_point("FT-1", T0 + 1, mass_total_kg=100.25),  # 1 ms later: ms precision keeps both
        meter_point("FT-1", T0 + 2000, "bad", mass_total_kg=999.0),
        meter_point("FT-2", T0 + 500, mass_total_kg=7.5),
    ]
    await writer.write([p.to_line() for p in points])
    await writer.aclose()
    last = influx_db.last_per_asset(contract.METER, "mass_total_kg")
    assert {k: v.value for k, v in last.items()} == {"FT-1": 100.25, "FT-2": 7.5}
    assert last["FT-1"].time_ms == T0 + 1
    window = influx_db.first_and_last(
        contract.METER, "FT-1", "mass_total_kg",
        datetime.fromtimestamp(T0 / 1000, timezone.utc), datetime.fromtimestamp(T0 / 1000 + 5, timezone.utc),
    )
    assert window is not None
    assert (window[0].value, window[0].time_ms, window[1].value, window[1].time_ms) == (100.125, T0, 100.25, T0 + 1)
    everything = influx_db.first_and_last(
        contract.METER, "FT-1", "mass_total_kg",
        datetime.fromtimestamp(T0 / 1000, timezone.utc), datetime.fromtimestamp(T0 / 1000 + 5, timezone.utc), good_only=False,
    )
    assert everything[1].value == 999.0
    assert influx_db.first_and_last(contract.METER, "FT-9", "mass_total_kg", datetime.now(timezone.utc) - timedelta(hours=1), datetime.now(timezone.utc)) is None


async def test_type_conflict_is_quarantined_and_the_valid_lines_are_kept(influx_db: InfluxReader, tmp_path: Path) -> None:
    writer = InfluxWriter(influx_db.url, influx_db.database, quarantine_dir=tmp_path / "q")
    await writer.write([meter_point("FT-1", T0, mass_total_kg=1.0).to_line()])
    # A string where the database holds a float: InfluxDB answers 400 "partial write", storing the good line.
    poison = [
        meter_point("FT-1", T0 + 10, mass_total_kg=2.0).to_line(),
        'meter,meter=FT-1,site=s mass_total_kg="oops" ' + str(T0 + 20),
    ]
    await writer.write(poison)
    await writer.aclose()
    assert writer.stats.batches_quarantined == 1 and writer.stats.lines_quarantined == 2
    assert writer.stats.retries == 0
    saved = writer.stats.quarantine_files[0].read_text()
    assert "HTTP 400" in saved and "field type conflict" in saved
    assert poison[1] in saved.splitlines()
    rows = influx_db.query('SELECT mass_total_kg FROM meter WHERE meter = \'FT-1\'')[0].values
    assert [r[1] for r in rows] == [1.0, 2.0]


async def test_writer_retries_until_influxdb_comes_back(tmp_path: Path) -> None:
    port = free_port()
    writer = InfluxWriter(
        f"http://127.0.0.1:{port}", "late", quarantine_dir=tmp_path / "q", first_retry_delay_s=0.1, max_retry_delay_s=0.5, timeout_s=2,
        create_database=False,  # the database is the operator's to create here (the default creates it: test_hardening_influx_writer.py)
    )
    write = asyncio.create_task(writer.write([meter_point("FT-1", T0, mass_total_kg=42.0).to_line()]))
    await asyncio.sleep(1.0)
    assert not write.done() and writer.stats.retries >= 2  # connection refused, still holding the batch
    server = LocalInfluxd(tmp_path / "influxd", port=port)
    await asyncio.to_thread(server.start)
    try:
        # Database not created yet: HTTP 404 is retried (quietly) until an operator (here: the test) creates it.
        await asyncio.sleep(0.5)
        assert not write.done() and "404" in (writer.stats.last_error or "")
        with InfluxReader(server.url, "late") as reader:
            reader.create_database()
            await asyncio.wait_for(write, timeout=10)
            assert reader.query("SELECT mass_total_kg FROM meter")[0].values[0][1] == 42.0
    finally:
        await writer.aclose()
        await asyncio.to_thread(server.stop)
    assert writer.stats.lines_written == 1 and writer.stats.batches_quarantined == 0
