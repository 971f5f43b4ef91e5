"""Customs office board (海关监管总览): every terminal (site) writing to the central InfluxDB, on one screen.

A customs office supervises many terminals; each one's collectors and shipment workflow write to one
InfluxDB, every point tagged ``site``. This board puts them side by side:

* how many shipments each site has in each clearance state (a row per site, a column per state);
* per site, whether its data still arrives: the time of its newest signed evidence head and of its newest
  meter, tank and scale reading, STALE when none arrived within a threshold (``freshness.py``'s seen/live
  pattern, with thresholds of this board's own, below);
* per site, its collectors now: devices connected, spool depth and age (lag);
* every open shipment of every site, with the clearance board's states, labels and colours.

Like the clearance board, nothing here is bounded by the time picker: clearance points are written only when
a state changes (docs/dashboards.md, "Open shipments of any age"), and a site that went quiet longer ago than
any range is the one the office must still see. The "seen" queries therefore read each series' newest point
with no time bound (``last()``, answered from the newest point of each series); only the "live" queries look
back a fixed window.

Readings are stored in one measurement per kind (``meter``, ``tank``, ``scale``, …) and InfluxQL cannot
aggregate across measurements (a query over several returns one series per measurement, and Grafana's
table format does not say which), so each kind has its own per-site table: a site without tanks is simply
not in the tanks table, instead of showing a false STALE. Drafts are left out (an observer's draft marks
arrive hours apart, not at a poll interval), as are `signal` tags (auxiliary; the data health board has them).
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import table
from grafana_foundation_sdk.builders.common import TableSortByFieldState
from grafana_foundation_sdk.builders.dashboard import Dashboard, QueryVariable
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel
from grafana_foundation_sdk.models.dashboard import DataTransformerConfig, DynamicConfigValue

from bulkdaq.config.site_file import EvidenceSettings
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import quote_identifier, quote_string
from bulkdaq.wording.figure_format import PERCENT_DECIMALS
from bulkdaq.wording.glossary import STATES
from dashboards.grafana import clearance_board
from dashboards.grafana.clearance_board import (
    COLUMN_LABELS,
    DECLARED,
    DIFFERENCE,
    DONE_STATES,
    MASS_DECIMALS,
    MEASURED,
    SHIPMENT_TAG,
    STATE,
    STATE_COLOURS,
    TOLERANCE,
    state_mapping,
)
from dashboards.grafana.contract_names import field, site_filter
from dashboards.grafana.dashboard_json import number_panels
from dashboards.grafana.freshness import SEEN_COLUMN, last_seen_properties, stale_override_properties
from dashboards.grafana.influxql_query import InfluxQL, datasource_ref
from dashboards.grafana.template_variables import tag_values_variable

UID = "bulkdaq-office"
TITLE = "Customs office, all terminals / 海关监管总览"

SITE_TAG = contract.SITE_TAG
CLEARANCE = contract.CLEARANCE
HEADS = contract.EVIDENCE_HEAD
HEALTH = contract.COLLECTOR_HEALTH
HEAD_SEQ = field(HEADS, "seq")
CONNECTED = field(HEALTH, "connected")
SPOOL_DEPTH = field(HEALTH, "spool_depth")
LAG_S = field(HEALTH, "lag_s")

# A terminal publishes its signed chain head every `[evidence] head_interval_s` (bulkdaq/config/site_file.py,
# 60 s by default; bulkdaq/app/collector_service.py). Three missed heads in a row is a site gone quiet, not
# a late one; a site that sets a longer interval needs this raised with it. The "Site silent" alert rule
# (alert_rules.py) counts heads over the same HEADS_STALE_INTERVALS, so board and alert agree.
HEAD_INTERVAL_S = int(EvidenceSettings.model_fields["head_interval_s"].default)
HEADS_STALE_INTERVALS = 3
HEADS_STALE_AFTER = f"{HEADS_STALE_INTERVALS * HEAD_INTERVAL_S}s"
# A device's `poll_interval_s` is seconds (1 s by default), its health is reported with every poll up to 1 Hz and
# the forwarder's every 5 s: five minutes without one is not jitter or a slow poll but a site whose data no longer
# reaches the office. (A device polled less often than every few minutes would need more.)
READINGS_STALE_AFTER = "5m"
HEALTH_STALE_AFTER = READINGS_STALE_AFTER

# The reading kinds with a per-site table: polled continuously, so their silence means something.
READING_KINDS: tuple[contract.Measurement, ...] = (contract.METER, contract.TANK, contract.SCALE)
READINGS_COLUMN = "readings"
OPEN_STATES = tuple(state for state in STATE_COLOURS if state not in DONE_STATES)
ATTENTION_STATES = clearance_board.ATTENTION_STATES

SITE_LABEL = "site / 站点"  # as the site variable's label (template_variables.site_variable)
LAST_HEAD_LABEL = "last head / 最新链头"
HEAD_SEQ_LABEL = "head block / 链头区块"
READINGS_LABEL = f"readings, last {READINGS_STALE_AFTER} / 近{READINGS_STALE_AFTER.removesuffix('m')}分钟读数"  # "5m" / 近5分钟
KIND_LABELS = {"meter": ("Meters", "流量计"), "tank": ("Tanks", "储罐"), "scale": ("Scales", "秤")}
HEALTH_LABELS = {
    CONNECTED: "devices connected / 已连接设备",
    "devices": "devices reporting / 上报设备",
    SPOOL_DEPTH: "spool depth / 缓存积压",
    LAG_S: "spool age / 缓存延迟",
}
SHIPMENT_COLUMNS = [SITE_TAG, SHIPMENT_TAG, STATE, DECLARED, MEASURED, DIFFERENCE, TOLERANCE]


def _q(name: str) -> str:
    return quote_identifier(name)


def site_variable() -> QueryVariable:
    """Sites from both the clearance and the evidence-head measurements: a site with shipments but no signing
    key yet, or heads but no shipment yet, is still a site the office supervises."""
    variable = tag_values_variable("site", SITE_LABEL, CLEARANCE, SITE_TAG, filtered_by_site=False)
    return variable.query(f"SHOW TAG VALUES FROM {_q(CLEARANCE.name)}, {_q(HEADS.name)} WITH KEY = {_q(SITE_TAG)}")


def _newest_states(where: str) -> str:
    """Each shipment's newest state, whatever its age (as the clearance board reads it)."""
    return f"SELECT last({_q(STATE)}) AS {_q(STATE)} FROM {_q(CLEARANCE.name)} WHERE {where} GROUP BY {_q(SITE_TAG)}, {_q(SHIPMENT_TAG)}"


def state_count_query(ref_id: str, state: str) -> InfluxQL:
    """Per site, how many shipments' newest state is `state`; 0 (not nothing) for a site with shipments in
    other states: InfluxQL cannot group by a field, so each state is its own query, and the second subquery
    (every shipment counted times 0) gives every site its row."""
    newest = _newest_states(site_filter(CLEARANCE))
    in_state = f"SELECT count({_q(STATE)}) AS \"n\" FROM ({newest}) WHERE {_q(STATE)} = {quote_string(state)} GROUP BY {_q(SITE_TAG)}"
    every_site = f"SELECT count({_q(STATE)}) * 0 AS \"n\" FROM ({newest}) GROUP BY {_q(SITE_TAG)}"
    return InfluxQL(ref_id, f"SELECT sum(\"n\") AS {_q(state)} FROM ({in_state}), ({every_site}) GROUP BY {_q(SITE_TAG)}").table()


def _ref_ids(count: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [letters[i] for i in range(count)]


def _state_header(state: str) -> str:
    english, chinese = STATES[state]
    return f"{english} / {chinese}"


def states_per_site() -> table.Panel:
    panel = (
        table.Panel()
        .title("Shipments per state and site / 各站点货运状态统计")
        .description(
            "Open shipments (not released) of each site by their newest clearance state, whatever its age. "
            "Discrepancy, blocked and investigating in red when not 0."
        )
        .datasource(datasource_ref())
        .unit("none")
        .with_transformation(DataTransformerConfig(id_val="joinByField", options={"byField": SITE_TAG, "mode": "outer"}))
        .with_transformation(
            DataTransformerConfig(
                id_val="organize",
                options={
                    "excludeByName": {f"Time {i + 1}": True for i in range(len(OPEN_STATES))},
                    "indexByName": {name: i for i, name in enumerate([SITE_TAG, *OPEN_STATES])},
                },
            )
        )
        .sort_by([TableSortByFieldState().display_name(SITE_LABEL)])
        .override_by_name(SITE_TAG, [DynamicConfigValue(id_val="displayName", value=SITE_LABEL)])
    )
    for ref_id, state in zip(_ref_ids(len(OPEN_STATES)), OPEN_STATES, strict=True):
        panel = panel.with_target(state_count_query(ref_id, state))
        properties = [DynamicConfigValue(id_val="displayName", value=_state_header(state))]
        if state in ATTENTION_STATES:
            properties += [
                DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"}),
                DynamicConfigValue(id_val="color", value={"mode": "thresholds"}),
                DynamicConfigValue(
                    id_val="thresholds",
                    value={"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "red", "value": 1}]},
                ),
            ]
        panel = panel.override_by_name(state, properties)
    return panel


def _seen(ref_id: str, measurement: contract.Measurement, field_name: str) -> InfluxQL:
    """Each site's newest point of `measurement`, whatever its age: a site silent for longer than any range is
    the one to show (single selector: its time is that point's)."""
    return InfluxQL(
        ref_id,
        f"SELECT last({_q(field_name)}) AS {_q(SEEN_COLUMN)} FROM {_q(measurement.name)} WHERE {site_filter(measurement)} GROUP BY {_q(SITE_TAG)}",
    ).table()


def _freshness_table(title: str, description: str, seen: InfluxQL, live: InfluxQL, live_column: str, live_label: str, seen_label: str) -> table.Panel:
    """freshness.py's pattern per site: `seen` lists every site and its newest point, `live` has a value
    only for a site heard from within the window; joined on the site, a quiet site keeps its row and its
    time, and its live cell is empty, which the null mapping paints STALE."""
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(datasource_ref())
        .with_target(seen)
        .with_target(live)
        .unit("none")
        .with_transformation(DataTransformerConfig(id_val="joinByField", options={"byField": SITE_TAG, "mode": "outer"}))
        .with_transformation(
            DataTransformerConfig(
                id_val="organize",
                options={
                    "excludeByName": {"Time 2": True, SEEN_COLUMN: True},
                    "indexByName": {name: i for i, name in enumerate([SITE_TAG, "Time 1", live_column])},
                },
            )
        )
        .sort_by([TableSortByFieldState().display_name(SITE_LABEL)])
        .override_by_name(SITE_TAG, [DynamicConfigValue(id_val="displayName", value=SITE_LABEL)])
        .override_by_name("Time 1", [DynamicConfigValue(id_val="displayName", value=seen_label), DynamicConfigValue(id_val="unit", value="dateTimeFromNow")])
        .override_by_name(live_column, [*stale_override_properties(), DynamicConfigValue(id_val="displayName", value=live_label)])
    )


def heads_per_site() -> table.Panel:
    live = InfluxQL(
        "live",
        f"SELECT last({_q(HEAD_SEQ)}) AS {_q(HEAD_SEQ)} FROM {_q(HEADS.name)} WHERE {site_filter(HEADS)} "
        f"AND time > now() - {HEADS_STALE_AFTER} GROUP BY {_q(SITE_TAG)}",
    ).table()
    return _freshness_table(
        "Evidence heads per site / 各站点证据链头",
        f"Each site's newest signed chain head and its block number. STALE: no head in the last {HEADS_STALE_AFTER} "
        f"(heads come every {HEAD_INTERVAL_S} s by default), or the site publishes none.",
        _seen("seen", HEADS, HEAD_SEQ),
        live,
        HEAD_SEQ,
        HEAD_SEQ_LABEL,
        LAST_HEAD_LABEL,
    )


def readings_per_site(kind: contract.Measurement) -> table.Panel:
    english, chinese = KIND_LABELS[kind.name]
    live = InfluxQL(
        "live",
        f"SELECT count({_q(contract.QUALITY_FIELD)}) AS {_q(READINGS_COLUMN)} FROM {_q(kind.name)} WHERE {site_filter(kind)} "
        f"AND time > now() - {READINGS_STALE_AFTER} GROUP BY {_q(SITE_TAG)}",
    ).table()
    return _freshness_table(
        f"{english} per site / 各站点{chinese}",
        f"Each site's newest {kind.name} reading (any quality) and how many arrived in the last {READINGS_STALE_AFTER}. "
        f"STALE: none in the last {READINGS_STALE_AFTER}.",
        _seen("seen", kind, contract.QUALITY_FIELD),
        live,
        READINGS_COLUMN,
        READINGS_LABEL,
        f"last reading / 最新读数 ({kind.name})",
    )


def collectors_per_site() -> table.Panel:
    devices = f"{site_filter(HEALTH)} AND {_q(HEALTH.asset_tag)} != {quote_string(contract.FORWARDER_SOURCE)}"
    forwarders = f"{site_filter(HEALTH)} AND {_q(HEALTH.asset_tag)} = {quote_string(contract.FORWARDER_SOURCE)}"
    window = f"time > now() - {HEALTH_STALE_AFTER}"
    per_device = (
        f"SELECT last({_q(CONNECTED)}) AS {_q(CONNECTED)} FROM {_q(HEALTH.name)} WHERE {devices} AND {window} "
        f"GROUP BY {_q(SITE_TAG)}, {_q(contract.COLLECTOR_TAG)}, {_q(HEALTH.asset_tag)}"
    )
    per_collector = (
        f"SELECT last({_q(SPOOL_DEPTH)}) AS {_q(SPOOL_DEPTH)}, last({_q(LAG_S)}) AS {_q(LAG_S)} FROM {_q(HEALTH.name)} "
        f"WHERE {forwarders} AND {window} GROUP BY {_q(SITE_TAG)}, {_q(contract.COLLECTOR_TAG)}"
    )
    live_columns = [CONNECTED, "devices", SPOOL_DEPTH, LAG_S]
    panel = (
        table.Panel()
        .title("Collectors per site / 各站点采集器")
        .description(
            f"Per site, from the health its collectors reported in the last {HEALTH_STALE_AFTER}: devices connected of those "
            "reporting, readings waiting in the spools (summed over the collectors) and the age of the oldest (the worst "
            f"collector's). STALE: no health report in the last {HEALTH_STALE_AFTER}."
        )
        .datasource(datasource_ref())
        .with_target(_seen("seen", HEALTH, SPOOL_DEPTH))
        .with_target(
            InfluxQL("devices", f"SELECT sum({_q(CONNECTED)}) AS {_q(CONNECTED)}, count({_q(CONNECTED)}) AS \"devices\" FROM ({per_device}) GROUP BY {_q(SITE_TAG)}").table()
        )
        .with_target(
            InfluxQL("spool", f"SELECT sum({_q(SPOOL_DEPTH)}) AS {_q(SPOOL_DEPTH)}, max({_q(LAG_S)}) AS {_q(LAG_S)} FROM ({per_collector}) GROUP BY {_q(SITE_TAG)}").table()
        )
        .unit("none")
        .with_transformation(DataTransformerConfig(id_val="joinByField", options={"byField": SITE_TAG, "mode": "outer"}))
        .with_transformation(
            DataTransformerConfig(
                id_val="organize",
                options={
                    "excludeByName": {"Time 2": True, "Time 3": True, SEEN_COLUMN: True},
                    "indexByName": {name: i for i, name in enumerate([SITE_TAG, *live_columns, "Time 1"])},
                },
            )
        )
        .sort_by([TableSortByFieldState().display_name(SITE_LABEL)])
        .override_by_name(SITE_TAG, [DynamicConfigValue(id_val="displayName", value=SITE_LABEL)])
        .override_by_name("Time 1", last_seen_properties())
    )
    units = {CONNECTED: "none", "devices": "none", SPOOL_DEPTH: "none", LAG_S: "s"}
    for name in live_columns:
        panel = panel.override_by_name(name, [*stale_override_properties(unit=units[name]), DynamicConfigValue(id_val="displayName", value=HEALTH_LABELS[name])])
    return panel


def latest_shipments_query(ref_id: str) -> InfluxQL:
    """Each shipment's newest state and figures, per site, whatever their age (the clearance board's reading)."""
    columns = ", ".join(f"last({_q(name)}) AS {_q(name)}" for name in (STATE, DECLARED, MEASURED, DIFFERENCE, TOLERANCE))
    return InfluxQL(
        ref_id,
        f"SELECT {columns} FROM {_q(CLEARANCE.name)} WHERE {site_filter(CLEARANCE)} GROUP BY {_q(SITE_TAG)}, {_q(SHIPMENT_TAG)}",
    ).table()


def _figure(name: str, unit: str, decimals: int) -> list[DynamicConfigValue]:
    return [
        DynamicConfigValue(id_val="displayName", value=COLUMN_LABELS[name]),
        DynamicConfigValue(id_val="unit", value=unit),
        DynamicConfigValue(id_val="decimals", value=decimals),
    ]


def shipments_all_sites() -> table.Panel:
    done = "^(" + "|".join(DONE_STATES) + ")$"
    return (
        table.Panel()
        .title("Open shipments, all terminals / 全部站点在办货运")
        .description(
            "Every shipment not yet released at the chosen sites, whatever its age: site, newest clearance state, declared and "
            "measured quantity, difference, tolerance. Sorted by site; click a header to sort by it."
        )
        .datasource(datasource_ref())
        .with_target(latest_shipments_query("A"))
        .with_transformation(
            DataTransformerConfig(
                id_val="filterByValue",
                options={"filters": [{"fieldName": STATE, "config": {"id": "regex", "options": {"value": done}}}], "type": "exclude", "match": "any"},
            )
        )
        .with_transformation(
            DataTransformerConfig(
                id_val="organize",
                options={"excludeByName": {"Time": True}, "indexByName": {name: i for i, name in enumerate(SHIPMENT_COLUMNS)}},
            )
        )
        .unit("none")
        .sort_by([TableSortByFieldState().display_name(SITE_LABEL), TableSortByFieldState().display_name(COLUMN_LABELS[SHIPMENT_TAG])])
        .override_by_name(SITE_TAG, [DynamicConfigValue(id_val="displayName", value=SITE_LABEL)])
        .override_by_name(SHIPMENT_TAG, [DynamicConfigValue(id_val="displayName", value=COLUMN_LABELS[SHIPMENT_TAG])])
        .override_by_name(STATE, [
            DynamicConfigValue(id_val="displayName", value=COLUMN_LABELS[STATE]),
            DynamicConfigValue(id_val="mappings", value=[state_mapping()]),
            DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"}),
        ])
        .override_by_name(DECLARED, _figure(DECLARED, "masst", MASS_DECIMALS))
        .override_by_name(MEASURED, _figure(MEASURED, "masst", MASS_DECIMALS))
        .override_by_name(DIFFERENCE, _figure(DIFFERENCE, "percent", PERCENT_DECIMALS))
        .override_by_name(TOLERANCE, _figure(TOLERANCE, "percent", PERCENT_DECIMALS))
    )


def build() -> DashboardModel:
    readings: Sequence[table.Panel] = [readings_per_site(kind).height(7).span(6) for kind in READING_KINDS]
    dashboard = (
        Dashboard(TITLE)
        .uid(UID)
        .tags(["bulkdaq", "customs", "office"])
        .description(
            "Customs office view of every terminal: shipments per state and site, whether each site's evidence heads and "
            "readings still arrive (STALE when not), its collectors, and every open shipment. Not bounded by the time picker."
        )
        .time("now-24h", "now")
        .refresh("1m")
        .timezone("browser")
        .readonly()
        .with_variable(site_variable())
        .with_panel(states_per_site().height(7).span(24))
        .with_panel(heads_per_site().height(7).span(6))
    )
    for panel in readings:
        dashboard = dashboard.with_panel(panel)
    return number_panels(
        dashboard.with_panel(collectors_per_site().height(7).span(24)).with_panel(shipments_all_sites().height(12).span(24)).build()
    )


__all__ = [
    "HEADS_STALE_AFTER",
    "HEADS_STALE_INTERVALS",
    "HEAD_INTERVAL_S",
    "HEALTH_STALE_AFTER",
    "OPEN_STATES",
    "READINGS_STALE_AFTER",
    "READING_KINDS",
    "SITE_LABEL",
    "TITLE",
    "UID",
    "build",
    "collectors_per_site",
    "heads_per_site",
    "latest_shipments_query",
    "readings_per_site",
    "shipments_all_sites",
    "site_variable",
    "state_count_query",
    "states_per_site",
]
