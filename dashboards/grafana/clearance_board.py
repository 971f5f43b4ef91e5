"""Clearance board (customs officers): every active shipment's state, declared vs measured, live.

One row per shipment with its state (value-mapped, coloured, 中文/English), declared and measured
quantity, difference and tolerance, and progress. Shipments in discrepancy, blocked or under
investigation are listed first in their own table; a state timeline shows how each got there.

The tables and the count read each shipment's newest clearance point with no time bound, not within
the dashboard's range: clearance points are written only when the state changes, so a shipment under
investigation for longer than the range has no point in it and would drop off "Needs attention" while
its alert keeps firing. Only the released (closed) ones are filtered out. ``last()`` per series reads
the newest point of each shipment, so the unbounded query stays cheap. Only the state timeline follows
the time picker.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, statetimeline, table
from grafana_foundation_sdk.builders.dashboard import Dashboard, FieldColor, ThresholdsConfig
from grafana_foundation_sdk.models.dashboard import (
    Dashboard as DashboardModel,
)
from grafana_foundation_sdk.models.dashboard import (
    DataTransformerConfig,
    DynamicConfigValue,
    FieldColorModeId,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
)

from bulkdaq.store import contract
from bulkdaq.wording.figure_format import PERCENT_DECIMALS
from bulkdaq.wording.glossary import TERMS, board_state_text
from calculators.petroleum.measurement_policy import MeasurementPolicy
from dashboards.grafana.contract_names import field, site_filter
from dashboards.grafana.dashboard_json import number_panels
from dashboards.grafana.freshness import STALE_AFTER_VARIABLE, STALE_COLOR, STALE_TEXT, stale_after_variable
from dashboards.grafana.influxql_query import InfluxQL, datasource_ref
from dashboards.grafana.template_variables import site_variable, tag_values_variable

UID = "bulkdaq-clearance"
TITLE = "Clearance board / 通关看板"

CLEARANCE = contract.CLEARANCE
SHIPMENT_TAG = CLEARANCE.asset_tag
QUANTITY_METHOD_TAG = contract.QUANTITY_METHOD_TAG

STATE = field(CLEARANCE, "state")
DECLARED = field(CLEARANCE, "declared_t")
MEASURED = field(CLEARANCE, "measured_t")
DIFFERENCE = field(CLEARANCE, "difference_pct")
TOLERANCE = field(CLEARANCE, "tolerance_pct")
PROGRESS = field(contract.QUANTITY, "progress")
MASS_DECIMALS = MeasurementPolicy("2004", "15C", "standard").shown_decimals("t")  # 1 kg, as on the measurement report

# Lifecycle order (docs/design.md, "Clearance lifecycle") with the officer's colours; the labels are the glossary's
# (bulkdaq/wording/glossary.py), the same words as on the measurement report.
STATE_COLOURS: dict[str, str] = {
    "declared": "text",
    "precheck": "light-blue",
    "loading": "blue",
    "complete": "dark-blue",
    "measured": "purple",
    "reconciled": "light-green",
    "verified": "green",
    "discrepancy": "red",
    "investigating": "orange",
    "resolved": "yellow",
    "certified": "dark-green",
    "released": "super-light-green",
    "blocked": "dark-red",
}
STATE_LABELS: dict[str, tuple[str, str]] = {state: (board_state_text(state), colour) for state, colour in STATE_COLOURS.items()}
ATTENTION_STATES = ("discrepancy", "blocked", "investigating")
DONE_STATES = ("released",)

def _column(term: str, unit: str = "") -> str:
    english, chinese = TERMS[term]
    return f"{english.lower()} / {chinese}" + (f" ({unit})" if unit else "")


COLUMN_LABELS = {
    SHIPMENT_TAG: _column("shipment"),
    STATE: _column("status"),
    DECLARED: _column("declared", "t"),
    MEASURED: _column("measured", "t"),
    DIFFERENCE: _column("difference", "%"),
    TOLERANCE: _column("tolerance", "%"),
    PROGRESS: _column("progress"),
}
COLUMN_ORDER = [SHIPMENT_TAG, STATE, DECLARED, MEASURED, DIFFERENCE, TOLERANCE, PROGRESS]


def state_mapping() -> ValueMap:
    return ValueMap(
        {state: ValueMappingResult(text=label, color=color, index=i) for i, (state, (label, color)) in enumerate(STATE_LABELS.items())}
    )


def _where() -> str:
    return site_filter(CLEARANCE, asset_variable="shipment")


def latest_clearance_query(ref_id: str) -> InfluxQL:
    """Each shipment's newest state and figures, whatever their age (no ``$timeFilter``: see the module doc)."""
    columns = ", ".join(f'last("{name}") AS "{name}"' for name in (STATE, DECLARED, MEASURED, DIFFERENCE, TOLERANCE))
    return InfluxQL(ref_id, f'SELECT {columns} FROM "{CLEARANCE.name}" WHERE {_where()} GROUP BY "{SHIPMENT_TAG}"').table()


def shipments_in_states_query(ref_id: str, states: tuple[str, ...]) -> InfluxQL:
    """How many shipments' newest state (whatever its age) is one of `states`."""
    newest = f'SELECT last("{STATE}") AS "{STATE}" FROM "{CLEARANCE.name}" WHERE {_where()} GROUP BY "{SHIPMENT_TAG}"'
    chosen = " OR ".join(f"\"{STATE}\" = '{state}'" for state in states)
    return InfluxQL(ref_id, f'SELECT count("{STATE}") AS "shipments" FROM ({newest}) WHERE {chosen}')


def progress_query(ref_id: str) -> InfluxQL:
    """Progress per shipment: per method, the sum over its assets of each asset's newest progress; then
    the furthest-advanced method (parallel loading arms add up, two methods measuring the same cargo do not).
    No time bound either, so a shipment older than the range keeps its progress beside its state."""
    quantity = contract.QUANTITY
    where = f'"{contract.SITE_TAG}" =~ /^$site$/ AND "{SHIPMENT_TAG}" =~ /^$shipment$/'
    newest = (
        f'SELECT last("{PROGRESS}") AS "{PROGRESS}" FROM "{quantity.name}" WHERE {where} '
        f'GROUP BY "{SHIPMENT_TAG}", "{QUANTITY_METHOD_TAG}", "{quantity.asset_tag}"'
    )
    per_method = f'SELECT sum("{PROGRESS}") AS "{PROGRESS}" FROM ({newest}) GROUP BY "{SHIPMENT_TAG}", "{QUANTITY_METHOD_TAG}"'
    return InfluxQL(ref_id, f'SELECT max("{PROGRESS}") AS "{PROGRESS}" FROM ({per_method}) GROUP BY "{SHIPMENT_TAG}"').table()


def _shipment_table(title: str, description: str, state_filter: dict[str, object]) -> table.Panel:
    regex = "^(" + "|".join(state_filter["states"]) + ")$"  # type: ignore[arg-type]
    panel = (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(datasource_ref())
        .with_target(latest_clearance_query("A"))
        .with_target(progress_query("B"))
        .with_transformation(DataTransformerConfig(id_val="joinByField", options={"byField": SHIPMENT_TAG, "mode": "outer"}))
        .with_transformation(
            DataTransformerConfig(
                id_val="filterByValue",
                options={
                    "filters": [{"fieldName": STATE, "config": {"id": "regex", "options": {"value": regex}}}],
                    "type": state_filter["type"],
                    "match": "any",
                },
            )
        )
        .with_transformation(
            DataTransformerConfig(
                id_val="organize",
                options={
                    "excludeByName": {"Time 1": True, "Time 2": True},
                    "indexByName": {name: i for i, name in enumerate(COLUMN_ORDER)},
                },
            )
        )
        .unit("none")
        .override_by_name(SHIPMENT_TAG, [DynamicConfigValue(id_val="displayName", value=COLUMN_LABELS[SHIPMENT_TAG])])
        .override_by_name(STATE, [
            DynamicConfigValue(id_val="displayName", value=COLUMN_LABELS[STATE]),
            DynamicConfigValue(id_val="mappings", value=[state_mapping()]),
            DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"}),
        ])
        .override_by_name(DECLARED, [DynamicConfigValue(id_val="displayName", value=COLUMN_LABELS[DECLARED]), DynamicConfigValue(id_val="unit", value="masst"), DynamicConfigValue(id_val="decimals", value=MASS_DECIMALS)])
        .override_by_name(MEASURED, [DynamicConfigValue(id_val="displayName", value=COLUMN_LABELS[MEASURED]), DynamicConfigValue(id_val="unit", value="masst"), DynamicConfigValue(id_val="decimals", value=MASS_DECIMALS)])
        .override_by_name(DIFFERENCE, [DynamicConfigValue(id_val="displayName", value=COLUMN_LABELS[DIFFERENCE]), DynamicConfigValue(id_val="unit", value="percent"), DynamicConfigValue(id_val="decimals", value=PERCENT_DECIMALS)])
        .override_by_name(TOLERANCE, [DynamicConfigValue(id_val="displayName", value=COLUMN_LABELS[TOLERANCE]), DynamicConfigValue(id_val="unit", value="percent"), DynamicConfigValue(id_val="decimals", value=PERCENT_DECIMALS)])
        .override_by_name(PROGRESS, [DynamicConfigValue(id_val="displayName", value=COLUMN_LABELS[PROGRESS]), 
            DynamicConfigValue(id_val="unit", value="percentunit"),
            DynamicConfigValue(id_val="custom.cellOptions", value={"type": "gauge", "mode": "basic"}),
            DynamicConfigValue(id_val="min", value=0),
            DynamicConfigValue(id_val="max", value=1),
        ])
    )
    return panel


def build() -> DashboardModel:
    attention = _shipment_table(
        "Needs attention / 需关注 — discrepancy · blocked · investigating",
        "Shipments whose clearance is in discrepancy, blocked or under investigation, however long ago the state was entered. Listed first on purpose.",
        {"states": ATTENTION_STATES, "type": "include"},
    ).height(6).span(24)
    active = _shipment_table(
        "Active shipments / 在办货运",
        "Every shipment not yet released, whatever its age (not limited by the time picker): newest state, declared and measured quantity, difference, tolerance, progress.",
        {"states": DONE_STATES, "type": "exclude"},
    ).height(9).span(24)
    attention_count = (
        stat.Panel()
        .title("Discrepancy or blocked / 差异或阻止")
        .datasource(datasource_ref())
        .with_target(shipments_in_states_query("A", ("discrepancy", "blocked")))
        .unit("none")
        .no_value("0")
        .thresholds(ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps([Threshold(value=None, color="green"), Threshold(value=1, color="red")]))
        .height(4).span(12)
    )
    live_meters = (
        stat.Panel()
        .title("Meters reporting now / 在线流量计")
        .description(f"Meters with a reading in the last ${STALE_AFTER_VARIABLE}. None: the measured figures are not live.")
        .datasource(datasource_ref())
        .with_target(
            InfluxQL(
                "A",
                f'SELECT count("{contract.QUALITY_FIELD}") AS "meters" FROM (SELECT last("{contract.QUALITY_FIELD}") AS "{contract.QUALITY_FIELD}" '
                f'FROM "{contract.METER.name}" WHERE "{contract.SITE_TAG}" =~ /^$site$/ AND time > now() - ${STALE_AFTER_VARIABLE} '
                f'GROUP BY "{contract.METER.asset_tag}")',
            )
        )
        .unit("none")
        .no_value(STALE_TEXT)
        .thresholds(ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps([Threshold(value=None, color=STALE_COLOR), Threshold(value=1, color="green")]))
        .height(4).span(12)
    )
    timeline = (
        statetimeline.Panel()
        .title("Clearance state over time / 通关状态时间线")
        .datasource(datasource_ref())
        .with_target(
            InfluxQL("A", f'SELECT "{STATE}" FROM "{CLEARANCE.name}" WHERE {_where()} AND $timeFilter GROUP BY "{SHIPMENT_TAG}"').alias(f"$tag_{SHIPMENT_TAG}")
        )
        .unit("none")
        .mappings([state_mapping()])
        .color_scheme(FieldColor().mode(FieldColorModeId.THRESHOLDS))
        .height(8).span(24)
    )
    return number_panels(
        Dashboard(TITLE)
        .uid(UID)
        .tags(["bulkdaq", "customs", "clearance"])
        .description("Officer view: each shipment's clearance state, declared vs measured, live from InfluxDB.")
        .time("now-7d", "now")
        .refresh("30s")
        .timezone("browser")
        .readonly()
        .with_variable(site_variable(CLEARANCE))
        .with_variable(tag_values_variable("shipment", _column("shipment"), CLEARANCE, SHIPMENT_TAG))
        .with_variable(stale_after_variable())
        .with_panel(attention_count)
        .with_panel(live_meters)
        .with_panel(attention)
        .with_panel(active)
        .with_panel(timeline)
        .build()
    )


__all__ = [
    "ATTENTION_STATES",
    "CLEARANCE",
    "COLUMN_LABELS",
    "COLUMN_ORDER",
    "DECLARED",
    "DIFFERENCE",
    "DONE_STATES",
    "MASS_DECIMALS",
    "MEASURED",
    "PROGRESS",
    "QUANTITY_METHOD_TAG",
    "SHIPMENT_TAG",
    "STATE",
    "STATE_COLOURS",
    "STATE_LABELS",
    "TITLE",
    "TOLERANCE",
    "UID",
    "build",
    "latest_clearance_query",
    "progress_query",
    "shipments_in_states_query",
    "state_mapping",
]
