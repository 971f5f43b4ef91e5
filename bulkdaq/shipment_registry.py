"""The shipment registry: an embedded SQLite file with the declared shipments and their event history.

Append-only by construction: triggers make SQLite refuse any UPDATE or DELETE of shipments, events
and evidence, so history is only ever added to. Each event (a lifecycle transition) records its time,
actor, reason and the sha256 hashes of the evidence it rests on; the evidence documents themselves are
stored once, content-addressed by that hash (sha256 of their canonical JSON). Each event also carries
the hash of the shipment's previous event, so an edit made behind SQLite's back breaks the chain and
`verify_history` names the first event that no longer matches.

Transitions run inside ``BEGIN IMMEDIATE`` so two processes (the live watcher and an officer's CLI)
cannot both move the same shipment from the same state.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bulkdaq.clearance_lifecycle import ClearanceState, check_transition
from bulkdaq.shipment import Shipment, shipment_from_data

DECLARATION = "declaration"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS shipments (
    id TEXT PRIMARY KEY,
    declaration_hash TEXT NOT NULL,
    declared_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence (
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    shipment TEXT NOT NULL REFERENCES shipments(id),
    time TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    evidence TEXT NOT NULL,
    previous_hash TEXT,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_shipment ON events (shipment, seq);
"""
_APPEND_ONLY = [
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: history is never changed'); END;"
    for table in ("shipments", "events", "evidence")
    for verb in ("UPDATE", "DELETE")
]


def canonical_json(document: Any) -> bytes:
    """The canonical bytes of a JSON document: sorted keys, no spaces, UTF-8, floats as Python's repr."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def evidence_hash(document: Any) -> str:
    """sha256 (hex) of a document's canonical JSON."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


@dataclass(frozen=True)
class Evidence:
    """A document a transition rests on (figures, inputs, findings) and its kind."""

    kind: str
    body: Any

    @property
    def hash(self) -> str:
        return evidence_hash(self.body)


@dataclass(frozen=True)
class Event:
    seq: int
    shipment: str
    time: datetime
    from_state: str | None
    to_state: str
    actor: str
    reason: str
    evidence: tuple[str, ...]
    previous_hash: str | None
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "shipment": self.shipment,
            "time": _iso(self.time),
            "from": self.from_state,
            "to": self.to_state,
            "actor": self.actor,
            "reason": self.reason,
            "evidence": list(self.evidence),
            "previous_hash": self.previous_hash,
            "hash": self.hash,
        }


class UnknownShipment(ValueError):
    def __init__(self, shipment_id: str, known: Sequence[str]) -> None:
        listing = ", ".join(known[:10]) + (" …" if len(known) > 10 else "") if known else "none yet"
        super().__init__(f"no shipment {shipment_id!r} in the registry (shipments: {listing})")


class ShipmentExists(ValueError):
    def __init__(self, shipment_id: str) -> None:
        super().__init__(f"shipment {shipment_id!r} is already declared; a declaration is never replaced (declare a new id)")


class HistoryAltered(ValueError):
    """An event no longer matches its hash or its predecessor: the history was edited outside bulkdaq."""


class ShipmentRegistry:
    """One SQLite file of shipments, evidence and events."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE) so a check and its write are one unit.
        # check_same_thread=False: a command may hand the registry to a worker thread (one user at a time).
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA + "\n".join(_APPEND_ONLY))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ShipmentRegistry:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- writing -------------------------------------------------------------------------------------

    def declare(self, shipment: Shipment, actor: str, reason: str = "declared", at: datetime | None = None) -> Event:
        """Register a new shipment in state ``declared``; its declaration is the first evidence."""
        declaration = Evidence(DECLARATION, shipment.as_document())
        at = at or datetime.now(timezone.utc)
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM shipments WHERE id = ?", (shipment.id,)).fetchone():
                raise ShipmentExists(shipment.id)
            self._store_evidence(db, [declaration])
            db.execute("INSERT INTO shipments (id, declaration_hash, declared_at) VALUES (?, ?, ?)", (shipment.id, declaration.hash, _iso(at)))
            return self._append(db, shipment.id, None, ClearanceState.DECLARED.value, actor, reason, [declaration.hash], at)

    def transition(
        self,
        shipment_id: str,
        to_state: str,
        actor: str,
        reason: str,
        evidence: Sequence[Evidence] = (),
        at: datetime | None = None,
    ) -> Event:
        """Move a shipment to `to_state` if the lifecycle allows it, recording the event and its evidence.

        Raises
        ------
        UnknownShipment
        clearance_lifecycle.TransitionRefused
            The move skips a required step (naming current, requested and allowed states).
        ValueError
            Empty actor or reason.
        """
        if not actor.strip() or not reason.strip():
            raise ValueError("every transition needs an actor and a reason")
        with self._transaction() as db:
            current = self._state(db, shipment_id)
            check_transition(shipment_id, current, to_state)
            self._store_evidence(db, evidence)
            return self._append(db, shipment_id, current, to_state, actor, reason, [e.hash for e in evidence], at or datetime.now(timezone.utc))

    def _store_evidence(self, db: sqlite3.Connection, evidence: Sequence[Evidence]) -> None:
        for item in evidence:
            db.execute(
                "INSERT OR IGNORE INTO evidence (hash, kind, body) VALUES (?, ?, ?)",
                (item.hash, item.kind, canonical_json(item.body).decode("utf-8")),
            )

    def _append(
        self, db: sqlite3.Connection, shipment_id: str, from_state: str | None, to_state: str, actor: str, reason: str,
        hashes: list[str], at: datetime,
    ) -> Event:
        previous = db.execute("SELECT hash FROM events WHERE shipment = ? ORDER BY seq DESC LIMIT 1", (shipment_id,)).fetchone()
        previous_hash = previous[0] if previous else None
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM events").fetchone()[0]
        fields = _event_fields(seq, shipment_id, _iso(at), from_state, to_state, actor, reason, hashes, previous_hash)
        digest = evidence_hash(fields)
        db.execute(
            "INSERT INTO events (seq, shipment, time, from_state, to_state, actor, reason, evidence, previous_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, shipment_id, _iso(at), from_state, to_state, actor, reason, json.dumps(hashes), previous_hash, digest),
        )
        return Event(seq, shipment_id, _parse(_iso(at)), from_state, to_state, actor, reason, tuple(hashes), previous_hash, digest)

    # -- reading -------------------------------------------------------------------------------------

    def _state(self, db: sqlite3.Connection, shipment_id: str) -> str:
        row = db.execute("SELECT to_state FROM events WHERE shipment = ? ORDER BY seq DESC LIMIT 1", (shipment_id,)).fetchone()
        if row is None:
            raise UnknownShipment(shipment_id, self.ids())
        return row[0]

    def state(self, shipment_id: str) -> str:
        return self._state(self._db, shipment_id)

    def ids(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT id FROM shipments ORDER BY declared_at, id")]

    def shipment(self, shipment_id: str) -> Shipment:
        row = self._db.execute(
            "SELECT e.body FROM shipments s JOIN evidence e ON e.hash = s.declaration_hash WHERE s.id = ?", (shipment_id,)
        ).fetchone()
        if row is None:
            raise UnknownShipment(shipment_id, self.ids())
        return shipment_from_data(json.loads(row[0]), f"registry {self.path} ({shipment_id})")

    def events(self, shipment_id: str) -> list[Event]:
        rows = self._db.execute(
            "SELECT seq, shipment, time, from_state, to_state, actor, reason, evidence, previous_hash, hash "
            "FROM events WHERE shipment = ? ORDER BY seq",
            (shipment_id,),
        ).fetchall()
        if not rows:
            raise UnknownShipment(shipment_id, self.ids())
        return [Event(r[0], r[1], _parse(r[2]), r[3], r[4], r[5], r[6], tuple(json.loads(r[7])), r[8], r[9]) for r in rows]

    def evidence(self, digest: str) -> Evidence:
        row = self._db.execute("SELECT kind, body FROM evidence WHERE hash = ?", (digest,)).fetchone()
        if row is None:
            raise KeyError(f"no evidence with hash {digest}")
        return Evidence(row[0], json.loads(row[1]))

    def latest_evidence(self, shipment_id: str, kind: str) -> tuple[Event, Evidence] | None:
        """The newest evidence of `kind` that an event of the shipment rests on, with that event."""
        for event in reversed(self.events(shipment_id)):
            for digest in event.evidence:
                item = self.evidence(digest)
                if item.kind == kind:
                    return event, item
        return None

    def verify_history(self, shipment_id: str) -> None:
        """Recompute every event hash and link, and every evidence hash, of a shipment.

        Raises
        ------
        HistoryAltered
            Naming the first event (or evidence) that does not match.
        """
        previous: str | None = None
        for event in self.events(shipment_id):
            fields = _event_fields(
                event.seq, event.shipment, _iso(event.time), event.from_state, event.to_state, event.actor, event.reason,
                list(event.evidence), event.previous_hash,
            )
            if event.previous_hash != previous:
                raise HistoryAltered(f"event {event.seq} of {shipment_id} does not follow the event before it (chain broken)")
            if evidence_hash(fields) != event.hash:
                raise HistoryAltered(f"event {event.seq} of {shipment_id} ({event.from_state} → {event.to_state}) does not match its hash")
            for digest in event.evidence:
                if evidence_hash(self.evidence(digest).body) != digest:
                    raise HistoryAltered(f"evidence {digest} of event {event.seq} of {shipment_id} does not match its hash")
            previous = event.hash

    def summaries(self) -> list[tuple[Shipment, Event]]:
        """Every shipment with its newest event (its current state), in declaration order."""
        return [(self.shipment(shipment_id), self.events(shipment_id)[-1]) for shipment_id in self.ids()]


def _event_fields(
    seq: int, shipment: str, time: str, from_state: str | None, to_state: str, actor: str, reason: str,
    evidence: list[str], previous_hash: str | None,
) -> dict[str, Any]:
    return {
        "seq": seq, "shipment": shipment, "time": time, "from": from_state, "to": to_state, "actor": actor,
        "reason": reason, "evidence": evidence, "previous_hash": previous_hash,
    }


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"time {moment.isoformat()} has no time zone; give UTC or an offset")
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


__all__ = [
    "Event",
    "Evidence",
    "HistoryAltered",
    "ShipmentExists",
    "ShipmentRegistry",
    "UnknownShipment",
    "canonical_json",
    "evidence_hash",
]
