"""Structural checks of the built dashboards and provisioning files, and proof that they catch breakage."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards.grafana import catalog, dashboard_checks
from dashboards.grafana.dashboard_json import decode, decode_with_sdk_only, encode
from dashboards.grafana.influxql_query import DATASOURCE_UID, InfluxQLQuery
from dashboards.grafana.influxql_render import (
    TimeRange,
    UnknownVariable,
    VariableValue,
    calculate_interval_ms,
    format_interval,
    render,
)
from dashboards.grafana.panel_runner import panels

DASHBOARDS = catalog.build_all()
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("uid", sorted(DASHBOARDS))
def test_dashboards_pass_every_structural_check(uid: str) -> None:
    assert dashboard_checks.all_problems(DASHBOARDS[uid]) == []
    assert DASHBOARDS[uid]["uid"] == uid
    assert sum(1 for _ in panels(DASHBOARDS[uid])) >= 5


@pytest.mark.parametrize("uid", sorted(DASHBOARDS))
def test_decode_with_the_sdk_and_encode_again_loses_nothing(uid: str) -> None:
    original = DASHBOARDS[uid]
    decoded = decode(copy.deepcopy(original))
    assert encode(decoded) == original
    targets = [t for p in decoded.panels or [] for t in p.targets or []]  # type: ignore[union-attr]
    assert targets and all(isinstance(t, InfluxQLQuery) for t in targets)


def test_the_sdk_alone_drops_only_the_influxdb_annotation_query() -> None:
    original = DASHBOARDS["bulkdaq-loading"]
    plain_sdk = encode(decode_with_sdk_only(copy.deepcopy(original)))
    lost = original["annotations"]["list"][0]["target"]
    assert plain_sdk["annotations"]["list"][0]["target"] == {"limit": 0, "matchAny": False, "tags": [], "type": ""}
    assert "SELECT" in lost["query"]
    without_annotations = {k: v for k, v in original.items() if k != "annotations"}
    assert {k: v for k, v in plain_sdk.items() if k != "annotations"} == without_annotations


def _first_query_panel(dashboard: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in panels(dashboard) if p.get("targets"))


def test_broken_copies_fail_the_structural_checks() -> None:
    broken = copy.deepcopy(DASHBOARDS["bulkdaq-data-health"])
    panel_list = list(panels(broken))
    panel_list[1]["id"] = panel_list[0]["id"]
    panel_list[2]["targets"][0]["datasource"] = {"type": "influxdb", "uid": "someone-elses-influx"}
    panel_list[3]["targets"][0]["query"] += " AND $nosuch"
    panel_list[3]["targets"].append(dict(panel_list[3]["targets"][0]))
    del panel_list[4]["fieldConfig"]["defaults"]["unit"]
    panel_list[4]["targets"] = []
    problems = dashboard_checks.all_problems(broken)
    text = "\n".join(problems)
    assert f"id {panel_list[0]['id']} is used twice" in text
    assert "someone-elses-influx" in text
    assert "$nosuch is not a dashboard variable" in text
    assert "refId 'A' is used twice" in text
    assert f"panel {panel_list[4]['id']} {panel_list[4]['title']!r} has no query" in text
    assert f"panel {panel_list[4]['id']} {panel_list[4]['title']!r} has no unit" in text


def test_every_variable_used_is_defined_and_every_defined_query_variable_is_influxql() -> None:
    for dashboard in DASHBOARDS.values():
        names = [v["name"] for v in dashboard["templating"]["list"]]
        assert len(names) == len(set(names))
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                assert variable["query"].startswith("SHOW TAG VALUES FROM")
                assert variable["multi"] and variable["includeAll"] and "allValue" not in variable


def test_live_tables_map_null_to_stale_and_time_series_do_not_connect_gaps() -> None:
    for dashboard in DASHBOARDS.values():
        for panel in panels(dashboard):
            queries = " ".join(t["query"] for t in panel.get("targets") or [])
            if "now() - $stale_after" in queries and panel["type"] == "table":
                mapped = [o for o in panel["fieldConfig"]["overrides"] if any(p["id"] == "mappings" for p in o["properties"])]
                assert mapped, panel["title"]
                for override in mapped:
                    first = next(p for p in override["properties"] if p["id"] == "mappings")["value"][0]
                    assert first["type"] == "special" and first["options"]["match"] == "null+nan"
                    assert first["options"]["result"]["text"].startswith("STALE")
            if panel["type"] == "timeseries":
                assert all("fill(null)" in t["query"] or "fill(0)" in t["query"] for t in panel["targets"]), panel["title"]
                assert panel["fieldConfig"]["defaults"]["custom"]["spanNulls"] is False


def test_renderer_follows_grafana() -> None:
    time_range = TimeRange(datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 1, 6, tzinfo=timezone.utc))
    variables = {
        "site": VariableValue(("a.b", "c/d"), multi_or_all=True),
        "one": VariableValue(("x.y",), multi_or_all=True),
        "plain": VariableValue(("30s",)),
    }
    text = render('SELECT 1 FROM m WHERE s =~ /^$site$/ AND o =~ /^${one}$/ AND time > now() - [[plain]] AND $timeFilter GROUP BY time($__interval) LIMIT $__interval_ms', time_range, variables, max_data_points=500, min_interval="1s")
    assert text == (
        "SELECT 1 FROM m WHERE s =~ /^(a\\.b|c\\/d)$/ AND o =~ /^x\\.y$/ AND time > now() - 30s "
        "AND time >= 1767225600000ms and time <= 1767247200000ms GROUP BY time(30s) LIMIT 30000"
    )
    assert calculate_interval_ms(time_range, 500, "1m") == 60_000  # the minimum interval wins
    assert format_interval(7 * 86_400_000) == "7d" and format_interval(200) == "200ms"
    with pytest.raises(UnknownVariable, match=r"\$metre"):
        render("SELECT 1 FROM m WHERE x =~ /^$metre$/", time_range, variables)


def test_build_writes_the_provisioning_tree(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bulkdaq.cli.main", "dashboards", "build", str(tmp_path), "--influx-url", "http://influx.plant:8086", "--database", "terminal",
         "--username", "grafana", "--password-env", "BULKDAQ_INFLUX_PASSWORD"],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    datasource = yaml.safe_load((tmp_path / "datasources" / "bulkdaq.yaml").read_text(encoding="utf-8"))["datasources"][0]
    assert datasource["uid"] == DATASOURCE_UID and datasource["type"] == "influxdb" and datasource["url"] == "http://influx.plant:8086"
    assert datasource["jsonData"] == {"version": "InfluxQL", "dbName": "terminal", "httpMode": "POST", "timeInterval": "1s"}
    assert datasource["user"] == "grafana"
    assert datasource["secureJsonData"] == {"password": "$BULKDAQ_INFLUX_PASSWORD"}  # a reference, never a secret
    provider = yaml.safe_load((tmp_path / "dashboards" / "bulkdaq.yaml").read_text(encoding="utf-8"))["providers"][0]
    assert provider["type"] == "file" and provider["options"]["path"] == "/etc/grafana/provisioning/dashboards/bulkdaq"
    written = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "dashboards" / "bulkdaq").glob("*.json")}
    assert written == DASHBOARDS
    assert "通关看板" in (tmp_path / "dashboards" / "bulkdaq" / "bulkdaq-clearance.json").read_text(encoding="utf-8")
    rules = yaml.safe_load((tmp_path / "alerting" / "bulkdaq.yaml").read_text(encoding="utf-8"))
    group = rules["groups"][0]
    assert rules["apiVersion"] == 1 and group["folder"] == "bulkdaq"
    assert [r["uid"] for r in group["rules"]] == ["bulkdaq-clearance-discrepancy", "bulkdaq-clearance-blocked", "bulkdaq-stale-source", "bulkdaq-spool-backlog", "bulkdaq-site-silent"]
    for rule in group["rules"]:
        assert rule["condition"] == "C" and [d["refId"] for d in rule["data"]] == ["A", "B", "C"]
        assert rule["data"][0]["datasourceUid"] == DATASOURCE_UID and rule["data"][1]["datasourceUid"] == "__expr__"
        assert "folderUID" not in rule and rule["noDataState"] == "OK"
    example = tmp_path / "examples" / "alerting" / "bulkdaq-notifications.yaml"
    text = example.read_text(encoding="utf-8")
    assert text.startswith("# EXAMPLE - edit before use.") and "REPLACES the whole notification policy tree" in text
    notifications = yaml.safe_load(text)
    (contact_point,) = notifications["contactPoints"]
    assert contact_point["receivers"][0]["settings"]["addresses"].endswith("@example.invalid")  # a placeholder to edit
    (policy,) = notifications["policies"]
    assert policy["routes"][0]["receiver"] == contact_point["name"] and policy["routes"][0]["object_matchers"] == [["team", "=", "bulkdaq"]]
    assert all(r["labels"]["team"] == "bulkdaq" for r in group["rules"])  # what the example policy routes on


def _build(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bulkdaq.cli.main", "dashboards", "build", str(tmp_path), *options],
                          capture_output=True, text=True, cwd=REPO, timeout=120)


def test_build_without_auth_writes_no_credentials(tmp_path: Path) -> None:
    result = _build(tmp_path)
    assert result.returncode == 0, result.stderr
    datasource = yaml.safe_load((tmp_path / "datasources" / "bulkdaq.yaml").read_text(encoding="utf-8"))["datasources"][0]
    assert "user" not in datasource and "secureJsonData" not in datasource


@pytest.mark.parametrize(("options", "message"), [
    (["--password-env", "BULKDAQ_INFLUX_PASSWORD"], "--password-env: a password needs a user: give --username too"),
    (["--username", "grafana"], "--username: a --username needs --password-env"),
    (["--username", "grafana", "--password-env", "NOT A NAME"], "--password-env: 'NOT A NAME' is not an environment variable name"),
    (["--username", "gr$fana", "--password-env", "P"], "--username: Grafana would read a $ in the user name as an environment variable"),
])
def test_build_refuses_half_credentials(tmp_path: Path, options: list[str], message: str) -> None:
    result = _build(tmp_path, *options)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "datasources").exists()


def test_push_without_grafana_client_says_what_to_install() -> None:
    result = subprocess.run([sys.executable, "-c", "from bulkdaq.cli.main import run; run()", "dashboards", "push", "--url", "http://127.0.0.1:9"],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 2
    assert ("grafana-client" in result.stderr or "GRAFANA_TOKEN" in result.stderr) and "Traceback" not in result.stderr
