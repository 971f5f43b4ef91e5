"""Data health (operators, integrators): is every collector and source alive, and is data reaching InfluxDB?

Per collector and source: connected, last seen, poll time, errors, spool depth and spool age (lag).
A source with no health point in the last ``$stale_after`` shows STALE in every value column — never
the last value it reported — and is still listed, with how long ago it was last seen.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import table, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel
from grafana_foundation_sdk.models.dashboard import DynamicConfigValue, ValueMap, ValueMappingResult

from bulkdaq.store import contract
from dashboards.grafana.contract_names import field
from dashboards.grafana.dashboard_json import number_panels
from dashboards.grafana.freshness import join_seen_and_live, last_seen_properties, live_query, seen_query, stale_after_variable, stale_override_properties
from dashboards.grafana.influxql_query import InfluxQL, datasource_ref
from dashboards.grafana.template_variables import site_variable, tag_values_variable

UID = "bulkdaq-data-health"
TITLE = "Data health / 数据健康"

HEALTH = contract.COLLECTOR_HEALTH
SOURCE_TAG = HEALTH.asset_tag
COLLECTOR_TAG = contract.COLLECTOR_TAG
CONNECTED = field(HEALTH, "connected")
POLL_MS = field(HEALTH, "poll_ms")
ERRORS = field(HEALTH, "errors")
SPOOL_DEPTH = field(HEALTH, "spool_depth")
LAG_S = field(HEALTH, "lag_s")
FORWARDED = field(HEALTH, "forwarded_per_s")
QUARANTINED = field(HEALTH, "quarantined")
LIVE_FIELDS = [CONNECTED, POLL_MS, ERRORS, SPOOL_DEPTH, LAG_S]
UNITS = {CONNECTED: "none", POLL_MS: "ms", ERRORS: "none", SPOOL_DEPTH: "none", LAG_S: "s"}
WHERE = f'"{contract.SITE_TAG}" =~ /^$site$/ AND "{COLLECTOR_TAG}" =~ /^$collector$/'
# The devices' own reports; the forwarder's (spool → InfluxDB) has a panel of its own.
DEVICES = f"{WHERE} AND \"{SOURCE_TAG}\" != '{contract.FORWARDER_SOURCE}'"


def connected_mapping() -> ValueMap:
    return ValueMap({
        "1": ValueMappingResult(text="connected / 已连接", color="green", index=1),
        "0": ValueMappingResult(text="DISCONNECTED / 断开", color="red", index=2),
    })


def _health_series(ref_id: str, name: str, group_tag: str, aggregate: str = "max") -> InfluxQL:
    return InfluxQL(
        ref_id,
        f'SELECT {aggregate}("{name}") AS "{name}" FROM "{HEALTH.name}" WHERE {WHERE} AND $timeFilter '
        f'GROUP BY time($__interval), "{group_tag}" fill(null)',
    ).alias(f"$tag_{group_tag} $col")


def _timeseries(title: str, unit: str) -> timeseries.Panel:
    return timeseries.Panel().title(title).datasource(datasource_ref()).unit(unit).interval("1s").max_data_points(500).span_nulls(False)


def sources_table() -> table.Panel:
    panel = (
        table.Panel()
        .title("Sources now / 数据源状态")
        .description("Newest health of each device a collector polls. STALE: no health point in the last $stale_after.")
        .datasource(datasource_ref())
        .with_target(seen_query("seen", HEALTH.name, POLL_MS, [COLLECTOR_TAG, SOURCE_TAG], DEVICES))
        .with_target(live_query("live", HEALTH.name, LIVE_FIELDS, SOURCE_TAG, DEVICES))
        .unit("none")
        .override_by_name("Time 1", last_seen_properties())
    )
    for name in LIVE_FIELDS:
        extra = [connected_mapping()] if name == CONNECTED else []
        panel = panel.override_by_name(name, stale_override_properties(extra, UNITS[name]))
    for transformation in join_seen_and_live(SOURCE_TAG, [COLLECTOR_TAG, SOURCE_TAG, *LIVE_FIELDS, "Time 1"]):
        panel = panel.with_transformation(transformation)
    return panel


def not_good_readings() -> timeseries.Panel:
    """Readings whose quality is not good, per device measurement: a bad device shows before it goes silent."""
    panel = _timeseries("Readings not good / 非良好读数", "none")
    for ref_id, measurement in zip("ABC", (contract.METER, contract.TANK, contract.SCALE), strict=False):
        panel = panel.with_target(
            InfluxQL(
                ref_id,
                f'SELECT count("{contract.QUALITY_FIELD}") AS "not_good" FROM "{measurement.name}" '
                f"WHERE \"{contract.SITE_TAG}\" =~ /^$site$/ AND \"{contract.QUALITY_FIELD}\" != '{contract.Quality.GOOD.value}' AND $timeFilter "
                f'GROUP BY time($__interval), "{measurement.asset_tag}" fill(0)',
            ).alias(f"$tag_{measurement.asset_tag}")
        )
    return panel


def build() -> DashboardModel:
    spool = (
        _timeseries("Spool depth and age / 缓存积压", "none")
        .with_target(_health_series("A", SPOOL_DEPTH, COLLECTOR_TAG))
        .with_target(_health_series("B", LAG_S, COLLECTOR_TAG))
        .override_by_query("B", [DynamicConfigValue(id_val="unit", value="s"), DynamicConfigValue(id_val="custom.axisPlacement", value="right")])
        .height(8).span(12)
    )
    errors = (
        _timeseries("Failed polls per interval / 轮询失败", "none")
        .with_target(
            InfluxQL(
                "A",
                f'SELECT non_negative_difference(max("{ERRORS}")) AS "{ERRORS}" FROM "{HEALTH.name}" WHERE {WHERE} AND $timeFilter '
                f'GROUP BY time($__interval), "{SOURCE_TAG}" fill(null)',
            ).alias(f"$tag_{SOURCE_TAG}")
        )
        .height(8).span(12)
    )
    forwarder = (
        _timeseries("Forwarder: drained and quarantined / 转发与隔离", "none")
        .description("Readings moved from the spool to InfluxDB per second, and readings InfluxDB rejected (kept in quarantine) since start.")
        .with_target(_health_series("A", FORWARDED, COLLECTOR_TAG))
        .with_target(_health_series("B", QUARANTINED, COLLECTOR_TAG))
        .override_by_query("A", [DynamicConfigValue(id_val="unit", value="reqps")])
        .height(8).span(12)
    )
    return number_panels(
        Dashboard(TITLE)
        .uid(UID)
        .tags(["bulkdaq", "operations", "health"])
        .description("Collectors, sources and the path to InfluxDB. Old values show as STALE.")
        .time("now-1h", "now")
        .refresh("10s")
        .timezone("browser")
        .readonly()
        .with_variable(site_variable(HEALTH))
        .with_variable(tag_values_variable("collector", "collector / 采集器", HEALTH, COLLECTOR_TAG))
        .with_variable(stale_after_variable())
        .with_panel(sources_table().height(7).span(24))
        .with_panel(_timeseries("Poll time / 轮询耗时", UNITS[POLL_MS]).with_target(_health_series("A", POLL_MS, SOURCE_TAG)).height(8).span(12))
        .with_panel(errors)
        .with_panel(spool)
        .with_panel(not_good_readings().height(8).span(12))
        .with_panel(forwarder)
        .build()
    )


__all__ = [
    "COLLECTOR_TAG",
    "CONNECTED",
    "DEVICES",
    "ERRORS",
    "FORWARDED",
    "HEALTH",
    "LAG_S",
    "LIVE_FIELDS",
    "POLL_MS",
    "QUARANTINED",
    "SOURCE_TAG",
    "SPOOL_DEPTH",
    "TITLE",
    "UID",
    "UNITS",
    "WHERE",
    "build",
    "connected_mapping",
    "not_good_readings",
    "sources_table",
]
