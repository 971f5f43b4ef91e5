"""The forwarder: takes readings from collectors, batches them and hands each batch to the InfluxDB writer.

Collectors talk only to the `ReadingSink` interface (`submit`, `depth`, `lag_s`), so a durable on-disk
spool can stand in front of the writer without touching any collector. This in-memory forwarder keeps
readings while InfluxDB is down (the writer retries until stored) but does not survive a crash of the
process: that is the spool's job.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from bulkdaq.influx_writer import InfluxWriter
from bulkdaq.line_protocol import Point


class ReadingSink(Protocol):
    """Where collectors put readings."""

    async def submit(self, points: Sequence[Point]) -> None: ...

    @property
    def depth(self) -> int: ...

    @property
    def lag_s(self) -> float: ...


class MemoryForwarder:
    """Batches points (at most `batch_size` lines, at least every `flush_interval_s`) into the writer."""

    def __init__(self, writer: InfluxWriter, *, batch_size: int = 5000, flush_interval_s: float = 1.0) -> None:
        self.writer = writer
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self._queue: deque[tuple[float, str]] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def submit(self, points: Sequence[Point]) -> None:
        now = time.monotonic()
        # Encode here, so a point that cannot be written fails in the collector that made it.
        self._queue.extend((now, point.to_line()) for point in points)
        if len(self._queue) >= self.batch_size:
            self._wakeup.set()

    @property
    def depth(self) -> int:
        return len(self._queue)

    @property
    def lag_s(self) -> float:
        return time.monotonic() - self._queue[0][0] if self._queue else 0.0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="forwarder")

    async def _run(self) -> None:
        while not (self._closing and not self._queue):
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.flush_interval_s)
            except TimeoutError:
                pass
            self._wakeup.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write everything queued so far (in batches); returns when it is stored or quarantined."""
        while self._queue:
            count = min(self.batch_size, len(self._queue))
            batch = [self._queue[i][1] for i in range(count)]
            await self.writer.write(batch)
            for _ in range(count):
                self._queue.popleft()

    async def close(self) -> None:
        """Flush what is queued and stop. Waits as long as InfluxDB needs: nothing is dropped."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
        else:
            await self.flush()
