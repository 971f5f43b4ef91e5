"""Live quantities against the real chain: flowmeter simulators (Modbus) → collector → real influxd →
live calculator → `quantity` / `clearance` points in InfluxDB, asserted against the simulators' ground
truth; and the integrity checks that block a batch, on a real influxd."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.shipments.clearance_writer import writer_for
from bulkdaq.shipments.live_quantities import METER_TICKETS, watch
from bulkdaq.shipments.model import DeclaredQuantity, Instrument, MethodFigure, load_shipment
from bulkdaq.shipments.registry import ShipmentRegistry
from bulkdaq.shipments.tolerance_rules import load_rule_set
from bulkdaq.shipments.workflow import complete_loading, reconcile_shipment, record_figures, start_loading
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.line_protocol import Point
from calculators.petroleum.weight_in_air import weight_in_air_from_mass
from scenario import example_site, loading, run_collector_until, simulators_for
from simulators.scenario_clock import ScenarioClock

REPO = Path(__file__).resolve().parents[3]
RULES = load_rule_set(REPO / "examples" / "tolerances.toml")
BASE_DENSITY = 806.5  # kg/m³ at 15 °C, from examples/shipments/jet-fuel-export.toml


def jet_shipment(shipment_id: str = "EXP-LIVE-1"):
    """The example jet-fuel export, 900 t declared in vacuum so progress of the two 450 t runs sums to 1."""
    shipment = load_shipment(REPO / "examples" / "shipments" / "jet-fuel-export.toml")
    far = date(2099, 1, 1)
    return shipment.model_copy(update={
        "id": shipment_id,
        "declared": DeclaredQuantity(quantity=900.0, basis="t_vacuum"),
        "instruments": [i.model_copy(update={"certificate_valid_until": far}) for i in shipment.instruments],
    })


async def test_live_quantities_follow_the_simulated_loading(influx_db: InfluxReader, tmp_path: Path) -> None:
    profile = loading()  # 450 t per meter run at up to 1000 t/h
    scenario_end = profile.end_s + 60
    speedup = scenario_end / 4.0
    # The site's own integrity limits: the simulated meters report their flow rate on the collector's clock
    # (the scenario's rate × speedup, the pace of their totals), so no totalizer-jump margin is widened.
    site = example_site(influx_db.url, influx_db.database, tmp_path)
    # The scenario starts only once every meter has answered a poll: its opening total (at 0 s, before
    # pumping) is then a stored reading, however late a loaded machine lets the collector connect.
    clock = ScenarioClock(speedup=speedup, running=False)
    simulators = simulators_for(site, clock, profile)
    servers = [s.server() for s in simulators]
    registry = ShipmentRegistry(tmp_path / "shipments.sqlite")
    shipment = jet_shipment()
    registry.declare(shipment, "officer Li")
    for server in servers:
        await server.start()
    try:
        started = start_loading(registry, shipment.id, "officer Li", site)
        assert [e.to_state for e in started.events] == ["precheck", "loading"]
        service = CollectorService(site, collector_name="test")
        stop = asyncio.Event()

        async def start_scenario_once_polled() -> None:
            while not (service.statuses and all(status.last_good_time is not None for status in service.statuses)):
                await asyncio.sleep(0.01)
            clock.start()

        polls_at_end: list[int] = []

        def loading_over_and_read() -> bool:
            # Stop only once every meter has answered two polls after pumping stopped: the first of them
            # is then stored, whatever the machine's load made of the 0.1 s poll interval.
            if clock.seconds() <= scenario_end:
                return False
            if not polls_at_end:
                polls_at_end.extend(server.requests for server in servers)
            return all(server.requests >= before + 2 for server, before in zip(servers, polls_at_end, strict=False))

        async def collect_then_stop() -> None:
            # The collector flushes every accepted reading to InfluxDB before it returns; the watch then
            # makes one last cycle over them (its final figure is the last stored reading's).
            await run_collector_until(service, loading_over_and_read, timeout_s=30)
            stop.set()

        _, _, report = await asyncio.gather(
            start_scenario_once_polled(),
            collect_then_stop(),
            watch(registry, site, shipment.id, max_gap_s=RULES.max_data_gap_s, interval_s=0.25, stop=stop),
        )
    finally:
        for server in servers:
            await server.stop()
    assert report.findings == () and report.cycles >= 5, report.stopped_because

    completed = complete_loading(registry, shipment.id, "officer Li", site, RULES, at=datetime.now(timezone.utc))
    assert completed.state == "complete", completed.findings

    # Ground truth: each run delivered the profile's 450,000 kg; MF 1.0, S&W 0 → net mass 450.000 t;
    # weight in air = 450 × (1 − 1.1/806.5) = 449.386236825790… → 449.386 t (3 decimals).
    truth_kg = profile.delivered_kg(scenario_end)
    assert truth_kg == 450_000.0
    weight_air = round(float(weight_in_air_from_mass(450.0, BASE_DENSITY)), 3)
    assert weight_air == 449.386

    by_meter = {p.asset: s for s in simulators for p in s.device.points}
    opening = {m: by_meter[m].reported(m, "mass_total_kg", 0.0) for m in ("FT-101", "FT-102")}
    stored_totals = {
        s.tags["meter"]: {row[1] for row in s.values}
        for s in influx_db.query("SELECT mass_total_kg FROM meter WHERE quality = 'good' GROUP BY meter")
    }

    series = influx_db.query(
        f"SELECT mass_t, weight_air_t, gsv_m3, nsv_m3, progress, indicated, rate_t_h FROM quantity "
        f"WHERE shipment = '{shipment.id}' AND method = 'meters' GROUP BY asset"
    )
    assert {s.tags["asset"] for s in series} == {"FT-101", "FT-102"}
    for s in series:
        meter = s.tags["asset"]
        rows = s.rows()
        assert len(rows) >= 5
        # every live figure is a real stored reading minus the opening (first reading at/after start) …
        for row in rows:
            nearest = min(stored_totals[meter], key=lambda v: abs(v - opening[meter] - row["indicated"]))
            assert row["indicated"] == pytest.approx(nearest - opening[meter], abs=1e-6)
            # … carried through the Coriolis ticket: net mass = indicated × MF / 1000, to 3 decimals
            assert row["mass_t"] == round(row["indicated"] * 1.0 / 1000.0, 3)
            assert row["progress"] == pytest.approx(row["mass_t"] / 900.0, rel=1e-12)
        progress = [row["progress"] for row in rows]
        assert progress == sorted(progress), "delivered quantity never goes down"
        assert any(0.05 < p < 0.45 for p in progress), "seen mid-loading"
        # rate = the meter's flow reading × (ticket quantity / indicated): at the peak reading of
        # 1,000,000 kg per scenario hour, i.e. 1000 t/h × speedup per real hour (the collector's clock),
        # that is 1000 × speedup t/h × mass_t / (indicated / 1000), mass_t rounded to 1 kg
        flows = [row["rate_t_h"] / (row["mass_t"] / (row["indicated"] / 1000.0)) for row in rows if row["rate_t_h"] and row["indicated"] > 0]
        assert max(flows) == pytest.approx(1000.0 * speedup, rel=1e-6)
        final = rows[-1]
        assert final["indicated"] == truth_kg and final["mass_t"] == 450.0 and final["weight_air_t"] == weight_air
        assert final["gsv_m3"] == round(450.0 * 1000 / BASE_DENSITY, 3)  # 557.966 m³ = mass / density at 15 °C
        assert final["progress"] == 0.5

    clearance = influx_db.query(
        f"SELECT state, declared_t, measured_t, progress, remaining_s, rate_t_h FROM clearance WHERE shipment = '{shipment.id}'"
    )[0].rows()
    assert clearance[0]["state"] == "loading" and clearance[-1]["state"] == "complete"
    assert {row["declared_t"] for row in clearance} == {900.0}
    assert clearance[-1]["measured_t"] == 900.0 and clearance[-1]["progress"] == 1.0
    # while flowing at 2 × 1000 t/h (scenario; × speedup real) the time to complete is (900 − measured) / rate × 3600 real s
    flowing = [row for row in clearance if row["remaining_s"] is not None and row["rate_t_h"] and row["rate_t_h"] > 1999]
    assert flowing
    for row in flowing:
        assert row["remaining_s"] == pytest.approx((900.0 - row["measured_t"]) / row["rate_t_h"] * 3600.0, rel=1e-9)

    # The completion tickets are the evidence of the meters' figure.
    _, tickets = registry.latest_evidence(shipment.id, METER_TICKETS)
    assert tickets.body["figure"]["value"] == 900.0
    assert [m["indicated_exact"] for m in tickets.body["meters"]] == ["450000.000", "450000.000"]  # decimal-exact differences of the stored readings
    # Onwards through measurement and reconciliation: shore tanks 899.1 t vs meters 900.000 t.
    record_figures(registry, shipment.id, "officer Li", [
        MethodFigure(method="shore_tanks", value=899.1, basis="t_vacuum", source="tank ticket TK-11"),
        MethodFigure(method="ship_figure", value=901.2, basis="t_vacuum", source="ship / VEF"),
    ])
    _, result = reconcile_shipment(registry, shipment.id, "officer Li", RULES, site)
    assert result.verdict == "verified"
    pair = next(c for c in result.comparisons if (c.first, c.second) == ("meters", "shore_tanks"))
    # 900 − 899.1 = 0.9 t; 0.9 / 899.1 × 100 = 0.100100100… % ≤ 0.3 %
    assert pair.difference_pct == pytest.approx(0.9 / 899.1 * 100, rel=1e-9)
    last = influx_db.query(f"SELECT last(state), last(difference_pct), last(tolerance_pct), last(verdict) FROM clearance WHERE shipment = '{shipment.id}'")
    assert last[0].values[0][1:] == ["verified", 0.0, 0.5, "verified"]  # meters vs declared: 900 − 900 = 0 %
    registry.verify_history(shipment.id)
    registry.close()


async def _write(site, lines: list[Point]) -> None:  # noqa: ANN001
    writer = writer_for(site)
    try:
        await writer.write([p.to_line() for p in lines])
    finally:
        await writer.aclose()


def _reading(meter: str, at: datetime, total_kg: float) -> Point:
    fields = {"mass_total_kg": total_kg, "flow_rate_kg_h": 720_000.0, "density_kg_m3": 800.0, "temperature_c": 25.0,
              "pressure_kpa": 450.0, "quality": "good"}
    return Point("meter", {"site": "demo-terminal", "meter": meter}, fields, round(at.timestamp() * 1000))


@pytest.mark.parametrize("fault", ["meter_factor_change", "clock_jump", "data_gap"])
async def test_integrity_faults_block_the_batch_at_completion(influx_db: InfluxReader, tmp_path: Path, fault: str) -> None:
    site = example_site(influx_db.url, influx_db.database, tmp_path)
    registry = ShipmentRegistry(tmp_path / "shipments.sqlite")
    shipment = jet_shipment()
    registry.declare(shipment, "officer Li")
    start = datetime.now(timezone.utc) - timedelta(minutes=10)
    start_loading(registry, shipment.id, "officer Li", site, at=start)
    # 200 kg/s for 10 minutes, a reading every 5 s (every 60 s for FT-102 in the data-gap case)
    points = []
    for meter in ("FT-101", "FT-102"):
        step = 60 if (fault == "data_gap" and meter == "FT-102") else 5
        for second in range(1, 600, step):
            points.append(_reading(meter, start + timedelta(seconds=second), 1_000_000.0 + 200.0 * second))
    if fault != "data_gap":
        points.append(Point("event", {"site": "demo-terminal", "asset": "FT-101", "kind": fault},
                            {"message": f"{fault} injected", "old": "1.0", "new": "1.0012"}, round((start + timedelta(seconds=300)).timestamp() * 1000)))
    await _write(site, points)
    result = await asyncio.to_thread(complete_loading, registry, shipment.id, "officer Li", site, RULES, start + timedelta(seconds=600))
    assert result.state == "blocked"
    if fault == "data_gap":
        assert [(f.check, f.asset) for f in result.findings] == [("data_gap", "FT-102")]
        assert result.findings[0].message == "no good totalizer reading of FT-102 for 60.0 s (limit 30 s)"
    else:
        assert [(f.check, f.asset) for f in result.findings] == [(fault, "FT-101")]
        assert f"{fault} injected" in result.findings[0].message
    assert fault.replace("_", " ") in result.events[-1].reason or "no good totalizer reading" in result.events[-1].reason
    last = influx_db.query(f"SELECT last(state) FROM clearance WHERE shipment = '{shipment.id}'")
    assert last[0].values[0][1] == "blocked"
    registry.close()


def test_expired_certificate_blocks_at_start(influx_db: InfluxReader, tmp_path: Path) -> None:
    site = example_site(influx_db.url, influx_db.database, tmp_path)
    registry = ShipmentRegistry(tmp_path / "shipments.sqlite")
    shipment = jet_shipment().model_copy(update={"instruments": [
        Instrument(id="FT-101", certificate="NIM-OLD", certificate_valid_until=date(2026, 1, 31), meter_factor=1.0),
        Instrument(id="FT-102", certificate="NIM-2", certificate_valid_until=date(2099, 1, 1), meter_factor=1.0),
    ]})
    registry.declare(shipment, "officer Li")
    result = start_loading(registry, shipment.id, "officer Li", site, at=datetime(2026, 4, 17, 8, 0, tzinfo=timezone.utc))
    assert [e.to_state for e in result.events] == ["precheck", "blocked"]
    assert result.events[-1].reason == "precheck failed: certificate NIM-OLD of FT-101 expired on 2026-01-31 (checked on 2026-04-17)"
    assert influx_db.query(f"SELECT last(state) FROM clearance WHERE shipment = '{shipment.id}'")[0].values[0][1] == "blocked"
    registry.close()
