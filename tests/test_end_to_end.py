"""Simulator (pymodbus server) → collector → real influxd → reader → ticket, equal to the ground truth."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.shipments.stored_totals import stored_meter_ticket
from bulkdaq.store.influx_reader import InfluxReader
from scenario import example_site, loading, run_collector_until, simulators_for
from simulators.scenario_clock import ScenarioClock


async def test_loading_ticket_equals_simulator_ground_truth(influx_db: InfluxReader, tmp_path: Path) -> None:
    site = example_site(influx_db.url, influx_db.database, tmp_path)
    profile = loading()
    scenario_end = profile.end_s + 60
    clock = ScenarioClock(speedup=scenario_end / 4.0)  # the whole loading in about 4 s
    simulators = simulators_for(site, clock, profile)
    servers = [s.server() for s in simulators]
    for server in servers:
        await server.start()
    started = datetime.now(timezone.utc)
    clock.start()
    service = CollectorService(site, collector_name="test")
    try:
        await run_collector_until(service, lambda: clock.seconds() > scenario_end, timeout_s=30)
    finally:
        for server in servers:
            await server.stop()
    ended = datetime.now(timezone.utc) + timedelta(seconds=1)
    assert all(server.requests > 20 for server in servers)
    assert service.writer.stats.batches_quarantined == 0

    by_meter = {p.asset: s for s in simulators for p in s.device.points}
    for meter in site.config.meters:
        ticket = stored_meter_ticket(influx_db, site.config.site.name, meter, started, ended)
        truth = by_meter[meter.id]
        assert [t.field for t in ticket.totals] == ["mass_total_kg", "volume_total_m3"]
        for total in ticket.totals:
            opening = truth.reported(meter.id, total.field, 0.0)
            closing = truth.reported(meter.id, total.field, scenario_end)
            # Same registers, no rounding: the stored readings are the device's readings.
            assert total.opening.value == opening and total.closing.value == closing
            assert total.indicated == Decimal(repr(closing)) - Decimal(repr(opening))
        mass, volume = ticket.totals
        assert mass.indicated == Decimal("450000.000")  # 450 t loaded, totals in whole grams or float64
        assert abs(volume.indicated - Decimal("562.5")) < Decimal("0.0001")  # 450 t at 800 kg/m³
    ft101 = stored_meter_ticket(influx_db, site.config.site.name, site.config.meter("FT-101"), started, ended)
    assert ft101.totals[1].indicated == Decimal("562.500000")  # uint64 millilitres: exact

    # The flow was seen too: the peak rate reached the profile's 1000 t/h on both meters, reported per
    # hour of the collector's clock (× speedup), the pace at which the totals moved.
    peaks = influx_db.query("SELECT max(flow_rate_kg_h) FROM meter GROUP BY meter")
    expected = 1_000_000.0 * clock.speedup
    assert {s.tags["meter"]: s.values[0][1] for s in peaks} == pytest.approx({"FT-101": expected, "FT-102": expected}, rel=1e-6)
    health = influx_db.query("SELECT last(connected), last(errors) FROM collector_health GROUP BY source")
    assert {s.tags["source"]: tuple(s.values[0][1:]) for s in health} == {"FT-101": (1, 0), "FT-102": (1, 0)}
    # The forwarder reports itself too: backlog, drain rate and quarantine (none here).
    forwarder = influx_db.query("SELECT last(quarantined), last(forwarded_per_s) FROM collector_health WHERE \"source\" = 'forwarder'")
    assert forwarder and forwarder[0].values[0][1] == 0 and forwarder[0].values[0][2] >= 0
