"""Grafana alert rules (file provisioning): discrepancy, blocked, stale data, spool backlog.

Each rule is an InfluxQL query (A) reduced to one number per series (B) and compared with a threshold
(C); every series (shipment, source, collector) is its own alert instance with its tags as labels.
Stale data is counted, not inferred from absence: the subquery fills empty 10 s buckets with 0 for every
source seen in the last hour, and six times the moving average over six buckets gives the readings of about the last
minute; the reducer takes the newest. A silent source so yields 0 instead of vanishing from the result
(which Grafana would treat as "no data", not as an alert).
"""

from __future__ import annotations

from typing import Any, Literal

from grafana_foundation_sdk.builders import expr
from grafana_foundation_sdk.builders.alerting import Query, Rule, RuleGroup
from grafana_foundation_sdk.models.alerting import RelativeTimeRange
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from bulkdaq.store import contract
from dashboards.grafana.cog_json import plain
from dashboards.grafana.influxql_query import DATASOURCE_UID, InfluxQL

FOLDER = "bulkdaq"
EXPRESSION_DATASOURCE_UID = "__expr__"
SPOOL_BACKLOG_S = 300.0
TEAM = "bulkdaq"  # the `team` label of every rule: the example notification policy routes on it

CLEARANCE = contract.CLEARANCE
HEALTH = contract.COLLECTOR_HEALTH
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
SPOOL_LAG_QUERY = (
    f'SELECT max("lag_s") AS "lag_s" FROM "{HEALTH.name}" WHERE $timeFilter GROUP BY "{contract.SITE_TAG}", "{contract.COLLECTOR_TAG}"'
)


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
    "HEALTH",
    "RULES",
    "SHIPMENT_TAG",
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
