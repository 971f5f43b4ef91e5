"""Reads history back from InfluxDB with InfluxQL through the v1 ``/query`` endpoint, as typed results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from bulkdaq.config.site_file import Credentials
from bulkdaq.config.validation import redacted_url, url_without_credentials
from bulkdaq.errors import BulkdaqError
from bulkdaq.store import contract

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class QueryError(BulkdaqError, RuntimeError):
    """InfluxDB refused a query or could not be reached."""


@dataclass(frozen=True)
class Reading:
    """One stored value with its timestamp (UTC)."""

    time: datetime
    value: Any

    @property
    def time_ms(self) -> int:
        return round(self.time.timestamp() * 1000)


@dataclass(frozen=True)
class Series:
    name: str
    tags: dict[str, str]
    columns: list[str]
    values: list[list[Any]]

    def rows(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=False)) for row in self.values]


def quote_identifier(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def time_literal(moment: datetime) -> str:
    """An InfluxQL time bound in epoch nanoseconds (exact, no time-zone parsing on the server)."""
    if moment.tzinfo is None:
        raise ValueError(f"time {moment.isoformat()} has no time zone; give UTC or an offset")
    return f"{round(moment.timestamp() * 1000)}ms"


class InfluxReader:
    """Runs InfluxQL against one database."""

    def __init__(self, url: str, database: str, credentials: Credentials = Credentials(None, None), *, timeout_s: float = 30.0) -> None:
        # A URL's user and password (a command line's --influx http://user:pw@host) become the credentials,
        # so that the URL kept, and every line that prints it (httpx's own log too), holds no secret.
        url, url_user, url_password = url_without_credentials(url)
        if credentials.password is None and url_password is not None:
            credentials = Credentials(credentials.username or url_user, url_password)
        self.url = url.rstrip("/")
        self.database = database
        auth = (credentials.username or "bulkdaq", credentials.password) if credentials.password is not None else None
        self._client = httpx.Client(timeout=timeout_s, auth=auth)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> InfluxReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def query(self, influxql: str) -> list[Series]:
        """Run one or more statements; returns every series of every statement, times as UTC datetimes."""
        try:
            response = self._client.post(
                f"{self.url}/query", data={"db": self.database, "q": influxql, "epoch": "ms"}
            )
        except httpx.HTTPError as error:
            raise QueryError(f"InfluxDB at {redacted_url(self.url)} unreachable: {type(error).__name__}: {error}") from None
        if response.status_code != 200:
            raise QueryError(f"InfluxDB at {redacted_url(self.url)} answered HTTP {response.status_code}: {response.text.strip()[:500]}")
        series: list[Series] = []
        for result in response.json().get("results", []):
            if "error" in result:
                raise QueryError(f"InfluxQL error: {result['error']} (query: {influxql})")
            for raw in result.get("series", []):
                columns = raw["columns"]
                values = [_typed_row(columns, row) for row in raw.get("values", [])]
                series.append(Series(raw["name"], raw.get("tags", {}) or {}, columns, values))
        return series

    def create_database(self) -> None:
        self.query(f"CREATE DATABASE {quote_identifier(self.database)}")

    def last_per_asset(self, measurement: contract.Measurement, field: str, *, good_only: bool = True) -> dict[str, Reading]:
        """The newest value of `field` for every asset of `measurement`."""
        where = f" WHERE {quote_identifier(contract.QUALITY_FIELD)} = 'good'" if good_only else ""
        statement = (
            f"SELECT last({quote_identifier(field)}) FROM {quote_identifier(measurement.name)}"
            f"{where} GROUP BY {quote_identifier(measurement.asset_tag)}"
        )
        return {
            s.tags[measurement.asset_tag]: Reading(s.values[0][0], s.values[0][1])
            for s in self.query(statement)
            if s.values
        }

    def first_and_last(
        self,
        measurement: contract.Measurement,
        asset: str,
        field: str,
        start: datetime,
        end: datetime,
        *,
        good_only: bool = True,
    ) -> tuple[Reading, Reading] | None:
        """The first and the last value of `field` for `asset` with start ≤ time ≤ end, or None if none."""
        conditions = [
            f"{quote_identifier(measurement.asset_tag)} = {quote_string(asset)}",
            f"time >= {time_literal(start)}",
            f"time <= {time_literal(end)}",
        ]
        if good_only:
            conditions.append(f"{quote_identifier(contract.QUALITY_FIELD)} = 'good'")
        where = " AND ".join(conditions)
        source = f"FROM {quote_identifier(measurement.name)} WHERE {where}"
        # Two statements: a selector alone returns the time of the point it selected.
        series = self.query(f"SELECT first({quote_identifier(field)}) {source}; SELECT last({quote_identifier(field)}) {source}")
        if len(series) != 2 or not series[0].values or not series[1].values:
            return None
        first, last = series[0].values[0], series[1].values[0]
        return Reading(first[0], first[1]), Reading(last[0], last[1])


def _typed_row(columns: list[str], row: list[Any]) -> list[Any]:
    if columns and columns[0] == "time" and row and isinstance(row[0], int):
        row = [EPOCH + timedelta(milliseconds=row[0]), *row[1:]]
    return row


__all__ = [
    "EPOCH",
    "InfluxReader",
    "QueryError",
    "Reading",
    "Series",
    "quote_identifier",
    "quote_string",
    "time_literal",
]
