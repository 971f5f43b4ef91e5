"""The durable spool: every reading a collector accepts is on disk before it counts as collected.

SQLite in WAL mode, one table of line-protocol text in arrival order, one row per commit (the lines of
every collector that joined that commit, newline-separated): a site's few commits per second then cost a
few row inserts, not one B-tree insert per reading. Collectors `submit` points;
the call returns once the transaction holding them is committed (group commit: the readings of all
collectors that arrive while one commit runs go into the next one, so a site of hundreds of devices
costs a few commits per second, not hundreds). A `SpoolForwarder` drains the oldest lines to InfluxDB in
batches and deletes only what InfluxDB stored (or what was quarantined after a 400): a crash at any
moment loses nothing acknowledged, and a batch sent twice is harmless (the same point overwrites).

The spool is bounded (`max_bytes`). When it is full, new readings are refused loudly — counted,
logged, shown in `collector_health` — and the oldest are never discarded: what was accepted stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

from bulkdaq.evidence_chain import EvidenceLedger
from bulkdaq.influx_writer import InfluxWriter
from bulkdaq.line_protocol import Point

log = logging.getLogger(__name__)

Synchronous = Literal["full", "normal"]
ROW_OVERHEAD_BYTES = 24  # counted per line towards `max_bytes`, as when every line had a row of its own
ROW_LINES = 1000  # a bigger commit takes several rows, so a forwarder batch overshoots its size by < 1 row
PRUNE_EVERY_S = 600.0  # how often, at most, evidence past its retention is removed


class SpooledLines(NamedTuple):
    """The oldest lines in the spool, newline-joined, and the last row they come from."""

    last_id: int
    line_count: int
    text: str


class SpoolFull(RuntimeError):
    """The spool reached its size limit; the readings offered were not accepted."""


@dataclass
class SpoolStats:
    accepted: int = 0
    refused_full: int = 0
    forwarded: int = 0
    commits: int = 0


class DurableSpool:
    """A `ReadingSink` that commits readings to SQLite before acknowledging them.

    Parameters
    ----------
    path
        The SQLite file (created with its folder if missing).
    max_bytes
        Size limit of the spool's data; beyond it new readings are refused (`SpoolFull`).
    synchronous
        ``full`` (default): every commit is fsynced — acknowledged readings survive a power cut.
        ``normal``: WAL commits are fsynced at checkpoints — they survive a crash of the process but
        the last commits may be lost on a power cut; faster on slow disks.
    ledger
        When given, every commit is also one hashed, chained and signed evidence block, written in
        the same transaction (bulkdaq/evidence_chain.py).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        max_bytes: int = 1 << 30,
        synchronous: Synchronous = "full",
        ledger: EvidenceLedger | None = None,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.stats = SpoolStats()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool")
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS reading_batch "
            "(id INTEGER PRIMARY KEY AUTOINCREMENT, enqueued REAL NOT NULL, line_count INTEGER NOT NULL, size INTEGER NOT NULL, lines TEXT NOT NULL)"
        )
        self._take_over_line_table()
        self.ledger = ledger
        if ledger is not None:
            ledger.attach(self._db)
        depth, oldest, size = self._db.execute(
            "SELECT coalesce(sum(line_count), 0), min(enqueued), coalesce(sum(size), 0) FROM reading_batch"
        ).fetchone()
        self._depth: int = depth
        self._oldest: float | None = oldest
        self._bytes: int = size
        self._next_prune = 0.0
        self._pending: list[tuple[list[str], asyncio.Future[None]]] = []
        self._committing: asyncio.Task[None] | None = None

    # --- ReadingSink -------------------------------------------------------------------------
    async def submit(self, points: Sequence[Point]) -> None:
        """Returns once `points` are committed to disk; raises SpoolFull if the spool is full."""
        lines = [point.to_line() for point in points]  # a point that cannot be written fails here, in its collector
        if not lines:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((lines, done))
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_pending())
        await done

    @property
    def depth(self) -> int:
        """Readings on disk not yet in InfluxDB."""
        return self._depth

    @property
    def lag_s(self) -> float:
        """Age of the oldest reading not yet in InfluxDB [s] (0 when empty)."""
        return max(0.0, time.time() - self._oldest) if self._oldest is not None and self._depth else 0.0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    # --- draining ----------------------------------------------------------------------------
    async def oldest(self, limit: int) -> SpooledLines | None:
        """The oldest rows, whole, until they hold `limit` lines or more (< `limit` + ROW_LINES)."""
        return await self._run(self._select, limit)

    async def acknowledge(self, last_id: int) -> None:
        """InfluxDB has (or quarantine holds) every line up to `last_id`: remove them."""
        await self._run(self._delete_through, last_id)

    async def close(self) -> None:
        while self._committing is not None and not self._committing.done():
            await self._committing
        await self._run(self._db.close)
        self._executor.shutdown(wait=True)

    # --- internals (the blocking parts run on the spool's own thread) ------------------------
    async def _commit_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            if self._bytes >= self.max_bytes:
                refused = sum(len(lines) for lines, _ in batch)
                self.stats.refused_full += refused
                log.error("spool %s is full (%d bytes, limit %d): %d readings refused", self.path, self._bytes, self.max_bytes, refused)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(SpoolFull(f"spool {self.path} is full ({self._bytes} of {self.max_bytes} bytes)"))
                continue
            lines = [line for lines, _ in batch for line in lines]
            try:
                await self._run(self._insert, lines)
            except Exception as error:  # a disk error: every waiting collector must hear of it
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def _run(self, function, *args):  # noqa: ANN001, ANN202
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def _insert(self, lines: list[str]) -> None:
        now = time.time()
        rows = []
        for start in range(0, len(lines), ROW_LINES):
            text = "\n".join(lines[start : start + ROW_LINES])
            count = min(ROW_LINES, len(lines) - start)
            rows.append((now, count, len(text) + count * ROW_OVERHEAD_BYTES, text))
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT INTO reading_batch (enqueued, line_count, size, lines) VALUES (?, ?, ?, ?)", rows)
            if self.ledger is not None:
                self.ledger.append(self._db, lines, now)
        self._depth += len(lines)
        self._bytes += sum(size for _, _, size, _ in rows)
        if self._oldest is None:
            self._oldest = now
        self.stats.accepted += len(lines)
        self.stats.commits += 1

    def _select(self, limit: int) -> SpooledLines | None:
        last_id, texts, count = None, [], 0
        for row_id, line_count, text in self._db.execute("SELECT id, line_count, lines FROM reading_batch ORDER BY id"):
            last_id = row_id
            texts.append(text)
            count += line_count
            if count >= limit:
                break
        return None if last_id is None else SpooledLines(last_id, count, "\n".join(texts))

    def _delete_through(self, last_id: int) -> None:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            # what goes, read over the primary-key range (not a scan of the whole backlog)
            gone_lines, gone_bytes = self._db.execute(
                "SELECT coalesce(sum(line_count), 0), coalesce(sum(size), 0) FROM reading_batch WHERE id <= ?", (last_id,)
            ).fetchone()
            self._db.execute("DELETE FROM reading_batch WHERE id <= ?", (last_id,))
            # rows are in arrival order, so the oldest left is the first row (its key, not a scan)
            row = self._db.execute("SELECT enqueued FROM reading_batch ORDER BY id LIMIT 1").fetchone()
            self._prune_evidence(oldest_unsent=None if row is None else row[0])
        self._depth = max(0, self._depth - int(gone_lines))
        self.stats.forwarded += int(gone_lines)
        self._oldest = None if row is None else row[0]
        self._bytes = 0 if self._depth == 0 else max(0, self._bytes - int(gone_bytes))

    def _prune_evidence(self, oldest_unsent: float | None) -> None:
        """Drop evidence blocks past the ledger's retention (checked every tenth of it, at most every
        10 minutes). The evidence of readings not yet in InfluxDB stays, however old."""
        keep_s = self.ledger.keep_s if self.ledger is not None else None
        now = time.time()
        if keep_s is None or now < self._next_prune:
            return
        self._next_prune = now + min(PRUNE_EVERY_S, keep_s / 10)
        before = now - keep_s if oldest_unsent is None else min(now - keep_s, oldest_unsent)
        pruned = self.ledger.prune(self._db, before)  # type: ignore[union-attr]
        if pruned:
            log.info("evidence blocks older than %.1f days removed from %s: %d", keep_s / 86400, self.path, pruned)

    def _take_over_line_table(self) -> None:
        """A spool written by an earlier bulkdaq (one row per line, table `reading`) keeps every line:
        each becomes a commit of one line, in the same order, in one transaction."""
        if self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reading'").fetchone() is None:
            return
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                f"INSERT INTO reading_batch (enqueued, line_count, size, lines) SELECT enqueued, 1, length(line) + {ROW_OVERHEAD_BYTES}, line "
                "FROM reading ORDER BY id"
            )
            self._db.execute("DROP TABLE reading")


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
