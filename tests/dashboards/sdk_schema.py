"""Dashboards checked against the typed models of grafana-foundation-sdk (Grafana 11.6's schema, generated from
Grafana's own CUE kinds), strictly: every key must be one the SDK models, every value of the type it declares.

The SDK's ``from_json`` keeps only the keys it knows and checks no types, so a plain decode proves little.
Here the panel plugins' option and field-config models are registered too (table, stat, state timeline, time
series … ``cog.plugins.register_default_plugins``), then

* a key of the JSON that the decoded-and-encoded copy no longer has is unknown to the schema (a misspelt
  option, a key of another Grafana version), and a value that comes back different was coerced;
* every attribute of every decoded model is checked against its type annotation (``str``, ``int``, enums,
  ``Literal`` choices, nested models, lists, maps).

Keys the SDK adds on encoding (its defaults) are not problems: Grafana fills the same defaults.
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any

from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.grafana.cog_json import plain
from dashboards.grafana.dashboard_json import decode, encode
from dashboards.grafana.influxql_query import InfluxQLQuery, register_with_sdk


def register_all_models() -> None:
    plugins.register_default_plugins()
    register_with_sdk()  # bulkdaq's InfluxQL target (the SDK has no InfluxDB query model)


def _lost(original: Any, again: Any, path: str) -> list[str]:
    if isinstance(original, dict):
        if not isinstance(again, dict):
            return [f"{path}: became {type(again).__name__}"]
        problems = []
        for key, value in original.items():
            if key not in again:
                problems.append(f"{path}.{key}: not in the schema (dropped by the SDK's model)")
            else:
                problems += _lost(value, again[key], f"{path}.{key}")
        return problems
    if isinstance(original, list):
        if not isinstance(again, list) or len(again) != len(original):
            return [f"{path}: list changed"]
        return [p for i, (a, b) in enumerate(zip(original, again, strict=True)) for p in _lost(a, b, f"{path}[{i}]")]
    if original != again or type(original) is not type(again) and not (isinstance(original, (int, float)) and isinstance(again, (int, float))):
        return [f"{path}: {original!r} came back as {again!r}"]
    return []


def _type_problems(value: Any, hint: Any, path: str) -> list[str]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any or hint is object:
        return []
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return []
        candidates = [a for a in args if a is not type(None)]
        matching = [a for a in candidates if isinstance(a, type) and not issubclass(a, enum.Enum) and isinstance(value, a)]
        results = [_type_problems(value, a, path) for a in (matching[:1] or candidates)]
        return [] if any(not r for r in results) else min(results, key=len)
    if origin is typing.Literal:
        return [] if value in args else [f"{path}: {value!r} is not one of {list(args)}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not a list"]
        return [p for i, item in enumerate(value) for p in _type_problems(item, args[0] if args else Any, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not a map"]
        return [p for k, item in value.items() for p in _type_problems(item, args[1] if len(args) > 1 else Any, f"{path}.{k}")]
    if hint is float:
        return [] if isinstance(value, (int, float)) and not isinstance(value, bool) else [f"{path}: {value!r} is not a number"]
    if hint is int:
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{path}: {value!r} is not an integer"]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        # The SDK's from_json keeps an enum's raw value: it must be one of the enum's values.
        if isinstance(value, hint) or value in {member.value for member in hint}:
            return []
        return [f"{path}: {value!r} is not one of {[m.value for m in hint]} ({hint.__name__})"]
    if isinstance(hint, type):
        if isinstance(value, InfluxQLQuery) and path.endswith(".target"):
            return model_problems(value, path)  # the InfluxDB annotation target the SDK cannot model (dashboard_json.decode)
        if isinstance(value, dict) and hasattr(hint, "from_json") and not isinstance(value, hint):
            # A place the SDK's decoder leaves as plain JSON (e.g. transformations): decode it with its model here.
            try:
                model = hint.from_json(value)
            except (ValueError, KeyError, TypeError) as error:
                return [f"{path}: not a {hint.__name__}: {error!r}"]
            return _lost(value, plain(model), path) + model_problems(model, path)
        if not isinstance(value, hint):
            return [f"{path}: {value!r} is not a {hint.__name__}"]
        if isinstance(value, (enum.Enum, str, bool, int, float)):
            return []
        return model_problems(value, path)
    return []


def model_problems(model: Any, path: str = "dashboard") -> list[str]:
    """Every attribute of an SDK model object against its annotation, recursively."""
    if isinstance(model, (dict, list)):
        return _type_problems(model, dict[str, Any] if isinstance(model, dict) else list[Any], path)
    try:
        hints = typing.get_type_hints(type(model))
    except (NameError, TypeError):
        return []
    problems = []
    for name, hint in hints.items():
        if name.startswith("_") or not hasattr(model, name):
            continue
        problems += _type_problems(getattr(model, name), hint, f"{path}.{name}")
    return problems


def dashboard_problems(data: dict[str, Any]) -> list[str]:
    """What in a dashboard's JSON Grafana 11.6's schema (as the SDK types it) does not have or does not allow."""
    register_all_models()
    try:
        decoded: Dashboard = decode(data)
    except (ValueError, KeyError, TypeError) as error:  # an enum value the schema does not have, a wrong shape
        return [f"dashboard: the SDK cannot decode it: {error!r}"]
    return _lost(data, encode(decoded), "dashboard") + model_problems(decoded)


__all__ = [
    "dashboard_problems",
    "model_problems",
    "register_all_models",
]
