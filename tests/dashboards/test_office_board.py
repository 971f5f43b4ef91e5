"""The customs office board: three terminals writing to one InfluxDB (one of them silent for 30 minutes), every panel
rendered as Grafana would and run against a real influxd; and the board against the structural checks and Grafana
11.6's schema as the other boards are."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sdk_schema import dashboard_problems

from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.line_protocol import Point
from bulkdaq.store.local_influxd import LocalInfluxd
from dashboards.grafana import catalog, clearance_board, dashboard_checks, office_board
from dashboards.grafana.dashboard_json import encode
from dashboards.grafana.freshness import STALE_TEXT
from dashboards.grafana.panel_data import displayed_table, field_config_for
from dashboards.grafana.panel_runner import PanelRun, dashboard_time_range, panels, run_panel, variables_for

DASHBOARD = json.loads(json.dumps(encode(office_board.build())))  # as the provisioning file carries it
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
STOPPED_MS = 30 * MINUTE_MS  # DL-OIL's heads, readings and health stopped this long before "now"
STALE = (STALE_TEXT, "dark-red")

# site -> its devices per measurement; DL-ORE (an ore terminal) has no meters or tanks, the oil terminals no scale
DEVICES: dict[str, dict[str, tuple[str, ...]]] = {
    "ZJ-JET": {"meter": ("FT-101", "FT-102"), "tank": ("T-1",)},
    "DL-ORE": {"scale": ("BS-1", "BS-2")},
    "DL-OIL": {"meter": ("FT-201",), "tank": ("T-9",)},
}
SILENT = "DL-OIL"
# site -> shipment -> (its clearance states so far, days since its newest point)
SHIPMENTS: dict[str, dict[str, tuple[tuple[str, ...], float]]] = {
    "ZJ-JET": {
        "EXP-ZJ-01": (("declared", "precheck", "loading"), 0),
        "EXP-ZJ-02": (("declared", "precheck", "loading", "complete", "measured", "discrepancy"), 0),
        "EXP-ZJ-03": (("declared", "precheck", "loading", "complete", "measured", "reconciled", "verified", "certified", "released"), 1),
        "EXP-ZJ-04": (("declared", "precheck", "loading"), 0),
    },
    "DL-ORE": {
        "IMP-DL-11": (("declared", "precheck", "loading", "complete", "measured", "discrepancy", "investigating"), 10),  # older than any range
        "IMP-DL-12": (("declared", "blocked"), 0),
        "IMP-DL-13": (("declared", "precheck", "loading", "complete", "measured", "reconciled", "verified"), 0),
    },
    "DL-OIL": {
        "EXP-DO-21": (("declared", "precheck", "loading"), 0),
        "EXP-DO-22": (("declared", "precheck", "loading", "complete", "measured", "reconciled", "verified", "certified", "released"), 3),
    },
}


def site_points(now_ms: int) -> list[Point]:
    out: list[Point] = []
    for site, kinds in DEVICES.items():
        end = now_ms - (STOPPED_MS if site == SILENT else 2_000)
        for kind, assets in kinds.items():
            measurement = contract.MEASUREMENTS[kind]
            for asset in assets:
                for i, t in enumerate(range(now_ms - HOUR_MS, end + 1, 10_000)):
                    value = {"meter": "flow_rate_kg_h", "tank": "level_m", "scale": "rate_t_h"}[kind]
                    out.append(Point(kind, {contract.SITE_TAG: site, measurement.asset_tag: asset},
                                     {value: 100.0 + i, contract.QUALITY_FIELD: contract.Quality.GOOD.value}, t))
        # a signed chain head every 60 s (the default head_interval_s), the newest 20 s ago (or 30 min for DL-OIL)
        head_end = now_ms - (STOPPED_MS if site == SILENT else 20_000)
        for i, t in enumerate(range(head_end - HOUR_MS, head_end + 1, MINUTE_MS)):
            out.append(Point(contract.EVIDENCE_HEAD.name, {contract.SITE_TAG: site}, {"seq": 500 + 10 * i, "hash": f"{i:064x}", "signature": f"{i:0128x}"}, t))
        collector = f"collector-{site.lower()}"
        health_end = now_ms - (STOPPED_MS if site == SILENT else 1_000)
        sources = [a for assets in kinds.values() for a in assets]
        for t in range(now_ms - HOUR_MS, health_end + 1, 5_000):
            for n, source in enumerate(sources):
                connected = 0 if (site, source) == ("ZJ-JET", "FT-102") else 1  # one device of ZJ-JET is down
                out.append(Point(contract.COLLECTOR_HEALTH.name, {contract.SITE_TAG: site, contract.COLLECTOR_TAG: collector, "source": source},
                                 {"connected": connected, "poll_ms": 12.0 + n, "errors": 0, "spool_depth": 4, "lag_s": 0.5}, t))
            out.append(Point(contract.COLLECTOR_HEALTH.name, {contract.SITE_TAG: site, contract.COLLECTOR_TAG: collector, "source": contract.FORWARDER_SOURCE},
                             {"spool_depth": 7 if site == "DL-ORE" else 3, "lag_s": 2.5 if site == "DL-ORE" else 0.4, "forwarded_per_s": 20.0, "quarantined": 0}, t))
    for site, shipments in SHIPMENTS.items():
        for shipment, (states, quiet_days) in shipments.items():
            newest = now_ms - int(quiet_days * DAY_MS) - 5 * MINUTE_MS
            for i, state in enumerate(states):
                t = newest - (len(states) - 1 - i) * HOUR_MS
                out.append(Point(contract.CLEARANCE.name, {contract.SITE_TAG: site, contract.CLEARANCE.asset_tag: shipment},
                                 {"state": state, "declared_t": 50_000.0, "measured_t": 50_100.4 if i == len(states) - 1 else 0.0,
                                  "difference_pct": 0.2, "tolerance_pct": 0.3}, t))
    return out


@pytest.fixture(scope="module")
def office(influxd: LocalInfluxd) -> Iterator[tuple[InfluxReader, datetime]]:
    reader = InfluxReader(influxd.url, "office_board")
    reader.create_database()
    now_ms = int(datetime.now(timezone.utc).timestamp() * 1000)
    lines = [p.to_line() for p in site_points(now_ms)]
    for i in range(0, len(lines), 5_000):
        response = httpx.post(f"{influxd.url}/write", params={"db": reader.database, "precision": "ms"}, content="\n".join(lines[i : i + 5_000]).encode(), timeout=30.0)
        assert response.status_code == 204, response.text
    yield reader, datetime.fromtimestamp(now_ms / 1000 + 1, timezone.utc)
    reader.query('DROP DATABASE "office_board"')
    reader.close()


def _run(title_start: str, reader: InfluxReader, now: datetime, chosen: Mapping[str, Sequence[str]] | None = None) -> PanelRun:
    time_range = dashboard_time_range(DASHBOARD, now)
    variables = variables_for(DASHBOARD, reader, time_range, chosen)
    panel = next(p for p in panels(DASHBOARD) if p["title"].startswith(title_start))
    return run_panel(panel, reader, time_range, variables)


def _rows(title_start: str, reader: InfluxReader, now: datetime, chosen: Mapping[str, Sequence[str]] | None = None) -> dict[str, dict[str, tuple[str, str | None]]]:
    """The table's rows as shown (text, colour), keyed by site (or by shipment for the shipments table)."""
    run = _run(title_start, reader, now, chosen)
    rows = [{k: (v.text, v.color) for k, v in row.items()} for row in displayed_table(run.panel, run.frames)]
    key = "shipment" if rows and "shipment" in rows[0] else "site"
    keyed = {row[key][0]: row for row in rows}
    assert len(keyed) == len(rows), f"{title_start}: a {key} twice"
    return keyed


def query_problems(dashboard: Mapping[str, Any], reader: InfluxReader, now: datetime) -> list[str]:
    """As tests/dashboards/test_dashboards_queries.py checks the registered boards: a target that returns nothing, an
    override naming a field no query returns, a value of a mapped field without a mapping."""
    problems: list[str] = []
    time_range = dashboard_time_range(dashboard, now)
    variables = variables_for(dashboard, reader, time_range)
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
                maps = [m for m in field_config_for(panel, f).get("mappings") or [] if m["type"] == "value"]
                problems += [f"{where}: field {f.name!r} value {v!r} has no value mapping" for v in f.values
                             if maps and v is not None and not any(str(v) in m["options"] for m in maps)]
    return problems


# -- structure and schema ----------------------------------------------------------------------------


def test_the_board_is_registered_and_passes_the_structural_checks_and_grafanas_schema() -> None:
    assert catalog.BUILDERS[office_board.UID] is office_board.build and DASHBOARD["uid"] == office_board.UID == "bulkdaq-office"
    assert DASHBOARD["title"] == "Customs office, all terminals / 海关监管总览"
    assert dashboard_checks.all_problems(DASHBOARD) == []
    assert dashboard_problems(copy.deepcopy(DASHBOARD)) == []  # the SDK round trip: tests/dashboards/test_dashboards_structure.py
    assert [p["title"] for p in panels(DASHBOARD)] == [
        "Shipments per state and site / 各站点货运状态统计",
        "Evidence heads per site / 各站点证据链头",
        "Meters per site / 各站点流量计",
        "Tanks per site / 各站点储罐",
        "Scales per site / 各站点秤",
        "Collectors per site / 各站点采集器",
        "Open shipments, all terminals / 全部站点在办货运",
    ]
    (site,) = DASHBOARD["templating"]["list"]
    assert site["name"] == "site" and site["multi"] and site["includeAll"]
    assert site["query"] == 'SHOW TAG VALUES FROM "clearance", "evidence_head" WITH KEY = "site"'


def test_the_states_are_the_clearance_boards() -> None:
    shipments = next(p for p in panels(DASHBOARD) if p["title"].startswith("Open shipments"))
    state = next(o for o in shipments["fieldConfig"]["overrides"] if o["matcher"]["options"] == "state")
    mapping = next(p for p in state["properties"] if p["id"] == "mappings")["value"]
    assert mapping == [encode_mapping(clearance_board.state_mapping())]
    assert "released" not in office_board.OPEN_STATES and len(office_board.OPEN_STATES) == len(clearance_board.STATE_COLOURS) - 1


def encode_mapping(mapping: Any) -> Any:
    return json.loads(json.dumps(mapping.to_json(), default=lambda o: o.to_json()))


def test_the_thresholds_are_the_named_constants_in_the_queries() -> None:
    assert office_board.HEADS_STALE_AFTER == "180s"  # three heads of the default 60 s cadence
    text = json.dumps(DASHBOARD)
    assert text.count(f"time > now() - {office_board.HEADS_STALE_AFTER}") == 1
    assert text.count(f"time > now() - {office_board.READINGS_STALE_AFTER}") == len(office_board.READING_KINDS) + 2  # + devices, spools
    assert "$timeFilter" not in text  # a site silent for longer than the range must not drop off


# -- what each panel shows, against the real influxd ---------------------------------------------------


def test_every_target_returns_what_its_panel_expects(office: tuple[InfluxReader, datetime]) -> None:
    reader, now = office
    assert query_problems(DASHBOARD, reader, now) == []


def test_the_site_variable_lists_every_site(office: tuple[InfluxReader, datetime]) -> None:
    reader, now = office
    variables = variables_for(DASHBOARD, reader, dashboard_time_range(DASHBOARD, now))
    # from both measurements (the emulation keeps the duplicates that Grafana drops; the regex matches the same sites)
    assert set(variables["site"].values) == set(DEVICES)


def test_evidence_heads_per_site_flag_the_silent_site_stale(office: tuple[InfluxReader, datetime]) -> None:
    reader, now = office
    rows = _rows("Evidence heads per site", reader, now)
    assert set(rows) == set(DEVICES)  # the silent site keeps its row
    assert rows[SILENT]["seq"] == STALE
    for site in set(DEVICES) - {SILENT}:
        assert rows[site]["seq"] == ("1100", None)  # the newest head's block, live
    assert list(rows[SILENT]) == ["site", "Time 1", "seq"]
    # the time of the last head: 30 min ago for the silent site, 20 s ago for the others
    last_head = {site: datetime.fromisoformat(row["Time 1"][0]) for site, row in rows.items()}
    assert abs(last_head[SILENT] - (now - timedelta(minutes=30, seconds=1))) < timedelta(seconds=2)
    assert abs(last_head["ZJ-JET"] - (now - timedelta(seconds=21))) < timedelta(seconds=2)


def test_readings_per_site_flag_the_silent_site_stale_and_list_only_sites_with_that_kind(office: tuple[InfluxReader, datetime]) -> None:
    reader, now = office
    meters = _rows("Meters per site", reader, now)
    tanks = _rows("Tanks per site", reader, now)
    scales = _rows("Scales per site", reader, now)
    assert set(meters) == set(tanks) == {"ZJ-JET", "DL-OIL"} and set(scales) == {"DL-ORE"}  # no false STALE for a kind a site lacks
    for table_rows in (meters, tanks):
        assert table_rows[SILENT]["readings"] == STALE
        assert table_rows["ZJ-JET"]["readings"][0] != STALE_TEXT
        assert datetime.fromisoformat(table_rows[SILENT]["Time 1"][0]) < now - timedelta(minutes=29)
    # two meters (scales), one reading every 10 s each: about 60 in five minutes (the window ends at the query's now())
    assert 56 <= int(meters["ZJ-JET"]["readings"][0]) <= 60 and 56 <= int(scales["DL-ORE"]["readings"][0]) <= 60
    assert datetime.fromisoformat(scales["DL-ORE"]["Time 1"][0]) > now - timedelta(seconds=15)
    every_site = set(meters) | set(tanks) | set(scales)
    assert every_site == set(DEVICES)


def test_collectors_per_site(office: tuple[InfluxReader, datetime]) -> None:
    reader, now = office
    rows = _rows("Collectors per site", reader, now)
    assert set(rows) == set(DEVICES)
    assert all(rows[SILENT][name] == STALE for name in ("connected", "devices", "spool_depth", "lag_s"))
    assert (rows["ZJ-JET"]["connected"][0], rows["ZJ-JET"]["devices"][0]) == ("2", "3")  # FT-102 is down
    assert (rows["DL-ORE"]["connected"][0], rows["DL-ORE"]["devices"][0]) == ("2", "2")
    assert (rows["DL-ORE"]["spool_depth"][0], rows["DL-ORE"]["lag_s"][0]) == ("7", "2.5")  # the forwarder's, not the devices'
    assert list(rows["ZJ-JET"]) == ["site", "connected", "devices", "spool_depth", "lag_s", "Time 1"]


def _expected_counts(sites: Sequence[str]) -> dict[str, dict[str, str]]:
    counts = {}
    for site in sites:
        newest = [states[-1] for states, _ in SHIPMENTS[site].values()]
        counts[site] = {state: str(newest.count(state)) for state in office_board.OPEN_STATES}
    return counts


def test_shipments_per_state_and_site(office: tuple[InfluxReader, datetime]) -> None:
    reader, now = office
    rows = _rows("Shipments per state and site", reader, now)
    shown = {site: {state: row[state][0] for state in office_board.OPEN_STATES} for site, row in rows.items()}
    assert shown == _expected_counts(list(DEVICES))
    assert shown["ZJ-JET"]["loading"] == "2" and shown["ZJ-JET"]["discrepancy"] == "1"
    assert shown["DL-ORE"]["investigating"] == "1"  # newest point ten days old: still counted
    assert shown["DL-OIL"]["loading"] == "1" and set(shown["DL-OIL"].values()) == {"0", "1"}  # the released one is not counted
    assert list(rows["DL-ORE"]) == ["site", *office_board.OPEN_STATES]


def test_open_shipments_of_every_site_with_the_clearance_boards_states(office: tuple[InfluxReader, datetime]) -> None:
    reader, now = office
    rows = _rows("Open shipments, all terminals", reader, now)
    expected = {shipment: site for site, shipments in SHIPMENTS.items() for shipment, (states, _) in shipments.items() if states[-1] != "released"}
    assert {shipment: row["site"][0] for shipment, row in rows.items()} == expected
    assert rows["EXP-ZJ-02"]["state"] == ("差异 discrepancy", "red")
    assert rows["IMP-DL-12"]["state"] == ("已阻止 blocked", "dark-red")
    assert rows["IMP-DL-11"]["state"] == ("调查中 investigating", "orange")
    assert rows["EXP-DO-21"]["state"] == ("装卸中 loading / discharging", "blue")
    assert rows["EXP-ZJ-02"]["measured_t"][0] == "50100.400" and rows["EXP-ZJ-02"]["tolerance_pct"][0] == "0.300"
    assert list(rows["EXP-ZJ-02"]) == ["site", "shipment", "state", "declared_t", "measured_t", "difference_pct", "tolerance_pct"]


def test_choosing_one_site_shows_only_its_shipments_and_health(office: tuple[InfluxReader, datetime]) -> None:
    reader, now = office
    chosen = {"site": ["DL-ORE"]}
    shipments = _rows("Open shipments, all terminals", reader, now, chosen)
    assert set(shipments) == {"IMP-DL-11", "IMP-DL-12", "IMP-DL-13"}
    assert {row["site"][0] for row in shipments.values()} == {"DL-ORE"}
    counts = _rows("Shipments per state and site", reader, now, chosen)
    assert {site: {s: row[s][0] for s in office_board.OPEN_STATES} for site, row in counts.items()} == _expected_counts(["DL-ORE"])
    for title in ("Evidence heads per site", "Scales per site", "Collectors per site"):
        assert set(_rows(title, reader, now, chosen)) == {"DL-ORE"}
    assert _rows("Meters per site", reader, now, chosen) == {}
    two = _rows("Open shipments, all terminals", reader, now, {"site": ["ZJ-JET", "DL-OIL"]})
    assert {row["site"][0] for row in two.values()} == {"ZJ-JET", "DL-OIL"}
    assert '"site" =~ /^(ZJ-JET|DL-OIL)$/' in _run("Open shipments", reader, now, {"site": ["ZJ-JET", "DL-OIL"]}).rendered["A"]


def test_a_misspelt_field_fails(office: tuple[InfluxReader, datetime]) -> None:
    reader, now = office
    broken = json.loads(json.dumps(DASHBOARD).replace('last(\\"seq\\") AS \\"seq\\"', 'last(\\"sequence\\") AS \\"seq\\"'))
    assert broken != DASHBOARD
    heads = next(p for p in panels(broken) if p["title"].startswith("Evidence heads"))
    where = f"panel {heads['id']} {heads['title']!r}"
    assert query_problems(broken, reader, now) == [
        f"{where} target live: no series",
        f"{where}: override for field 'Time 1', which the queries do not return",  # one frame left: its time is plain "Time"
        f"{where}: override for field 'seq', which the queries do not return",
    ]
