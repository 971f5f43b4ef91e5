"""Every generated dashboard against Grafana 11.6's schema as grafana-foundation-sdk types it, and every generated
provisioning file against strict schemas written from Grafana's documentation; broken copies must fail."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from provisioning_schema import SCHEMAS, interpolated_dollars
from pydantic import ValidationError
from sdk_schema import dashboard_problems

from dashboards.grafana import catalog
from dashboards.grafana.provisioning import InfluxTarget, write_tree

DASHBOARDS = catalog.build_all()


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The whole tree `bulkdaq dashboards build` writes, with credentials, parsed."""
    out = tmp_path_factory.mktemp("provisioning")
    written = write_tree(out, InfluxTarget(url="http://influx.plant:8086", database="terminal", username="grafana", password_env="BULKDAQ_INFLUX_PASSWORD"))
    return {p.relative_to(out).as_posix(): yaml.safe_load(p.read_text(encoding="utf-8")) for p in written}


@pytest.mark.parametrize("uid", sorted(DASHBOARDS))
def test_dashboards_have_only_what_grafanas_schema_has(uid: str) -> None:
    assert dashboard_problems(copy.deepcopy(DASHBOARDS[uid])) == []


def test_the_schema_check_catches_unknown_keys_wrong_types_and_values() -> None:
    broken = copy.deepcopy(DASHBOARDS["bulkdaq-clearance"])
    table = next(p for p in broken["panels"] if p["type"] == "table")
    timeline = next(p for p in broken["panels"] if p["type"] == "state-timeline")
    table["options"] = {"showHeadr": True}  # a misspelt table option
    table["gridPos"]["w"] = "24"
    table["transformations"][0]["option"] = table["transformations"][0].pop("options")
    timeline.setdefault("options", {})["rowHeigth"] = 0.9
    timeline["fieldConfig"]["defaults"].setdefault("custom", {})["lineWdth"] = 1
    broken["templating"]["list"][0]["refresh"] = 7
    broken["graphTooltp"] = 1
    problems = "\n".join(dashboard_problems(broken))
    for expected in (
        f"panels[{broken['panels'].index(table)}].options.showHeadr: not in the schema",
        "grid_pos.w: '24' is not an integer",
        "transformations[0].option: not in the schema",
        "options.rowHeigth: not in the schema",
        "fieldConfig.defaults.custom.lineWdth: not in the schema",
        "templating.list_val[0].refresh: 7 is not one of [0, 1, 2]",
        "dashboard.graphTooltp: not in the schema",
    ):
        assert expected in problems


def test_every_provisioning_file_matches_grafanas_documented_format(tree: dict[str, Any]) -> None:
    yaml_files = {path: document for path, document in tree.items() if path.endswith(".yaml")}
    assert set(yaml_files) == {"datasources/bulkdaq.yaml", "dashboards/bulkdaq.yaml", "alerting/bulkdaq.yaml", "examples/alerting/bulkdaq-notifications.yaml"}
    for path, document in yaml_files.items():
        kind = path.split("/")[-2]  # examples/alerting/… is an alerting file once copied into alerting/
        SCHEMAS[kind].model_validate(document)
    assert len(tree["alerting/bulkdaq.yaml"]["groups"][0]["rules"]) == 5


def test_only_the_password_reference_has_a_dollar_where_grafana_expands_the_environment(tree: dict[str, Any]) -> None:
    found = {path: interpolated_dollars(document) for path, document in tree.items() if path.endswith(".yaml")}
    assert found == {
        "datasources/bulkdaq.yaml": [".datasources[0].secureJsonData.password"],
        "dashboards/bulkdaq.yaml": [],
        "alerting/bulkdaq.yaml": [],  # $timeFilter, {{ $labels… }} sit in query models and annotations, which Grafana leaves alone
        "examples/alerting/bulkdaq-notifications.yaml": [],
    }
    assert "$" in tree["alerting/bulkdaq.yaml"]["groups"][0]["rules"][0]["annotations"]["summary"]


@pytest.mark.parametrize(("path", "edit", "message"), [
    ("datasources/bulkdaq.yaml", lambda d: d["datasources"][0].update(passwd="x"), "passwd"),
    ("datasources/bulkdaq.yaml", lambda d: d["datasources"][0]["jsonData"].update(httpMode="PUT"), "httpMode"),
    ("datasources/bulkdaq.yaml", lambda d: d["datasources"][0]["jsonData"].update(database="x"), "database"),
    ("dashboards/bulkdaq.yaml", lambda d: d["providers"][0].update(updateIntervalSeconds="30"), "updateIntervalSeconds"),
    ("dashboards/bulkdaq.yaml", lambda d: d["providers"][0]["options"].pop("path"), "path"),
    ("alerting/bulkdaq.yaml", lambda d: d["groups"][0]["rules"][0].update(noDataState="Ok"), "noDataState"),
    ("alerting/bulkdaq.yaml", lambda d: d["groups"][0]["rules"][0].pop("for"), "for"),
    ("alerting/bulkdaq.yaml", lambda d: d["groups"][0]["rules"][0].update(folderUID="bulkdaq"), "folderUID"),
    ("examples/alerting/bulkdaq-notifications.yaml", lambda d: d["policies"][0]["routes"][0].update(object_matchers=[["team", "==", "bulkdaq"]]), "operator"),
    ("examples/alerting/bulkdaq-notifications.yaml", lambda d: d["contactPoints"][0]["receivers"][0].pop("uid"), "uid"),
])
def test_broken_provisioning_files_fail(tree: dict[str, Any], path: str, edit: Any, message: str) -> None:
    document = copy.deepcopy(tree[path])
    edit(document)
    with pytest.raises(ValidationError, match=message):
        SCHEMAS[path.split("/")[-2]].model_validate(document)


def test_the_dashboard_files_written_are_the_checked_ones(tree: dict[str, Any]) -> None:
    assert {Path(p).stem: d for p, d in tree.items() if p.endswith(".json")} == DASHBOARDS
