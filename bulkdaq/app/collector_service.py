"""Runs a site's collectors: the InfluxDB writer, the forwarder in front of it, and one task per device.

Two records the service adds itself, besides the forwarder's health:

* **restart gaps** — a collector that was stopped, crashed or was killed leaves a hole in every device's
  readings. The spool keeps each device's last committed reading time; on the device's first commit
  after the restart a `comms_gap` event (`restart_gap_event`) goes into the same transaction, from the
  last reading before to the first after. A first start (no earlier run in the spool) records none.
* **chain heads** — with a signing key, the evidence chain's newest block, signed (`bulkdaq/evidence/heads.py`),
  goes to the spool as an `evidence_head` point at start, every `[evidence] head_interval_s`, and once
  more at shutdown after the last readings; through the spool it is durable and reaches InfluxDB after
  an outage like any reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from bulkdaq.config.site_file import LoadedSite
from bulkdaq.evidence.chain import EvidenceLedger, load_private_key
from bulkdaq.evidence.heads import ChainHead
from bulkdaq.store import contract
from bulkdaq.store.forwarder import SpoolForwarder
from bulkdaq.store.influx_writer import writer_for
from bulkdaq.store.line_protocol import Point
from bulkdaq.store.spool import DurableSpool, Resumed, SpoolFull
from collectors.device_status import DeviceStatus
from collectors.modbus.collector import ModbusCollector

log = logging.getLogger(__name__)
RESTART_GAP_KIND = "comms_gap"  # contract.EVENT_KINDS: a restart is a time without data, like any other
RESTART_PREFIX = "collector restart"


def restart_gap_event(site: str, resumed: Resumed) -> Point:
    """The `comms_gap` event of the hole a collector restart left in one device's readings.

    Stamped at the first reading after the restart [Unix ms]; `old` and `new` are the last reading
    committed before the restart and the first after it (ISO 8601, UTC, ms), the message gives the
    length [s] and the cause.
    """
    if resumed.stopped_ms is None:
        cause = "the previous run ended without closing its spool (crash, kill or power loss)"
    else:
        cause = f"the previous run stopped at {contract.event_time_text(resumed.stopped_ms)}"
    event = contract.EVENT
    return Point(
        event.name,
        {contract.SITE_TAG: site, event.asset_tag: resumed.source, contract.EVENT_KIND_TAG: RESTART_GAP_KIND},
        {
            "message": f"{RESTART_PREFIX}: no readings of {resumed.source} for {resumed.seconds:.3f} s, from {contract.event_time_text(resumed.last_ms)} "
            f"(the last committed before the restart) to {contract.event_time_text(resumed.first_ms)} (the first after it); {cause}",
            "old": contract.event_time_text(resumed.last_ms),
            "new": contract.event_time_text(resumed.first_ms),
        },
        resumed.first_ms,
    )


class CollectorService:
    """Everything `bulkdaq collect` runs for one site, until `stop()`.

    Readings go collector → durable spool (on disk before acknowledged) → forwarder → InfluxDB. On stop
    the forwarder drains what it can; what InfluxDB does not take stays in the spool for the next start.
    """

    def __init__(self, site: LoadedSite, *, collector_name: str = "modbus") -> None:
        config = site.config
        target = config.influxdb
        self.writer = writer_for(site)
        settings = config.spool
        key_file, keep_days = config.evidence.key_file, config.evidence.keep_days
        self.ledger = EvidenceLedger(load_private_key(key_file) if key_file else None, keep_s=None if keep_days is None else keep_days * 86400)
        self.head_interval_s = config.evidence.head_interval_s
        self.heads_published = 0
        self.last_head: ChainHead | None = None
        self.site_name = site_name = config.site.name
        self.spool = DurableSpool(
            settings.path_for(site_name),
            max_bytes=settings.max_bytes,
            synchronous=settings.synchronous,
            ledger=self.ledger,
            on_resume=lambda resumed: [restart_gap_event(site_name, resumed)],
        )
        self.forwarder = SpoolForwarder(self.spool, self.writer, batch_size=target.batch_size, flush_interval_s=target.flush_interval_s)
        self.modbus = ModbusCollector(config.modbus.devices, config.site.name, self.spool, collector_name=collector_name)
        self.opcua = None
        if config.opcua.servers:
            from collectors.opcua.collector import OpcUaCollector  # only sites with OPC UA sources need asyncua loaded

            self.opcua = OpcUaCollector(config.opcua, config.site.name, self.spool, collector_name=collector_name)
        self._stop = asyncio.Event()
        self.collector_name = collector_name
        self._last_health: tuple[float, int] | None = None  # (monotonic time, forwarded count) of the last report

    @property
    def statuses(self) -> list[DeviceStatus]:
        return self.modbus.statuses + (self.opcua.statuses if self.opcua else [])

    def stop(self) -> None:
        self._stop.set()

    async def _collect(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self.modbus.run(), name="modbus")
            if self.opcua is not None:
                group.create_task(self.opcua.run(), name="opcua")

    async def publish_head(self) -> bool:
        """Submit the chain's signed head to the spool; False when there is nothing to publish yet (no
        block written) or no signing key. Each head is stamped at least 1 ms after the previous one, so
        no two share a point in InfluxDB."""
        head = self.ledger.signed_head(self.site_name, 0 if self.last_head is None else self.last_head.time_ms + 1)
        if head is None or head.seq == 0:  # seq 0 is the genesis hash, not a block anyone could check
            return False
        await self.spool.submit([head.to_point()])
        self.last_head = head
        self.heads_published += 1
        return True

    def forwarder_health(self) -> Point:
        """The forwarder's own `collector_health` point: backlog, its age, drain rate and quarantine."""
        now, forwarded = time.monotonic(), self.spool.stats.forwarded
        previous = self._last_health or (now, forwarded)
        rate = (forwarded - previous[1]) / (now - previous[0]) if now > previous[0] else 0.0
        self._last_health = (now, forwarded)
        health = contract.COLLECTOR_HEALTH
        return Point(
            health.name,
            {contract.SITE_TAG: self.site_name, contract.COLLECTOR_TAG: self.collector_name, health.asset_tag: contract.FORWARDER_SOURCE},
            {
                "spool_depth": self.spool.depth,
                "lag_s": float(self.spool.lag_s),
                "forwarded_per_s": float(rate),
                "quarantined": self.writer.stats.lines_quarantined,
            },
            time.time_ns() // 1_000_000,
        )

    async def _head_due(self, next_head: float) -> float:
        """Publish a head if one is due at `next_head` (monotonic [s]); returns when the next is due."""
        now = time.monotonic()
        if now < next_head:
            return next_head
        with contextlib.suppress(SpoolFull):  # refused and counted by the spool itself
            if not await self.publish_head():
                return next_head  # no block yet: publish as soon as there is one
        next_head += self.head_interval_s
        return next_head if next_head > now else now + self.head_interval_s

    async def run(self, on_tick: Callable[[], None] | None = None, tick_s: float = 0.5, health_every_s: float = 5.0) -> None:
        """Collect until `stop()`; then stop polling and flush every accepted reading to InfluxDB (what it
        does not take stays in the spool). With a signing key, chain heads are published at start, every
        `head_interval_s` [s] and after the last readings."""
        self.forwarder.start()
        signing = self.ledger.key is not None
        devices: asyncio.Task[None] | None = None
        next_health = time.monotonic()
        try:
            # The head at start witnesses the chain as the previous run left it, before any new block.
            next_head = await self._head_due(time.monotonic()) if signing else float("inf")
            devices = asyncio.create_task(self._collect(), name="collectors")
            while not self._stop.is_set() and not devices.done():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(tick_s):  # not wait_for: see collectors/cancellation.py
                        await self._stop.wait()
                if time.monotonic() >= next_health:
                    next_health += health_every_s
                    with contextlib.suppress(SpoolFull):  # refused and counted by the spool itself
                        await self.spool.submit([self.forwarder_health()])
                if signing:
                    next_head = await self._head_due(next_head)
                if on_tick is not None:
                    on_tick()
        finally:
            if devices is not None:
                devices.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await devices
            if signing:
                # After the collectors' last commit, so the chain as this run leaves it is witnessed.
                try:
                    await self.publish_head()
                except SpoolFull:
                    pass  # refused, logged and counted by the spool itself
                except Exception:  # a failing disk must not stop the shutdown: the forwarder still drains
                    log.exception("the final chain head could not be written to the spool %s", self.spool.path)
            await self.forwarder.close()
            await self.writer.aclose()
            await self.spool.close()
        if devices is not None and devices.done() and not devices.cancelled() and devices.exception() is not None:
            raise devices.exception()  # type: ignore[misc]


__all__ = [
    "RESTART_GAP_KIND",
    "RESTART_PREFIX",
    "CollectorService",
    "restart_gap_event",
]
