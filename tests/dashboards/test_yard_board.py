"""The yard board: every panel's query rendered as Grafana would, run against a real influxd holding yard points in the
contract's form, and the frames, figures and value mappings the officer sees; and the board against the structural
checks and Grafana 11.6's schema as the other boards are."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from sdk_schema import dashboard_problems

from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import LocalInfluxd
from bulkdaq.wording.glossary import YARD_TERMS, YARD_VERDICTS
from dashboards.grafana import dashboard_checks, yard_board
from dashboards.grafana.dashboard_json import decode, encode
from dashboards.grafana.demo_yard_scenario import LOTS, STOCK_NAMES, yard_points
from dashboards.grafana.panel_data import displayed_table, field_config_for
from dashboards.grafana.panel_runner import PanelRun, dashboard_time_range, panels, run_panel, variables_for

SITE = "yard-demo"
DASHBOARD = json.loads(json.dumps(encode(yard_board.build())))  # as the provisioning file carries it


@pytest.fixture(scope="module")
def yard(influxd: LocalInfluxd) -> Iterator[tuple[InfluxReader, datetime]]:
    reader = InfluxReader(influxd.url, "yard_board")
    reader.create_database()
    now_ms = int(datetime.now(timezone.utc).timestamp() * 1000)
    lines = "\n".join(p.to_line() for p in yard_points(SITE, now_ms))
    response = httpx.post(f"{influxd.url}/write", params={"db": reader.database, "precision": "ms"}, content=lines.encode(), timeout=30.0)
    assert response.status_code == 204, response.text
    yield reader, datetime.fromtimestamp(now_ms / 1000 + 1, timezone.utc)
    reader.query('DROP DATABASE "yard_board"')
    reader.close()


def _run(title_start: str, reader: InfluxReader, now: datetime, dashboard: Mapping[str, Any] = DASHBOARD) -> PanelRun:
    time_range = dashboard_time_range(dashboard, now)
    variables = variables_for(dashboard, reader, time_range)
    panel = next(p for p in panels(dashboard) if p["title"].startswith(title_start))
    return run_panel(panel, reader, time_range, variables)


def _table(title_start: str, reader: InfluxReader, now: datetime) -> list[dict[str, tuple[str, str | None]]]:
    run = _run(title_start, reader, now)
    return [{k: (v.text, v.color) for k, v in row.items()} for row in displayed_table(run.panel, run.frames)]


def _cn_en(label: tuple[str, str]) -> str:
    return f"{label[1]} {label[0]}"


def query_problems(dashboard: Mapping[str, Any], reader: InfluxReader, now: datetime) -> list[str]:
    """As tests/dashboards/test_dashboards_queries.py checks the registered boards (a target that returns nothing, an
    override naming a field no query returns, a value of a mapped field without a mapping), and a column empty in every row."""
    problems: list[str] = []
    time_range = dashboard_time_range(dashboard, now)
    variables = variables_for(dashboard, reader, time_range)
    problems += [f"variable ${name} has no options" for name, value in variables.items() if value.values in {(), ("",)}]
    for panel in panels(dashboard):
        where = f"panel {panel['id']} {panel['title']!r}"
        run = run_panel(panel, reader, time_range, variables)
        problems += [f"{where} target {ref}: no series" for ref, series in run.series.items() if not any(s.values for s in series)]
        names = {f.name for frame in run.frames for f in frame.fields}
        for override in (panel.get("fieldConfig") or {}).get("overrides") or []:
            if override["matcher"]["id"] == "byName" and override["matcher"]["options"] not in names:
                problems.append(f"{where}: override for field {override['matcher']['options']!r}, which the queries do not return")
        for frame in run.frames:
            for f in frame.fields:
                if frame.row_count and all(v is None for v in f.values):  # a misspelt column beside good ones comes back all null
                    problems.append(f"{where}: field {f.name!r} is empty in every row")
                maps = [m for m in field_config_for(panel, f).get("mappings") or [] if m["type"] == "value"]
                problems += [f"{where}: field {f.name!r} value {v!r} has no value mapping" for v in f.values
                             if maps and v is not None and not any(str(v) in m["options"] for m in maps)]
    return problems


# -- structure and schema ----------------------------------------------------------------------------


def test_the_board_passes_the_structural_checks_and_grafanas_schema():
    assert DASHBOARD["uid"] == yard_board.UID == "bulkdaq-yard"
    assert dashboard_checks.all_problems(DASHBOARD) == []
    assert dashboard_problems(copy.deepcopy(DASHBOARD)) == []
    assert sum(1 for _ in panels(DASHBOARD)) == 8
    assert [v["name"] for v in DASHBOARD["templating"]["list"]] == ["site", "lot"]


def _contained(original: Any, decoded: Any) -> bool:
    """Everything of `original` is in `decoded` (which may hold defaults a registered panel plugin adds)."""
    if isinstance(original, dict):
        return isinstance(decoded, dict) and all(k in decoded and _contained(v, decoded[k]) for k, v in original.items())
    if isinstance(original, list):
        return isinstance(decoded, list) and len(original) == len(decoded) and all(_contained(a, b) for a, b in zip(original, decoded, strict=True))
    return bool(original == decoded)


def test_decode_with_the_sdk_and_encode_again_loses_nothing():
    assert _contained(DASHBOARD, encode(decode(copy.deepcopy(DASHBOARD))))


def test_a_broken_copy_fails_the_schema_and_structural_checks():
    broken = copy.deepcopy(DASHBOARD)
    bars = next(p for p in broken["panels"] if p["type"] == "barchart")
    bars["options"]["xFeild"] = bars["options"].pop("xField")
    broken["panels"][0]["fieldConfig"]["defaults"].pop("unit")
    broken["panels"][-1]["targets"][0]["query"] += " AND $scale"
    assert any("xFeild: not in the schema" in p for p in dashboard_problems(copy.deepcopy(broken)))
    problems = dashboard_checks.all_problems(broken)
    assert any("has no unit" in p for p in problems) and any("$scale is not a dashboard variable" in p for p in problems)


def test_every_label_is_the_glossarys():
    text = json.dumps(DASHBOARD, ensure_ascii=False)
    for label in (YARD_TERMS["stock_per_lot"], YARD_TERMS["runs_in_progress"], YARD_TERMS["product_vs_components"], YARD_TERMS["balance"],
                  YARD_TERMS["scale_drift"], YARD_TERMS["yard_events"]):
        assert f"{label[0]} / {label[1]}" in text
    assert DASHBOARD["title"] == "Yard board / 保税混矿看板"


# -- what each panel shows, against the real influxd ---------------------------------------------------


def test_every_target_returns_what_its_panel_expects(yard):
    reader, now = yard
    assert query_problems(DASHBOARD, reader, now) == []


def test_stock_per_lot_shows_each_lots_newest_figures_and_status_whatever_their_age(yard):
    reader, now = yard
    rows = {r["lot"][0]: r for r in _table("Stock per lot / 各批次库存", reader, now)}
    assert set(rows) == set(LOTS)  # L-CARAJAS-02's newest point is 45 days old: still listed
    pilbara = rows["L-PILBARA-01"]
    assert pilbara["origin"][0] == "AU"
    # at the board's 3 decimals; InfluxDB's JSON writes a whole number of tonnes as an integer, which the emulation
    # (like the clearance board's declared_t) prints as it comes
    assert [pilbara[name][0] for name in STOCK_NAMES] == ["100000", "92000", "60120.500", "55310.860", "39879.500", "36689.140", "410.200"]
    assert pilbara["status"] == (_cn_en(YARD_TERMS["lot_open"]), "green") == ("在库 open", "green")
    assert rows["L-KUMBA-03"]["status"] == ("超提 overdrawn", "red") and rows["L-KUMBA-03"]["stock_wet_t"][0] == "-150"
    assert rows["L-CARAJAS-02"]["status"] == ("已出清 exhausted", "text")
    assert list(rows["L-PILBARA-01"]) == ["lot", "origin", *STOCK_NAMES, "status"]  # Time hidden, the columns in order


def test_stock_bars_per_lot_and_per_origin(yard):
    reader, now = yard
    (per_lot,) = _run("Stock per lot (t, wet · dry) / 各批次库存（湿吨 · 干吨）", reader, now).frames
    by_lot = {row["lot"]: (row["stock_wet_t"], row["stock_dry_t"]) for row in per_lot.rows()}
    assert by_lot == {lot: (figures[4], figures[5]) for lot, (_, figures, _, _) in LOTS.items()}
    assert [f.name for f in per_lot.fields] == ["lot", "stock_wet_t", "stock_dry_t"]
    (per_origin,) = _run("Stock per origin", reader, now).frames
    by_origin = {row["origin"]: (row["stock_wet_t"], row["stock_dry_t"]) for row in per_origin.rows()}
    assert by_origin == {"AU": pytest.approx((69_879.5, 64_589.14)), "BR": (0.0, 0.0), "ZA": (-150.0, -142.5)}


def test_runs_in_progress_show_shares_against_target_with_off_recipe_in_red(yard):
    reader, now = yard
    rows = {(r["run"][0], r["component"][0]): r for r in _table("Blending runs in progress", reader, now)}
    assert set(rows) == {("R-01", "L-PILBARA-01"), ("R-01", "L-KUMBA-03")}  # finished runs and the product row are not in progress
    kumba = rows[("R-01", "L-KUMBA-03")]
    assert (kumba["share_pct"][0], kumba["target_pct"][0], kumba["tolerance_pct"][0]) == ("36.500", "40", "2")
    assert kumba["off_recipe"] == (_cn_en(YARD_VERDICTS["off_recipe"]), "red") == ("偏离配比 off recipe", "red")
    assert kumba["wet_t"][0] == "1731.500" and kumba["legal"] == ("法定计量值（≥ Σmin） legal figure (≥ Σmin)", "green")
    assert kumba["state"] == ("进行中 running", "blue")
    assert rows[("R-01", "L-PILBARA-01")]["wet_t"][0] == "3012.451"  # the newest figures, not the first hour's


def test_product_against_components_in_the_time_range(yard):
    reader, now = yard
    rows = {r["run"][0]: r for r in _table("Product vs components", reader, now)}
    assert set(rows) == {"R-00", "R-01", "R-02"}  # R-OLD finished 40 days ago, outside the range
    assert rows["R-00"]["product_verdict"] == ("产品与组分一致 product consistent with components", "green")
    assert rows["R-02"]["product_verdict"] == ("产品少于组分之和 product short of components", "red")
    assert rows["R-00"]["wet_t"][0] == "5010.200" and list(rows["R-00"]) == ["run", "product_verdict", "wet_t", "u_wet_t", "state"]
    assert rows["R-00"]["state"] == ("已完成 finished", "text")


def test_mass_balance_per_scope_and_basis_with_its_verdict(yard):
    reader, now = yard
    rows = {(r["scope"][0], r["basis"][0]): r for r in _table("Mass balance", reader, now)}
    assert set(rows) == {("L-KUMBA-03", "湿吨 wet"), ("L-KUMBA-03", "干吨 dry"), ("yard 2026-Q3", "湿吨 wet"), ("yard 2026-Q3", "干吨 dry")}
    wet = rows[("L-KUMBA-03", "湿吨 wet")]
    assert wet["verdict"] == ("超提：出库多于进场 overdrawn: more out than entered", "red")
    assert (wet["difference_t"][0], wet["expanded_u_t"][0], wet["rule"][0]) == ("-150", "80", "yard-balance 1")
    assert rows[("yard 2026-Q3", "干吨 dry")]["verdict"][1] == "orange"  # unaccounted
    assert rows[("yard 2026-Q3", "湿吨 wet")]["verdict"] == ("在不确定度范围内平衡 balanced within uncertainty", "green")


def test_the_bias_trend_of_each_scale_with_its_interval_and_its_class(yard):
    reader, now = yard
    run = _run("Belt scale against draft surveys", reader, now)
    series = {f.name: [v for v in f.values if v is not None] for frame in run.frames for f in frame.fields if f.name != "Time"}
    # BF-2 drifting (its 60-day-old point is outside the 30-day range), BF-1 steady; every series has its interval and MPE
    assert series["BF-2 bias"] == [0.35, 0.90, 1.48] and series["BF-2 interval low"] == [0.11, 0.66, 1.24]
    assert series["BF-2 interval high"] == [0.59, 1.14, 1.72] and series["BF-2 MPE"] == [0.5, 0.5, 0.5]
    assert series["BF-1 bias"] == [0.05, -0.08, 0.02]
    assert set(series) == {f"{scale} {column}" for scale in ("BF-1", "BF-2") for column in ("bias", "interval low", "interval high", "MPE")}


def test_the_yards_events_with_their_kinds_in_the_glossarys_words(yard):
    reader, now = yard
    rows = {r["asset"][0]: r for r in _table("Yard events", reader, now)}
    assert set(rows) == {"BF-2", "L-KUMBA-03", "R-01"}  # BF-1's totalizer reset is not the yard's
    assert rows["BF-2"]["kind"] == ("超出准确度等级漂移 drifted beyond its class", "red")
    assert rows["L-KUMBA-03"]["kind"] == ("超提：出库多于进场 overdrawn: more out than entered", "red")
    assert rows["R-01"]["kind"] == ("偏离配比 off recipe", "orange")
    assert rows["BF-2"]["message"][0].startswith("bias +1.48 %") and list(rows["BF-2"]) == ["Time", "asset", "kind", "message"]


def test_a_misspelt_field_and_an_unmapped_verdict_fail(yard):
    reader, now = yard
    text = json.dumps(DASHBOARD, ensure_ascii=False)
    misspelt = json.loads(text.replace('last(\\"stock_wet_t\\") AS \\"stock_wet_t\\", last(\\"stock_dry_t\\")', 'last(\\"stock_wet\\") AS \\"stock_wet_t\\", last(\\"stock_dry_t\\")'))
    assert misspelt != DASHBOARD
    problems = query_problems(misspelt, reader, now)
    stock_panels = [p for p in panels(misspelt) if p["title"].startswith(("Stock per lot", "Stock per origin"))]
    assert problems == [f"panel {p['id']} {p['title']!r}: field 'stock_wet_t' is empty in every row" for p in stock_panels]
    unmapped = copy.deepcopy(DASHBOARD)
    balance = next(p for p in panels(unmapped) if p["title"].startswith("Mass balance"))
    verdict = next(o for o in balance["fieldConfig"]["overrides"] if o["matcher"]["options"] == "verdict")
    mapping = next(prop for prop in verdict["properties"] if prop["id"] == "mappings")
    del mapping["value"][0]["options"]["unaccounted"]
    assert query_problems(unmapped, reader, now) == [f"panel {balance['id']} {balance['title']!r}: field 'verdict' value 'unaccounted' has no value mapping"]
