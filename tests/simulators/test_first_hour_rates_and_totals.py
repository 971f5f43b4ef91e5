"""A sped-up simulated meter keeps its rates and totals on one clock, the collector's: the real collector
with the site's own (default) totalizer-jump margin raises no `totalizer_jump` over a whole loading run
`speedup` × faster than real time, and still raises one for a real jump of the totalizer."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.app.demo import local_site, registry_note
from bulkdaq.app.demo_clearance import DemoClearance
from bulkdaq.config.site_file import IntegrityLimits, load_site
from bulkdaq.store.influx_reader import InfluxReader
from collectors.modbus.integrity import device_watch
from scenario import REPO, example_site, loading
from simulators.flowmeter import FlowmeterSimulator
from simulators.scenario_clock import ScenarioClock

REAL_S = 5.0  # the whole loading in about 5 s of real time


def test_the_rate_registers_report_the_pace_of_the_totals(tmp_path: Path) -> None:
    """Over one real second of steady flow, the total moves by the reported rate × one real second."""
    site = example_site("http://127.0.0.1:1", "unused", tmp_path)
    profile = loading()
    speedup = profile.end_s / REAL_S
    for device in site.config.modbus.devices:
        simulator = FlowmeterSimulator.for_loading(device, ScenarioClock(speedup), profile)
        meter = device.points[0].asset
        t0 = profile.start_s + profile.ramp_up_s + 10.0  # steady flow
        t1 = t0 + speedup * 1.0  # one real second later
        rate = simulator.reported(meter, "flow_rate_kg_h", t0)
        assert rate == profile.peak_rate_kg_h * speedup  # kg per real hour
        moved = simulator.reported(meter, "mass_total_kg", t1) - simulator.reported(meter, "mass_total_kg", t0)
        assert abs(moved - rate / 3600) <= 0.01 * rate / 3600
        # At speedup 1 the rates are the scenario's own.
        assert FlowmeterSimulator.for_loading(device, ScenarioClock(1.0), profile).reported(meter, "flow_rate_kg_h", t0) == profile.peak_rate_kg_h


def test_the_default_margin_holds_over_a_whole_sped_up_loading(tmp_path: Path) -> None:
    """The integrity watch, fed the simulator's registers at real poll times, sees no jump; a real one it sees."""
    site = example_site("http://127.0.0.1:1", "unused", tmp_path)
    device = site.config.modbus.devices[0]
    assert device.integrity == IntegrityLimits()  # the defaults: jump_margin 0.5, jump_allowance 1
    profile = loading()
    speedup = profile.end_s / REAL_S
    simulator = FlowmeterSimulator.for_loading(device, ScenarioClock(speedup), profile)
    watch = device_watch(device)
    meter = device.points[0].asset
    fields = ("mass_total_kg", "volume_total_m3", "flow_rate_kg_h", "volume_flow_m3_h")
    poll_ms = 500
    pace_kg = profile.peak_rate_kg_h * speedup * poll_ms / 3_600_000  # what one poll of steady flow moves
    steady = [n for n in range(100) if profile.start_s + profile.ramp_up_s < n * poll_ms / 1000 * speedup < profile.end_s - profile.ramp_down_s]
    jump_at = steady[len(steady) // 2]
    events = []
    for n in range(int((REAL_S + 1) * 1000 / poll_ms)):
        real_ms = n * poll_ms
        if n == jump_at:
            # Three quarters of a poll's flow added at once: within the widened margin the demo used to
            # set (1.5 × speedup), beyond the default one.
            simulator.jump_totalizer(meter, 0.75 * pace_kg)
        events += [(n, e) for e in watch.observe(meter, {f: simulator.reported(meter, f, real_ms / 1000 * speedup) for f in fields}, real_ms)]
    assert [(n, e.kind, e.field) for n, e in events] == [(jump_at, "totalizer_jump", "mass_total_kg")]


async def test_the_collector_sees_no_jump_in_a_sped_up_loading_and_sees_a_real_one(influx_db: InfluxReader, tmp_path: Path) -> None:
    """The real collector, polling two simulated meters of the example site with its default margins."""
    site = example_site(influx_db.url, influx_db.database, tmp_path, poll_interval_s=0.5)
    assert all(d.integrity == IntegrityLimits() for d in site.config.modbus.devices)
    profile = loading()
    clock = ScenarioClock(profile.end_s / REAL_S, running=False)
    simulators = [FlowmeterSimulator.for_loading(d, clock, profile) for d in site.config.modbus.devices]
    servers = [s.server() for s in simulators]
    for server in servers:
        await server.start()
    service = CollectorService(site, collector_name="test")
    jumped = simulators[1]  # FT-102: float64 mass total, swapped words
    meter = "FT-102"
    poll_s = site.config.modbus.devices[1].poll_interval_s
    jump_kg = 3 * profile.peak_rate_kg_h * clock.speedup * poll_s / 3600  # three polls' flow at once
    steady_middle = profile.start_s + profile.ramp_up_s + profile.steady_s / 2

    async def load_then_jump() -> None:
        while not all(status.polls >= 2 for status in service.statuses):
            await asyncio.sleep(0.05)
        clock.start()  # the opening totals are read before the flow starts
        while clock.seconds() < steady_middle:
            await asyncio.sleep(0.02)
        jumped.jump_totalizer(meter, jump_kg)  # in full flow, where a widened margin would hide it
        while clock.seconds() < profile.end_s + clock.speedup:  # the rest of the loading, then one real second
            await asyncio.sleep(0.05)
        service.stop()

    started = time.monotonic()
    try:
        await asyncio.wait_for(asyncio.gather(service.run(tick_s=0.05), load_then_jump()), timeout=60)
    finally:
        for server in servers:
            await server.stop()
    assert time.monotonic() - started < 60

    flowing = influx_db.query("SELECT max(flow_rate_kg_h) FROM meter GROUP BY meter")
    peaks = {s.tags["meter"]: s.values[0][1] for s in flowing}  # kg per real hour
    assert peaks == pytest.approx(dict.fromkeys(("FT-101", "FT-102"), profile.peak_rate_kg_h * clock.speedup), rel=1e-6)
    series = influx_db.query("SELECT message FROM event WHERE kind = 'totalizer_jump' GROUP BY asset, \"field\"")
    assert [(s.tags["asset"], s.tags["field"]) for s in series] == [(meter, "mass_total_kg")], [s.rows() for s in series]
    (event,) = series[0].rows()
    assert event["message"].startswith("mass_total_kg advanced ")


def test_the_demo_keeps_the_sites_own_margins_and_says_where_its_registry_is(tmp_path: Path) -> None:
    """No hidden margin: the demo's site has the same integrity limits as the site file, however fast it runs."""
    site = load_site(REPO / "examples" / "site.toml")
    demo_site = local_site(site, "http://127.0.0.1:1", tmp_path / "spool.sqlite")
    assert [d.integrity for d in demo_site.config.modbus.devices] == [d.integrity for d in site.config.modbus.devices]
    clearance = DemoClearance(REPO / "examples", tmp_path / "demo")
    note = registry_note(clearance)
    registry = (tmp_path / "demo" / "shipments.sqlite").resolve()
    assert note == f"Shipment registry: {registry}\n  (list its shipments: bulkdaq shipment list --registry {registry})"
