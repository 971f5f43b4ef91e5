"""Grafana file provisioning: the tree an operator drops into ``/etc/grafana/provisioning``.

::

    datasources/bulkdaq.yaml        the InfluxDB datasource (InfluxQL, fixed UID every panel points at)
    dashboards/bulkdaq.yaml         a dashboard provider reading the JSON files below
    dashboards/bulkdaq/<uid>.json   one file per dashboard
    alerting/bulkdaq.yaml           alert rules: discrepancy, blocked, stale source, spool backlog

Credentials never appear in the files: the password is an environment reference (``${NAME}``) that
Grafana expands when it reads the file (docs/design.md, "Reliability and security rules").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dashboards.grafana import alert_rules, catalog
from dashboards.grafana.dashboard_checks import all_problems
from dashboards.grafana.dashboard_json import to_text
from dashboards.grafana.influxql_query import DATASOURCE_NAME, DATASOURCE_UID, INFLUXDB_PLUGIN

GRAFANA_PROVISIONING_DIR = Path("/etc/grafana/provisioning")
FOLDER = "bulkdaq"


@dataclass(frozen=True)
class InfluxTarget:
    url: str = "http://localhost:8086"
    database: str = "bulkdaq"
    username: str | None = None
    password_env: str | None = "BULKDAQ_INFLUX_PASSWORD"
    min_interval: str = "1s"


def datasource_document(target: InfluxTarget) -> dict[str, Any]:
    datasource: dict[str, Any] = {
        "name": DATASOURCE_NAME,
        "type": INFLUXDB_PLUGIN,
        "uid": DATASOURCE_UID,
        "access": "proxy",
        "url": target.url,
        "isDefault": False,
        "editable": False,
        "jsonData": {"version": "InfluxQL", "dbName": target.database, "httpMode": "POST", "timeInterval": target.min_interval},
    }
    if target.username:
        datasource["user"] = target.username
    if target.password_env:
        datasource["secureJsonData"] = {"password": "${" + target.password_env + "}"}
    return {"apiVersion": 1, "datasources": [datasource]}


def provider_document(dashboards_path: Path) -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "bulkdaq",
                "orgId": 1,
                "folder": FOLDER,
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 30,
                "options": {"path": str(dashboards_path), "foldersFromFilesStructure": False},
            }
        ],
    }


def _yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def write_tree(outdir: Path, target: InfluxTarget, *, installed_at: Path = GRAFANA_PROVISIONING_DIR) -> list[Path]:
    """Write every provisioning file under `outdir`; the provider points at `installed_at`/dashboards/bulkdaq.

    Refuses (ValueError naming the panel) if a dashboard fails a structural check.
    """
    dashboards = catalog.build_all()
    problems = [f"{uid}: {p}" for uid, d in dashboards.items() for p in all_problems(d)]
    if problems:
        raise ValueError("dashboards have problems: " + "; ".join(problems))
    files = {
        outdir / "datasources" / "bulkdaq.yaml": _yaml(datasource_document(target)),
        outdir / "dashboards" / "bulkdaq.yaml": _yaml(provider_document(installed_at / "dashboards" / FOLDER)),
        outdir / "alerting" / "bulkdaq.yaml": _yaml(alert_rules.provisioning_document()),
        **{outdir / "dashboards" / FOLDER / f"{uid}.json": to_text(d) for uid, d in dashboards.items()},
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(files)


__all__ = [
    "FOLDER",
    "GRAFANA_PROVISIONING_DIR",
    "InfluxTarget",
    "datasource_document",
    "provider_document",
    "write_tree",
]
