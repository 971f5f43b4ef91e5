"""The plant is stopped and restarted mid-run (with its namespace at another index): the collector
recovers, records the gap as an event, and loses nothing it had received."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import free_port
from opcua_support import plant_model, plant_site, series, served
from scenario import run_collector_until
from simulators.plant import PlantServer
from simulators.scenario_clock import ScenarioClock


async def test_server_restart_is_a_recorded_gap_and_nothing_received_is_lost(influx_db: InfluxReader, tmp_path: Path) -> None:
    model = plant_model()
    # Slow enough that the tank is still draining after the restart even on a loaded machine (the loading
    # lasts about 17 s of real time), so the second server serves changing values to compare.
    clock = ScenarioClock(speedup=100.0)
    port = free_port()
    first = PlantServer(model, clock, port=port, update_interval_s=0.2, record_history=True)
    await first.start()
    site = plant_site(influx_db, first.endpoint, tmp_path)
    service = CollectorService(site, collector_name="test")
    collector = service.opcua.servers[0] if service.opcua else None
    assert collector is not None
    second = PlantServer(model, clock, port=port, update_interval_s=0.2, record_history=True,
                         namespaces_before=["urn:vendor:diagnostics", "urn:vendor:alarms"])
    phases: dict[str, int] = {}

    async def outage() -> None:
        while collector.notifications < 60:
            await asyncio.sleep(0.05)
        phases["received_before_stop"] = collector.notifications
        await first.stop()
        await asyncio.sleep(1.5)
        await second.start()
        while not collector.gaps or collector.notifications < phases["received_before_stop"] + 60:
            await asyncio.sleep(0.05)
        phases["done"] = 1

    try:
        task = asyncio.create_task(outage())
        await run_collector_until(service, lambda: "done" in phases, timeout_s=40)
        await task
    finally:
        await first.stop()
        await second.stop()
    assert first.namespace_index != second.namespace_index  # the index moved; the URI was re-resolved
    assert collector.sessions == 2 and len(collector.gaps) == 1
    gap = collector.gaps[0]
    assert 1.5 <= gap.seconds < 1.5 + 3 + 1.0 + 2  # outage + plant start-up + at most one capped backoff (1 s) + slack
    assert collector.notifications == collector.readings_submitted

    # The gap is an event at the moment the connection was lost, with both ends in old/new.
    events = series(influx_db, "SELECT message, old, new FROM event WHERE asset = 'plant-dcs' AND kind = 'comms_gap'")
    assert len(events) == 1
    at, message, old, new = events[0]
    assert at == gap.start_ms and message.startswith("comms loss: no data from") and old < new
    # …and every asset was marked bad when the connection went.
    bad = series(influx_db, f"SELECT quality, quality_reason FROM tank WHERE time = {gap.start_ms}ms OR quality = 'bad'")
    assert bad and all(q == "bad" and "plant" in reason for _, q, reason in bad)

    # Nothing lost: everything each plant served while subscribed is stored, at its source time.
    assert first.history is not None and second.history is not None
    stored = dict(series(influx_db, "SELECT tov_m3 FROM tank"))
    for plant in (first, second):
        span = [t for t in stored if t in served(plant.history, "T-101.TOV")]
        window = {t: v for t, (v, _) in served(plant.history, "T-101.TOV").items() if min(span) <= t <= max(span)}
        assert {t: stored[t] for t in span} == window and len(window) >= 5
    # After the restart, values kept coming from the right nodes (the tank still drains, by the model).
    after = sorted((t, v) for t, v in stored.items() if t > gap.end_ms)
    assert after and all(v <= model.tank.initial_tov_m3 for _, v in after)
    health = series(influx_db, "SELECT connected FROM collector_health WHERE \"source\" = 'plant-dcs'")
    assert {row[1] for row in health} == {0, 1}
