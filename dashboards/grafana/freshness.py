"""How a dashboard shows that a value is too old: STALE, never the last value it happened to read.

The pattern, used by every "now" table:

* query ``seen`` lists the assets known in the dashboard's time range and the time of their newest point;
* query ``live`` reads the values only from the last ``$stale_after`` (a short window, 30 s by default);
* an outer join on the asset tag puts them side by side. An asset that went quiet is still listed (from
  ``seen``) but its value cells are empty, and the explicit null mapping paints them ``STALE``.

Time-series panels use ``fill(null)`` so that a gap shows as a gap, not as a line drawn to the last value.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders.dashboard import CustomVariable
from grafana_foundation_sdk.models.dashboard import (
    DashboardSpecialValueMapOptions,
    DataTransformerConfig,
    DynamicConfigValue,
    SpecialValueMap,
    SpecialValueMatch,
    ValueMappingResult,
    VariableOption,
)

from bulkdaq.store.influx_reader import quote_identifier
from dashboards.grafana.influxql_query import InfluxQL

STALE_TEXT = "STALE / 数据过期"
STALE_COLOR = "dark-red"
STALE_AFTER_VARIABLE = "stale_after"
STALE_AFTER_CHOICES = ("30s", "1m", "2m", "5m", "15m")
SEEN_COLUMN = "seen"
LAST_SEEN_LABEL = "last seen / 最后更新"


def stale_mapping() -> SpecialValueMap:
    """Null (no reading in the live window) and NaN show as STALE in red."""
    return SpecialValueMap(
        DashboardSpecialValueMapOptions(
            match=SpecialValueMatch.NULL_AND_NAN, result=ValueMappingResult(text=STALE_TEXT, color=STALE_COLOR, index=0)
        )
    )


def stale_after_variable() -> CustomVariable:
    """How old a value may be before it is STALE; a few choices, 30 s by default."""
    return (
        CustomVariable(STALE_AFTER_VARIABLE)
        .label("stale after / 过期阈值")
        .values(",".join(STALE_AFTER_CHOICES))
        .current(VariableOption(selected=True, text=STALE_AFTER_CHOICES[0], value=STALE_AFTER_CHOICES[0]))
    )


def seen_query(ref_id: str, measurement: str, field: str, group_by: Sequence[str], where: str) -> InfluxQL:
    """Newest point per asset in the dashboard range: a single selector returns that point's time."""
    groups = ", ".join(quote_identifier(tag) for tag in group_by)
    return InfluxQL(
        ref_id,
        f"SELECT last({quote_identifier(field)}) AS {quote_identifier(SEEN_COLUMN)} FROM {quote_identifier(measurement)} "
        f"WHERE {where} AND $timeFilter GROUP BY {groups}",
    ).table()


def live_query(ref_id: str, measurement: str, fields: Sequence[str], asset_tag: str, where: str) -> InfluxQL:
    """The newest value of each field, looked for only in the last ``$stale_after``."""
    selectors = ", ".join(f"last({quote_identifier(f)}) AS {quote_identifier(f)}" for f in fields)
    return InfluxQL(
        ref_id,
        f"SELECT {selectors} FROM {quote_identifier(measurement)} "
        f"WHERE {where} AND time > now() - ${STALE_AFTER_VARIABLE} GROUP BY {quote_identifier(asset_tag)}",
    ).table()


def join_seen_and_live(asset_tag: str, order: Sequence[str]) -> list[DataTransformerConfig]:
    """Outer join on the asset, keep the ``seen`` time as "last seen", drop the live window's start time.

    After the join both frames' ``Time`` columns are in one table; Grafana names duplicates ``Time 1``
    (from ``seen``, the first query) and ``Time 2`` (from ``live``).
    """
    return [
        DataTransformerConfig(id_val="joinByField", options={"byField": asset_tag, "mode": "outer"}),
        DataTransformerConfig(
            id_val="organize",
            options={
                "excludeByName": {"Time 2": True, SEEN_COLUMN: True},
                "indexByName": {name: index for index, name in enumerate(order)},
            },
        ),
    ]


def last_seen_properties() -> list[DynamicConfigValue]:
    """The ``seen`` time column: labelled, shown as "3 minutes ago"."""
    return [DynamicConfigValue(id_val="displayName", value=LAST_SEEN_LABEL), DynamicConfigValue(id_val="unit", value="dateTimeFromNow")]


def stale_override_properties(extra_mappings: Sequence[object] = (), unit: str | None = None) -> list[DynamicConfigValue]:
    """Field-override properties for a live value column: explicit STALE mapping first, coloured cell."""
    properties = [
        DynamicConfigValue(id_val="mappings", value=[stale_mapping(), *extra_mappings]),
        DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"}),
    ]
    if unit:
        properties.append(DynamicConfigValue(id_val="unit", value=unit))
    return properties


__all__ = [
    "LAST_SEEN_LABEL",
    "SEEN_COLUMN",
    "STALE_AFTER_CHOICES",
    "STALE_AFTER_VARIABLE",
    "STALE_COLOR",
    "STALE_TEXT",
    "join_seen_and_live",
    "last_seen_properties",
    "live_query",
    "seen_query",
    "stale_after_variable",
    "stale_mapping",
    "stale_override_properties",
]
