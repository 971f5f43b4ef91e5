"""Every panel's every target, rendered as Grafana would and run against a real influxd with scenario data."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bulkdaq.store.influx_reader import InfluxReader, QueryError
from bulkdaq.store.local_influxd import LocalInfluxd
from dashboards.grafana import alert_rules, catalog, clearance_board, data_health, demo_scenario, loading_view
from dashboards.grafana.freshness import STALE_TEXT
from dashboards.grafana.influxql_render import TimeRange, UnknownVariable, render
from dashboards.grafana.panel_data import displayed_table, field_config_for
from dashboards.grafana.panel_runner import dashboard_time_range, panels, run_panel, variables_for

DASHBOARDS = catalog.build_all()


@pytest.fixture(scope="module")
def scenario(influxd: LocalInfluxd) -> Iterator[tuple[InfluxReader, datetime]]:
    reader = InfluxReader(influxd.url, "dashboards_scenario")
    reader.create_database()
    now_ms = demo_scenario.write(influxd.url, reader.database)
    yield reader, datetime.fromtimestamp(now_ms / 1000 + 1, timezone.utc)
    reader.query('DROP DATABASE "dashboards_scenario"')
    reader.close()


def query_problems(dashboard: dict[str, Any], reader: InfluxReader, now: datetime) -> list[str]:
    """What would be wrong on screen: a query that fails, returns nothing, or lacks what the panel maps."""
    problems: list[str] = []
    time_range = dashboard_time_range(dashboard, now)
    try:
        variables = variables_for(dashboard, reader, time_range)
    except (QueryError, UnknownVariable) as error:
        return [f"variables: {error}"]
    for name, value in variables.items():
        if value.values in {(), ("",)}:
            problems.append(f"variable ${name} has no options")
    for panel in panels(dashboard):
        where = f"panel {panel['id']} {panel['title']!r}"
        try:
            run = run_panel(panel, reader, time_range, variables)
        except (QueryError, UnknownVariable) as error:
            problems.append(f"{where}: {error}")
            continue
        for ref_id, series in run.series.items():
            if not series or not any(s.values for s in series):
                problems.append(f"{where} target {ref_id}: no series for {run.rendered[ref_id]}")
        names = {f.name for frame in run.frames for f in frame.fields}
        ref_ids = set(run.series)
        for override in (panel.get("fieldConfig") or {}).get("overrides") or []:
            matcher = override["matcher"]
            if matcher["id"] == "byName" and matcher["options"] not in names:
                problems.append(f"{where}: override for field {matcher['options']!r}, which the queries do not return (they return {sorted(names)})")
            if matcher["id"] == "byFrameRefID" and matcher["options"] not in ref_ids:
                problems.append(f"{where}: override for query {matcher['options']!r}, which does not exist")
        for frame in run.frames:
            for field in frame.fields:
                if field.name.startswith("Time"):
                    continue  # time columns are never value-mapped by Grafana
                mappings = field_config_for(panel, field).get("mappings") or []
                value_maps = [m for m in mappings if m["type"] == "value"]
                for value in field.values:
                    if value_maps and value is not None and not any(str(value) in m["options"] for m in value_maps):
                        problems.append(f"{where}: field {field.name!r} value {value!r} has no value mapping")
    return problems


@pytest.mark.parametrize("uid", sorted(DASHBOARDS))
def test_every_target_runs_and_returns_what_the_panel_expects(uid: str, scenario: tuple[InfluxReader, datetime]) -> None:
    reader, now = scenario
    assert query_problems(DASHBOARDS[uid], reader, now) == []


def _table(uid: str, title_start: str, reader: InfluxReader, now: datetime, chosen: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
    dashboard = DASHBOARDS[uid]
    time_range = dashboard_time_range(dashboard, now)
    variables = variables_for(dashboard, reader, time_range, chosen)
    panel = next(p for p in panels(dashboard) if p["title"].startswith(title_start))
    rows = displayed_table(panel, run_panel(panel, reader, time_range, variables).frames)
    return [{k: (v.text, v.color) for k, v in row.items()} for row in rows]


def test_clearance_board_lists_problem_shipments_first_with_bilingual_states(scenario: tuple[InfluxReader, datetime]) -> None:
    reader, now = scenario
    attention = _table(clearance_board.UID, "Needs attention", reader, now)
    assert {r["shipment"][0]: r["state"] for r in attention} == {
        "EXP-2409-GAS": ("差异 discrepancy", "red"),
        "EXP-2412-LUB": ("已阻止 blocked", "dark-red"),
        "EXP-2408-ORE": ("调查中 investigating", "orange"),
        "EXP-2402-COAL": ("调查中 investigating", "orange"),  # newest point ten days old: still listed
    }
    gas = next(r for r in attention if r["shipment"][0] == "EXP-2409-GAS")
    assert gas["declared_t"][0] == "30000" and gas["measured_t"][0] == "30212.400" and gas["difference_pct"][0] == "0.708"
    assert gas["tolerance_pct"][0] == "0.300" and float(gas["progress"][0]) == pytest.approx(1.007)
    active = _table(clearance_board.UID, "Active shipments", reader, now)
    states = {r["shipment"][0]: r["state"][0] for r in active}
    assert "EXP-2405-DSL" not in states  # released: no longer active
    assert states["EXP-2411-JET"] == "装卸中 loading / discharging" and states["EXP-2407-FO"] == "验证通过 verified"
    jet = next(r for r in active if r["shipment"][0] == "EXP-2411-JET")
    assert float(jet["progress"][0]) == pytest.approx(0.25 + 0.2083)  # two loading arms add up


def test_an_open_shipment_older_than_the_time_range_stays_on_the_board(scenario: tuple[InfluxReader, datetime]) -> None:
    """Clearance points are written only on a state change: the board must not need one in its range."""
    reader, now = scenario
    (old,) = demo_scenario.OLD_SHIPMENTS
    dashboard = DASHBOARDS[clearance_board.UID]
    time_range = dashboard_time_range(dashboard, now)
    newest = reader.query(f'SELECT last("state") FROM "clearance" WHERE "shipment" = \'{old}\'')[0].values[0][0]
    assert newest < time_range.start  # the scenario really has it outside the range
    variables = variables_for(dashboard, reader, time_range)
    assert old in variables["shipment"].values  # SHOW TAG VALUES is not bounded by time either
    attention = {r["shipment"][0]: r for r in _table(clearance_board.UID, "Needs attention", reader, now)}
    assert attention[old]["state"] == ("调查中 investigating", "orange")
    assert float(attention[old]["measured_t"][0]) == 70_560 and attention[old]["difference_pct"][0] == "0.800"
    assert float(attention[old]["progress"][0]) == pytest.approx(1.008)
    active = {r["shipment"][0] for r in _table(clearance_board.UID, "Active shipments", reader, now)}
    assert old in active and "EXP-2405-DSL" not in active  # open whatever its age; released never
    # The same table bounded by the time picker (as it was) loses the shipment: the scenario tests the fix.
    panel = next(p for p in panels(dashboard) if p["title"].startswith("Needs attention"))
    bounded = copy.deepcopy(dict(panel))
    for target in bounded["targets"]:
        target["query"] = target["query"].replace(' GROUP BY "shipment"', ' AND $timeFilter GROUP BY "shipment"', 1)
    shown = {row["shipment"].text for row in displayed_table(bounded, run_panel(bounded, reader, time_range, variables).frames)}
    assert old not in shown and "EXP-2408-ORE" in shown


def test_counts_on_the_clearance_board(scenario: tuple[InfluxReader, datetime]) -> None:
    reader, now = scenario
    dashboard = DASHBOARDS[clearance_board.UID]
    time_range = dashboard_time_range(dashboard, now)
    variables = variables_for(dashboard, reader, time_range)
    by_title = {p["title"]: p for p in panels(dashboard)}
    count = run_panel(by_title["Discrepancy or blocked / 差异或阻止"], reader, time_range, variables)
    assert count.series["A"][0].values[0][1] == 2
    live = run_panel(by_title["Meters reporting now / 在线流量计"], reader, time_range, variables)
    assert live.series["A"][0].values[0][1] == len(demo_scenario.LIVE_METERS)


def test_stale_meter_tank_and_source_show_stale_never_their_last_value(scenario: tuple[InfluxReader, datetime]) -> None:
    reader, now = scenario
    meters = {r["meter"][0]: r for r in _table(loading_view.UID, "Meters now", reader, now)}
    assert set(meters) == {"FT-101", "FT-102", "FT-103"}
    for name in loading_view.METER_NOW_FIELDS:
        assert meters["FT-103"][name] == (STALE_TEXT, "dark-red")
        assert meters["FT-101"][name][0] != STALE_TEXT
    assert meters["FT-101"]["quality"] == ("good / 良好", "green")
    tanks = {r["tank"][0]: r for r in _table(loading_view.UID, "Tanks now", reader, now)}
    assert tanks["T-2"]["level_m"] == (STALE_TEXT, "dark-red") and tanks["T-1"]["level_m"][0] != STALE_TEXT
    sources = {r["source"][0]: r for r in _table(data_health.UID, "Sources now", reader, now)}
    assert set(sources) == set(demo_scenario.LIVE_SOURCES) | set(demo_scenario.STALE_SOURCES)
    for source in demo_scenario.STALE_SOURCES:
        assert all(sources[source][name] == (STALE_TEXT, "dark-red") for name in data_health.LIVE_FIELDS)
        # Still listed, with the time it was last seen (ten minutes ago).
        last_seen = sources[source]["Time 1"][0]
        assert last_seen.startswith((now - timedelta(minutes=10, seconds=1)).strftime("%Y-%m-%d %H:%M"))
    assert sources["FT-101"]["connected"] == ("connected / 已连接", "green")
    assert sources["FT-101"]["collector"][0] == "modbus-jetty"


def test_a_longer_stale_window_shows_the_quiet_source_again(scenario: tuple[InfluxReader, datetime]) -> None:
    reader, now = scenario
    sources = {r["source"][0]: r for r in _table(data_health.UID, "Sources now", reader, now, {"stale_after": ["15m"]})}
    assert sources["FT-103"]["connected"] == ("connected / 已连接", "green")


def test_multi_value_variables_render_as_regex_alternation(scenario: tuple[InfluxReader, datetime]) -> None:
    reader, now = scenario
    meters = _table(loading_view.UID, "Meters now", reader, now, {"meter": ["FT-101", "FT-103"]})
    assert sorted(r["meter"][0] for r in meters) == ["FT-101", "FT-103"]
    dashboard = DASHBOARDS[loading_view.UID]
    time_range = dashboard_time_range(dashboard, now)
    variables = variables_for(dashboard, reader, time_range, {"meter": ["FT-101", "FT-103"]})
    flow = next(p for p in panels(dashboard) if p["title"].startswith("Flow rate"))
    run = run_panel(flow, reader, time_range, variables)
    assert '"meter" =~ /^(FT-101|FT-103)$/' in run.rendered["A"]  # "-" is no regex metacharacter for Grafana
    assert f"time >= {time_range.start_ms}ms and time <= {time_range.end_ms}ms" in run.rendered["A"]
    assert "GROUP BY time(30s)" in run.rendered["A"]  # 6 h / 500 points = 43.2 s, rounded by Grafana to 30 s
    assert sorted(f.name for frame in run.frames for f in frame.fields if f.name != "Time") == ["FT-101 flow_rate_kg_h", "FT-103 flow_rate_kg_h"]


def test_events_annotation_query_returns_the_events(scenario: tuple[InfluxReader, datetime]) -> None:
    reader, now = scenario
    dashboard = DASHBOARDS[loading_view.UID]
    time_range = dashboard_time_range(dashboard, now)
    variables = variables_for(dashboard, reader, time_range)
    (annotation,) = dashboard["annotations"]["list"]
    series = reader.query(render(annotation["target"]["query"], time_range, variables))
    rows = {(s.tags["asset"], s.tags["kind"]): s.rows()[0] for s in series}
    assert rows[("FT-101", "meter_factor_change")]["new"] == "1.0002"
    assert annotation["target"]["textColumn"] in series[0].columns


def _alert_value(query: str, seconds: int, reader: InfluxReader, now: datetime) -> dict[tuple[str, ...], Any]:
    series = reader.query(render(query, TimeRange(now - timedelta(seconds=seconds), now), {}))
    return {tuple(s.tags[k] for k in sorted(s.tags)): s.values[-1][1] for s in series}  # keyed by tag values, tag keys sorted


def test_alert_queries_fire_on_the_scenario(scenario: tuple[InfluxReader, datetime]) -> None:
    reader, now = scenario
    rules = {uid: (query, seconds, evaluator, threshold) for uid, _, query, seconds, evaluator, threshold, *_ in alert_rules.RULES}
    discrepancy = _alert_value(*rules["bulkdaq-clearance-discrepancy"][:2], reader, now)
    assert discrepancy == {("EXP-2409-GAS", demo_scenario.SITE): 1}
    blocked = _alert_value(*rules["bulkdaq-clearance-blocked"][:2], reader, now)
    assert blocked == {("EXP-2412-LUB", demo_scenario.SITE): 1}
    readings = _alert_value(*rules["bulkdaq-stale-source"][:2], reader, now)
    firing = {source for (_, _, source), value in readings.items() if value < rules["bulkdaq-stale-source"][3]}
    assert firing == set(demo_scenario.STALE_SOURCES)  # the quiet sources count 0, they do not vanish
    # One reading per 5 s; of the six 10 s buckets at least four are full, whatever the bucket alignment.
    assert all(value >= 8 for (_, _, source), value in readings.items() if source in demo_scenario.LIVE_SOURCES)
    lag = _alert_value(*rules["bulkdaq-spool-backlog"][:2], reader, now)
    assert set(lag) == {("modbus-jetty", demo_scenario.SITE), ("opcua-tankfarm", demo_scenario.SITE)}
    assert all(value < alert_rules.SPOOL_BACKLOG_S for value in lag.values())


def _broken(uid: str, old: str, new: str) -> dict[str, Any]:
    text = json.dumps(DASHBOARDS[uid], ensure_ascii=False)
    assert old in text
    return json.loads(text.replace(old, new))


def test_a_misspelt_field_fails(scenario: tuple[InfluxReader, datetime]) -> None:
    reader, now = scenario
    problems = query_problems(_broken(loading_view.UID, 'mean(\\"flow_rate_kg_h\\")', 'mean(\\"flow_rate_kgh\\")'), reader, now)
    assert len(problems) == 1 and "Flow rate per meter" in problems[0] and "no series" in problems[0]


def test_a_wrong_measurement_fails(scenario: tuple[InfluxReader, datetime]) -> None:
    reader, now = scenario
    problems = query_problems(_broken(data_health.UID, 'FROM \\"collector_health\\" WHERE', 'FROM \\"collector_heath\\" WHERE'), reader, now)
    assert any("Sources now" in p and "no series" in p for p in problems)
    assert any("Poll time" in p and "no series" in p for p in problems)


def test_an_unknown_variable_fails(scenario: tuple[InfluxReader, datetime]) -> None:
    reader, now = scenario
    problems = query_problems(_broken(loading_view.UID, '/^$meter$/ AND $timeFilter GROUP BY time', '/^$metre$/ AND $timeFilter GROUP BY time'), reader, now)
    assert problems and all("$metre" in p for p in problems)


def test_an_unmapped_state_and_a_renamed_column_fail(scenario: tuple[InfluxReader, datetime]) -> None:
    reader, now = scenario
    broken = copy.deepcopy(DASHBOARDS[clearance_board.UID])
    timeline = next(p for p in panels(broken) if p["type"] == "state-timeline")
    del timeline["fieldConfig"]["defaults"]["mappings"][0]["options"]["blocked"]
    problems = query_problems(broken, reader, now)
    assert problems == [f"panel {timeline['id']} {timeline['title']!r}: field 'EXP-2412-LUB' value 'blocked' has no value mapping"]
    renamed = _broken(clearance_board.UID, 'AS \\"tolerance_pct\\"', 'AS \\"tolerance\\"')
    assert any("override for field 'tolerance_pct'" in p for p in query_problems(renamed, reader, now))
