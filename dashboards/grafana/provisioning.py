"""Grafana file provisioning: the tree an operator drops into ``/etc/grafana/provisioning``.

::

    datasources/bulkdaq.yaml        the InfluxDB datasource (InfluxQL, fixed UID every panel points at)
    dashboards/bulkdaq.yaml         a dashboard provider reading the JSON files below
    dashboards/bulkdaq/<uid>.json   one file per dashboard
    alerting/bulkdaq.yaml           alert rules: discrepancy, blocked, stale source, spool backlog
    examples/alerting/bulkdaq-notifications.yaml
                                    an EXAMPLE contact point and notification policy, to edit and then copy
                                    into alerting/ (without one the rules fire but notify nobody)

Credentials never appear in the files: the password is an environment reference (``$NAME``) that
Grafana expands when it reads the file (docs/design.md, "Reliability and security rules"). Grafana
documents ``$NAME`` rather than ``${NAME}`` for values that may hold a ``$``, which the braced form
would expand a second time (https://grafana.com/docs/grafana/v11.6/administration/provisioning/#environment-variables).
A user and a password go together: InfluxDB with auth refuses a password without a user.
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
    password_env: str | None = None  # the environment variable of grafana-server holding the password or token
    min_interval: str = "1s"

    def __post_init__(self) -> None:
        if bool(self.username) != bool(self.password_env):
            raise ValueError(CREDENTIALS_TOGETHER)


CREDENTIALS_TOGETHER = (
    "give both a user and the environment variable holding its password (InfluxDB with auth refuses a password "
    "without a user, and a user without a password), or neither when InfluxDB has auth off"
)


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
    if target.username and target.password_env:
        datasource["user"] = target.username
        datasource["secureJsonData"] = {"password": "$" + target.password_env}
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


NOTIFICATIONS_EXAMPLE = Path("examples") / "alerting" / "bulkdaq-notifications.yaml"
CONTACT_POINT = "bulkdaq-terminal"
NOTIFICATIONS_HEADER = """\
# EXAMPLE - edit before use. bulkdaq's alert rules fire without it, but notify nobody: Grafana's
# default notification policy sends every alert to "grafana-default-email", whose address is a placeholder.
#
# 1. Put real addresses in `addresses` (separated by ";"). Email needs an [smtp] section in grafana.ini.
#    For a webhook instead (a chat bridge, a ticket system), replace the receiver with:
#        - uid: bulkdaq-webhook
#          type: webhook
#          settings:
#            url: https://alerts.example.invalid/bulkdaq      # placeholder
#            httpMethod: POST
# 2. `policies` REPLACES the whole notification policy tree of organisation 1. On a Grafana that also
#    alerts for others, delete the `policies` block and add a route for the label team=bulkdaq to
#    the existing tree in the UI instead.
# 3. Copy this file to /etc/grafana/provisioning/alerting/bulkdaq-notifications.yaml, then restart
#    grafana-server (or POST /api/admin/provisioning/alerting/reload as a Grafana admin).
#
# Format: https://grafana.com/docs/grafana/v11.6/alerting/set-up/provision-alerting-resources/file-provisioning/
"""


def notifications_example_document() -> dict[str, Any]:
    """An example contact point (email, placeholder addresses) and a notification policy routing bulkdaq's alerts to it."""
    return {
        "apiVersion": 1,
        "contactPoints": [
            {
                "orgId": 1,
                "name": CONTACT_POINT,
                "receivers": [
                    {
                        "uid": "bulkdaq-email",
                        "type": "email",
                        "settings": {"addresses": "control-room@example.invalid;customs-desk@example.invalid", "singleEmail": True},
                        "disableResolveMessage": False,
                    }
                ],
            }
        ],
        "policies": [
            {
                "orgId": 1,
                "receiver": CONTACT_POINT,
                "group_by": ["grafana_folder", "alertname"],
                "routes": [
                    {
                        "receiver": CONTACT_POINT,
                        "object_matchers": [["team", "=", alert_rules.TEAM]],
                        "group_by": ["alertname", "site"],
                        "group_wait": "30s",
                        "group_interval": "5m",
                        "repeat_interval": "4h",
                    }
                ],
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
        outdir / NOTIFICATIONS_EXAMPLE: NOTIFICATIONS_HEADER + _yaml(notifications_example_document()),
        **{outdir / "dashboards" / FOLDER / f"{uid}.json": to_text(d) for uid, d in dashboards.items()},
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(files)


__all__ = [
    "CONTACT_POINT",
    "CREDENTIALS_TOGETHER",
    "FOLDER",
    "GRAFANA_PROVISIONING_DIR",
    "NOTIFICATIONS_EXAMPLE",
    "NOTIFICATIONS_HEADER",
    "InfluxTarget",
    "datasource_document",
    "notifications_example_document",
    "provider_document",
    "write_tree",
]
