"""Two integrity events of one poll survive storage: a flow-computer reset zeroes the mass and the volume
totals together, and both `totalizer_reset` events reach InfluxDB (the `field` tag keeps them apart),
with their values, and everything that reads events still sees both."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.shipments.live_quantities import batch_findings
from bulkdaq.shipments.model import load_shipment
from bulkdaq.store.influx_reader import InfluxReader
from dashboards.grafana import loading_view
from dashboards.grafana.influxql_render import TimeRange, VariableValue, render
from scenario import example_site
from simulators.flowmeter import FlowmeterSimulator
from simulators.loading_profile import LoadingProfile
from simulators.scenario_clock import ScenarioClock

REPO = Path(__file__).resolve().parents[3]
METER = "FT-101"  # totals as 64-bit integers in g and mL (examples/site.toml)


async def test_a_reset_of_both_totals_in_one_poll_stores_both_events(influx_db: InfluxReader, tmp_path: Path) -> None:
    site = example_site(influx_db.url, influx_db.database, tmp_path)
    idle = LoadingProfile(450_000.0, 1_000_000.0, ramp_up_s=60, ramp_down_s=60, start_s=3600)  # no flow: no other event
    simulators = [FlowmeterSimulator.for_loading(d, ScenarioClock(speedup=1.0), idle) for d in site.config.modbus.devices]
    servers = [s.server() for s in simulators]
    for server in servers:
        await server.start()
    service = CollectorService(site, collector_name="test")
    flow_computer = simulators[0]

    async def reset_both_then_stop() -> None:
        await asyncio.sleep(1.0)
        polls = service.statuses[0].polls
        # One call after the other with no await between: no poll can fall between the two resets.
        flow_computer.reset_totalizer(METER, "mass_total_kg")
        flow_computer.reset_totalizer(METER, "volume_total_m3")
        while service.statuses[0].polls < polls + 5:
            await asyncio.sleep(0.05)
        service.stop()

    try:
        await asyncio.gather(service.run(tick_s=0.05), reset_both_then_stop())
    finally:
        for server in servers:
            await server.stop()

    series = influx_db.query("SELECT message, old, new FROM event WHERE kind = 'totalizer_reset' GROUP BY asset, \"field\"")
    events = {s.tags["field"]: s.rows() for s in series}
    assert {s.tags["asset"] for s in series} == {METER}
    assert sorted(events) == ["mass_total_kg", "volume_total_m3"]
    ((mass,), (volume,)) = events["mass_total_kg"], events["volume_total_m3"]
    assert mass["time"] == volume["time"]  # one poll, one millisecond: two points only through the tag

    readings = influx_db.query(f"SELECT mass_total_kg, volume_total_m3 FROM meter WHERE meter = '{METER}'")[0].rows()
    at = next(i for i, r in enumerate(readings) if r["time"] == mass["time"])
    before, after = readings[at - 1], readings[at]
    assert (before["mass_total_kg"], before["volume_total_m3"]) == (52_314_706.281, 65_391.172)  # the simulator's totals
    assert (after["mass_total_kg"], after["volume_total_m3"]) == (0.0, 0.0)
    # (InfluxDB's JSON gives a float 0.0 back as 0; the event keeps the value as the collector read it)
    assert (mass["old"], mass["new"]) == (repr(float(before["mass_total_kg"])), repr(float(after["mass_total_kg"])))
    assert (volume["old"], volume["new"]) == (repr(float(before["volume_total_m3"])), repr(float(after["volume_total_m3"])))
    assert mass["message"] == "mass_total_kg went backwards (reset): 52314706.281 then 0.0"
    assert volume["message"] == "volume_total_m3 went backwards (reset): 65391.172 then 0.0"
    assert influx_db.query("SELECT count(message) FROM event")[0].values[0][1] == 2  # nothing else happened

    # The clearance's batch check (GROUP BY asset, kind) sees both, as two findings.
    shipment = load_shipment(REPO / "examples" / "shipments" / "jet-fuel-export.toml")
    window = (readings[0]["time"], readings[-1]["time"])
    findings = await asyncio.to_thread(batch_findings, influx_db, shipment, site, *window, 3600.0)
    assert sorted((f.check, f.asset, f.message.rsplit(": ", 1)[1]) for f in findings) == [
        ("totalizer_reset", METER, "52314706.281 then 0.0"),
        ("totalizer_reset", METER, "65391.172 then 0.0"),
    ]

    # The loading view's event annotations, rendered as Grafana would, show both.
    query = render(loading_view.events_query(), TimeRange(*window), {"site": VariableValue(("demo-terminal",), multi_or_all=True)})
    annotations = [row for s in influx_db.query(query) for row in s.rows() if s.tags["kind"] == "totalizer_reset"]
    assert sorted(row["message"] for row in annotations) == [mass["message"], volume["message"]]
