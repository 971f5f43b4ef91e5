"""Yard board (customs officers, yard operators): the bonded blending yard (保税混矿, docs/yard.md) live.

Stock per lot and per origin, wet and dry, with each lot's status; blending runs in progress with every
component's share against its recipe target (off recipe in red); each run's product against the sum of
its components; the mass balance per scope (a lot, or the yard over a period) and basis (wet, dry) with
its verdict; when belt scales were found beyond their class; and the yard's events (`scale_drift`,
`lot_overdrawn`, `off_recipe`).

The stock, run and balance tables read each series' newest point with no time bound, as the clearance
board does (docs/dashboards.md, "Open shipments of any age"): a lot's stock and balance are written when
the ledger changes, so a lot untouched for longer than the range would otherwise drop off the board
while ore still lies in it, an overdrawn lot would vanish, and a run whose writer stopped would stop
showing as running. ``last()`` per series reads the newest point of each, so the unbounded query stays
cheap. The product check and the events follow the time picker: they are about what happened in it.

Labels are the glossary's (bulkdaq/wording/glossary.py, YARD_TERMS and YARD_VERDICTS), the words of the
yard statement; a mapped value reads "中文 english", as the clearance board's states do.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart, table, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.models.common import VisibilityMode
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel
from grafana_foundation_sdk.models.dashboard import DataTransformerConfig, DynamicConfigValue, ValueMap, ValueMappingResult

from bulkdaq.store import contract
from bulkdaq.wording.figure_format import PERCENT_DECIMALS
from bulkdaq.wording.glossary import OBSERVATION_TERMS, TERMS, YARD_TERMS, YARD_VERDICTS, Label
from dashboards.grafana.contract_names import field, site_filter
from dashboards.grafana.dashboard_json import number_panels
from dashboards.grafana.influxql_query import InfluxQL, datasource_ref
from dashboards.grafana.template_variables import site_variable, tag_values_variable

UID = "bulkdaq-yard"

STOCK, RUN, BALANCE, EVENT = contract.YARD_STOCK, contract.BLENDING_RUN, contract.YARD_BALANCE, contract.EVENT
LOT_TAG = STOCK.asset_tag
(ORIGIN_TAG,) = STOCK.extra_tags
RUN_TAG = RUN.asset_tag
(COMPONENT_TAG,) = RUN.extra_tags
SCOPE_TAG = BALANCE.asset_tag
(BASIS_TAG,) = BALANCE.extra_tags
EVENT_ASSET_TAG, EVENT_KIND_TAG = EVENT.asset_tag, contract.EVENT_KIND_TAG
YARD_EVENT_KINDS = ("scale_drift", "lot_overdrawn", "off_recipe")
if not set(YARD_EVENT_KINDS) <= set(contract.EVENT_KINDS):  # a kind renamed in the contract fails the build, not draws an empty panel
    raise KeyError(f"event kinds {sorted(set(YARD_EVENT_KINDS) - set(contract.EVENT_KINDS))} are not in bulkdaq.store.contract.EVENT_KINDS")

STOCK_FIELDS = [
    field(STOCK, name)
    for name in ("entered_wet_t", "entered_dry_t", "out_wet_t", "out_dry_t", "stock_wet_t", "stock_dry_t", "stock_u_wet_t", "status")
]
STOCK_STATUS = field(STOCK, "status")
STOCK_WET, STOCK_DRY = field(STOCK, "stock_wet_t"), field(STOCK, "stock_dry_t")
RUN_FIELDS = [field(RUN, name) for name in ("wet_t", "u_wet_t", "share_pct", "target_pct", "tolerance_pct", "off_recipe", "legal", "state")]
RUN_STATE, OFF_RECIPE, LEGAL, TARGET = field(RUN, "state"), field(RUN, "off_recipe"), field(RUN, "legal"), field(RUN, "target_pct")
PRODUCT_VERDICT = field(RUN, "product_verdict")
PRODUCT_FIELDS = [PRODUCT_VERDICT, field(RUN, "wet_t"), field(RUN, "u_wet_t"), RUN_STATE]
BALANCE_FIELDS = [field(BALANCE, name) for name in ("entered_t", "out_t", "stock_t", "difference_t", "expanded_u_t", "verdict", "rule")]
BALANCE_VERDICT = field(BALANCE, "verdict")
EVENT_MESSAGE = field(EVENT, "message")  # the yard's events carry a message only (bulkdaq/yard/yard_series.py), no old / new
MASS_DECIMALS = 3  # 1 kg, as the run document keeps a scale's tonnes (docs/yard.md)


def _both(label: Label) -> str:
    """A mapped value as the officer reads it: the Chinese, then the English."""
    english, chinese = label
    return f"{chinese} {english}"


def _title(label: Label, qualifier: tuple[str, str] | None = None) -> str:
    """A panel title: English / Chinese, each with its qualifier (``Stock per lot (t, wet · dry) / 各批次库存（湿吨 · 干吨）``)."""
    english, chinese = label
    if qualifier is None:
        return f"{english} / {chinese}"
    return f"{english} ({qualifier[0]}) / {chinese}（{qualifier[1]}）"


def _column(label: Label, unit: str = "") -> str:
    english, chinese = label
    return f"{english[0].lower()}{english[1:]} / {chinese}" + (f" ({unit})" if unit else "")


def _value_map(entries: dict[str, tuple[Label, str]]) -> ValueMap:
    return ValueMap({value: ValueMappingResult(text=_both(label), color=colour, index=i) for i, (value, (label, colour)) in enumerate(entries.items())})


LOT_STATUSES: dict[str, tuple[Label, str]] = {
    "open": (YARD_TERMS["lot_open"], "green"),
    "exhausted": (YARD_TERMS["lot_exhausted"], "text"),
    "overdrawn": (YARD_TERMS["lot_overdrawn"], "red"),
}
RUN_STATES: dict[str, tuple[Label, str]] = {"running": (YARD_TERMS["running"], "blue"), "finished": (YARD_TERMS["finished"], "text")}
RECIPE: dict[str, tuple[Label, str]] = {"0": (YARD_VERDICTS["on_recipe"], "green"), "1": (YARD_VERDICTS["off_recipe"], "red")}
LEGAL_FIGURE: dict[str, tuple[Label, str]] = {"1": (YARD_TERMS["legal"], "green"), "0": (YARD_TERMS["not_legal"], "orange")}
PRODUCT_VERDICTS: dict[str, tuple[Label, str]] = {
    "consistent": (YARD_VERDICTS["consistent"], "green"),
    "product_short": (YARD_VERDICTS["product_short"], "red"),
    "product_over": (YARD_VERDICTS["product_over"], "orange"),
}
BALANCE_VERDICTS: dict[str, tuple[Label, str]] = {
    "balanced": (YARD_VERDICTS["balanced"], "green"),
    "overdrawn": (YARD_VERDICTS["overdrawn"], "red"),
    "unaccounted": (YARD_VERDICTS["unaccounted"], "orange"),
}
BASES: dict[str, tuple[Label, str]] = {"wet": (YARD_TERMS["wet"], "text"), "dry": (YARD_TERMS["dry"], "text")}
# The event kinds in the words of the verdicts they report.
EVENT_KIND_LABELS: dict[str, tuple[Label, str]] = {
    "scale_drift": (YARD_VERDICTS["drifted"], "red"),
    "lot_overdrawn": (YARD_VERDICTS["overdrawn"], "red"),
    "off_recipe": (YARD_VERDICTS["off_recipe"], "orange"),
}

COLUMN_LABELS: dict[str, str] = {
    LOT_TAG: _column(YARD_TERMS["lot"]),
    ORIGIN_TAG: _column(YARD_TERMS["origin"]),
    "entered_wet_t": _column(YARD_TERMS["entered"], "t " + YARD_TERMS["wet"][0]),
    "entered_dry_t": _column(YARD_TERMS["entered"], "t " + YARD_TERMS["dry"][0]),
    "out_wet_t": _column(YARD_TERMS["out"], "t " + YARD_TERMS["wet"][0]),
    "out_dry_t": _column(YARD_TERMS["out"], "t " + YARD_TERMS["dry"][0]),
    STOCK_WET: _column(YARD_TERMS["book_stock"], "t " + YARD_TERMS["wet"][0]),
    STOCK_DRY: _column(YARD_TERMS["book_stock"], "t " + YARD_TERMS["dry"][0]),
    "stock_u_wet_t": _column(TERMS["uncertainty"], "t " + YARD_TERMS["wet"][0]),
    STOCK_STATUS: _column(YARD_TERMS["lot_status"]),
}
RUN_LABELS: dict[str, str] = {
    RUN_TAG: _column(YARD_TERMS["blending_run"]),
    COMPONENT_TAG: _column(YARD_TERMS["component"]),
    "wet_t": _column(YARD_TERMS["delivered"], "t " + YARD_TERMS["wet"][0]),
    "u_wet_t": _column(OBSERVATION_TERMS["u"], "t"),
    "share_pct": _column(YARD_TERMS["achieved_share"], "%"),
    TARGET: _column(YARD_TERMS["target_share"], "%"),
    "tolerance_pct": _column(YARD_TERMS["share_tolerance"]),
    OFF_RECIPE: _column(YARD_TERMS["recipe"]),
    LEGAL: _column(YARD_TERMS["minimum_totalized_load"]),
    RUN_STATE: _column(YARD_TERMS["run_state"]),
    PRODUCT_VERDICT: _column(YARD_TERMS["product_vs_components"]),
}
BALANCE_LABELS: dict[str, str] = {
    SCOPE_TAG: _column(YARD_TERMS["scope"]),
    BASIS_TAG: _column(TERMS["basis"]),
    "entered_t": _column(YARD_TERMS["entered"], "t"),
    "out_t": _column(YARD_TERMS["out"], "t"),
    "stock_t": _column(YARD_TERMS["stock"], "t"),
    "difference_t": _column(YARD_TERMS["difference"], "t"),
    "expanded_u_t": _column(TERMS["uncertainty"], "t"),
    BALANCE_VERDICT: _column(TERMS["verdict"]),
    "rule": _column(YARD_TERMS["rule"]),
}


def _display(label: str) -> DynamicConfigValue:
    return DynamicConfigValue(id_val="displayName", value=label)


def _mass(label: str) -> list[DynamicConfigValue]:
    return [_display(label), DynamicConfigValue(id_val="unit", value="masst"), DynamicConfigValue(id_val="decimals", value=MASS_DECIMALS)]


def _mapped(label: str, entries: dict[str, tuple[Label, str]]) -> list[DynamicConfigValue]:
    return [
        _display(label),
        DynamicConfigValue(id_val="unit", value="string"),
        DynamicConfigValue(id_val="mappings", value=[_value_map(entries)]),
        DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"}),
    ]


def _newest(measurement: contract.Measurement, names: list[str], where: str, group_by: list[str]) -> str:
    columns = ", ".join(f'last("{name}") AS "{name}"' for name in names)
    groups = ", ".join(f'"{tag}"' for tag in group_by)
    return f'SELECT {columns} FROM "{measurement.name}" WHERE {where} GROUP BY {groups}'


def latest_stock_query(ref_id: str) -> InfluxQL:
    """Each lot's newest book stock, whatever its age (see the module doc)."""
    return InfluxQL(ref_id, _newest(STOCK, STOCK_FIELDS, site_filter(STOCK, asset_variable="lot"), [LOT_TAG, ORIGIN_TAG])).table()


def stock_per_lot_query(ref_id: str) -> InfluxQL:
    """Each lot's newest stock, wet and dry, whatever its age."""
    return InfluxQL(ref_id, _newest(STOCK, [STOCK_WET, STOCK_DRY], site_filter(STOCK, asset_variable="lot"), [LOT_TAG])).table()


def stock_per_origin_query(ref_id: str) -> InfluxQL:
    """Per origin, the sum over its lots of each lot's newest stock, wet and dry."""
    newest = _newest(STOCK, [STOCK_WET, STOCK_DRY], site_filter(STOCK, asset_variable="lot"), [LOT_TAG, ORIGIN_TAG])
    return InfluxQL(ref_id, f'SELECT sum("{STOCK_WET}") AS "{STOCK_WET}", sum("{STOCK_DRY}") AS "{STOCK_DRY}" FROM ({newest}) GROUP BY "{ORIGIN_TAG}"').table()


def latest_runs_query(ref_id: str) -> InfluxQL:
    """Each run component's newest figures and the run's state, whatever their age."""
    return InfluxQL(ref_id, _newest(RUN, RUN_FIELDS, site_filter(RUN), [RUN_TAG, COMPONENT_TAG])).table()


def product_query(ref_id: str) -> InfluxQL:
    """Each run's product row (the row that carries the verdict) in the time range."""
    return InfluxQL(ref_id, _newest(RUN, PRODUCT_FIELDS, f"{site_filter(RUN)} AND $timeFilter", [RUN_TAG, COMPONENT_TAG])).table()


def latest_balance_query(ref_id: str) -> InfluxQL:
    """Each scope's and basis's newest balance, whatever its age."""
    return InfluxQL(ref_id, _newest(BALANCE, BALANCE_FIELDS, site_filter(BALANCE), [SCOPE_TAG, BASIS_TAG])).table()


def _kinds(kinds: tuple[str, ...]) -> str:
    return f'"{EVENT_KIND_TAG}" =~ /^({"|".join(kinds)})$/'


def yard_events_query(ref_id: str) -> InfluxQL:
    """The yard's events in the time range, with their asset and kind."""
    return InfluxQL(
        ref_id,
        f'SELECT "{EVENT_MESSAGE}" FROM "{EVENT.name}" WHERE "{contract.SITE_TAG}" =~ /^$site$/ AND {_kinds(YARD_EVENT_KINDS)} AND $timeFilter '
        f'GROUP BY "{EVENT_ASSET_TAG}", "{EVENT_KIND_TAG}"',
    ).table()


def scale_drift_query(ref_id: str) -> InfluxQL:
    """Each belt scale's bias against the draft surveys of its newest lots, its confidence interval and its class's
    MPE, as the drift check wrote them (`scale_drift`), per interval."""
    drift = contract.SCALE_DRIFT
    return InfluxQL(
        ref_id,
        f'SELECT last("bias_pct") AS "bias", last("ci_low_pct") AS "interval low", last("ci_high_pct") AS "interval high", '
        f'last("mpe_pct") AS "MPE" FROM "{drift.name}" WHERE "{contract.SITE_TAG}" =~ /^$site$/ AND $timeFilter '
        f'GROUP BY time($__interval), "{drift.asset_tag}" fill(null)',
    ).alias(f"$tag_{drift.asset_tag} $col")


def _organize(order: list[str]) -> DataTransformerConfig:
    return DataTransformerConfig(id_val="organize", options={"excludeByName": {"Time": True}, "indexByName": {name: i for i, name in enumerate(order)}})


def _keep_rows(filters: list[tuple[str, str]]) -> DataTransformerConfig:
    """filterByValue: keep the rows where every named field matches its regex (a null never matches)."""
    return DataTransformerConfig(
        id_val="filterByValue",
        options={
            "filters": [{"fieldName": name, "config": {"id": "regex", "options": {"value": regex}}} for name, regex in filters],
            "type": "include",
            "match": "all",
        },
    )


def stock_table() -> table.Panel:
    panel = (
        table.Panel()
        .title(_title(YARD_TERMS["stock_per_lot"]))
        .description("Each lot's newest book stock, whatever its age (not limited by the time picker): entered, out, stock wet and dry, "
                     "the expanded uncertainty of the wet stock, and the lot's status.")
        .datasource(datasource_ref())
        .with_target(latest_stock_query("A"))
        .with_transformation(_organize([LOT_TAG, ORIGIN_TAG, *STOCK_FIELDS]))
        .unit("none")
        .override_by_name(LOT_TAG, [_display(COLUMN_LABELS[LOT_TAG])])
        .override_by_name(ORIGIN_TAG, [_display(COLUMN_LABELS[ORIGIN_TAG])])
        .override_by_name(STOCK_STATUS, _mapped(COLUMN_LABELS[STOCK_STATUS], LOT_STATUSES))
    )
    for name in STOCK_FIELDS:
        if name != STOCK_STATUS:
            panel = panel.override_by_name(name, _mass(COLUMN_LABELS[name]))
    return panel


def _stock_bars(title: str, description: str, query: InfluxQL, x_field: str, labels: list[str]) -> barchart.Panel:
    return (
        barchart.Panel()
        .title(title)
        .description(description)
        .datasource(datasource_ref())
        .with_target(query)
        .with_transformation(_organize(labels))
        .x_field(x_field)
        .unit("masst")
        .decimals(MASS_DECIMALS)
        .override_by_name(STOCK_WET, [_display(COLUMN_LABELS[STOCK_WET])])
        .override_by_name(STOCK_DRY, [_display(COLUMN_LABELS[STOCK_DRY])])
    )


def runs_table() -> table.Panel:
    order = [RUN_TAG, COMPONENT_TAG, "wet_t", "u_wet_t", "share_pct", TARGET, "tolerance_pct", OFF_RECIPE, LEGAL, RUN_STATE]
    return (
        table.Panel()
        .title(_title(YARD_TERMS["runs_in_progress"]))
        .description("Every component of every run still running, however long ago it started: delivered so far, achieved share against the "
                     "recipe's target and tolerance (off recipe in red), and whether the scale's total is a legal figure (≥ Σmin).")
        .datasource(datasource_ref())
        .with_target(latest_runs_query("A"))
        # running runs only; the product row (it has no target share) is in "Product vs components"
        .with_transformation(_keep_rows([(RUN_STATE, "^running$"), (TARGET, ".")]))
        .with_transformation(_organize(order))
        .unit("none")
        .override_by_name(RUN_TAG, [_display(RUN_LABELS[RUN_TAG])])
        .override_by_name(COMPONENT_TAG, [_display(RUN_LABELS[COMPONENT_TAG])])
        .override_by_name("wet_t", _mass(RUN_LABELS["wet_t"]))
        .override_by_name("u_wet_t", _mass(RUN_LABELS["u_wet_t"]))
        .override_by_name("share_pct", [_display(RUN_LABELS["share_pct"]), DynamicConfigValue(id_val="unit", value="percent"),
                                        DynamicConfigValue(id_val="decimals", value=PERCENT_DECIMALS)])
        .override_by_name(TARGET, [_display(RUN_LABELS[TARGET]), DynamicConfigValue(id_val="unit", value="percent"),
                                   DynamicConfigValue(id_val="decimals", value=PERCENT_DECIMALS)])
        .override_by_name("tolerance_pct", [_display(RUN_LABELS["tolerance_pct"]), DynamicConfigValue(id_val="unit", value="suffix: pp"),
                                            DynamicConfigValue(id_val="decimals", value=PERCENT_DECIMALS)])
        .override_by_name(OFF_RECIPE, _mapped(RUN_LABELS[OFF_RECIPE], RECIPE))
        .override_by_name(LEGAL, _mapped(RUN_LABELS[LEGAL], LEGAL_FIGURE))
        .override_by_name(RUN_STATE, _mapped(RUN_LABELS[RUN_STATE], RUN_STATES))
    )


def product_table() -> table.Panel:
    order = [RUN_TAG, PRODUCT_VERDICT, "wet_t", "u_wet_t", RUN_STATE]
    return (
        table.Panel()
        .title(_title(YARD_TERMS["product_vs_components"]))
        .description("Each run in the time range (its product row): the product scale's mass and the verdict of product against the sum of the components, "
                     "within the expanded uncertainty of their difference (k = 2).")
        .datasource(datasource_ref())
        .with_target(product_query("A"))
        .with_transformation(_keep_rows([(PRODUCT_VERDICT, ".")]))
        .with_transformation(DataTransformerConfig(id_val="organize", options={
            "excludeByName": {"Time": True, COMPONENT_TAG: True},  # the product row's component tag says only "product"
            "indexByName": {name: i for i, name in enumerate(order)},
        }))
        .unit("none")
        .override_by_name(RUN_TAG, [_display(RUN_LABELS[RUN_TAG])])
        .override_by_name(PRODUCT_VERDICT, _mapped(RUN_LABELS[PRODUCT_VERDICT], PRODUCT_VERDICTS))
        .override_by_name("wet_t", _mass(_column(YARD_TERMS["product_scale"], "t " + YARD_TERMS["wet"][0])))
        .override_by_name("u_wet_t", _mass(RUN_LABELS["u_wet_t"]))
        .override_by_name(RUN_STATE, _mapped(RUN_LABELS[RUN_STATE], RUN_STATES))
    )


def balance_table() -> table.Panel:
    order = [SCOPE_TAG, BASIS_TAG, *BALANCE_FIELDS]
    panel = (
        table.Panel()
        .title(_title(YARD_TERMS["balance"]))
        .description("The newest balance of each scope (a lot, or the yard over a period), wet and dry, whatever its age: entered − out − stock "
                     "against its expanded uncertainty, the verdict and the rule applied.")
        .datasource(datasource_ref())
        .with_target(latest_balance_query("A"))
        .with_transformation(_organize(order))
        .unit("none")
        .override_by_name(SCOPE_TAG, [_display(BALANCE_LABELS[SCOPE_TAG])])
        .override_by_name(BASIS_TAG, _mapped(BALANCE_LABELS[BASIS_TAG], BASES))
        .override_by_name(BALANCE_VERDICT, _mapped(BALANCE_LABELS[BALANCE_VERDICT], BALANCE_VERDICTS))
        .override_by_name("rule", [_display(BALANCE_LABELS["rule"]), DynamicConfigValue(id_val="unit", value="string")])
    )
    for name in ("entered_t", "out_t", "stock_t", "difference_t", "expanded_u_t"):
        panel = panel.override_by_name(name, _mass(BALANCE_LABELS[name]))
    return panel


def scale_drift_panel() -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title(_title(YARD_TERMS["scale_drift"]))
        .description("Per belt scale, its bias against the draft surveys of the newest lots it moved (mean of 100·(scale − survey)/survey), "
                     "the bias's confidence interval, and the maximum permissible error of its OIML R 50 class. The scale has drifted "
                     "when the whole interval lies beyond the MPE (event scale_drift).")
        .datasource(datasource_ref())
        .with_target(scale_drift_query("A"))
        .unit("percent")
        .decimals(2)
        .interval("1m")
        .max_data_points(500)
        # A check is a point in time, not a reading that carries on: each is drawn as a point, none joined across a gap.
        .span_nulls(False)
        .show_points(VisibilityMode.ALWAYS)
        .point_size(6)
    )


def events_table() -> table.Panel:
    kind_label = _column(TERMS["kind"])
    return (
        table.Panel()
        .title(_title(YARD_TERMS["yard_events"]))
        .description("Belt scales drifted beyond their class, lots overdrawn, runs off recipe, in the time range; asset: the scale, the lot or the run.")
        .datasource(datasource_ref())
        .with_target(yard_events_query("A"))
        .unit("string")
        .override_by_name("Time", [DynamicConfigValue(id_val="unit", value="dateTimeAsIso")])
        .override_by_name(EVENT_KIND_TAG, _mapped(kind_label, EVENT_KIND_LABELS))
    )


TITLE = _title(YARD_TERMS["yard_board"])
_WET_DRY = (f"t, {YARD_TERMS['wet'][0]} · {YARD_TERMS['dry'][0]}", f"{YARD_TERMS['wet'][1]} · {YARD_TERMS['dry'][1]}")


def build() -> DashboardModel:
    per_lot = _stock_bars(
        _title(YARD_TERMS["stock_per_lot"], _WET_DRY),
        "Each lot's newest book stock, wet and dry, whatever its age.",
        stock_per_lot_query("A"), LOT_TAG, [LOT_TAG, STOCK_WET, STOCK_DRY],
    )
    per_origin = _stock_bars(
        _title(YARD_TERMS["stock_per_origin"], _WET_DRY),
        "Per origin, the sum of its lots' newest book stock, wet and dry.",
        stock_per_origin_query("A"), ORIGIN_TAG, [ORIGIN_TAG, STOCK_WET, STOCK_DRY],
    )
    return number_panels(
        Dashboard(TITLE)
        .uid(UID)
        .tags(["bulkdaq", "customs", "yard", "blending"])
        .description("Bonded ore blending yard: stock per lot, runs against their recipe, product against components, the mass balance, "
                     "belt-scale drift and the yard's events.")
        .time("now-30d", "now")
        .refresh("1m")
        .timezone("browser")
        .readonly()
        .with_variable(site_variable(STOCK))
        .with_variable(tag_values_variable("lot", _column(YARD_TERMS["lot"]), STOCK, LOT_TAG))
        .with_panel(stock_table().height(8).span(24))
        .with_panel(per_lot.height(8).span(12))
        .with_panel(per_origin.height(8).span(12))
        .with_panel(runs_table().height(8).span(24))
        .with_panel(product_table().height(6).span(12))
        .with_panel(balance_table().height(6).span(12))
        .with_panel(scale_drift_panel().height(7).span(12))
        .with_panel(events_table().height(7).span(12))
        .build()
    )


__all__ = [
    "BALANCE_FIELDS",
    "BALANCE_VERDICTS",
    "EVENT_KIND_LABELS",
    "EVENT_MESSAGE",
    "LOT_STATUSES",
    "PRODUCT_VERDICTS",
    "RECIPE",
    "RUN_FIELDS",
    "STOCK_FIELDS",
    "TITLE",
    "UID",
    "YARD_EVENT_KINDS",
    "balance_table",
    "build",
    "events_table",
    "latest_balance_query",
    "latest_runs_query",
    "latest_stock_query",
    "product_query",
    "product_table",
    "runs_table",
    "scale_drift_panel",
    "scale_drift_query",
    "stock_per_lot_query",
    "stock_per_origin_query",
    "stock_table",
    "yard_events_query",
]
