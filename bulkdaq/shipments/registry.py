"""The shipment registry: an embedded SQLite file with the declared shipments and their event history.

Append-only by construction: triggers make SQLite refuse any UPDATE or DELETE of shipments, events
and evidence, so history is only ever added to. Each event (a lifecycle transition) records its time,
actor, reason and the sha256 hashes of the evidence it rests on; the evidence documents themselves are
stored once, content-addressed by that hash (sha256 of their canonical JSON). Each event also carries
the hash of the shipment's previous event, so an edit made behind SQLite's back breaks the chain and
`verify_history` names the first event that no longer matches.

Events are numbered per shipment, 1, 2, 3 … with no gaps, so a reader of a certificate can see that
none is missing. When the registry is opened with the site's Ed25519 key, every event is also signed
(the signature covers the event's canonical JSON, which holds its number, the previous event's hash and
the hashes of its evidence), and the registry remembers the key: from then on it refuses to append an
unsigned event, so a signed history never gains an unsigned link. An evidence bundle carries the events
and documents, and verification offline checks numbering, chain, hashes and signatures.

Registries written before events were numbered per shipment (format 1: hash over the registry-wide
row number, unsigned) still open and verify; their events are numbered by position.

Transitions run inside ``BEGIN IMMEDIATE`` so two processes (the live watcher and an officer's CLI)
cannot both move the same shipment from the same state.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bulkdaq.errors import BulkdaqError
from bulkdaq.evidence.canonical_json import canonical_json, sha256_hex
from bulkdaq.evidence.chain import fingerprint, load_public_key, public_pem
from bulkdaq.shipments.lifecycle import ClearanceState, TransitionRefused, check_transition
from bulkdaq.shipments.model import SHIPMENT_ID_EXPECTED, Shipment, is_safe_shipment_id, shipment_from_data

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
CREATE TABLE IF NOT EXISTS signing_key (
    fingerprint TEXT PRIMARY KEY,
    public_key_pem TEXT NOT NULL,
    since TEXT NOT NULL
);
"""
# Columns added when events became numbered per shipment and signed (format 2); older rows keep NULL.
_EVENT_COLUMNS_V2 = {"number": "INTEGER", "signature": "TEXT"}
EVENT_FORMAT = 2
_APPEND_ONLY = [
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: history is never changed'); END;"
    for table in ("shipments", "events", "evidence", "signing_key")
    for verb in ("UPDATE", "DELETE")
]


def evidence_hash(document: Any) -> str:
    """sha256 (hex) of a document's canonical JSON (bulkdaq/evidence/canonical_json.py)."""
    return sha256_hex(document)


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
    """One lifecycle transition of a shipment: its `number` (1, 2, 3 … per shipment), what, who, why,
    the evidence hashes, and the hash chain; `signature` is hex Ed25519, empty when unsigned."""

    number: int
    shipment: str
    time: datetime
    from_state: str | None
    to_state: str
    actor: str
    reason: str
    evidence: tuple[str, ...]
    previous_hash: str | None
    hash: str
    signature: str = ""
    format: int = EVENT_FORMAT
    row: int | None = None  # the registry-wide row number; hashed only by format-1 events

    def hashed_fields(self) -> dict[str, Any]:
        """What the event's hash (and signature) cover."""
        return _event_fields(self.format, self.row if self.format == 1 else self.number, self.shipment, _iso(self.time),
                             self.from_state, self.to_state, self.actor, self.reason, list(self.evidence), self.previous_hash)

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format": self.format,
            "number": self.number,
            "shipment": self.shipment,
            "time": _iso(self.time),
            "from": self.from_state,
            "to": self.to_state,
            "actor": self.actor,
            "reason": self.reason,
            "evidence": list(self.evidence),
            "previous_hash": self.previous_hash,
            "hash": self.hash,
            "signature": self.signature,
        }
        if self.format == 1:
            document["row"] = self.row
        return document


def event_from_dict(document: dict[str, Any]) -> Event:
    """An event as `Event.as_dict` wrote it (e.g. read back from an evidence bundle).

    Raises
    ------
    KeyError, TypeError, ValueError
        A member is missing or of the wrong type.
    """
    evidence = document["evidence"]
    if not isinstance(evidence, list) or not all(isinstance(h, str) for h in evidence):
        raise TypeError("evidence must be a list of hashes")
    for name in ("number", "format"):
        if type(document[name]) is not int:
            raise TypeError(f"{name} must be an integer, not {document[name]!r}")
    for name in ("shipment", "time", "to", "actor", "reason", "hash", "signature"):
        if not isinstance(document[name], str):
            raise TypeError(f"{name} must be a string, not {document[name]!r}")
    return Event(
        document["number"], document["shipment"], _parse(document["time"]), document["from"], document["to"], document["actor"],
        document["reason"], tuple(evidence), document["previous_hash"], document["hash"], document["signature"],
        document["format"], document.get("row"),
    )


def check_event_chain(
    shipment_id: str, events: Sequence[Event], key: Ed25519PublicKey | None, *, unsigned_allowed: bool = False
) -> list[str]:
    """Every problem of a shipment's event history, named: numbering (1, 2, 3 … with no gap), chain links,
    hashes, and — when `key` is given — each event's signature by that key (an unsigned event is a problem
    unless `unsigned_allowed`). Evidence documents are not checked here (the registry and the bundle each
    check their own copies)."""
    problems: list[str] = []
    previous: str | None = None
    if not events:
        return [f"shipment {shipment_id}: no events (a declared shipment has at least its declaration)"]
    if events[0].from_state is not None or events[0].to_state != ClearanceState.DECLARED.value:
        problems.append(f"shipment {shipment_id}: the history does not begin with its declaration (event #{events[0].number} is {events[0].from_state} → {events[0].to_state})")
    for position, event in enumerate(events, start=1):
        label = f"event #{event.number} of {shipment_id} ({event.from_state} → {event.to_state})"
        if event.shipment != shipment_id:
            problems.append(f"{label} belongs to shipment {event.shipment}")
        if event.number != position:
            problems.append(f"{label}: numbered {event.number} where #{position} is expected (an event is missing, added or moved)")
        if event.previous_hash != previous:
            problems.append(f"{label} does not follow the event before it (chain broken)")
        if sha256_hex(event.hashed_fields()) != event.hash:
            problems.append(f"{label} does not match its hash (altered)")
        if key is not None:
            if not event.signature:
                if not unsigned_allowed:
                    problems.append(f"{label} is not signed")
            else:
                try:
                    key.verify(bytes.fromhex(event.signature), canonical_json(event.hashed_fields()))
                except (InvalidSignature, ValueError):
                    problems.append(f"{label}: signature is not the site key's")
        previous = event.hash
    return problems


class UnknownShipment(BulkdaqError, ValueError):
    def __init__(self, shipment_id: str, known: Sequence[str]) -> None:
        listing = ", ".join(known[:10]) + (" …" if len(known) > 10 else "") if known else "none yet"
        super().__init__(f"no shipment {shipment_id!r} in the registry (shipments: {listing})")


class ShipmentExists(BulkdaqError, ValueError):
    def __init__(self, shipment_id: str) -> None:
        super().__init__(f"shipment {shipment_id!r} is already declared; a declaration is never replaced (declare a new id)")


class HistoryAltered(BulkdaqError, ValueError):
    """An event no longer matches its hash or its predecessor: the history was edited outside bulkdaq."""


class IncompleteEvent(BulkdaqError, ValueError):
    """A transition without an actor or a reason."""


class SigningKeyRequired(BulkdaqError, ValueError):
    """The registry signs its history with a site key and was opened without it."""


class RegistryUnavailable(BulkdaqError):
    """The registry file is missing (and is not to be created), a folder, not SQLite, another program's
    SQLite database, or locked: the message names the file and what was expected."""


class UnsafeShipmentId(BulkdaqError, ValueError):
    """A new shipment whose id is not a safe name (see bulkdaq/shipments/model.py, SHIPMENT_ID_PATTERN)."""


@dataclass(frozen=True)
class Transition:
    """One step of a shipment's lifecycle to record: the state it goes to, why, and what it rests on.

    `only_from`: the states this step may start from, when the step is narrower than the lifecycle
    (``recheck`` goes to ``precheck`` only from ``blocked``; ``declared`` → ``precheck`` is `start`'s).
    """

    to_state: str
    reason: str
    evidence: Sequence[Evidence] = ()
    only_from: tuple[str, ...] | None = None
    step: str = ""  # the step's name, for a refusal by `only_from` ("recheck")


_REGISTRY_TABLES = {"shipments", "evidence", "events"}


class ShipmentRegistry:
    """One SQLite file of shipments, evidence and events.

    Parameters
    ----------
    path
        The SQLite file.
    signing_key
        The site's Ed25519 key (`[evidence] key_file`): every event appended is signed with it. A registry
        that has signed once refuses, from then on, to append without its key or with another key.
    create
        Create the file (and its folder) if it does not exist. Without it (every command but
        `shipment declare`) a missing file is refused and nothing is created.

    An existing file must be a registry: a folder, a file that is not SQLite, or another program's SQLite
    database (a spool) is refused with `RegistryUnavailable`, never written to. Opening writes nothing;
    a registry of an older format is brought up to date by its first write, and read as it is until then.
    """

    def __init__(self, path: str | Path, signing_key: Ed25519PrivateKey | None = None, *, create: bool = True) -> None:
        self.path = Path(path)
        self.signing_key = signing_key
        if self.path.is_dir():
            raise RegistryUnavailable(f"{self.path}: is a folder; the shipment registry is one SQLite file (e.g. var/shipments.sqlite)")
        existed = self.path.exists()
        if not existed:
            if not create:
                raise RegistryUnavailable(
                    f"{self.path}: no shipment registry there (reading creates none); give the registry with --registry "
                    "or $BULKDAQ_REGISTRY, or declare a shipment into a new one with `bulkdaq shipment declare FILE --registry PATH`"
                )
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise RegistryUnavailable(f"{self.path}: cannot make its folder ({error.strerror or error})") from None
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE) so a check and its write are one unit.
            # check_same_thread=False: a command may hand the registry to a worker thread (one user at a time).
            # mode=rw never creates the file; rwc only where creating is asked for.
            self._db = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode={'rwc' if create else 'rw'}", uri=True,
                                       isolation_level=None, timeout=30.0, check_same_thread=False)
            tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} - {"sqlite_sequence"}
            if not tables and create:
                self._upgrade()  # a new (or empty) file becomes a registry
        except sqlite3.OperationalError as error:  # no permission, a read-only folder, locked
            raise RegistryUnavailable(f"{self.path}: cannot open the registry ({error})") from None
        except sqlite3.DatabaseError as error:
            raise RegistryUnavailable(f"{self.path}: not a shipment registry: cannot read it as SQLite ({error})") from None
        if not _REGISTRY_TABLES <= tables and not (create and not tables):
            self._db.close()
            held = f"its tables: {', '.join(sorted(tables))}" if tables else "an empty database"
            raise RegistryUnavailable(f"{self.path}: not a shipment registry ({held}; a registry has the tables events, evidence, shipments)")
        self._db.execute("PRAGMA foreign_keys=ON")

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}

    def _upgrade(self) -> None:
        """Create the schema, or bring a registry of an older format up to date (idempotent)."""
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA + "\n".join(_APPEND_ONLY))
        columns = self._columns("events")
        for name, kind in _EVENT_COLUMNS_V2.items():
            if name not in columns:
                self._db.execute(f"ALTER TABLE events ADD COLUMN {name} {kind}")

    def _up_to_date(self) -> bool:
        return set(_EVENT_COLUMNS_V2) <= self._columns("events") and self._has_table("signing_key")

    def _has_table(self, name: str) -> bool:
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None

    @property
    def key_fingerprint(self) -> str | None:
        """Fingerprint of the key this registry signs its history with (None: unsigned history), computed from the
        public key the signatures are checked against, as the yard ledger does, never read from the file's
        ``fingerprint`` column (a column can be edited apart from the key)."""
        key = self.public_key()
        return None if key is None else fingerprint(key)

    def public_key(self) -> Ed25519PublicKey | None:
        if not self._has_table("signing_key"):  # a registry of format 1, not written to since
            return None
        row = self._db.execute("SELECT public_key_pem FROM signing_key ORDER BY since LIMIT 1").fetchone()
        return None if row is None else load_public_key(row[0])

    def _check_signing_key(self, db: sqlite3.Connection) -> None:
        """Bind the registry to its key at the first signed event; refuse an unsigned or foreign append after."""
        bound = self.key_fingerprint
        if self.signing_key is None:
            if bound is not None:
                raise SigningKeyRequired(
                    f"registry {self.path} signs its history with site key {bound}; open it with that key "
                    "(give --site with the site file whose [evidence] key_file it is)"
                )
            return
        public = self.signing_key.public_key()
        mine = fingerprint(public)
        if bound is None:
            unsigned = db.execute("SELECT count(*) FROM events").fetchone()[0]
            if unsigned:
                # Signing from here on would leave every earlier link unsigned: a bundle of those shipments
                # could never verify against the site key. Better said now than at the officer's desk.
                raise SigningKeyRequired(
                    f"registry {self.path} already holds {unsigned} unsigned events (recorded without the site key); a history "
                    "begun unsigned cannot be signed later: keep using it without the key, or start a new registry and give "
                    "--site from the first declaration"
                )
            db.execute("INSERT INTO signing_key (fingerprint, public_key_pem, since) VALUES (?, ?, ?)",
                       (mine, public_pem(public), _iso(datetime.now(timezone.utc))))
        elif bound != mine:
            raise SigningKeyRequired(f"registry {self.path} signs its history with site key {bound}, not with key {mine}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ShipmentRegistry:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write: everything inside is recorded together, or (on any exception) nothing is."""
        try:
            if not self._up_to_date():
                self._upgrade()
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:  # locked by another process for longer than the timeout, read-only, disk full
            raise RegistryUnavailable(f"{self.path}: cannot write to the registry ({error})") from None
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- writing -------------------------------------------------------------------------------------

    def declare(
        self, shipment: Shipment, actor: str, reason: str = "declared", at: datetime | None = None,
        *, before_commit: Callable[[], None] | None = None,
    ) -> Event:
        """Register a new shipment in state ``declared``; its declaration is the first evidence.

        `before_commit` runs inside the transaction, after the event is written and before it is
        committed (it sees the new state); if it raises, nothing is recorded.

        Raises
        ------
        UnsafeShipmentId
            The id is not a safe name (it could not stand in a file name).
        ShipmentExists
        """
        if not is_safe_shipment_id(shipment.id):
            raise UnsafeShipmentId(f"shipment id {shipment.id!r}: expected {SHIPMENT_ID_EXPECTED}")
        declaration = Evidence(DECLARATION, shipment.as_document())
        at = at or datetime.now(timezone.utc)
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM shipments WHERE id = ?", (shipment.id,)).fetchone():
                raise ShipmentExists(shipment.id)
            self._store_evidence(db, [declaration])
            db.execute("INSERT INTO shipments (id, declaration_hash, declared_at) VALUES (?, ?, ?)", (shipment.id, declaration.hash, _iso(at)))
            event = self._append(db, shipment.id, None, ClearanceState.DECLARED.value, actor, reason, [declaration.hash], at)
            if before_commit is not None:
                before_commit()
            return event

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
        IncompleteEvent
            Empty actor or reason.
        """
        return self.record(shipment_id, [Transition(to_state, reason, evidence)], actor, at)[0]

    def record(
        self,
        shipment_id: str,
        transitions: Sequence[Transition],
        actor: str,
        at: datetime | None = None,
        *,
        before_commit: Callable[[], None] | None = None,
    ) -> tuple[Event, ...]:
        """Record a step of one or more transitions in one transaction: all of them, or none.

        Each transition is checked against the lifecycle from the state the one before it left (the first
        from the shipment's current state, read inside the transaction, so two processes cannot both move
        the shipment from the same state). `before_commit` runs last inside the transaction and sees the
        new state (the workflow publishes it to InfluxDB there); if it raises, nothing is recorded.

        Raises
        ------
        UnknownShipment, TransitionRefused, IncompleteEvent
        """
        if not actor.strip() or any(not t.reason.strip() for t in transitions):
            raise IncompleteEvent("every transition needs an actor and a reason")
        at = at or datetime.now(timezone.utc)
        events = []
        with self._transaction() as db:
            current = self._state(db, shipment_id)
            for step in transitions:
                if step.only_from is not None and current not in step.only_from:
                    raise TransitionRefused(shipment_id, current, step.to_state, only_from=step.only_from, step=step.step)
                check_transition(shipment_id, current, step.to_state)
                self._store_evidence(db, step.evidence)
                events.append(self._append(db, shipment_id, current, step.to_state, actor, step.reason, [e.hash for e in step.evidence], at))
                current = step.to_state
            if before_commit is not None:
                before_commit()
        return tuple(events)

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
        self._check_signing_key(db)
        previous_hash, number = db.execute(
            "SELECT (SELECT hash FROM events WHERE shipment = ?1 ORDER BY seq DESC LIMIT 1), COUNT(*) + 1 FROM events WHERE shipment = ?1",
            (shipment_id,),
        ).fetchone()
        fields = _event_fields(EVENT_FORMAT, number, shipment_id, _iso(at), from_state, to_state, actor, reason, hashes, previous_hash)
        digest = sha256_hex(fields)
        signature = self.signing_key.sign(canonical_json(fields)).hex() if self.signing_key is not None else ""
        db.execute(
            "INSERT INTO events (shipment, number, time, from_state, to_state, actor, reason, evidence, previous_hash, hash, signature) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (shipment_id, number, _iso(at), from_state, to_state, actor, reason, json.dumps(hashes), previous_hash, digest, signature),
        )
        return Event(number, shipment_id, _parse(_iso(at)), from_state, to_state, actor, reason, tuple(hashes), previous_hash, digest, signature)

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
        # A format-1 registry not written to since has no number and signature columns yet: read them as NULL.
        numbered = "number, signature" if set(_EVENT_COLUMNS_V2) <= self._columns("events") else "NULL, NULL"
        rows = self._db.execute(
            f"SELECT seq, shipment, time, from_state, to_state, actor, reason, evidence, previous_hash, hash, {numbered} "
            "FROM events WHERE shipment = ? ORDER BY seq",
            (shipment_id,),
        ).fetchall()
        if not rows:
            raise UnknownShipment(shipment_id, self.ids())
        return [
            Event(r[10] if r[10] is not None else position, r[1], _parse(r[2]), r[3], r[4], r[5], r[6], tuple(json.loads(r[7])), r[8], r[9],
                  r[11] or "", EVENT_FORMAT if r[10] is not None else 1, r[0])
            for position, r in enumerate(rows, start=1)
        ]

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
        events = self.events(shipment_id)
        # Only a signed event is checked against the key, so a history begun before the registry had its key
        # still verifies here; an evidence bundle, verified with the site key, names every unsigned event.
        problems = check_event_chain(shipment_id, events, self.public_key(), unsigned_allowed=True)
        if problems:
            raise HistoryAltered(problems[0])
        for event in events:
            for digest in event.evidence:
                if evidence_hash(self.evidence(digest).body) != digest:
                    raise HistoryAltered(f"evidence {digest} of event #{event.number} of {shipment_id} does not match its hash")

    def summaries(self) -> list[tuple[Shipment, Event]]:
        """Every shipment with its newest event (its current state), in declaration order."""
        return [(self.shipment(shipment_id), self.events(shipment_id)[-1]) for shipment_id in self.ids()]


def _event_fields(
    format_: int, number: int | None, shipment: str, time: str, from_state: str | None, to_state: str, actor: str, reason: str,
    evidence: list[str], previous_hash: str | None,
) -> dict[str, Any]:
    fields = {
        "shipment": shipment, "time": time, "from": from_state, "to": to_state, "actor": actor,
        "reason": reason, "evidence": evidence, "previous_hash": previous_hash,
    }
    if format_ == 1:  # registry-wide row number, no format member
        return {"seq": number, **fields}
    return {"format": f"bulkdaq-event/{format_}", "number": number, **fields}


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"time {moment.isoformat()} has no time zone; give UTC or an offset")
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


__all__ = [
    "EVENT_FORMAT",
    "Event",
    "Evidence",
    "HistoryAltered",
    "IncompleteEvent",
    "RegistryUnavailable",
    "ShipmentExists",
    "ShipmentRegistry",
    "SigningKeyRequired",
    "Transition",
    "UnknownShipment",
    "UnsafeShipmentId",
    "canonical_json",
    "check_event_chain",
    "event_from_dict",
    "evidence_hash",
]
