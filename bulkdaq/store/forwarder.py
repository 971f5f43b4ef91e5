"""The forwarder: drains the durable spool into InfluxDB.

`SpoolForwarder` sends the oldest lines of a `DurableSpool` (`bulkdaq/store/spool.py`) to InfluxDB in
batches, in order, and deletes only what InfluxDB stored (or what the writer quarantined after a 400), so
a crash at any moment loses nothing acknowledged.

At start it lets the writer prepare the database (`InfluxWriter.prepare`: created unless the site says
`create_database = false`). While InfluxDB refuses writes for a reason an operator must fix (credentials,
rights, a missing database: HTTP 401/403/404) the batch stays in the spool, unacknowledged: the writer says
once what is wrong and how to fix it, and tries again quietly; readings keep being collected into the
spool, and drain in order once the server takes them. Nothing is dropped and nothing is quarantined for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bulkdaq.store.influx_writer import InfluxWriter
from bulkdaq.store.spool import DurableSpool

log = logging.getLogger(__name__)


class SpoolForwarder:
    """Drains a `DurableSpool` into InfluxDB in order, in batches, deleting only what was stored."""

    def __init__(self, spool: DurableSpool, writer: InfluxWriter, *, batch_size: int = 5000, flush_interval_s: float = 1.0) -> None:
        self.spool = spool
        self.writer = writer
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="spool-forwarder")

    async def _run(self) -> None:
        await self.writer.prepare()
        while True:
            moved = await self.drain_once()
            if moved == 0:
                if self._closing:
                    return
                await asyncio.sleep(self.flush_interval_s)
            elif moved < self.batch_size and not self._closing:
                # a partial batch: wait for more rather than sending many tiny writes
                await asyncio.sleep(min(self.flush_interval_s, 0.2))

    async def drain_once(self) -> int:
        """Send the oldest batch (if any); returns the number of lines moved out of the spool."""
        oldest = await self.spool.oldest(self.batch_size)
        if oldest is None:
            return 0
        await self.writer.write_text(oldest.text, oldest.line_count)  # returns once stored or quarantined
        await self.spool.acknowledge(oldest.last_id)
        return oldest.line_count

    async def close(self, drain_timeout_s: float = 10.0) -> None:
        """Drain what is in the spool and stop; if InfluxDB does not take it within `drain_timeout_s`,
        stop anyway — the spool keeps every unsent reading on disk for the next start."""
        self._closing = True
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=drain_timeout_s)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            log.warning("InfluxDB did not take the spool within %.0f s; %d readings stay in %s", drain_timeout_s, self.spool.depth, self.spool.path)

    @property
    def depth(self) -> int:
        return self.spool.depth

    @property
    def lag_s(self) -> float:
        return self.spool.lag_s


__all__ = [
    "SpoolForwarder",
]
