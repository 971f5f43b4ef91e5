"""What a panel would display: InfluxDB results turned into Grafana data frames, transformed, value-mapped.

Grafana cannot be installed here, so this reproduces the parts of Grafana the bulkdaq dashboards rely
on, for the tests and the README pictures:

* InfluxQL results → frames as Grafana's InfluxDB datasource builds them: ``table`` format gives one frame
  with ``Time``, the GROUP BY tags and the value columns; ``time_series`` gives one frame per series and
  column, named by the target's alias (``$tag_x``, ``$col``, ``$m``);
* the transformations used here: ``joinByField`` (outer), ``filterByValue`` (regex), ``organize``;
  duplicate field names after a join are numbered ``Time 1``, ``Time 2`` as Grafana's
  ``getUniqueFieldName`` does;
* field overrides matched by name or by query, and value mappings (value, special null/NaN) applied in
  order, first match wins.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bulkdaq.store.influx_reader import Series


@dataclass
class FrameField:
    name: str
    values: list[Any]
    ref_id: str = ""
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Frame:
    ref_id: str
    name: str
    fields: list[FrameField]

    def field(self, name: str) -> FrameField:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"frame {self.name!r} has no field {name!r}; it has {[f.name for f in self.fields]}")

    @property
    def row_count(self) -> int:
        return len(self.fields[0].values) if self.fields else 0

    def rows(self) -> list[dict[str, Any]]:
        return [{f.name: f.values[i] for f in self.fields} for i in range(self.row_count)]


def frames_from_series(target: Mapping[str, Any], series: Sequence[Series]) -> list[Frame]:
    """The frames Grafana's InfluxDB datasource makes from one target's result."""
    ref_id = str(target.get("refId", ""))
    if target.get("resultFormat") == "table":
        if not series:
            return []
        tag_keys = sorted({key for s in series for key in s.tags})
        value_columns: list[str] = []
        for s in series:
            for column in s.columns[1:]:
                if column not in value_columns:
                    value_columns.append(column)
        columns: dict[str, list[Any]] = {"Time": [], **{k: [] for k in tag_keys}, **{c: [] for c in value_columns}}
        for s in series:
            for row in s.rows():
                columns["Time"].append(row.get("time"))
                for key in tag_keys:
                    columns[key].append(s.tags.get(key))
                for column in value_columns:
                    columns[column].append(row.get(column))
        return [Frame(ref_id, ref_id, [FrameField(n, v, ref_id) for n, v in columns.items()])]
    frames = []
    for s in series:
        for column in s.columns[1:]:
            name = _series_name(str(target.get("alias") or ""), s, column)
            times = [row[0] for row in s.values]
            values = [row[s.columns.index(column)] for row in s.values]
            frames.append(Frame(ref_id, name, [FrameField("Time", times, ref_id), FrameField(name, values, ref_id, dict(s.tags))]))
    return frames


def _series_name(alias: str, series: Series, column: str) -> str:
    if not alias:
        tags = ", ".join(f"{k}: {v}" for k, v in sorted(series.tags.items()))
        return f"{series.name}.{column}" + (f" {{{tags}}}" if tags else "")

    def substitute(match: re.Match[str]) -> str:
        token = match.group(1) or match.group(2)
        if token in {"m", "measurement"}:
            return series.name
        if token == "col":
            return column
        if token.startswith("tag_"):
            return series.tags.get(token[4:], "")
        return match.group(0)

    return re.sub(r"\$(\w+)|\[\[(\w+)\]\]", substitute, alias)


def unique_names(fields: Sequence[FrameField]) -> list[str]:
    """Grafana's ``getUniqueFieldName``: duplicated names become ``Name 1``, ``Name 2``, …"""
    counts: dict[str, int] = {}
    for f in fields:
        counts[f.name] = counts.get(f.name, 0) + 1
    seen: dict[str, int] = {}
    names = []
    for f in fields:
        if counts[f.name] > 1:
            seen[f.name] = seen.get(f.name, 0) + 1
            names.append(f"{f.name} {seen[f.name]}")
        else:
            names.append(f.name)
    return names


def join_by_field(frames: Sequence[Frame], by_field: str) -> list[Frame]:
    """Outer join of every frame that has `by_field`, in frame order; rows keyed by that field's value."""
    joinable = [f for f in frames if any(x.name == by_field for x in f.fields)]
    if not joinable:
        return list(frames)
    keys: list[Any] = []
    for frame in joinable:
        for value in frame.field(by_field).values:
            if value not in keys:
                keys.append(value)
    joined = [FrameField(by_field, list(keys), joinable[0].ref_id)]
    for frame in joinable:
        index = {value: i for i, value in enumerate(frame.field(by_field).values)}
        for f in frame.fields:
            if f.name == by_field:
                continue
            values = [f.values[index[k]] if k in index else None for k in keys]
            joined.append(FrameField(f.name, values, f.ref_id, f.labels))
    for f, name in zip(joined, unique_names(joined), strict=False):
        f.name = name
    return [Frame("joined", "joined", joined)]


def filter_by_value(frames: Sequence[Frame], options: Mapping[str, Any]) -> list[Frame]:
    """``filterByValue`` with regex conditions: keep (include) or drop (exclude) the matching rows."""
    include = options.get("type", "include") == "include"
    match_all = options.get("match", "any") == "all"
    result = []
    for frame in frames:
        keep = []
        for i in range(frame.row_count):
            hits = []
            for condition in options.get("filters", []):
                config = condition["config"]
                if config["id"] != "regex":
                    raise ValueError(f"filterByValue matcher {config['id']!r} is not emulated")
                values = {f.name: f.values[i] for f in frame.fields}
                value = values.get(condition["fieldName"])
                hits.append(value is not None and re.search(config["options"]["value"], str(value)) is not None)
            matched = all(hits) if match_all else any(hits)
            if matched == include:
                keep.append(i)
        result.append(Frame(frame.ref_id, frame.name, [FrameField(f.name, [f.values[i] for i in keep], f.ref_id, f.labels) for f in frame.fields]))
    return result


def organize(frames: Sequence[Frame], options: Mapping[str, Any]) -> list[Frame]:
    excluded = {name for name, hidden in (options.get("excludeByName") or {}).items() if hidden}
    order = options.get("indexByName") or {}
    renames = options.get("renameByName") or {}
    result = []
    for frame in frames:
        kept = [f for f in frame.fields if f.name not in excluded]
        kept.sort(key=lambda f: order.get(f.name, len(order)))
        result.append(Frame(frame.ref_id, frame.name, [FrameField(renames.get(f.name, f.name), f.values, f.ref_id, f.labels) for f in kept]))
    return result


def apply_transformations(frames: Sequence[Frame], transformations: Sequence[Mapping[str, Any]]) -> list[Frame]:
    result = list(frames)
    for transformation in transformations:
        kind, options = transformation["id"], transformation.get("options") or {}
        if kind == "joinByField":
            if options.get("mode", "outer") != "outer":
                raise ValueError("only the outer joinByField is emulated")
            result = join_by_field(result, options["byField"])
        elif kind == "filterByValue":
            result = filter_by_value(result, options)
        elif kind == "organize":
            result = organize(result, options)
        else:
            raise ValueError(f"transformation {kind!r} is not emulated; add it to dashboards.grafana.panel_data")
    return result


@dataclass(frozen=True)
class DisplayValue:
    text: str
    color: str | None


def field_config_for(panel: Mapping[str, Any], field_: FrameField) -> dict[str, Any]:
    """The panel's defaults with every matching override applied (by name, by query refId)."""
    config = dict((panel.get("fieldConfig") or {}).get("defaults") or {})
    for override in (panel.get("fieldConfig") or {}).get("overrides") or []:
        matcher = override["matcher"]
        if (matcher["id"] == "byName" and matcher["options"] == field_.name) or (
            matcher["id"] == "byFrameRefID" and matcher["options"] == field_.ref_id
        ):
            for prop in override.get("properties") or []:
                config[prop["id"]] = prop["value"]
    return config


def display(value: Any, config: Mapping[str, Any]) -> DisplayValue:
    """The text and colour Grafana shows for `value` under `config`'s mappings (first match wins)."""
    for mapping in config.get("mappings") or []:
        result = _mapping_result(mapping, value)
        if result is not None:
            return DisplayValue(result.get("text", _plain(value)), result.get("color"))
    if value is None and config.get("noValue") is not None:
        return DisplayValue(str(config["noValue"]), None)
    return DisplayValue(_plain(value, config.get("decimals")), None)


def _mapping_result(mapping: Mapping[str, Any], value: Any) -> Mapping[str, Any] | None:
    options = mapping.get("options") or {}
    if mapping["type"] == "value":
        if value is None:
            return None
        key = _plain(value)
        return options.get(key)
    if mapping["type"] == "special":
        match = options.get("match")
        is_nan = isinstance(value, float) and math.isnan(value)
        if (match == "null" and value is None) or (match == "nan" and is_nan) or (match == "null+nan" and (value is None or is_nan)):
            return options.get("result") or {}
        if match == "empty" and value == "":
            return options.get("result") or {}
        if match in {"true", "false"} and value is (match == "true"):
            return options.get("result") or {}
        return None
    if mapping["type"] == "range":
        if isinstance(value, (int, float)) and options.get("from", -math.inf) <= value <= options.get("to", math.inf):
            return options.get("result") or {}
        return None
    if mapping["type"] == "regex":
        if value is not None and re.search(options.get("pattern", ""), str(value)):
            return options.get("result") or {}
        return None
    raise ValueError(f"value mapping type {mapping['type']!r} is not emulated")


def _plain(value: Any, decimals: Any = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and decimals is None:
        return str(int(value))
    if isinstance(value, float) and decimals is not None:
        return f"{value:.{int(decimals)}f}"
    return str(value)


def displayed_table(panel: Mapping[str, Any], frames: Sequence[Frame]) -> list[dict[str, DisplayValue]]:
    """Rows of a table panel as shown: keyed by the field's (pre-displayName) name."""
    rows: list[dict[str, DisplayValue]] = []
    for frame in frames:
        configs = {f.name: field_config_for(panel, f) for f in frame.fields}
        for i in range(frame.row_count):
            rows.append({f.name: display(f.values[i], configs[f.name]) for f in frame.fields})
    return rows


__all__ = [
    "DisplayValue",
    "Frame",
    "FrameField",
    "apply_transformations",
    "display",
    "displayed_table",
    "field_config_for",
    "filter_by_value",
    "frames_from_series",
    "join_by_field",
    "organize",
    "unique_names",
]
