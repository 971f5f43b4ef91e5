"""Strict schemas of Grafana 11.6's file-provisioning YAML, written from Grafana's documentation (it publishes no
machine-readable schema for these files): every key documented there is allowed, nothing else, with the
documented types and choices.

* data sources and dashboard providers: https://grafana.com/docs/grafana/v11.6/administration/provisioning/
  ("Data sources", "Dashboards"); the InfluxDB keys: https://grafana.com/docs/grafana/v11.6/datasources/influxdb/
  ("Provision the data source")
* alerting (rule groups, contact points, notification policies):
  https://grafana.com/docs/grafana/v11.6/alerting/set-up/provision-alerting-resources/file-provisioning/

Grafana replaces ``$NAME`` / ``${NAME}`` with its environment in provisioning values, except in an alert
rule's query models and annotations (same pages; the alerting page, "Template variable interpolation").
`interpolated_dollars` lists any other ``$``: there it would be an environment lookup, so only the
datasource's password reference may have one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MATCHER_OPERATORS = ("=", "!=", "=~", "!~")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# ---- datasources/*.yaml -------------------------------------------------------------------------------------


class InfluxJsonData(Strict):
    version: Literal["InfluxQL", "Flux", "SQL"] | None = None
    dbName: str | None = None
    httpMode: Literal["GET", "POST"] | None = None
    timeInterval: str | None = None
    organization: str | None = None
    defaultBucket: str | None = None
    maxSeries: int | None = None
    tlsSkipVerify: bool | None = None
    tlsAuth: bool | None = None
    tlsAuthWithCACert: bool | None = None
    insecureGrpc: bool | None = None


class InfluxSecureJsonData(Strict):
    password: str | None = None
    token: str | None = None
    basicAuthPassword: str | None = None
    tlsCACert: str | None = None
    tlsClientCert: str | None = None
    tlsClientKey: str | None = None


class Datasource(Strict):
    name: str
    type: Literal["influxdb"]  # the only one bulkdaq provisions; its jsonData is checked with InfluxDB's keys
    access: Literal["proxy", "direct"] | None = None
    orgId: int | None = None
    uid: str | None = None
    url: str | None = None
    user: str | None = None
    database: str | None = None
    basicAuth: bool | None = None
    basicAuthUser: str | None = None
    withCredentials: bool | None = None
    isDefault: bool | None = None
    jsonData: InfluxJsonData | None = None
    secureJsonData: InfluxSecureJsonData | None = None
    version: int | None = None
    editable: bool | None = None


class DeleteDatasource(Strict):
    name: str
    orgId: int | None = None


class DatasourcesFile(Strict):
    apiVersion: Literal[1]
    datasources: list[Datasource] = Field(default_factory=list)
    deleteDatasources: list[DeleteDatasource] = Field(default_factory=list)
    prune: bool | None = None


# ---- dashboards/*.yaml (providers) ----------------------------------------------------------------------------


class ProviderOptions(Strict):
    path: str
    foldersFromFilesStructure: bool | None = None


class Provider(Strict):
    name: str
    orgId: int | None = None
    folder: str | None = None
    folderUid: str | None = None
    type: Literal["file"]
    disableDeletion: bool | None = None
    updateIntervalSeconds: int | None = None
    allowUiUpdates: bool | None = None
    options: ProviderOptions


class ProvidersFile(Strict):
    apiVersion: Literal[1]
    providers: list[Provider]


# ---- alerting/*.yaml --------------------------------------------------------------------------------------------


class RelativeTimeRange(Strict):
    from_: int = Field(alias="from")
    to: int


class RuleQuery(Strict):
    refId: str
    queryType: str | None = None
    relativeTimeRange: RelativeTimeRange | None = None
    datasourceUid: str
    model: dict[str, Any]


class Rule(Strict):
    uid: str
    title: str
    condition: str
    data: list[RuleQuery] = Field(min_length=1)
    dashboardUid: str | None = None
    panelId: int | None = None
    noDataState: Literal["NoData", "Alerting", "OK"] | None = None
    execErrState: Literal["Error", "Alerting", "OK"] | None = None
    for_: str = Field(alias="for")
    annotations: dict[str, str] | None = None
    labels: dict[str, str] | None = None
    isPaused: bool | None = None


class RuleGroup(Strict):
    orgId: int | None = None
    name: str
    folder: str
    interval: str
    rules: list[Rule]


class Receiver(Strict):
    uid: str
    type: str
    settings: dict[str, Any]
    disableResolveMessage: bool | None = None


class ContactPoint(Strict):
    orgId: int | None = None
    name: str
    receivers: list[Receiver] = Field(min_length=1)


class Route(Strict):
    receiver: str | None = None
    group_by: list[str] | None = None
    matchers: list[str] | None = None
    object_matchers: list[Annotated[list[str], Field(min_length=3, max_length=3)]] | None = None  # [label, operator, value]
    mute_time_intervals: list[str] | None = None
    group_wait: str | None = None
    group_interval: str | None = None
    repeat_interval: str | None = None
    continue_: bool | None = Field(default=None, alias="continue")
    routes: list[Route] | None = None

    @field_validator("object_matchers")
    @classmethod
    def _operators(cls, matchers: list[list[str]] | None) -> list[list[str]] | None:
        for _label, operator, _value in matchers or []:
            if operator not in MATCHER_OPERATORS:
                raise ValueError(f"matcher operator {operator!r} is not one of {MATCHER_OPERATORS}")
        return matchers


class Policy(Route):
    orgId: int | None = None
    receiver: str  # the root policy names its contact point


class AlertingFile(Strict):
    apiVersion: Literal[1]
    groups: list[RuleGroup] = Field(default_factory=list)
    contactPoints: list[ContactPoint] = Field(default_factory=list)
    policies: list[Policy] = Field(default_factory=list)


SCHEMAS: dict[str, type[Strict]] = {"datasources": DatasourcesFile, "dashboards": ProvidersFile, "alerting": AlertingFile}


def interpolated_dollars(document: Any, path: str = "") -> list[str]:
    """Paths of string values with a ``$`` where Grafana would read it as an environment variable."""
    if isinstance(document, dict):
        out: list[str] = []
        for key, value in document.items():
            if key in {"model", "annotations"} and ".rules[" in path:
                continue  # not interpolated by Grafana
            out += interpolated_dollars(value, f"{path}.{key}")
        return out
    if isinstance(document, list):
        return [p for i, item in enumerate(document) for p in interpolated_dollars(item, f"{path}[{i}]")]
    return [path] if isinstance(document, str) and "$" in document else []


__all__ = [
    "SCHEMAS",
    "AlertingFile",
    "DatasourcesFile",
    "ProvidersFile",
    "interpolated_dollars",
]
