"""A dead or silent device shows quality bad and never slows the other devices down."""

from __future__ import annotations

import asyncio
import struct
import time

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.site_file import load_site
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import free_port
from scenario import run_collector_until
from simulators.flowmeter import FlowmeterSimulator, MeterRun
from simulators.loading_profile import LoadingProfile
from simulators.scenario_clock import ScenarioClock
from site_files import device, point, write_site

POLL_S = 0.1
RUN_S = 3.0
TIMEOUT_S = 0.3


async def _silent_server() -> tuple[asyncio.Server, int]:
    """Accepts TCP connections and never answers: the worst kind of dead device (timeouts, not refusals)."""
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(1024):
            pass
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_dead_devices_are_bad_and_the_live_one_keeps_its_poll_rate(influx_db: InfluxReader, tmp_path) -> None:  # noqa: ANN001
    silent, silent_port = await _silent_server()
    live_port, refused_port = free_port(), free_port()
    body = (
        device("LIVE", live_port, point(0, "float64", "FT-1", "mass_total_kg"), poll=POLL_S, timeout=0.3)
        + device("SILENT", silent_port, point(0, "float64", "FT-2", "mass_total_kg"), poll=POLL_S, timeout=0.3)
        + device("REFUSED", refused_port, point(0, "float64", "FT-3", "mass_total_kg"), poll=POLL_S, timeout=0.3)
    )
    site = load_site(write_site(tmp_path, body, url=influx_db.url, database=influx_db.database))
    live_device = site.config.modbus.devices[0]
    clock = ScenarioClock(speedup=100)
    run = MeterRun(LoadingProfile(1000.0, 10_000.0, 10, 10))
    simulator = FlowmeterSimulator(live_device, {"FT-1": run}, clock).server()
    await simulator.start()
    service = CollectorService(site)
    started = time.monotonic()
    try:
        await run_collector_until(service, lambda: time.monotonic() - started > RUN_S, timeout_s=RUN_S + 5)
    finally:
        await simulator.stop()
        silent.close()
    elapsed = time.monotonic() - started
    live, silent_status, refused = service.statuses

    # The live device was polled at (nearly) its own rate while the others timed out or were refused.
    assert live.polls >= 0.8 * elapsed / POLL_S, (live.polls, elapsed)
    assert live.errors == 0 and live.connected
    assert not silent_status.connected and silent_status.errors > 0
    assert not refused.connected and refused.errors > 0

    qualities = influx_db.query("SELECT count(quality) FROM meter WHERE quality = 'good' GROUP BY meter")
    assert {s.tags["meter"] for s in qualities} == {"FT-1"}
    bad = influx_db.query("SELECT last(quality_reason) FROM meter WHERE quality = 'bad' GROUP BY meter")
    reasons = {s.tags["meter"]: s.values[0][1] for s in bad}
    assert set(reasons) == {"FT-2", "FT-3"}
    assert reasons["FT-2"] == "no answer within 0.3 s (mass_total_kg)"
    assert reasons["FT-3"] == f"cannot connect to 127.0.0.1:{refused_port}: connection refused or timed out"
    bad_counts = influx_db.query("SELECT count(quality) FROM meter WHERE quality = 'bad' GROUP BY meter")
    # Bad readings keep coming for each dead device (a gap is visible, not silent): every poll interval
    # when refused, every time-out when silent.
    counts = {s.tags["meter"]: s.values[0][1] for s in bad_counts}
    assert counts["FT-3"] >= 0.5 * elapsed / POLL_S, counts
    assert counts["FT-2"] >= 0.5 * elapsed / (POLL_S + TIMEOUT_S), counts


async def test_modbus_exception_and_nan_mark_quality_bad_with_the_reason(influx_db: InfluxReader, tmp_path) -> None:  # noqa: ANN001
    port = free_port()
    points = point(0, "float64", "FT-1", "mass_total_kg") + point(4, "float32", "FT-1", "density_kg_m3")
    site = load_site(write_site(tmp_path, device("FC", port, points, poll=POLL_S), url=influx_db.url, database=influx_db.database))
    clock = ScenarioClock(speedup=1)
    run = MeterRun(LoadingProfile(1000.0, 10_000.0, 10, 10), density_kg_m3=float("nan"))
    simulator = FlowmeterSimulator(site.config.modbus.devices[0], {"FT-1": run}, clock)
    server = simulator.server()
    await server.start()
    service = CollectorService(site)
    try:
        await run_collector_until(service, lambda: service.statuses[0].polls >= 3, timeout_s=10)
        nan_reason = influx_db.query("SELECT last(quality_reason) FROM meter")
        server.fault = 2
        polls = service.statuses[0].polls
        service = CollectorService(site)
        await run_collector_until(service, lambda: service.statuses[0].polls >= 3, timeout_s=10)
    finally:
        await server.stop()
    assert polls >= 3
    assert nan_reason[0].values[0][1] == "device sent nan (density_kg_m3)"
    rows = influx_db.query("SELECT quality, quality_reason, mass_total_kg FROM meter ORDER BY time DESC LIMIT 1")[0].rows()
    assert rows[0]["quality"] == "bad"
    assert rows[0]["mass_total_kg"] is None  # no value is invented for a failed read
    assert "exception code 2 (illegal data address)" in rows[0]["quality_reason"]


async def _wrong_unit_gateway(values: bytes) -> tuple[asyncio.Server, int]:
    """A Modbus TCP gateway that answers every read with `values`, but in the name of the next unit id."""
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                transaction, _protocol, length, unit = struct.unpack(">HHHB", await reader.readexactly(7))
                pdu = await reader.readexactly(length - 1)
                count = struct.unpack(">H", pdu[3:5])[0]
                body = bytes((pdu[0], 2 * count)) + values[: 2 * count]
                writer.write(struct.pack(">HHHB", transaction, 0, len(body) + 1, (unit + 1) % 256) + body)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_an_answer_from_another_unit_id_is_never_a_good_reading(influx_db: InfluxReader, tmp_path) -> None:  # noqa: ANN001
    """A gateway that mixes up its units answers unit 7's request as unit 8: that value is not unit 7's."""
    gateway, port = await _wrong_unit_gateway(struct.pack(">d", 1234.5))
    site = load_site(write_site(
        tmp_path, device("FT-7", port, point(0, "float64", "FT-7", "mass_total_kg"), unit_id=7, poll=POLL_S, timeout=TIMEOUT_S),
        url=influx_db.url, database=influx_db.database,
    ))
    service = CollectorService(site)
    try:
        await run_collector_until(service, lambda: service.statuses[0].polls >= 3, timeout_s=10)
    finally:
        gateway.close()
    rows = influx_db.query("SELECT quality, quality_reason, mass_total_kg FROM meter")[0].rows()
    assert len(rows) >= 3
    assert {row["quality"] for row in rows} == {"bad"}
    assert {row["mass_total_kg"] for row in rows} == {None}  # 1234.5 was never stored
    # pymodbus drops a frame for another unit without a word, so the poll times out (and the socket is reset)
    assert {row["quality_reason"] for row in rows} == {f"no answer within {TIMEOUT_S} s (mass_total_kg)"}
