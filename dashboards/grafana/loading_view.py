"""Loading view (terminal operators): flow, totals, line conditions, tanks, drafts and events, live.

Time-series panels use ``fill(null)`` so a silent meter leaves a gap; the "now" tables read values only
from the last ``$stale_after`` and show STALE for an asset that stopped reporting (see `freshness`).
Events (meter-factor change, totalizer reset, clock jump, comms loss) are dashboard annotations.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import table, timeseries
from grafana_foundation_sdk.builders.dashboard import AnnotationQuery, Dashboard
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel
from grafana_foundation_sdk.models.dashboard import DynamicConfigValue, ValueMap, ValueMappingResult

from bulkdaq.store import contract
from dashboards.grafana.contract_names import field, fields, site_filter
from dashboards.grafana.dashboard_json import number_panels
from dashboards.grafana.freshness import (
    join_seen_and_live,
    last_seen_properties,
    live_query,
    seen_query,
    stale_after_variable,
    stale_override_properties,
)
from dashboards.grafana.influxql_query import InfluxQL, datasource_ref
from dashboards.grafana.template_variables import site_variable, tag_values_variable

UID = "bulkdaq-loading"
TITLE = "Loading view / 装货监控"

METER, TANK, DRAFT, EVENT = contract.METER, contract.TANK, contract.DRAFT, contract.EVENT
QUALITY = contract.QUALITY_FIELD
EVENT_KIND_TAG = contract.EVENT_KIND_TAG

METER_NOW_FIELDS = fields(METER, "mass_total_kg", "volume_total_m3", "flow_rate_kg_h", "density_kg_m3", "temperature_c", "pressure_kpa", QUALITY)
TANK_NOW_FIELDS = fields(TANK, "level_m", "tov_m3", "temperature_c", "density_kg_m3", "free_water_m", QUALITY)
DRAFT_MARKS = fields(DRAFT, "fwd_port_m", "fwd_stbd_m", "mid_port_m", "mid_stbd_m", "aft_port_m", "aft_stbd_m")

UNITS = {
    "mass_total_kg": "masskg",
    "volume_total_m3": "m3",
    "flow_rate_kg_h": "suffix: kg/h",
    "volume_flow_m3_h": "suffix: m³/h",
    "density_kg_m3": "suffix: kg/m³",
    "temperature_c": "celsius",
    "pressure_kpa": "pressurekpa",
    "level_m": "lengthm",
    "tov_m3": "m3",
    "free_water_m": "lengthm",
    QUALITY: "string",
}


def quality_mapping() -> ValueMap:
    return ValueMap({
        contract.Quality.GOOD.value: ValueMappingResult(text="good / 良好", color="green", index=0),
        contract.Quality.UNCERTAIN.value: ValueMappingResult(text="uncertain / 可疑", color="orange", index=1),
        contract.Quality.BAD.value: ValueMappingResult(text="BAD / 故障", color="red", index=2),
        contract.Quality.STALE.value: ValueMappingResult(text="STALE / 数据过期", color="dark-red", index=3),
    })


def _series_query(ref_id: str, measurement: contract.Measurement, name: str, asset_variable: str, aggregate: str = "mean") -> InfluxQL:
    tag = measurement.asset_tag
    return InfluxQL(
        ref_id,
        f'SELECT {aggregate}("{field(measurement, name)}") AS "{name}" FROM "{measurement.name}" '
        f"WHERE {site_filter(measurement, asset_variable=asset_variable)} AND $timeFilter "
        f'GROUP BY time($__interval), "{tag}" fill(null)',
    ).alias(f"$tag_{tag} $col")


def _timeseries(title: str, unit: str) -> timeseries.Panel:
    return (
        timeseries.Panel().title(title).datasource(datasource_ref()).unit(unit).interval("1s").max_data_points(500)
        .span_nulls(False)
    )


def _now_table(title: str, measurement: contract.Measurement, now_fields: list[str], asset_variable: str) -> table.Panel:
    where = site_filter(measurement, asset_variable=asset_variable)
    tag = measurement.asset_tag
    panel = (
        table.Panel()
        .title(title)
        .description("Values from the last $stale_after only; an asset that went quiet shows STALE, not its last value.")
        .datasource(datasource_ref())
        .with_target(seen_query("seen", measurement.name, QUALITY, [tag], where))
        .with_target(live_query("live", measurement.name, now_fields, tag, where))
        .unit("none")
        .override_by_name("Time 1", last_seen_properties())
    )
    for name in now_fields:
        extra = [quality_mapping()] if name == QUALITY else []
        panel = panel.override_by_name(name, stale_override_properties(extra, UNITS[name]))
    for transformation in join_seen_and_live(tag, [tag, *now_fields, "Time 1"]):
        panel = panel.with_transformation(transformation)
    return panel


def events_query() -> str:
    """Events of the selected sites, with their asset and kind as tags (table format)."""
    return (
        f'SELECT "{field(EVENT, "message")}", "{field(EVENT, "old")}", "{field(EVENT, "new")}" FROM "{EVENT.name}" '
        f'WHERE "{contract.SITE_TAG}" =~ /^$site$/ AND $timeFilter GROUP BY "{EVENT.asset_tag}", "{EVENT_KIND_TAG}"'
    )


def events_annotation() -> AnnotationQuery:
    target = InfluxQL("events", events_query()).table().build()
    target.extra = {"textColumn": field(EVENT, "message"), "tagsColumn": f"{EVENT.asset_tag},{EVENT_KIND_TAG}", "fromAnnotations": True}
    annotation = AnnotationQuery().name("Events / 事件").datasource(datasource_ref()).enable(True).icon_color("orange")
    # The SDK's AnnotationTarget only models Grafana's built-in source; an InfluxDB annotation needs its query.
    annotation._internal.target = target  # type: ignore[assignment]
    return annotation


def build() -> DashboardModel:
    line_conditions = (
        _timeseries("Density · temperature · pressure / 密度 · 温度 · 压力", "none")
        .with_target(_series_query("A", METER, "density_kg_m3", "meter"))
        .with_target(_series_query("B", METER, "temperature_c", "meter"))
        .with_target(_series_query("C", METER, "pressure_kpa", "meter"))
        .override_by_query("A", [DynamicConfigValue(id_val="unit", value=UNITS["density_kg_m3"])])
        .override_by_query("B", [DynamicConfigValue(id_val="unit", value=UNITS["temperature_c"])])
        .override_by_query("C", [DynamicConfigValue(id_val="unit", value=UNITS["pressure_kpa"])])
        .height(8).span(12)
    )
    drafts = (
        table.Panel()
        .title("Ship drafts / 船舶吃水")
        .description("Every draft reading in the time range (before and after loading), with who read it.")
        .datasource(datasource_ref())
        .with_target(
            InfluxQL(
                "A",
                f'SELECT {", ".join(f"{chr(34)}{m}{chr(34)}" for m in DRAFT_MARKS)}, "{field(DRAFT, "source")}", "{QUALITY}" '
                f'FROM "{DRAFT.name}" WHERE {site_filter(DRAFT, asset_variable="vessel")} AND $timeFilter GROUP BY "{DRAFT.asset_tag}"',
            ).table()
        )
        .unit("lengthm")
        .decimals(3)
        .override_by_name("Time", [DynamicConfigValue(id_val="unit", value="dateTimeAsIso")])
        .override_by_name(field(DRAFT, "source"), [DynamicConfigValue(id_val="unit", value="string")])
        .override_by_name(QUALITY, [DynamicConfigValue(id_val="unit", value="string"), DynamicConfigValue(id_val="mappings", value=[quality_mapping()])])
        .height(7).span(12)
    )
    events = (
        table.Panel()
        .title("Events / 事件")
        .datasource(datasource_ref())
        .with_target(InfluxQL("A", events_query()).table())
        .unit("string")
        .override_by_name("Time", [DynamicConfigValue(id_val="unit", value="dateTimeAsIso")])
        .height(7).span(12)
    )
    return number_panels(
        Dashboard(TITLE)
        .uid(UID)
        .tags(["bulkdaq", "operations", "loading"])
        .description("Operator view: flow, totals, line conditions, tanks, drafts, events.")
        .time("now-6h", "now")
        .refresh("10s")
        .timezone("browser")
        .readonly()
        .with_variable(site_variable(METER))
        .with_variable(tag_values_variable("meter", "meter / 流量计", METER, METER.asset_tag))
        .with_variable(tag_values_variable("tank", "tank / 储罐", TANK, TANK.asset_tag))
        .with_variable(tag_values_variable("vessel", "vessel / 船舶", DRAFT, DRAFT.asset_tag))
        .with_variable(stale_after_variable())
        .annotation(events_annotation())
        .with_panel(
            _timeseries("Flow rate per meter / 瞬时流量", UNITS["flow_rate_kg_h"]).with_target(_series_query("A", METER, "flow_rate_kg_h", "meter")).height(8).span(12)
        )
        .with_panel(
            _timeseries("Totalizers / 累计量", UNITS["mass_total_kg"]).with_target(_series_query("A", METER, "mass_total_kg", "meter", "last")).height(8).span(12)
        )
        .with_panel(_now_table("Meters now / 流量计当前值", METER, METER_NOW_FIELDS, "meter").height(6).span(24))
        .with_panel(line_conditions)
        .with_panel(_timeseries("Tank levels / 液位", UNITS["level_m"]).with_target(_series_query("A", TANK, "level_m", "tank")).height(8).span(12))
        .with_panel(_now_table("Tanks now / 储罐当前值", TANK, TANK_NOW_FIELDS, "tank").height(6).span(24))
        .with_panel(drafts)
        .with_panel(events)
        .build()
    )


__all__ = [
    "DRAFT_MARKS",
    "EVENT_KIND_TAG",
    "METER_NOW_FIELDS",
    "QUALITY",
    "TANK_NOW_FIELDS",
    "TITLE",
    "UID",
    "UNITS",
    "build",
    "events_annotation",
    "events_query",
    "quality_mapping",
]
