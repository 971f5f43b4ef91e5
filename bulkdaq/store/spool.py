"""The durable spool: every reading a collector accepts is on disk before it counts as collected.

SQLite in WAL mode, one table of line-protocol text in arrival order, one row per commit (the lines of
every collector that joined that commit, newline-separated): a site's few commits per second then cost a
few row inserts, not one B-tree insert per reading. Collectors `submit` points;
the call returns once the transaction holding them is committed (group commit: the readings of all
collectors that arrive while one commit runs go into the next one, so a site of hundreds of devices
costs a few commits per second, not hundreds). A `SpoolForwarder` (`bulkdaq/store/forwarder.py`) drains the oldest lines to InfluxDB in
batches and deletes only what InfluxDB stored (or what was quarantined after a 400): a crash at any
moment loses nothing acknowledged, and a batch sent twice is harmless (the same point overwrites).

The spool is bounded (`max_bytes`). When it is full, new readings are refused loudly — counted,
logged, shown in `collector_health` — and the oldest are never discarded: what was accepted stays.

A collector that names itself when it submits (`source`) has the time of its last committed reading
kept in table `source_seen`, one row per source, in the same transaction as the readings. The rows
outlive the readings (which go once forwarded), so when the spool is opened again after a restart or a
crash, the first commit of each known source can carry a record of the hole between the two runs
(`on_resume`, see `Resumed`).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple, cast

from bulkdaq.errors import BulkdaqError
from bulkdaq.evidence.chain import EvidenceLedger
from bulkdaq.store import contract
from bulkdaq.store.line_protocol import Point

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


@dataclass(frozen=True)
class Resumed:
    """A source's first commit after the spool was opened again: the hole between two runs of its collector."""

    source: str
    last_ms: int  # its last reading committed by the previous run [Unix ms]
    first_ms: int  # its first reading committed by this run [Unix ms]
    stopped_ms: int | None  # when the previous run closed the spool [Unix ms]; None when it did not (crash, kill, power loss)

    @property
    def seconds(self) -> float:
        """Length of the hole [s]."""
        return (self.first_ms - self.last_ms) / 1000.0


# What a source's reading says about when the collector had it: the receive time when the source sends
# its own timestamps (OPC UA: an unchanged value keeps an old source time), else the point's time.
_RECEIVE_TIME = "receive_time_ms"
_READING_MEASUREMENTS = frozenset(contract.DEVICE_MEASUREMENTS)


def _reading_span(points: Sequence[Point]) -> tuple[int, int] | None:
    """(first, last) collection time [Unix ms] of the device readings among `points`; None without any."""
    first: float | None = None
    last: float | None = None
    for point in points:
        if point.measurement in _READING_MEASUREMENTS:
            when = cast(float, point.fields.get(_RECEIVE_TIME, point.time_ms))  # a receive time is a number
            if first is None or when < first:
                first = when
            if last is None or when > last:
                last = when
    return None if first is None or last is None else (int(first), int(last))


class SpoolFull(BulkdaqError, RuntimeError):
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
        the same transaction (bulkdaq/evidence/chain.py).
    on_resume
        Called at the first commit of each source that an earlier run of the spool had seen; the points
        it returns (a gap event) are committed with that source's first readings, so the hole is on
        record exactly when the new readings are, and a crash in between cannot lose it.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        max_bytes: int = 1 << 30,
        synchronous: Synchronous = "full",
        ledger: EvidenceLedger | None = None,
        on_resume: Callable[[Resumed], Sequence[Point]] | None = None,
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
        self._db.execute("CREATE TABLE IF NOT EXISTS source_seen (source TEXT PRIMARY KEY, time_ms INTEGER NOT NULL) WITHOUT ROWID")
        self._db.execute("CREATE TABLE IF NOT EXISTS spool_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID")
        # What the previous run left: each source's last committed reading, and whether it closed the spool.
        self._resume: dict[str, int] = dict(self._db.execute("SELECT source, time_ms FROM source_seen").fetchall())
        row = self._db.execute("SELECT value FROM spool_state WHERE key = 'closed_ms'").fetchone()
        self.previous_stop_ms: int | None = None if row is None else row[0]
        # From now on the spool is open: only close() writes the marker back, so a crash leaves none.
        self._db.execute("DELETE FROM spool_state WHERE key = 'closed_ms'")
        self.on_resume = on_resume
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
        self._pending: list[tuple[list[str], tuple[str, int, int] | None, asyncio.Future[None]]] = []
        self._committing: asyncio.Task[None] | None = None

    # --- ReadingSink -------------------------------------------------------------------------
    async def submit(self, points: Sequence[Point], *, source: str | None = None) -> None:
        """Returns once `points` are committed to disk; raises SpoolFull if the spool is full.

        `source` names the device or server the readings come from (a Modbus device, an OPC UA server):
        the time of its last reading is then kept with them, for the gap a restart leaves."""
        lines = [point.to_line() for point in points]  # a point that cannot be written fails here, in its collector
        if not lines:
            return
        span = _reading_span(points) if source is not None else None
        mark = None if span is None or source is None else (source, span[0], span[1])
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((lines, mark, done))
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
        """Finish the commits under way and close the file, marking it closed (the next run tells a
        restart after a stop from one after a crash)."""
        while self._committing is not None and not self._committing.done():
            await self._committing
        await self._run(self._mark_closed)
        await self._run(self._db.close)
        self._executor.shutdown(wait=True)

    # --- internals (the blocking parts run on the spool's own thread) ------------------------
    async def _commit_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            if self._bytes >= self.max_bytes:
                refused = sum(len(lines) for lines, _, _ in batch)
                self.stats.refused_full += refused
                log.error("spool %s is full (%d bytes, limit %d): %d readings refused", self.path, self._bytes, self.max_bytes, refused)
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(SpoolFull(f"spool {self.path} is full ({self._bytes} of {self.max_bytes} bytes)"))
                continue
            lines = [line for lines, _, _ in batch for line in lines]
            try:
                seen = _merge_marks(mark for _, mark, _ in batch)
                resumed = self._resumed_lines(seen, lines)
                await self._run(self._insert, lines, {source: last for source, (_, last) in seen.items()})
            except Exception as error:  # a disk error: every waiting collector must hear of it
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            for source in resumed:
                del self._resume[source]
            for _, _, done in batch:
                if not done.done():
                    done.set_result(None)

    def _resumed_lines(self, seen: dict[str, tuple[int, int]], lines: list[str]) -> list[str]:
        """Append to `lines` the records of the sources seen again for the first time since the spool was
        opened; returns those sources (forgotten once the commit holding their record succeeded)."""
        if not self._resume or self.on_resume is None:
            return []
        resumed = []
        for source, (first, _) in seen.items():
            last = self._resume.get(source)
            if last is not None:
                lines.extend(point.to_line() for point in self.on_resume(Resumed(source, last, first, self.previous_stop_ms)))
                resumed.append(source)
        return resumed

    async def _run(self, function, *args):  # noqa: ANN001, ANN202
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def _insert(self, lines: list[str], seen: dict[str, int] | None = None) -> None:
        now = time.time()
        rows = []
        for start in range(0, len(lines), ROW_LINES):
            text = "\n".join(lines[start : start + ROW_LINES])
            count = min(ROW_LINES, len(lines) - start)
            rows.append((now, count, len(text) + count * ROW_OVERHEAD_BYTES, text))
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT INTO reading_batch (enqueued, line_count, size, lines) VALUES (?, ?, ?, ?)", rows)
            if seen:
                # One row per source in this commit (a few per commit, not one per reading).
                self._db.executemany(
                    "INSERT INTO source_seen (source, time_ms) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET time_ms = excluded.time_ms",
                    seen.items(),
                )
            block = self.ledger.append(self._db, lines, now) if self.ledger is not None else None
        if block is not None:
            self.ledger.advance(block)  # type: ignore[union-attr]
        self._depth += len(lines)
        self._bytes += sum(size for _, _, size, _ in rows)
        if self._oldest is None:
            self._oldest = now
        self.stats.accepted += len(lines)
        self.stats.commits += 1

    def _mark_closed(self) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO spool_state (key, value) VALUES ('closed_ms', ?)", (time.time_ns() // 1_000_000,))

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


def _merge_marks(marks: Iterable[tuple[str, int, int] | None]) -> dict[str, tuple[int, int]]:
    """(first, last) reading time per source over the submits of one commit."""
    seen: dict[str, tuple[int, int]] = {}
    for mark in marks:
        if mark is None:
            continue
        source, first, last = mark
        known = seen.get(source)
        seen[source] = (first, last) if known is None else (min(known[0], first), max(known[1], last))
    return seen


__all__ = [
    "PRUNE_EVERY_S",
    "ROW_LINES",
    "ROW_OVERHEAD_BYTES",
    "DurableSpool",
    "Resumed",
    "SpoolFull",
    "SpoolStats",
    "SpooledLines",
    "Synchronous",
]
