"""An InfluxQL panel target, as Grafana's InfluxDB datasource stores it (raw query mode).

grafana-foundation-sdk ships query types for Prometheus, Loki and others but none for InfluxDB, so this
module adds one: a `Dataquery` variant with the JSON keys Grafana writes for a raw InfluxQL query, and a
builder for it. It is registered with the SDK's runtime under the datasource type ``influxdb`` so that
decoding a dashboard with the SDK gives back these objects instead of an opaque bag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Self

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import runtime as cogruntime
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.dashboard import DataSourceRef

INFLUXDB_PLUGIN = "influxdb"
# The one datasource every bulkdaq dashboard and alert rule points at; provisioning creates it with this UID.
DATASOURCE_UID = "bulkdaq-influxdb"
DATASOURCE_NAME = "bulkdaq InfluxDB"

ResultFormat = Literal["time_series", "table", "logs"]


def datasource_ref() -> DataSourceRef:
    return DataSourceRef(type_val=INFLUXDB_PLUGIN, uid=DATASOURCE_UID)


@dataclass
class InfluxQLQuery(cogvariants.Dataquery):
    """A raw InfluxQL target: the statement with Grafana's macros and template variables still in it."""

    ref_id: str = ""
    query: str = ""
    result_format: ResultFormat = "time_series"
    alias: str | None = None
    hide: bool | None = None
    datasource: DataSourceRef | None = None
    # Keys Grafana adds that bulkdaq does not model; kept so that decoding and encoding lose nothing.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        payload: dict[str, object] = dict(self.extra)
        payload.update({"refId": self.ref_id, "query": self.query, "rawQuery": True, "resultFormat": self.result_format})
        if self.alias is not None:
            payload["alias"] = self.alias
        if self.hide is not None:
            payload["hide"] = self.hide
        if self.datasource is not None:
            payload["datasource"] = self.datasource
        return payload

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        known = {"refId", "query", "rawQuery", "resultFormat", "alias", "hide", "datasource"}
        return cls(
            ref_id=data.get("refId", ""),
            query=data.get("query", ""),
            result_format=data.get("resultFormat", "time_series"),
            alias=data.get("alias"),
            hide=data.get("hide"),
            datasource=DataSourceRef.from_json(data["datasource"]) if "datasource" in data else None,
            extra={k: v for k, v in data.items() if k not in known},
        )


class InfluxQL(cogbuilder.Builder[InfluxQLQuery]):
    """Builder in the SDK's style: ``InfluxQL("A", "SELECT …").table()``."""

    def __init__(self, ref_id: str, query: str) -> None:
        self._internal = InfluxQLQuery(ref_id=ref_id, query=" ".join(query.split()), datasource=datasource_ref())

    def build(self) -> InfluxQLQuery:
        return self._internal

    def table(self) -> Self:
        self._internal.result_format = "table"
        return self

    def alias(self, alias: str) -> Self:
        self._internal.alias = alias
        return self


def register_with_sdk() -> None:
    """Make the SDK decode targets of InfluxDB panels into `InfluxQLQuery` (idempotent)."""
    cogruntime.register_dataquery_variant(cogruntime.DataqueryConfig(identifier=INFLUXDB_PLUGIN, from_json_hook=InfluxQLQuery.from_json))


register_with_sdk()


__all__ = [
    "DATASOURCE_NAME",
    "DATASOURCE_UID",
    "INFLUXDB_PLUGIN",
    "InfluxQL",
    "InfluxQLQuery",
    "ResultFormat",
    "datasource_ref",
    "register_with_sdk",
]
