"""A draft observation session from the plant's draft feed: the ``draft`` measurement of one vessel in
InfluxDB over a time window (the marks the plant's draft sensors send over OPC UA or Modbus)."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from bulkdaq.config.observation_policy import DEFAULT_POLICY, ObservationPolicy
from bulkdaq.config.site_file import LoadedSite, resolve_credentials
from bulkdaq.errors import BulkdaqError
from bulkdaq.inputs.observation_file import MARKS
from bulkdaq.observations.session import ObservationSession, build_session
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader, quote_identifier, quote_string, time_literal


class FeedWindowEmpty(BulkdaqError, LookupError):
    """The draft feed holds no good reading of the vessel in the window."""


def feed_field(mark: str) -> str:
    """The data contract's field of a mark: ``fwd_port`` → ``fwd_port_m``."""
    return f"{mark}_m"


def draft_feed_series(reader: InfluxReader, vessel: str, start: datetime, end: datetime) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each mark's good readings of `vessel` with start ≤ time ≤ end, as (epoch seconds, drafts [m]).

    Only readings of quality ``good`` count; a mark without any is absent from the result.
    """
    where = " AND ".join(
        (
            f"{quote_identifier(contract.DRAFT.asset_tag)} = {quote_string(vessel)}",
            f"{quote_identifier(contract.QUALITY_FIELD)} = 'good'",
            f"time >= {time_literal(start)}",
            f"time <= {time_literal(end)}",
        )
    )
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for mark in MARKS:
        # One statement per mark: a statement that finds nothing returns no series to line up with.
        statement = f"SELECT {quote_identifier(feed_field(mark))} FROM {quote_identifier(contract.DRAFT.name)} WHERE {where}"
        rows = [(row[0], row[1]) for result in reader.query(statement) for row in result.values if row[1] is not None]
        if rows:
            times = np.array([moment.timestamp() for moment, _ in rows], dtype=np.float64)
            drafts = np.array([float(value) for _, value in rows], dtype=np.float64)
            series[mark] = (times, drafts)
    return series


def session_from_feed(
    reader: InfluxReader,
    vessel: str,
    survey: str,
    start: datetime,
    end: datetime,
    policy: ObservationPolicy = DEFAULT_POLICY,
) -> ObservationSession:
    """The session of the plant's draft sensors for `vessel` over [start, end].

    Raises
    ------
    FeedWindowEmpty
        No good draft reading of the vessel in the window (names the vessel and the window).
    """
    series = draft_feed_series(reader, vessel, start, end)
    origin = f"InfluxDB draft feed, vessel {vessel}, {start.isoformat()} … {end.isoformat()}"
    if not series:
        raise FeedWindowEmpty(f"{origin}: no good draft reading of vessel {vessel!r} in the window")
    return build_session(series, survey=survey, vessel=vessel, source="sensor", origin=origin, policy=policy)


def session_from_site(
    site: LoadedSite,
    vessel: str,
    survey: str,
    start: datetime,
    end: datetime,
    policy: ObservationPolicy = DEFAULT_POLICY,
) -> ObservationSession:
    """:func:`session_from_feed` from the InfluxDB the site file names."""
    target = site.config.influxdb
    with InfluxReader(target.url, target.database, resolve_credentials(target, site.path)) as reader:
        return session_from_feed(reader, vessel, survey, start, end, policy)


__all__ = ["FeedWindowEmpty", "draft_feed_series", "feed_field", "session_from_feed", "session_from_site"]
