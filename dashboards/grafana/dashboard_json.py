"""Dashboard JSON in and out: panel numbering, encoding, and decoding with the SDK.

The SDK models InfluxDB panel targets once `dashboards.grafana.influxql_query` registered them, but its
`AnnotationTarget` only knows the built-in Grafana annotation source (limit, matchAny, tags, type), so a
plain SDK decode drops an InfluxDB annotation's ``query``, ``textColumn`` and ``tagsColumn``. `decode`
puts those back as an `InfluxQLQuery`; `decode_with_sdk_only` shows the gap (tests pin exactly what it loses).
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard, RowPanel

from dashboards.grafana.influxql_query import INFLUXDB_PLUGIN, InfluxQLQuery


def number_panels(dashboard: Dashboard) -> Dashboard:
    """Give every panel (rows and the panels inside them) a unique id, in layout order."""
    next_id = 1
    for panel in dashboard.panels or []:
        panel.id_val = next_id
        next_id += 1
        if isinstance(panel, RowPanel):
            for inner in panel.panels or []:
                inner.id_val = next_id
                next_id += 1
    return dashboard


def encode(dashboard: Dashboard) -> dict[str, Any]:
    """Plain JSON data (dicts, lists, strings, numbers) as Grafana stores it."""
    return json.loads(json.dumps(dashboard, cls=JSONEncoder, ensure_ascii=False))


def to_text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def decode_with_sdk_only(data: dict[str, Any]) -> Dashboard:
    return Dashboard.from_json(data)


def decode(data: dict[str, Any]) -> Dashboard:
    """Decode with the SDK, then restore InfluxDB annotation targets the SDK cannot model."""
    dashboard = Dashboard.from_json(data)
    raw_annotations = (data.get("annotations") or {}).get("list") or []
    for model, raw in zip(dashboard.annotations.list_val or [], raw_annotations, strict=False):
        if (raw.get("datasource") or {}).get("type") == INFLUXDB_PLUGIN and "target" in raw:
            model.target = InfluxQLQuery.from_json(raw["target"])  # type: ignore[assignment]
    return dashboard


__all__ = [
    "decode",
    "decode_with_sdk_only",
    "encode",
    "number_panels",
    "to_text",
]
