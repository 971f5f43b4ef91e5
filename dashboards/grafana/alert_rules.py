"""Grafana alert rules (file provisioning): discrepancy, blocked, stale data, spool backlog, silent site.

Each rule is an InfluxQL query (A) reduced to one number per series (B) and compared with a threshold
(C); every series (shipment, source, collector) is its own alert instance with its tags as labels.
Stale data is counted, not inferred from absence: the subquery fills empty 10 s buckets with 0 for every
source seen in the last hour, and six times the moving average over six buckets gives the readings of about the last
minute; the reducer takes the newest. A silent source so yields 0 instead of vanishing from the result
(which Grafana would treat as "no data", not as an alert). A site whose signed evidence heads stopped is
counted the same way, per site, in buckets of one head interval.
"""

from __future__ import annotations

from typing import Any, Literal

from grafana_foundation_sdk.builders import expr
from grafana_foundation_sdk.builders.alerting import Query, Rule, RuleGroup
from grafana_foundation_sdk.models.alerting import RelativeTimeRange
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from bulkdaq.store import contract
from dashboards.grafana.cog_json import plain
from dashboards.grafana.contract_names import field
from dashboards.grafana.influxql_query import DATASOURCE_UID, InfluxQL
from dashboards.grafana.office_board import HEAD_INTERVAL_S, HEADS_STALE_AFTER, HEADS_STALE_INTERVALS

FOLDER = "bulkdaq"
EXPRESSION_DATASOURCE_UID = "__expr__"
SPOOL_BACKLOG_S = 300.0
TEAM = "bulkdaq"  # the `team` label of every rule: the example notification policy routes on it

CLEARANCE = contract.CLEARANCE
HEALTH = contract.COLLECTOR_HEALTH
HEADS = contract.EVIDENCE_HEAD
SHIPMENT_TAG = CLEARANCE.asset_tag


def _shipments_in_state(state: str) -> str:
    # No time bound: clearance points are written only on a state change, so a shipment in discrepancy
    # for longer than any window would otherwise stop firing (as the clearance board lists it, whatever its age).
    return (
        f'SELECT count("state") AS "shipments" FROM (SELECT last("state") AS "state" FROM "{CLEARANCE.name}" '
        f'GROUP BY "{contract.SITE_TAG}", "{SHIPMENT_TAG}") '
        f"WHERE \"state\" = '{state}' GROUP BY \"{contract.SITE_TAG}\", \"{SHIPMENT_TAG}\""
    )


STALE_BUCKET = "10s"
STALE_BUCKETS = 6  # readings in the last 6 buckets of 10 s (the newest one partial): about a minute
STALE_WINDOW = "1m"
STALE_SOURCES_QUERY = (
    f'SELECT moving_average("readings", {STALE_BUCKETS}) * {STALE_BUCKETS} AS "readings" FROM (SELECT count("poll_ms") AS "readings" FROM "{HEALTH.name}" '
    f'WHERE $timeFilter GROUP BY time({STALE_BUCKET}), "{contract.SITE_TAG}", "{contract.COLLECTOR_TAG}", "{HEALTH.asset_tag}" fill(0)) '
    f'GROUP BY "{contract.SITE_TAG}", "{contract.COLLECTOR_TAG}", "{HEALTH.asset_tag}"'
)
# Site silent: each terminal's collector publishes its signed chain head every `[evidence] head_interval_s`
# (bulkdaq/config/site_file.py, 60 s by default). Heads are counted per site in buckets of one head interval,
# filled with 0 for every site that published one in the rule's range (a day: a critical alert should not
# resolve itself after an hour of silence, and a day of one head a minute per site is cheap to count); HEADS_STALE_INTERVALS times the moving average
# over that many buckets (the newest one partial) is the number of heads of about the last HEADS_STALE_AFTER, the
# office board's STALE threshold (office_board.py), so board and alert call the same site silent. One missed head
# always leaves one head in those buckets, whatever their alignment (jitter, no alert); three missed never do (silence).
# A site configured with a longer interval needs the office board's constants raised, and this rule follows them.
SILENT_BUCKET = f"{HEAD_INTERVAL_S}s"
SILENT_BUCKETS = HEADS_STALE_INTERVALS
SILENT_WINDOW = HEADS_STALE_AFTER
SILENT_SITES_QUERY = (
    f'SELECT moving_average("heads", {SILENT_BUCKETS}) * {SILENT_BUCKETS} AS "heads" FROM (SELECT count("{field(HEADS, "seq")}") AS "heads" '
    f'FROM "{HEADS.name}" WHERE $timeFilter GROUP BY time({SILENT_BUCKET}), "{contract.SITE_TAG}" fill(0)) GROUP BY "{contract.SITE_TAG}"'
)
SPOOL_LAG_QUERY = (
    f'SELECT max("lag_s") AS "lag_s" FROM "{HEALTH.name}" WHERE $timeFilter GROUP BY "{contract.SITE_TAG}", "{contract.COLLECTOR_TAG}"'
)


SILENT_SITES_RANGE_S = 86_400

Evaluator = Literal["gt", "lt"]  # the threshold conditions the rules use


def _rule(uid: str, title: str, query: str, seconds: int, evaluator: Evaluator, threshold: float, summary: str, severity: str, for_: str) -> Rule:
    source = Query("A").datasource_uid(DATASOURCE_UID).relative_time_range(RelativeTimeRange(from_val=seconds, to=0)).model(InfluxQL("A", query))
    expressions = DataSourceRef(type_val=EXPRESSION_DATASOURCE_UID, uid=EXPRESSION_DATASOURCE_UID)
    reduce_model = expr.TypeReduce().ref_id("B").datasource(expressions).expression("A").reducer("last").settings(expr.ExprTypeReduceSettings().mode("dropNN"))
    threshold_model = (
        expr.TypeThreshold().ref_id("C").datasource(expressions).expression("B")
        .conditions([expr.ExprTypeThresholdConditions().evaluator(expr.ExprTypeThresholdConditionsEvaluator().type(evaluator).params([threshold]))])
    )
    return (
        Rule(title)
        .uid(uid)
        .condition("C")
        .queries([
            source,
            Query("B").datasource_uid(EXPRESSION_DATASOURCE_UID).model(reduce_model),
            Query("C").datasource_uid(EXPRESSION_DATASOURCE_UID).model(threshold_model),
        ])
        .no_data_state("OK")
        .exec_err_state("Error")
        .for_val(for_)
        .annotations({"summary": summary})
        .labels({"severity": severity, "team": TEAM})
    )


RULES: tuple[tuple[str, str, str, int, Evaluator, float, str, str, str], ...] = (
    ("bulkdaq-clearance-discrepancy", "Shipment in discrepancy / 货运差异", _shipments_in_state("discrepancy"), 30 * 86_400, "gt", 0,
     "Shipment {{ $labels.shipment }} at {{ $labels.site }}: measured differs from declared beyond tolerance.", "critical", "0s"),
    ("bulkdaq-clearance-blocked", "Shipment blocked / 货运阻止", _shipments_in_state("blocked"), 30 * 86_400, "gt", 0,
     "Shipment {{ $labels.shipment }} at {{ $labels.site }} is blocked (precheck failed).", "critical", "0s"),
    ("bulkdaq-stale-source", "Source stale / 数据源过期", STALE_SOURCES_QUERY, 3_600, "lt", 1,
     f"Source {{{{ $labels.source }}}} of collector {{{{ $labels.collector }}}}: no reading for {STALE_WINDOW}.", "warning", "1m"),
    ("bulkdaq-spool-backlog", "Spool backlog / 缓存积压", SPOOL_LAG_QUERY, 300, "gt", SPOOL_BACKLOG_S,
     f"Collector {{{{ $labels.collector }}}}: oldest reading not in InfluxDB is older than {SPOOL_BACKLOG_S:.0f} s.", "warning", "2m"),
    ("bulkdaq-site-silent", "Site silent / 站点静默", SILENT_SITES_QUERY, SILENT_SITES_RANGE_S, "lt", 1,
     f"Site {{{{ $labels.site }}}}: no signed evidence head for about {SILENT_WINDOW} ({SILENT_BUCKETS} head intervals of {HEAD_INTERVAL_S} s); "
     "the office no longer witnesses its evidence chain.", "critical", "1m"),
)


def rule_group() -> RuleGroup:
    group = RuleGroup("bulkdaq").interval(60)
    for uid, title, query, seconds, evaluator, threshold, summary, severity, for_ in RULES:
        group = group.with_rule(_rule(uid, title, query, seconds, evaluator, threshold, summary, severity, for_))
    return group


def provisioning_document() -> dict[str, Any]:
    """``alerting/bulkdaq.yaml`` content: Grafana's file-provisioning format (apiVersion 1, groups)."""
    built = plain(rule_group().build())
    rules = []
    for rule in built["rules"]:
        # The provisioning file names the folder at group level; the API-only keys are left out.
        rules.append({k: v for k, v in rule.items() if k not in {"folderUID", "ruleGroup", "orgID", "provenance", "id", "updated"}})
    return {"apiVersion": 1, "groups": [{"orgId": 1, "name": built["title"], "folder": FOLDER, "interval": "1m", "rules": rules}]}


__all__ = [
    "CLEARANCE",
    "EXPRESSION_DATASOURCE_UID",
    "FOLDER",
    "HEADS",
    "HEALTH",
    "RULES",
    "SHIPMENT_TAG",
    "SILENT_BUCKET",
    "SILENT_BUCKETS",
    "SILENT_SITES_QUERY",
    "SILENT_WINDOW",
    "SPOOL_BACKLOG_S",
    "SPOOL_LAG_QUERY",
    "STALE_BUCKET",
    "STALE_BUCKETS",
    "STALE_SOURCES_QUERY",
    "STALE_WINDOW",
    "TEAM",
    "Evaluator",
    "provisioning_document",
    "rule_group",
]
