"""A terminal's durable outbox for the customs office (docs/office.md, "Pushing to the office").

What a terminal owes the office is kept on the terminal's disk until the office has said it holds it,
the way the readings' spool keeps readings until InfluxDB has them:

* **Events and their evidence** are already durable in the terminal's own registry; the outbox keeps,
  per shipment, the number of the last event the office confirmed, so the pusher sends exactly those
  after it, after any outage or crash.
* **Chain heads and bundle manifests** are made at a moment (a head says what the chain was *then*) and
  must arrive as made, however late: they wait in a queue and leave it only once the office holds them.
* **Holds.** A push the office refused for a reason retrying cannot mend (a conflict with what it holds,
  a signature it does not accept) stops that shipment, or the queue, until an operator has looked
  (`bulkdaq office push --release-holds`); the other shipments go on.

One SQLite file (WAL, synchronous=FULL): a confirmation is on disk before the next push relies on it.
A lost outbox loses nothing either: every push is idempotent at the office, so pushing everything
again counts duplicates, never doubles.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bulkdaq.errors import BulkdaqError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS confirmed_events (shipment TEXT PRIMARY KEY, number INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, body TEXT NOT NULL, enqueued_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS holds (subject TEXT PRIMARY KEY, reason TEXT NOT NULL, since_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS office (registry TEXT NOT NULL);
"""
QUEUE_KINDS = ("head", "manifest")


class OutboxUnavailable(BulkdaqError):
    """The outbox file cannot be opened or is not an outbox."""


@dataclass(frozen=True)
class QueuedItem:
    id: int
    kind: str  # "head" or "manifest"
    body: dict[str, Any]
    enqueued_ms: int


class TerminalOutbox:
    """The outbox file of one terminal."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise OutboxUnavailable(f"{self.path}: is a folder; the office outbox is one SQLite file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.DatabaseError) as error:
            raise OutboxUnavailable(f"{self.path}: cannot open the office outbox ({error})") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TerminalOutbox:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def bind_office(self, registry: str) -> None:
        """Tie the outbox to the office registry it confirms against (its URL without the password): the
        confirmations of one office say nothing of another's, so an outbox is refused by a second office."""
        row = self._db.execute("SELECT registry FROM office").fetchone()
        if row is None:
            self._db.execute("INSERT INTO office (registry) VALUES (?)", (registry,))
        elif row[0] != registry:
            raise OutboxUnavailable(
                f"{self.path}: this outbox holds the confirmations of the office registry {row[0]}, not of {registry}; "
                "move it aside to push to the new office (every push is idempotent there: nothing is counted twice)"
            )

    # -- events --------------------------------------------------------------------------------------

    def confirmed(self, shipment: str) -> int:
        """The number of the shipment's last event the office confirmed (0: none yet)."""
        row = self._db.execute("SELECT number FROM confirmed_events WHERE shipment = ?", (shipment,)).fetchone()
        return 0 if row is None else int(row[0])

    def confirm(self, shipment: str, number: int) -> None:
        """The office holds the shipment's events up to `number`; never moves back."""
        self._db.execute(
            "INSERT INTO confirmed_events (shipment, number) VALUES (?, ?) "
            "ON CONFLICT (shipment) DO UPDATE SET number = max(number, excluded.number)",
            (shipment, number),
        )

    # -- heads and manifests -------------------------------------------------------------------------

    def enqueue(self, kind: str, body: dict[str, Any]) -> None:
        if kind not in QUEUE_KINDS:
            raise ValueError(f"queue kind {kind!r}: expected one of {', '.join(QUEUE_KINDS)}")
        self._db.execute("INSERT INTO queue (kind, body, enqueued_ms) VALUES (?, ?, ?)",
                         (kind, json.dumps(body, sort_keys=True, ensure_ascii=False), time.time_ns() // 1_000_000))

    def pending(self, limit: int = 1000) -> list[QueuedItem]:
        """The oldest queued items, in the order they were made."""
        rows = self._db.execute("SELECT id, kind, body, enqueued_ms FROM queue ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [QueuedItem(row[0], row[1], json.loads(row[2]), row[3]) for row in rows]

    def done(self, ids: list[int]) -> None:
        """The office holds these queued items."""
        self._db.executemany("DELETE FROM queue WHERE id = ?", [(i,) for i in ids])

    def depth(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM queue").fetchone()[0])

    # -- holds ---------------------------------------------------------------------------------------

    def hold(self, subject: str, reason: str) -> None:
        """Stop pushing `subject` (a shipment id, or "queue") until an operator releases it."""
        self._db.execute("INSERT OR IGNORE INTO holds (subject, reason, since_ms) VALUES (?, ?, ?)",
                         (subject, reason, time.time_ns() // 1_000_000))

    def holds(self) -> dict[str, str]:
        return {row[0]: row[1] for row in self._db.execute("SELECT subject, reason FROM holds ORDER BY since_ms")}

    def release_holds(self) -> int:
        """Push held subjects again (after an operator has looked); returns how many were held."""
        return self._db.execute("DELETE FROM holds").rowcount


__all__ = ["OutboxUnavailable", "QueuedItem", "TerminalOutbox"]
