"""The yard's series (bulkdaq/yard/yard_series.py): `yard_stock`, `yard_balance` and `lot_overdrawn` points from a real
SQLite ledger, hand-computed, in the contract's names; and written into a real influxd and read back through the yard
board's own panels (dashboards/grafana/yard_board.py), with the drift watch's points, so writer and board agree."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from yard_scenario import LOTS, RULE, at, inbound, run_document

from bulkdaq.config.site_file import YardSettings
from bulkdaq.inputs.lot_file import read_inbound_lot
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.line_protocol import Point
from bulkdaq.yard.drift_watch import drift_points, watch_scales
from bulkdaq.yard.ledger import YardLedger
from bulkdaq.yard.yard_balance import lot_balances, yard_balance
from bulkdaq.yard.yard_series import PRODUCT_ORIGIN, balance_points, overdrawn_events, period_scope, stock_points
from dashboards.grafana import yard_board
from dashboards.grafana.dashboard_json import encode
from dashboards.grafana.panel_data import displayed_table
from dashboards.grafana.panel_runner import PanelRun, dashboard_time_range, panels, run_panel, variables_for

SITE = "yard-test"
WHEN = datetime(2026, 4, 20, 6, tzinfo=timezone.utc)
PILBARA_ORIGIN = "Australia (Pilbara, Western Australia)"


def _contract_names(point: Point) -> None:
    measurement = contract.MEASUREMENTS[point.measurement]
    # every tag of the measurement (an event about no one field has no `field` tag)
    extra = {contract.EVENT_KIND_TAG} if measurement is contract.EVENT else set(measurement.extra_tags)
    assert set(point.tags) == {contract.SITE_TAG, measurement.asset_tag, *extra}
    assert set(point.fields) <= set(measurement.fields)
    assert all(isinstance(point.fields[name], str) for name in measurement.string_fields & set(point.fields))


def test_stock_points_one_per_pile_wet_and_dry_with_the_expanded_u(honest: YardLedger) -> None:
    points = stock_points(SITE, honest.state(), RULE, WHEN)
    for point in points:
        _contract_names(point)
        assert set(point.fields) == set(contract.YARD_STOCK.fields) and point.time_ms == int(WHEN.timestamp() * 1000)
    assert [(p.tags["lot"], p.tags["origin"], p.fields["status"]) for p in points] == [
        ("L-PILBARA-01", PILBARA_ORIGIN, "open"), ("L-BRAZIL-07", "Brazil (Carajás, Pará)", "open"),
        ("L-SA-03", "South Africa (Northern Cape)", "open"), ("PB-blend-62", PRODUCT_ORIGIN, "open"),
    ]
    fields = {p.tags["lot"]: {k: v for k, v in p.fields.items() if k != "status"} for p in points}
    # Pilbara: 100,000 t at 8.5 % → 91,500 t dry; 3,000 t drawn at 7.9 % (the result of day 10) → 2,763 t dry; book stock
    # 97,000 / 88,737 t; u = √(250² + 9²) = 250.162 t, U = 2u = 500.324 t.
    expected = {
        "L-PILBARA-01": (100_000.0, 91_500.0, 3_000.0, 2_763.0, 97_000.0, 88_737.0, 2 * math.sqrt(250.0**2 + 9.0**2)),
        # Brazil: 60,000 t at 9 % → 54,600; 1,500 t → 1,365 t; u = √(150² + 4.5²).
        "L-BRAZIL-07": (60_000.0, 54_600.0, 1_500.0, 1_365.0, 58_500.0, 53_235.0, 2 * math.sqrt(150.0**2 + 4.5**2)),
        # South Africa: 20,000 t at 5 % → 19,000; 500 t → 475 t; u = √(50² + 1.5²).
        "L-SA-03": (20_000.0, 19_000.0, 500.0, 475.0, 19_500.0, 18_525.0, 2 * math.sqrt(50.0**2 + 1.5**2)),
        # The product pile: 5,000 t from the product scale, dry 2,763 + 1,365 + 475 = 4,603 t (the components' water);
        # shipped 5,000 t at 8.1 % → 4,595 t; book 0 / 8 t; u = √(15² + 12.5²).
        "PB-blend-62": (5_000.0, 4_603.0, 5_000.0, 4_595.0, 0.0, 8.0, 2 * math.sqrt(15.0**2 + 12.5**2)),
    }
    names = ("entered_wet_t", "entered_dry_t", "out_wet_t", "out_dry_t", "stock_wet_t", "stock_dry_t", "stock_u_wet_t")
    assert fields == {lot: {name: pytest.approx(value, abs=1e-6) for name, value in zip(names, values, strict=True)} for lot, values in expected.items()}
    assert points[2].to_line() == (
        f"yard_stock,lot=L-SA-03,origin=South\\ Africa\\ (Northern\\ Cape),site={SITE} entered_wet_t=20000.0,entered_dry_t=19000.0,"
        f"out_wet_t=500.0,out_dry_t=475.0,stock_wet_t=19500.0,stock_dry_t=18525.0,stock_u_wet_t={2 * math.sqrt(50.0**2 + 1.5**2)!r},"
        f'status="open" {int(WHEN.timestamp() * 1000)}'
    )


def test_balance_points_per_pile_and_for_the_period_wet_and_dry(honest: YardLedger) -> None:
    balance = yard_balance(honest.state(), RULE, at(1), at(20))
    points = balance_points(SITE, balance, WHEN)
    for point in points:
        _contract_names(point)
        assert set(point.fields) == set(contract.YARD_BALANCE.fields)
    scope = "yard 2026-04-01 … 2026-04-20"
    assert period_scope(at(1), at(20)) == scope and period_scope(at(1, 6), datetime(2026, 4, 20, 6, 30, 15, tzinfo=timezone.utc)) == (
        "yard 2026-04-01T06:00Z … 2026-04-20T06:30:15.000Z")
    assert [(p.tags["scope"], p.tags["basis"]) for p in points] == [
        (pile, basis) for pile in ("L-PILBARA-01", "L-BRAZIL-07", "L-SA-03", "PB-blend-62", scope) for basis in ("wet", "dry")]
    # A pile's balance with its book stock: entered − out − (entered − out) = 0, every figure cancelling: U = 0.
    assert points[4].to_line() == (
        f'yard_balance,basis=wet,scope=L-SA-03,site={SITE} entered_t=20000.0,out_t=500.0,stock_t=19500.0,difference_t=0.0,'
        f'expanded_u_t=0.0,verdict="balanced",rule="yard-test 1" {int(WHEN.timestamp() * 1000)}'
    )
    # The period, wet: 0 opening + 180,000 entered, 5,000 shipped, closing 175,000 t; U = 2·√(9² + 4.5² + 1.5² + 15²) (the run).
    wet = points[-2].fields
    assert (wet["entered_t"], wet["out_t"], wet["stock_t"], wet["difference_t"]) == pytest.approx((180_000.0, 5_000.0, 175_000.0, 0.0), abs=1e-6)
    assert (wet["expanded_u_t"], wet["verdict"], wet["rule"]) == (pytest.approx(2 * math.sqrt(328.5), rel=1e-12), "balanced", "yard-test 1")
    # Dry: 165,100 entered, 4,595 shipped, closing 160,505 t.
    dry = points[-1].fields
    assert (dry["entered_t"], dry["out_t"], dry["stock_t"], dry["difference_t"]) == pytest.approx((165_100.0, 4_595.0, 160_505.0, 0.0), abs=1e-6)
    assert overdrawn_events(SITE, balance.piles, WHEN) == []  # an honest yard has no overdrawn lot


def test_an_overdrawn_lot_gives_its_event_and_its_status(yard_path: Path) -> None:
    with YardLedger(yard_path) as ledger:
        ledger.lot_entered(read_inbound_lot(LOTS / "L-SA-03.json"), "clerk", at(9))  # 20,000 t ± 50 t at 5.0 % ± 0.08
        ledger.run(run_document("R-OVER", [("L-SA-03", "BF-3", 21_000.0, 60.0, 100.0, 1.0)], (21_000.0, 60.0), at(10), at(11)), "control room")
        state = ledger.state()
    # Dry: 19,000 t entered, 21,000 × 0.95 = 19,950 t out: −950 t; u = √((0.95·50)² + 16² + (0.95·60)² + (210·0.08)²) = 77.7399 t,
    # U = 155.480 t (tests/bulkdaq/yard/test_yard_balance.py) → overdrawn.
    (event,) = overdrawn_events(SITE, lot_balances(state, RULE), WHEN)
    _contract_names(event)
    message = ("L-SA-03: 19,950.000 t out against 19,000.000 t entered (dry), difference -950.000 t beyond U 155.480 t; "
               "wet 21,000.000 t out against 20,000.000 t entered")
    assert event.to_line() == f'event,asset=L-SA-03,kind=lot_overdrawn,site={SITE} message="{message}" {int(WHEN.timestamp() * 1000)}'
    assert overdrawn_events(SITE, yard_balance(state, RULE, at(1), at(20)), WHEN) == [event]  # a yard balance's piles alike
    stock = {p.tags["lot"]: p.fields for p in stock_points(SITE, state, RULE, WHEN)}
    assert stock["L-SA-03"]["status"] == "overdrawn" and stock["L-SA-03"]["stock_wet_t"] == -1_000.0  # the book stock, below zero
    assert stock["L-SA-03"]["stock_u_wet_t"] == pytest.approx(2 * math.sqrt(50.0**2 + 60.0**2), rel=1e-12)


# -- written into a real influxd and read through the yard board ---------------------------------------

DASHBOARD = json.loads(json.dumps(encode(yard_board.build())))
YARD = YardSettings.model_validate({"belt_scales": [{"asset": "BR-1", "role": "receiving", "accuracy_class": 0.5, "minimum_totalized_load_t": 50.0}]})


def _write(reader: InfluxReader, url: str, points: list[Point]) -> None:
    lines = "\n".join(p.to_line() for p in points)
    response = httpx.post(f"{url}/write", params={"db": reader.database, "precision": "ms"}, content=lines.encode(), timeout=30.0)
    assert response.status_code == 204, response.text


def _run(title_start: str, reader: InfluxReader, now: datetime) -> PanelRun:
    time_range = dashboard_time_range(DASHBOARD, now)
    panel = next(p for p in panels(DASHBOARD) if p["title"].startswith(title_start))
    return run_panel(panel, reader, time_range, variables_for(DASHBOARD, reader, time_range))


def _table(run: PanelRun) -> dict[str, dict[str, tuple[str, Any]]]:
    return {row["lot"].text: {k: (v.text, v.color) for k, v in row.items()} for row in displayed_table(run.panel, run.frames)}


def test_the_yard_board_reads_what_the_writers_wrote(honest: YardLedger, yard_path: Path, site_key: Ed25519PrivateKey,
                                                     influxd: Any, influx_db: InfluxReader) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    published = now - timedelta(hours=1)
    points = stock_points(SITE, honest.state(), RULE, published)
    points += balance_points(SITE, yard_balance(honest.state(), RULE, at(1), at(20)), published)
    # A receiving scale: four lots two days ago (too few), six by an hour ago, reading 1.5 % high.
    with YardLedger(yard_path.with_name("drift.sqlite"), site_key) as ledger:
        for i, d in enumerate([1.3, 1.5, 1.7, 1.4, 1.6, 1.5], start=1):
            ledger.lot_entered(inbound(f"L-R{i}", 10_000.0, belt=("BR-1", 10_000.0 * (1 + d / 100))), "yard clerk", at(i))
            if i == 4:
                points += drift_points(SITE, watch_scales(ledger, YARD, "metrology", now - timedelta(days=2)), now - timedelta(days=2))
        points += drift_points(SITE, watch_scales(ledger, YARD, "metrology", published), published)
    _write(influx_db, influxd.url, points)

    # The stock table: one row per pile, its newest figures and its status in the glossary's words.
    run = _run("Stock per lot / 各批次库存", influx_db, now)
    rows = _table(run)
    assert list(rows) == ["L-BRAZIL-07", "L-PILBARA-01", "L-SA-03", "PB-blend-62"]
    assert rows["L-PILBARA-01"]["origin"][0] == PILBARA_ORIGIN and rows["PB-blend-62"]["origin"][0] == PRODUCT_ORIGIN
    assert rows["L-PILBARA-01"]["status"] == ("在库 open", "green")
    assert list(rows["L-PILBARA-01"]) == ["lot", "origin", *yard_board.STOCK_FIELDS]
    raw = {row["lot"]: row for frame in run.frames for row in frame.rows()}
    assert (raw["L-PILBARA-01"]["stock_wet_t"], raw["L-PILBARA-01"]["stock_dry_t"]) == pytest.approx((97_000.0, 88_737.0), abs=1e-6)
    assert raw["L-SA-03"]["stock_u_wet_t"] == pytest.approx(2 * math.sqrt(50.0**2 + 1.5**2), rel=1e-12)
    assert rows["L-SA-03"]["stock_u_wet_t"][0] == "100.045"

    # The balance table: each scope and basis, the period named by its dates.
    balance = _run("Mass balance", influx_db, now)
    scopes = {(row["scope"].text, row["basis"].text): row for row in displayed_table(balance.panel, balance.frames)}
    assert ("yard 2026-04-01 … 2026-04-20", "湿吨 wet") in scopes and len(scopes) == 10
    assert scopes[("yard 2026-04-01 … 2026-04-20", "湿吨 wet")]["rule"].text == "yard-test 1"

    # The drift trend: the drifted check's bias, interval and MPE; the insufficient check two days ago draws no bias.
    drift = _run("Belt scale against draft surveys", influx_db, now)
    series = {f.name: [v for v in f.values if v is not None] for frame in drift.frames for f in frame.fields if f.name != "Time"}
    half_width = 2.570581836 * math.sqrt(0.02) / math.sqrt(6)
    assert set(series) == {f"BR-1 {column}" for column in ("bias", "interval low", "interval high", "MPE")}
    assert series["BR-1 bias"] == [pytest.approx(1.5, abs=1e-9)] and series["BR-1 MPE"] == [0.5]
    assert series["BR-1 interval low"] == [pytest.approx(1.5 - half_width, abs=1e-8)]
    assert series["BR-1 interval high"] == [pytest.approx(1.5 + half_width, abs=1e-8)]

    # The event, in the yard's events with its kind.
    events = _run("Yard events", influx_db, now)
    (row,) = displayed_table(events.panel, events.frames)
    assert (row["asset"].text, row["kind"].text) == ("BR-1", "超出准确度等级漂移 drifted beyond its class")
    assert row["message"].text.startswith("bias +1.50 % (95 % interval +1.35 … +1.65 %) beyond class 0.5")
