"""Structural checks of dashboard JSON: what would make a panel empty, misleading or broken in Grafana.

Each check returns a list of problems (empty when fine), so that tests and `bulkdaq dashboards build`
can both refuse a broken dashboard with a message that names the panel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboards.grafana.influxql_query import DATASOURCE_UID, INFLUXDB_PLUGIN
from dashboards.grafana.influxql_render import variable_names
from dashboards.grafana.panel_runner import panels

# Variables Grafana defines itself (besides the macros the renderer handles).
GRAFANA_BUILTIN_VARIABLES = frozenset({"__from", "__to", "__range", "__range_s", "__range_ms", "__rate_interval", "__dashboard", "__org", "__user"})
PANELS_WITHOUT_QUERIES = frozenset({"row", "text"})


def _where(panel: Mapping[str, Any]) -> str:
    return f"panel {panel.get('id')} {panel.get('title')!r}"


def duplicate_ids(dashboard: Mapping[str, Any]) -> list[str]:
    problems = []
    seen: set[Any] = set()
    for panel in panels(dashboard):
        if panel.get("id") is None:
            problems.append(f"{_where(panel)} has no id")
        elif panel["id"] in seen:
            problems.append(f"{_where(panel)}: id {panel['id']} is used twice")
        seen.add(panel.get("id"))
        ref_ids = [t.get("refId") for t in panel.get("targets") or []]
        for ref_id in {r for r in ref_ids if ref_ids.count(r) > 1}:
            problems.append(f"{_where(panel)}: refId {ref_id!r} is used twice")
        if any(not r for r in ref_ids):
            problems.append(f"{_where(panel)}: a target has no refId")
    return problems


def datasource_problems(dashboard: Mapping[str, Any]) -> list[str]:
    """Every datasource reference (panel, target, variable, annotation) must be the provisioned InfluxDB."""
    problems = []

    def check(ref: Any, where: str) -> None:
        if not isinstance(ref, Mapping) or ref.get("uid") != DATASOURCE_UID or ref.get("type") != INFLUXDB_PLUGIN:
            problems.append(f"{where}: datasource {ref!r} is not the provisioned {INFLUXDB_PLUGIN} datasource {DATASOURCE_UID!r}")

    for panel in panels(dashboard):
        if panel.get("type") in PANELS_WITHOUT_QUERIES:
            continue
        check(panel.get("datasource"), _where(panel))
        for target in panel.get("targets") or []:
            check(target.get("datasource"), f"{_where(panel)} target {target.get('refId')}")
    for variable in dashboard.get("templating", {}).get("list") or []:
        if variable.get("type") == "query":
            check(variable.get("datasource"), f"variable ${variable.get('name')}")
    for annotation in (dashboard.get("annotations") or {}).get("list") or []:
        check(annotation.get("datasource"), f"annotation {annotation.get('name')!r}")
    return problems


def undefined_variables(dashboard: Mapping[str, Any]) -> list[str]:
    defined = {v["name"] for v in dashboard.get("templating", {}).get("list") or []} | GRAFANA_BUILTIN_VARIABLES
    texts: list[tuple[str, str]] = []
    for panel in panels(dashboard):
        texts.append((_where(panel), str(panel.get("title", ""))))
        texts.append((_where(panel), str(panel.get("description", ""))))
        texts += [(f"{_where(panel)} target {t.get('refId')}", str(t.get("query", ""))) for t in panel.get("targets") or []]
    for variable in dashboard.get("templating", {}).get("list") or []:
        texts.append((f"variable ${variable.get('name')}", str(variable.get("query", ""))))
    for annotation in (dashboard.get("annotations") or {}).get("list") or []:
        texts.append((f"annotation {annotation.get('name')!r}", str((annotation.get("target") or {}).get("query", ""))))
    return [f"{where}: ${name} is not a dashboard variable" for where, text in texts for name in sorted(variable_names(text) - defined)]


def panels_without_queries(dashboard: Mapping[str, Any]) -> list[str]:
    return [
        f"{_where(panel)} has no query"
        for panel in panels(dashboard)
        if panel.get("type") not in PANELS_WITHOUT_QUERIES and not any(str(t.get("query", "")).strip() for t in panel.get("targets") or [])
    ]


def panels_without_units(dashboard: Mapping[str, Any]) -> list[str]:
    """Every query panel states a unit (``none`` is a choice too): Grafana otherwise guesses."""
    return [
        f"{_where(panel)} has no unit in fieldConfig.defaults"
        for panel in panels(dashboard)
        if panel.get("type") not in PANELS_WITHOUT_QUERIES and not ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
    ]


def all_problems(dashboard: Mapping[str, Any]) -> list[str]:
    return [
        *duplicate_ids(dashboard),
        *datasource_problems(dashboard),
        *undefined_variables(dashboard),
        *panels_without_queries(dashboard),
        *panels_without_units(dashboard),
    ]


__all__ = [
    "GRAFANA_BUILTIN_VARIABLES",
    "PANELS_WITHOUT_QUERIES",
    "all_problems",
    "datasource_problems",
    "duplicate_ids",
    "panels_without_queries",
    "panels_without_units",
    "undefined_variables",
]
