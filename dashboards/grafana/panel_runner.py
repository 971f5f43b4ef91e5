"""Runs a dashboard's panels against InfluxDB the way Grafana would: variables, render, query, frames."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from bulkdaq.store.influx_reader import InfluxReader, Series
from dashboards.grafana.influxql_render import TimeRange, VariableValue, parse_duration_ms, render, resolve_variables
from dashboards.grafana.panel_data import Frame, apply_transformations, frames_from_series

DATASOURCE_MIN_INTERVAL = "1s"  # the provisioned datasource's timeInterval


@dataclass
class PanelRun:
    panel: Mapping[str, Any]
    rendered: dict[str, str]  # refId -> InfluxQL sent
    series: dict[str, list[Series]]  # refId -> result
    frames: list[Frame]  # after the panel's transformations


def dashboard_time_range(dashboard: Mapping[str, Any], now: datetime) -> TimeRange:
    """The dashboard's default range (``now-7d`` … ``now``) at `now`."""
    start = str(dashboard["time"]["from"])
    if not start.startswith("now-") or dashboard["time"]["to"] != "now":
        raise ValueError(f"dashboard time {dashboard['time']} is not of the form now-<duration> … now")
    return TimeRange(now - timedelta(milliseconds=parse_duration_ms(start[4:])), now)


def tag_values(reader: InfluxReader) -> Any:
    def run(query: str) -> list[str]:
        return [row[1] for s in reader.query(query) for row in s.values]

    return run


def variables_for(dashboard: Mapping[str, Any], reader: InfluxReader, time_range: TimeRange, chosen: Mapping[str, Sequence[str]] | None = None) -> dict[str, VariableValue]:
    return resolve_variables(dashboard["templating"]["list"], chosen or {}, time_range, tag_values(reader))


def panels(dashboard: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for panel in dashboard.get("panels") or []:
        yield panel
        yield from panel.get("panels") or []


def render_target(panel: Mapping[str, Any], target: Mapping[str, Any], time_range: TimeRange, variables: Mapping[str, VariableValue]) -> str:
    return render(
        str(target["query"]),
        time_range,
        variables,
        max_data_points=int(panel.get("maxDataPoints") or 1_000),
        min_interval=str(panel.get("interval") or DATASOURCE_MIN_INTERVAL),
    )


def run_panel(panel: Mapping[str, Any], reader: InfluxReader, time_range: TimeRange, variables: Mapping[str, VariableValue]) -> PanelRun:
    rendered: dict[str, str] = {}
    results: dict[str, list[Series]] = {}
    frames: list[Frame] = []
    for target in panel.get("targets") or []:
        ref_id = str(target["refId"])
        rendered[ref_id] = render_target(panel, target, time_range, variables)
        results[ref_id] = reader.query(rendered[ref_id])
        frames += frames_from_series(target, results[ref_id])
    return PanelRun(panel, rendered, results, apply_transformations(frames, panel.get("transformations") or []))


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


__all__ = [
    "DATASOURCE_MIN_INTERVAL",
    "PanelRun",
    "dashboard_time_range",
    "panels",
    "render_target",
    "run_panel",
    "tag_values",
    "utc_now",
    "variables_for",
]
