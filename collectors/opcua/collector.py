"""OPC UA collector: one asyncio task per server, subscriptions (not polling), nothing dropped silently.

For each server the collector opens a session (`connection.py`), resolves the configured nodes
(`nodes.py`: namespace URIs and browse paths, afresh on every connection), creates one
subscription with a monitored item per node (sampling interval, queue size, deadband from the site
file) and turns every data-change notification into a reading:

* the value as sent (booleans become 0/1 for numeric fields), never rounded;
* the point's time is the **source timestamp** (else the server timestamp, else the receive time), so
  a value that did not change is not stored again as if it were fresh: the server sends nothing for
  it, and the initial values re-sent after a reconnect carry their old source timestamps, which
  overwrite the identical points already stored;
* quality from the StatusCode (`quality.py`); a Bad value is stored without a value field, the
  status code's name and hex value go into `quality_reason`, as does a server-side queue overflow;
* totalizer integrity (`collectors/integrity_watch.py`, the Modbus collector's watch): each update of a
  meter or belt scale, its Good values with the last known Good total and rate of that asset (an OPC UA
  node carries one field, and a subscription sends a value only when it changes), is checked for a
  reset, a jump beyond the rate, a total frozen while the rate says flow, a meter-factor change and a
  device-clock jump; the events are `event` points submitted with the readings that raised them.

The notification queue inside asyncua is created unbounded here (its default drops the oldest when
1,000 notifications wait), and the collector drains it into the sink in batches. A subscription that
sends neither data nor keep-alive for `stale_after_s` marks every asset of the server `stale` and the
session is re-created. When the connection drops, every asset is marked `bad`, the collector
reconnects with a backoff capped at `reconnect_max_delay_s`, re-creates session and subscription
(re-resolving namespace indexes), and records the gap as an `event` point.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from asyncua import Client, ua
from asyncua.common.subscription import DataChangeEvent, StatusChangeEvent, Subscription

from bulkdaq.backoff import Backoff
from bulkdaq.config.integrity_limits import IntegrityLimits
from bulkdaq.config.opcua_section import OpcUaSection, OpcUaServer, resolve_opcua_password
from bulkdaq.store import contract
from bulkdaq.store.line_protocol import FieldValue, Point
from collectors.cancellation import raise_if_cancel_requested
from collectors.device_status import DeviceStatus
from collectors.integrity_watch import TOTALIZERS, WATCHED_MEASUREMENTS, IntegrityEvent, IntegrityWatch, event_point
from collectors.opcua.connection import ConnectionSettings, OpcUaConnectError, close_client, open_client
from collectors.opcua.nodes import NodeProblem, describe_all, resolve_nodes
from collectors.opcua.quality import describe, quality_of
from collectors.reading_sink import ReadingSink

log = logging.getLogger(__name__)
# asyncua logs a traceback at ERROR when a server drops; the collector reports each outage itself, once,
# with the server name, as a bad reading and a comms_gap event.
logging.getLogger("asyncua").setLevel(logging.CRITICAL)

FIRST_RECONNECT_DELAY_S = 0.25
FLUSH_INTERVAL_S = 0.1  # pending readings reach the sink at least this often
FLUSH_AT = 2000  # … or as soon as this many are pending
MONITORED_ITEMS_CHUNK = 1000  # monitored items per CreateMonitoredItems request
_RANK = {contract.Quality.GOOD: 0, contract.Quality.UNCERTAIN: 1, contract.Quality.BAD: 2}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
COMMS_GAP = "comms_gap"  # the event kind (contract.EVENT_KINDS) of a time without data from a server
# Kept per asset from update to update (the last Good value): the totals, so a total that stopped changing is
# still judged when its rate changes, and the rates, so a total's change is judged against the rate in force.
CARRIED_FIELDS = frozenset({*TOTALIZERS, *TOTALIZERS.values()})


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def datetime_ms(stamp: datetime | None) -> int | None:
    """Milliseconds since the Unix epoch of an OPC UA DateTime (naive values are UTC), exactly."""
    if stamp is None:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    if stamp.year < 1971:  # DateTime 0 ("no timestamp") decodes to 1601 or the epoch
        return None
    delta = stamp - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


@dataclass(slots=True)
class OpcUaReading:
    """One data-change notification as received: the value and all its times and its status code."""

    node_index: int
    value: float | int | None
    status: int
    source_time_ms: int | None
    server_time_ms: int | None
    receive_time_ms: int
    problem: str | None = None  # the value could not be used (wrong type, NaN, …)

    @property
    def time_ms(self) -> int:
        """The reading's time: source timestamp, else server timestamp, else receive time."""
        return self.source_time_ms or self.server_time_ms or self.receive_time_ms


@dataclass(frozen=True)
class Gap:
    """A time without data from a server: from the loss of the connection to the next subscription."""

    server: str
    start_ms: int
    end_ms: int
    reason: str

    @property
    def seconds(self) -> float:
        return (self.end_ms - self.start_ms) / 1000.0


class _ConnectionLost(Exception):
    pass


class OpcUaServerCollector:
    """Subscribes to one server's nodes and submits their readings; reconnects until cancelled."""

    def __init__(
        self,
        server: OpcUaServer,
        site: str,
        sink: ReadingSink,
        *,
        collector_name: str = "opcua",
        password: str | None = None,
        server_index: int | None = None,
        integrity: IntegrityLimits | None = None,
    ) -> None:
        self.server = server
        self.site = site
        self.sink = sink
        self.collector_name = collector_name
        self.server_index = server_index
        self.settings = ConnectionSettings.for_server(server, password)
        self.status = DeviceStatus(server.name)
        self.gaps: list[Gap] = []
        self.node_problems: list[NodeProblem] = []
        self.notifications = 0  # data changes received
        self.readings_submitted = 0
        self.sessions = 0  # sessions opened (1 + reconnects)
        self._pending: list[OpcUaReading] = []
        self._flush_lock = asyncio.Lock()
        self._nodes = list(server.nodes)
        self._integer = [n.field in contract.MEASUREMENTS[n.measurement].integer_fields for n in self._nodes]
        self._assets = list(dict.fromkeys((n.measurement, n.asset) for n in self._nodes))
        self._lost_at_ms: int | None = None
        self._lost_reason = ""
        self._marked_reason: str | None = None
        self._outage_reason: str | None = None  # what started the current outage
        # An OPC UA Double has no register span: any drop of a total is a reset (no roll-over).
        self.integrity = IntegrityWatch(integrity or IntegrityLimits())
        self._known: dict[str, dict[str, float | int]] = {}  # asset -> last Good value of its CARRIED_FIELDS

    # -- the task ------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, subscribe and collect until cancelled; reconnect with a capped backoff."""
        health = asyncio.create_task(self._health_loop(), name=f"opcua-health:{self.server.name}")
        backoff = Backoff(FIRST_RECONNECT_DELAY_S, self.server.reconnect_max_delay_s)
        try:
            while True:
                try:
                    client = await open_client(self.settings)
                except OpcUaConnectError as error:
                    await self._down(str(error))
                else:
                    self.sessions += 1
                    started = time.monotonic()
                    try:
                        reason = await self._collect(client)
                    except (ConnectionError, OSError, asyncio.TimeoutError, ua.UaError) as error:
                        reason = f"{self.server.endpoint}: connection lost: {type(error).__name__}: {error}"
                    except Exception as error:  # a bug or an odd answer from one server must not stop the others
                        log.exception("opcua server %s: collection failed", self.server.name)
                        reason = f"{self.server.endpoint}: collection failed: {type(error).__name__}: {error}"
                    finally:
                        await close_client(client)
                        await self._flush()
                    if time.monotonic() - started > self.server.reconnect_max_delay_s:
                        backoff.reset()  # it was up for a while: try again quickly
                    await self._down(reason)
                raise_if_cancel_requested()
                await asyncio.sleep(backoff.next_delay())
        finally:
            health.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await health
            await self._flush()

    async def _collect(self, client: Client) -> str:
        """One session: resolve, subscribe, collect; returns why it ended."""
        resolved, problems = await resolve_nodes(client, self.server)
        subscription = await client.create_subscription(self._subscription_parameters(), None, queue_maxsize=0)
        problems += await self._monitor(subscription, resolved)
        self.node_problems = sorted(problems, key=lambda p: p.index)
        if problems:
            self._note_error(describe_all(self.node_problems, self.server_index))
            await self._mark_nodes_bad(problems)
        lost = asyncio.Event()

        async def on_connection_lost(error: Exception) -> None:
            self._lost_reason = f"{self.server.endpoint}: connection lost: {type(error).__name__}: {error}".rstrip(": ")
            lost.set()

        client.connection_lost_callback = on_connection_lost
        await self._up()
        consumer = asyncio.create_task(self._consume(subscription, lost), name=f"opcua-consume:{self.server.name}")
        subscribed_at = time.monotonic()
        check_s = min(1.0, self.server.stale_after_s / 4)
        reason = ""
        try:
            while not reason:
                with contextlib.suppress(asyncio.TimeoutError):
                    async with asyncio.timeout(check_s):  # not wait_for: see collectors/modbus/adapter.py, _read
                        await lost.wait()
                raise_if_cancel_requested()
                await self._flush()
                if lost.is_set() or consumer.done():
                    reason = self._lost_reason or f"{self.server.endpoint}: connection lost"
                    break
                silence = time.monotonic() - (subscription.last_publish_at or subscribed_at)
                if silence > self.server.stale_after_s:
                    reason = f"{self.server.endpoint}: subscription silent for {silence:.1f} s (no data, no keep-alive)"
                    await self._mark_all(contract.Quality.STALE, reason)
        finally:
            # Deleting the subscription ends the consumer's iteration *after* the notifications already
            # queued, so everything received is submitted before the session closes.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await subscription.delete()
            try:
                async with asyncio.timeout(5.0):
                    await asyncio.shield(consumer)
            except (asyncio.TimeoutError, Exception):
                consumer.cancel()
        return reason

    def _subscription_parameters(self) -> ua.CreateSubscriptionParameters:
        server = self.server
        # Keep-alives at least three times per stale limit, so silence really means trouble.
        keepalive = max(1, min(1000, int(server.stale_after_s * 1000 / 3 / server.publishing_interval_ms)))
        params = ua.CreateSubscriptionParameters()
        params.RequestedPublishingInterval = server.publishing_interval_ms
        params.RequestedMaxKeepAliveCount = keepalive
        params.RequestedLifetimeCount = keepalive * 10  # ≥ 3 × keep-alive count (OPC 10000-4 §5.13.2)
        params.MaxNotificationsPerPublish = 0  # no limit: the server sends everything it has
        params.PublishingEnabled = True
        params.Priority = 0
        return params

    async def _monitor(self, subscription: Subscription, resolved: dict[int, ua.NodeId]) -> list[NodeProblem]:
        requests = [self._monitored_item(i, nodeid) for i, nodeid in sorted(resolved.items())]
        problems = []
        for start in range(0, len(requests), MONITORED_ITEMS_CHUNK):
            chunk = requests[start : start + MONITORED_ITEMS_CHUNK]
            results = await subscription.create_monitored_items(chunk)
            for request, result in zip(chunk, results, strict=False):
                if isinstance(result, ua.StatusCode):
                    index = request.RequestedParameters.ClientHandle - 1
                    node = self._nodes[index]
                    hint = " (no such node on the server)" if result.name == "BadNodeIdUnknown" else ""
                    what = f"node {node.node_id!r}" if node.node_id else "node"
                    problems.append(NodeProblem(index, node, f"{what} in {self.server.namespace_of(node)!r} cannot be monitored: {result.name}{hint}"))
        return problems

    def _monitored_item(self, index: int, nodeid: ua.NodeId) -> ua.MonitoredItemCreateRequest:
        node = self._nodes[index]
        params = ua.MonitoringParameters()
        params.ClientHandle = index + 1  # handle → position in the site file's node list
        params.SamplingInterval = self.server.sampling_interval_of(node)
        params.QueueSize = self.server.queue_size_of(node)
        params.DiscardOldest = True
        deadband = self.server.deadband_of(node)
        if deadband.type != "none":
            params.Filter = ua.DataChangeFilter(
                Trigger=ua.DataChangeTrigger.StatusValue,
                DeadbandType=ua.DeadbandType.Absolute if deadband.type == "absolute" else ua.DeadbandType.Percent,
                DeadbandValue=deadband.value,
            )
        request = ua.MonitoredItemCreateRequest()
        request.ItemToMonitor = ua.ReadValueId(NodeId=nodeid, AttributeId=ua.AttributeIds.Value)
        request.MonitoringMode = ua.MonitoringMode.Reporting
        request.RequestedParameters = params
        return request

    # -- notifications -------------------------------------------------------------------------------

    async def _consume(self, subscription: Subscription, lost: asyncio.Event) -> None:
        async for event in subscription:
            if isinstance(event, DataChangeEvent):
                # Always the current list: a flush elsewhere swaps it for a fresh one.
                self._pending.append(self._reading(event))
                self.notifications += 1
                if len(self._pending) >= FLUSH_AT:
                    await self._flush()
            elif isinstance(event, StatusChangeEvent) and not event.notification.Status.is_good():
                self._lost_reason = f"{self.server.endpoint}: subscription ended: {event.notification.Status.name}"
                lost.set()

    def _reading(self, event: DataChangeEvent) -> OpcUaReading:
        item = event.data.monitored_item
        datavalue = item.Value
        index = item.ClientHandle - 1
        status = datavalue.StatusCode.value if datavalue.StatusCode is not None else 0
        value, problem = _number(event.value, self._integer[index])
        if problem is None and value is not None and value <= 0 and self._nodes[index].field in contract.MUST_BE_POSITIVE:
            value, problem = None, f"{value!r} cannot be real"
        if value is None and problem is None and quality_of(status) is not contract.Quality.BAD:
            problem = "the server sent no value"
        return OpcUaReading(
            index, value, status, datetime_ms(datavalue.SourceTimestamp), datetime_ms(datavalue.ServerTimestamp), now_ms(), problem
        )

    async def _flush(self) -> None:
        """Submit every pending reading (grouped into points) to the sink."""
        async with self._flush_lock:
            if not self._pending:
                return
            readings, self._pending = self._pending, []
            points = self.points_of(readings)
            await self.sink.submit(points, source=self.server.name)
            self.readings_submitted += len(readings)
            self.status.polls = self.notifications
            self.status.last_good_time = time.time()

    def points_of(self, readings: Sequence[OpcUaReading]) -> list[Point]:
        """Readings of the same asset with the same timestamp become one point with the worst quality;
        the integrity events of the meters' and belt scales' Good values follow them (`_integrity_events`)."""
        groups: dict[tuple[str, str, int], tuple[dict[str, FieldValue], list[str], list[int]]] = {}
        watched: dict[tuple[str, str, int], _WatchedUpdate] = {}
        for reading in readings:
            node = self._nodes[reading.node_index]
            key = (node.measurement, node.asset, reading.time_ms)
            group = groups.get(key)
            if group is None:
                group = groups[key] = ({}, [], [0])
            fields, reasons, rank = group
            # The source's own times and status code, kept beside the value (docs/design.md, "The data contract").
            fields["receive_time_ms"] = max(int(fields.get("receive_time_ms", 0)), reading.receive_time_ms)
            if reading.server_time_ms is not None:
                fields["server_time_ms"] = max(int(fields.get("server_time_ms", 0)), reading.server_time_ms)
            if _RANK[quality_of(reading.status)] >= rank[0] or "status_code" not in fields:
                fields["status_code"] = reading.status
            quality = quality_of(reading.status)
            reason = describe(reading.status)
            if reading.problem is not None:
                quality, reason = contract.Quality.BAD, reading.problem if reason is None else f"{reason}; {reading.problem}"
            if quality is not contract.Quality.BAD and reading.value is not None:
                fields[node.field] = reading.value
            if reason is not None:
                reasons.append(f"{node.field}: {reason}")
            rank[0] = max(rank[0], _RANK[quality])
            if node.measurement in WATCHED_MEASUREMENTS:
                update = watched.get(key)
                if update is None:
                    update = watched[key] = _WatchedUpdate(node.asset, reading.time_ms)
                if quality is contract.Quality.GOOD and reading.value is not None:
                    update.good[node.field] = reading.value
                    update.receive_time_ms = max(update.receive_time_ms, reading.receive_time_ms)
                else:
                    update.doubtful.add(node.field)
        points = []
        qualities = {rank: quality for quality, rank in _RANK.items()}
        for (measurement, asset, time_ms), (fields, reasons, rank) in groups.items():
            fields[contract.QUALITY_FIELD] = qualities[rank[0]].value
            if reasons:
                fields[contract.QUALITY_REASON_FIELD] = "; ".join(reasons)
            points.append(self._point(measurement, asset, fields, time_ms))
        return points + self._integrity_events(watched.values())

    def _integrity_events(self, updates: Iterable[_WatchedUpdate]) -> list[Point]:
        """The integrity watch's events for these updates of meters and belt scales, in source-time order.

        Each update is checked with its Good values and, for what it does not carry, the asset's last known
        Good total and rate: a subscription sends a value only when it changes, so a total that is not in
        an update still stands (and a total that stays put while the rate changes is judged frozen after
        the limit). A value that arrives not Good is forgotten until a Good one comes. The device clock is
        compared with the time the collector received it, as the Modbus collector does.
        """
        events: list[IntegrityEvent] = []
        for update in sorted(updates, key=lambda u: u.time_ms):
            known = self._known.setdefault(update.asset, {})
            for name in update.doubtful:
                known.pop(name, None)
            known.update({name: value for name, value in update.good.items() if name in CARRIED_FIELDS})
            if not update.good:
                continue
            fields = {**known, **{name: value for name, value in update.good.items() if name == "meter_factor"}}
            events += self.integrity.observe(update.asset, fields, update.time_ms)
            if "device_clock_s" in update.good:
                events += self.integrity.observe(update.asset, {"device_clock_s": update.good["device_clock_s"]}, update.receive_time_ms)
        return [event_point(self.site, event) for event in events]

    # -- connection state ----------------------------------------------------------------------------

    async def _up(self) -> None:
        back_ms = now_ms()
        if self._lost_at_ms is not None:
            gap = Gap(self.server.name, self._lost_at_ms, back_ms, self._outage_reason or "connection lost")
            self.gaps.append(gap)
            log.warning("opcua server %s: back after %.1f s without data", self.server.name, gap.seconds)
            await self.sink.submit([self._gap_event(gap)])
        self._lost_at_ms = None
        self._marked_reason = None
        self._outage_reason = None
        self._lost_reason = ""
        self.status.connected = True

    async def _down(self, reason: str) -> None:
        self.status.connected = False
        self._known.clear()  # the next session starts from the values it is sent (the watch keeps its memory)
        self._note_error(reason)
        if self._lost_at_ms is None and self.sessions > 0:
            self._lost_at_ms = now_ms()
            self._outage_reason = reason
        if reason != self._marked_reason:
            # Once per outage (and again if the reason changes), not at every retry: a subscription has no poll rate.
            await self._mark_all(contract.Quality.BAD, reason)
            self._marked_reason = reason

    async def _mark_all(self, quality: contract.Quality, reason: str) -> None:
        stamp = now_ms()
        points = [
            self._point(m, a, {contract.QUALITY_FIELD: quality.value, contract.QUALITY_REASON_FIELD: reason}, stamp) for m, a in self._assets
        ]
        await self.sink.submit(points, source=self.server.name)

    async def _mark_nodes_bad(self, problems: Sequence[NodeProblem]) -> None:
        stamp = now_ms()
        by_asset: dict[tuple[str, str], list[str]] = {}
        for problem in problems:
            by_asset.setdefault((problem.node.measurement, problem.node.asset), []).append(f"{problem.node.field}: {problem.problem}")
        await self.sink.submit(
            [
                self._point(m, a, {contract.QUALITY_FIELD: contract.Quality.BAD.value, contract.QUALITY_REASON_FIELD: "; ".join(r)}, stamp)
                for (m, a), r in by_asset.items()
            ],
            source=self.server.name,
        )

    def _gap_event(self, gap: Gap) -> Point:
        return event_point(self.site, IntegrityEvent(
            self.server.name, COMMS_GAP,
            f"comms loss: no data from {self.server.endpoint} for {gap.seconds:.1f} s ({gap.reason}); session and subscription re-created",
            contract.event_time_text(gap.start_ms), contract.event_time_text(gap.end_ms), gap.start_ms,
        ))

    def _point(self, measurement_name: str, asset: str, fields: dict[str, FieldValue], time_ms: int) -> Point:
        measurement = contract.MEASUREMENTS[measurement_name]
        return Point(measurement_name, {contract.SITE_TAG: self.site, measurement.asset_tag: asset}, fields, time_ms)

    async def _health_loop(self) -> None:
        health = contract.COLLECTOR_HEALTH
        tags = {contract.SITE_TAG: self.site, contract.COLLECTOR_TAG: self.collector_name, health.asset_tag: self.server.name}
        while True:
            await asyncio.sleep(self.server.health_interval_s)
            fields: dict[str, FieldValue] = {
                "connected": int(self.status.connected),
                "errors": self.status.errors,
                "spool_depth": self.sink.depth,
                "lag_s": float(self.sink.lag_s),
            }
            await self.sink.submit([Point(health.name, tags, fields, now_ms())])

    def _note_error(self, reason: str) -> None:
        self.status.errors += 1
        if reason != self.status.last_error:
            log.warning("opcua server %s: %s", self.server.name, reason)
        self.status.last_error = reason


@dataclass(slots=True)
class _WatchedUpdate:
    """The values of one meter or belt scale at one source time, as the integrity watch sees them."""

    asset: str
    time_ms: int
    good: dict[str, float | int] = field(default_factory=dict)
    doubtful: set[str] = field(default_factory=set)  # fields that arrived not Good (Uncertain, Bad, unusable)
    receive_time_ms: int = 0


def _number(value: object, integer: bool) -> tuple[float | int | None, str | None]:
    """The notification's value as a field value, or why it cannot be one."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return (int(value) if integer else float(value)), None
    if isinstance(value, int):
        return (value if integer else float(value)), None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None, f"the server sent {value!r}"
        if integer:
            return (int(value), None) if value.is_integer() else (None, f"the server sent {value!r} for an integer field")
        return value, None
    return None, f"the server sent a {type(value).__name__} value; expected a number"


class OpcUaCollector:
    """All OPC UA servers of a site, one task each."""

    def __init__(self, section: OpcUaSection, site: str, sink: ReadingSink, *, collector_name: str = "opcua", source: str | Path = "site file") -> None:
        self.servers = [
            OpcUaServerCollector(
                server,
                site,
                sink,
                collector_name=collector_name,
                # Read now, so a missing environment variable stops `bulkdaq collect` at start with a clear error.
                password=resolve_opcua_password(server, source, f"opcua.servers[{i}]"),
                server_index=i,
                integrity=server.integrity,
            )
            for i, server in enumerate(section.servers)
        ]

    @property
    def statuses(self) -> list[DeviceStatus]:
        return [s.status for s in self.servers]

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for server in self.servers:
                group.create_task(server.run(), name=f"opcua:{server.server.name}")


__all__ = [
    "CARRIED_FIELDS",
    "COMMS_GAP",
    "FIRST_RECONNECT_DELAY_S",
    "FLUSH_AT",
    "FLUSH_INTERVAL_S",
    "MONITORED_ITEMS_CHUNK",
    "Gap",
    "OpcUaCollector",
    "OpcUaReading",
    "OpcUaServerCollector",
    "datetime_ms",
    "now_ms",
]
