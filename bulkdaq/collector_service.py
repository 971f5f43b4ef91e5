"""Runs a site's collectors: the InfluxDB writer, the forwarder in front of it, and one task per device."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from bulkdaq import contract
from bulkdaq.evidence_chain import EvidenceLedger, load_private_key
from bulkdaq.influx_writer import InfluxWriter
from bulkdaq.line_protocol import Point
from bulkdaq.site_config import LoadedSite, resolve_credentials
from bulkdaq.spool import DurableSpool, SpoolForwarder, SpoolFull
from collectors.modbus_collector import DeviceStatus, ModbusCollector


class CollectorService:
    """Everything `bulkdaq collect` runs for one site, until `stop()`.

    Readings go collector → durable spool (on disk before acknowledged) → forwarder → InfluxDB. On stop
    the forwarder drains what it can; what InfluxDB does not take stays in the spool for the next start.
    """

    def __init__(self, site: LoadedSite, *, collector_name: str = "modbus") -> None:
        config = site.config
        target = config.influxdb
        self.writer = InfluxWriter(
            target.url,
            target.database,
            resolve_credentials(target, site.path),
            timeout_s=target.timeout_s,
            max_retry_delay_s=target.max_retry_delay_s,
            quarantine_dir=target.quarantine_dir,
        )
        settings = config.spool
        key_file, keep_days = config.evidence.key_file, config.evidence.keep_days
        ledger = EvidenceLedger(load_private_key(key_file) if key_file else None, keep_s=None if keep_days is None else keep_days * 86400)
        self.spool = DurableSpool(
            settings.path_for(config.site.name), max_bytes=settings.max_bytes, synchronous=settings.synchronous, ledger=ledger
        )
        self.forwarder = SpoolForwarder(self.spool, self.writer, batch_size=target.batch_size, flush_interval_s=target.flush_interval_s)
        self.modbus = ModbusCollector(config.modbus.devices, config.site.name, self.spool, collector_name=collector_name)
        self.opcua = None
        if config.opcua.servers:
            from collectors.opcua_collector import OpcUaCollector  # only sites with OPC UA sources need asyncua loaded

            self.opcua = OpcUaCollector(config.opcua, config.site.name, self.spool, collector_name=collector_name)
        self._stop = asyncio.Event()
        self.site_name = config.site.name
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

    async def run(self, on_tick: Callable[[], None] | None = None, tick_s: float = 0.5, health_every_s: float = 5.0) -> None:
        """Collect until `stop()`; then stop polling and flush every accepted reading to InfluxDB."""
        self.forwarder.start()
        devices = asyncio.create_task(self._collect(), name="collectors")
        next_health = time.monotonic()
        try:
            while not self._stop.is_set() and not devices.done():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(tick_s):  # not wait_for: see collectors/cancellation.py
                        await self._stop.wait()
                if time.monotonic() >= next_health:
                    next_health += health_every_s
                    with contextlib.suppress(SpoolFull):  # refused and counted by the spool itself
                        await self.spool.submit([self.forwarder_health()])
                if on_tick is not None:
                    on_tick()
        finally:
            devices.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await devices
            await self.forwarder.close()
            await self.writer.aclose()
            await self.spool.close()
        if devices.done() and not devices.cancelled() and devices.exception() is not None:
            raise devices.exception()  # type: ignore[misc]
