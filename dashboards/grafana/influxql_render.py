"""Renders a target's InfluxQL the way Grafana's InfluxDB datasource does before it reaches InfluxDB.

Grafana does two things to a raw InfluxQL query:

* the frontend replaces template variables (``$site``, ``${site}``, ``[[site]]``). A variable that is
  multi-value or has "All" is regex-escaped and, with several values, joined as ``(a|b)`` — which is why
  the dashboards write ``"site" =~ /^$site$/``. A plain single-value variable is inserted as it is.
* the backend replaces the macros: ``$timeFilter`` → ``time >= <from>ms and time <= <to>ms``,
  ``$__interval`` / ``$interval`` → the rounded interval (``10s``), ``$__interval_ms`` → its milliseconds.

The interval follows Grafana's ``calculateInterval``: (to − from) / maxDataPoints, rounded to a "nice" step
by ``roundInterval``, never below the panel's (or datasource's) minimum interval.

An unknown variable is an error here (Grafana would leave ``$name`` in the query and InfluxDB would
answer with a parse error or, worse, match nothing), so a misspelt variable fails the tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bulkdaq.errors import BulkdaqError

# $name, ${name}, ${name:format}, [[name]], [[name:format]] — the syntaxes Grafana's templateSrv accepts.
VARIABLE_PATTERN = re.compile(r"\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]")
MACROS = frozenset({"timeFilter", "__timeFilter", "__interval", "interval", "__interval_ms"})


class UnknownVariable(BulkdaqError, ValueError):
    """A query names a template variable the dashboard does not define."""


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime

    @property
    def start_ms(self) -> int:
        return round(self.start.timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return round(self.end.timestamp() * 1000)


@dataclass(frozen=True)
class VariableValue:
    """The current value of a template variable: its values and whether Grafana regex-formats it."""

    values: tuple[str, ...]
    multi_or_all: bool = False
    # A custom "All" value (e.g. ``.*``) is inserted unescaped, as Grafana does.
    raw_all_value: str | None = None


def variable_names(text: str) -> set[str]:
    """Every variable a query text refers to, macros excluded."""
    names = set()
    for match in VARIABLE_PATTERN.finditer(text):
        name = match.group(1) or match.group(2) or match.group(4)
        if name not in MACROS:
            names.add(name)
    return names


def regex_escape(value: str) -> str:
    """Grafana's ``escapeRegex``: backslash before every regex metacharacter, ``/`` included."""
    return re.sub(r"[\\^$*+?.()|\[\]{}/]", lambda m: "\\" + m.group(0), value)


def format_variable(value: VariableValue) -> str:
    """The text Grafana's InfluxDB datasource puts in place of a variable (``interpolateQueryExpr``)."""
    if value.raw_all_value is not None:
        return value.raw_all_value
    if not value.multi_or_all:
        return value.values[0] if len(value.values) == 1 else ",".join(value.values)
    escaped = [regex_escape(v) for v in value.values]
    if len(escaped) == 1:
        return escaped[0]
    return "(" + "|".join(escaped) + ")"


_ROUND_STEPS_MS = (
    (10, 1), (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500), (1_500, 1_000),
    (3_500, 2_000), (7_500, 5_000), (12_500, 10_000), (17_500, 15_000), (25_000, 20_000), (45_000, 30_000),
    (90_000, 60_000), (210_000, 120_000), (450_000, 300_000), (750_000, 600_000), (1_050_000, 900_000),
    (1_500_000, 1_200_000), (2_700_000, 1_800_000), (5_400_000, 3_600_000), (9_000_000, 7_200_000),
    (16_200_000, 10_800_000), (32_400_000, 21_600_000), (86_400_000, 43_200_000), (604_800_000, 86_400_000),
    (1_814_400_000, 604_800_000), (3_628_800_000, 2_592_000_000),
)


def round_interval_ms(interval_ms: float) -> int:
    """Grafana's ``rangeutil.roundInterval``."""
    for limit, step in _ROUND_STEPS_MS:
        if interval_ms < limit:
            return step
    return 31_536_000_000


def parse_duration_ms(text: str) -> int:
    """A Grafana/InfluxQL duration such as ``500ms``, ``10s``, ``5m``, ``1h``, ``7d``, ``1w`` in milliseconds."""
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d|w|y)", text.strip())
    if not match:
        raise ValueError(f"duration {text!r} is not of the form <number><ms|s|m|h|d|w|y>")
    factor = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000, "y": 31_536_000_000}
    return int(match.group(1)) * factor[match.group(2)]


def format_interval(interval_ms: int) -> str:
    """Grafana's ``secondsToHms``: the largest whole unit (``1y``, ``7d``, ``2h``, ``5m``, ``10s``, ``200ms``)."""
    for unit, size in (("y", 31_536_000_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)):
        if interval_ms >= size:
            return f"{interval_ms // size}{unit}"
    return f"{interval_ms}ms"


def calculate_interval_ms(time_range: TimeRange, max_data_points: int, min_interval: str | None) -> int:
    """Grafana's ``calculateInterval``: rounded range / points, at least the minimum interval."""
    interval = round_interval_ms((time_range.end_ms - time_range.start_ms) / max(max_data_points, 1))
    if min_interval:
        interval = max(interval, parse_duration_ms(min_interval))
    return interval


def render(
    query: str,
    time_range: TimeRange,
    variables: Mapping[str, VariableValue],
    *,
    max_data_points: int = 1_000,
    min_interval: str | None = None,
) -> str:
    """The InfluxQL Grafana would send for `query` with these variable values and this time range."""
    interval_ms = calculate_interval_ms(time_range, max_data_points, min_interval)
    macros = {
        "timeFilter": f"time >= {time_range.start_ms}ms and time <= {time_range.end_ms}ms",
        "__interval": format_interval(interval_ms),
        "interval": format_interval(interval_ms),
        "__interval_ms": str(interval_ms),
    }
    macros["__timeFilter"] = macros["timeFilter"]

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        if name in macros:
            return macros[name]
        if name not in variables:
            raise UnknownVariable(f"query uses ${name}, which the dashboard does not define: {query}")
        return format_variable(variables[name])

    return VARIABLE_PATTERN.sub(substitute, query)


def resolve_variables(
    templating: Sequence[Mapping[str, object]],
    chosen: Mapping[str, Sequence[str]],
    time_range: TimeRange,
    run_query: Callable[[str], list[str]],
) -> dict[str, VariableValue]:
    """Current values of a dashboard's variables, in order, as Grafana resolves them.

    `templating` is the dashboard JSON's ``templating.list``. A query variable's own query is rendered with
    the variables before it and run with `run_query` to get its options. A variable not in `chosen`
    takes "All" if it has it, else its first option (custom variables: their ``current`` value).
    """
    resolved: dict[str, VariableValue] = {}
    for variable in templating:
        name = str(variable["name"])
        kind = variable.get("type")
        multi_or_all = bool(variable.get("multi")) or bool(variable.get("includeAll"))
        if kind == "query":
            options = run_query(render(str(variable["query"]), time_range, resolved))
        elif kind in {"custom", "interval"}:
            options = [o.strip() for o in str(variable.get("query", "")).split(",") if o.strip()]
        elif kind == "constant":
            options = [str(variable.get("query", ""))]
        else:
            raise ValueError(f"variable ${name}: type {kind!r} is not rendered by bulkdaq's emulation")
        if name in chosen:
            values = tuple(chosen[name])
        elif variable.get("includeAll"):
            values = tuple(options)
            if variable.get("allValue"):
                resolved[name] = VariableValue(values, True, raw_all_value=str(variable["allValue"]))
                continue
        else:
            current = variable.get("current") or {}
            value = current.get("value") if isinstance(current, Mapping) else None
            values = (str(value),) if isinstance(value, str) and value else tuple(options[:1])
        if not values:
            # Grafana with no options leaves the regex empty; matching nothing is the honest rendering.
            values = ("",)
        resolved[name] = VariableValue(values, multi_or_all)
    return resolved


__all__ = [
    "MACROS",
    "VARIABLE_PATTERN",
    "TimeRange",
    "UnknownVariable",
    "VariableValue",
    "calculate_interval_ms",
    "format_interval",
    "format_variable",
    "parse_duration_ms",
    "regex_escape",
    "render",
    "resolve_variables",
    "round_interval_ms",
    "variable_names",
]
