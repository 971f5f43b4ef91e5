"""Template variables the dashboards share: site and asset pickers fed by ``SHOW TAG VALUES``."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import QueryVariable
from grafana_foundation_sdk.models.dashboard import VariableRefresh, VariableSort

from bulkdaq.store import contract
from dashboards.grafana.influxql_query import datasource_ref


def tag_values_variable(name: str, label: str, measurement: contract.Measurement, tag: str, *, filtered_by_site: bool = True) -> QueryVariable:
    """A multi-value variable with "All" over the values of `tag` in `measurement` (refreshed with the time range).

    No custom "All" value: Grafana then sends every option as ``(a|b|c)``, which keeps ``=~ /^$x$/`` exact.
    """
    query = f'SHOW TAG VALUES FROM "{measurement.name}" WITH KEY = "{tag}"'
    if filtered_by_site and tag != contract.SITE_TAG:
        query += f' WHERE "{contract.SITE_TAG}" =~ /^$site$/'
    return (
        QueryVariable(name)
        .label(label)
        .datasource(datasource_ref())
        .query(query)
        .multi(True)
        .include_all(True)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )


def site_variable(measurement: contract.Measurement) -> QueryVariable:
    return tag_values_variable("site", "site / 站点", measurement, contract.SITE_TAG, filtered_by_site=False)


__all__ = [
    "site_variable",
    "tag_values_variable",
]
