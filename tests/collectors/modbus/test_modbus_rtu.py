"""Modbus RTU on a serial line: two flowmeters and a dead unit share one bus (a socat virtual serial
pair); the collector serialises the bus, reads both meters exactly, marks the dead unit bad, never writes."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.site_file import load_site
from bulkdaq.shipments.stored_totals import stored_meter_ticket
from bulkdaq.store.influx_reader import InfluxReader
from scenario import run_collector_until
from simulators.flowmeter import FlowmeterSimulator, MeterRun
from simulators.loading_profile import LoadingProfile
from simulators.modbus_device_server import ModbusDeviceServer
from simulators.scenario_clock import ScenarioClock
from site_files import device, meter, point, write_site

SOCAT = shutil.which("socat") or "socat (missing: scripts/setup.sh installs Debian's socat)"


@pytest.fixture
def serial_pair(tmp_path: Path):  # noqa: ANN201
    """Two connected pseudo-terminals: the collector opens one end, the simulated bus the other."""
    master, slave = tmp_path / "bus-collector", tmp_path / "bus-devices"
    process = subprocess.Popen(
        [SOCAT, f"pty,raw,echo=0,link={master}", f"pty,raw,echo=0,link={slave}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while not (master.exists() and slave.exists()):
        assert time.monotonic() < deadline, "socat did not create the serial pair"
        time.sleep(0.05)
    yield master, slave
    process.terminate()
    process.wait(timeout=10)


def rtu(name: str, unit: int, asset: str, port: Path, poll: float = 0.2) -> str:
    points = point(0, "uint64", asset, "mass_total_kg", extra="scale = 0.001") + point(4, "float32", asset, "flow_rate_kg_h")
    text = device(name, 502, points, unit_id=unit, poll=poll, timeout=0.25)
    # Linux pseudo-terminals refuse even parity (EINVAL), so the bus runs 8N2, which the Modbus serial
    # line specification allows when no parity is used.
    line = 'baudrate = 115200\nparity = "N"\nstopbits = 2\n'
    return text.replace('host = "127.0.0.1"\n', f'transport = "rtu"\nserial_port = "{port}"\n{line}')


async def test_two_meters_and_a_dead_unit_on_one_bus(serial_pair, influx_db: InfluxReader, tmp_path: Path) -> None:  # noqa: ANN001
    master, slave = serial_pair
    body = rtu("FT-A", 1, "FT-A", master) + rtu("FT-B", 2, "FT-B", master) + rtu("FT-DEAD", 9, "FT-DEAD", master) + meter("FT-A") + meter("FT-B")
    site = load_site(write_site(tmp_path, body, url=influx_db.url, database=influx_db.database))
    devices = site.config.modbus.devices
    profile = LoadingProfile(200_000.0, 1_000_000.0, ramp_up_s=60, ramp_down_s=60, start_s=60)
    scenario_end = profile.end_s + 60
    clock = ScenarioClock(speedup=scenario_end / 4.0)
    meters = [FlowmeterSimulator(d, {d.name: MeterRun(profile)}, clock) for d in devices[:2]]
    bus = ModbusDeviceServer([m.unit() for m in meters], serial_port=str(slave), baudrate=115200, parity="N", stopbits=2)
    await bus.start()
    started = datetime.now(timezone.utc)
    clock.start()
    service = CollectorService(site)
    try:
        await run_collector_until(service, lambda: clock.seconds() > scenario_end, timeout_s=40)
    finally:
        await bus.stop()
    ended = datetime.now(timezone.utc) + timedelta(seconds=1)

    for simulator in meters:
        name = simulator.device.name
        ticket = stored_meter_ticket(influx_db, site.config.site.name, site.config.meter(name), started, ended)
        opening = simulator.reported(name, "mass_total_kg", 0.0)
        closing = simulator.reported(name, "mass_total_kg", scenario_end)
        assert ticket.totals[0].indicated == Decimal(repr(closing)) - Decimal(repr(opening)) == Decimal("200000.000")
    live_a, live_b, dead = service.statuses
    assert live_a.errors == 0 and live_b.errors == 0  # the bus was never asked two things at once
    assert dead.errors > 0 and dead.last_error.endswith("no answer within 0.25 s")
    bad = influx_db.query("SELECT count(quality) FROM meter WHERE quality = 'bad' GROUP BY meter")
    assert {s.tags["meter"] for s in bad} == {"FT-DEAD"}
    assert set(bus.function_codes) == {3}  # the collector only read holding registers: it never wrote
