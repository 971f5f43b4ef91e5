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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.engine import Connection

from bulkdaq.errors import BulkdaqError
from bulkdaq.evidence.canonical_json import canonical_json, sha256_hex
from bulkdaq.evidence.chain import fingerprint, load_public_key, public_pem
from bulkdaq.shipments.lifecycle import ClearanceState, TransitionRefused, check_transition
from bulkdaq.shipments.model import SHIPMENT_ID_EXPECTED, Shipment, is_safe_shipment_id, shipment_from_data
from bulkdaq.shipments.registry_database import RegistryDatabase, RegistryUnavailable

DECLARATION = "declaration"
EVENT_FORMAT = 2
OFFICER_EVENT_FORMAT = 3  # an officer's step: the hashed fields name the officer's key (`signer`)
# The steps that are an officer's decision: recorded only when signed with a registered officer's own key.
OFFICER_STATES = frozenset({ClearanceState.INVESTIGATING.value, ClearanceState.RESOLVED.value,
                            ClearanceState.CERTIFIED.value, ClearanceState.RELEASED.value})


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
    signer: str | None = None  # format 3: fingerprint of the officer's key that signed the step (None: the site key)

    def hashed_fields(self) -> dict[str, Any]:
        """What the event's hash (and signature) cover."""
        return _event_fields(self.format, self.row if self.format == 1 else self.number, self.shipment, _iso(self.time),
                             self.from_state, self.to_state, self.actor, self.reason, list(self.evidence), self.previous_hash,
                             self.signer)

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
        if self.signer is not None:
            document["signer"] = self.signer
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
    signer = document.get("signer")
    if signer is not None and not isinstance(signer, str):
        raise TypeError(f"signer must be a key fingerprint (a string), not {signer!r}")
    return Event(
        document["number"], document["shipment"], _parse(document["time"]), document["from"], document["to"], document["actor"],
        document["reason"], tuple(evidence), document["previous_hash"], document["hash"], document["signature"],
        document["format"], document.get("row"), signer,
    )


def check_event_chain(
    shipment_id: str, events: Sequence[Event], key: Ed25519PublicKey | None, *, unsigned_allowed: bool = False,
    officer_keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> list[str]:
    """Every problem of a shipment's event history, named: numbering (1, 2, 3 … with no gap), chain links,
    hashes, and — when `key` is given — each event's signature by that key (an unsigned event is a problem
    unless `unsigned_allowed`). An officer's step (format 3) is checked against the officer's key it names,
    looked up by fingerprint in `officer_keys` (the officers the office registered). An officer's decision
    recorded before officers signed their own (format 2, the site key's) is checked as the site's: the
    registry no longer records one, and the office refuses one pushed to it. Evidence documents are not
    checked here (the registry and the bundle each check their own copies)."""
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
        if position > 1:
            problems += lifecycle_problems(label, shipment_id, events[position - 2].to_state, event)
        if event.signer is not None or event.format == OFFICER_EVENT_FORMAT:
            officer = (officer_keys or {}).get(event.signer or "")
            if officer is None:
                problems.append(f"{label} names officer key {event.signer}, which is not a registered officer's")
            elif not signed_by(officer, event):
                problems.append(f"{label}: signature is not officer key {event.signer}'s")
        elif key is not None:
            if not event.signature:
                if not unsigned_allowed:
                    problems.append(f"{label} is not signed")
            elif not signed_by(key, event):
                problems.append(f"{label}: signature is not the site key's")
        previous = event.hash
    return problems


def lifecycle_problems(label: str, shipment_id: str, left_in: str, event: Event) -> list[str]:
    """An event that does not start where the one before it left the shipment, or that is no step of the
    clearance lifecycle: a signed history is still only a history the lifecycle allows."""
    if event.from_state != left_in:
        return [f"{label} starts from '{event.from_state}', but the event before it left the shipment '{left_in}'"]
    try:
        check_transition(shipment_id, left_in, event.to_state)
    except (TransitionRefused, ValueError):
        return [f"{label} is not a step of the clearance lifecycle"]
    return []


def signed_by(key: Ed25519PublicKey, event: Event) -> bool:
    """Whether the event's signature is `key`'s over its hashed fields."""
    try:
        key.verify(bytes.fromhex(event.signature), canonical_json(event.hashed_fields()))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class RegisteredOfficerRow:
    """An officer as the registry holds the card (bulkdaq/office/officers.py registers it)."""

    officer_id: str
    name: str
    public_key_pem: str
    public_key: Ed25519PublicKey
    registered_at: str
    registered_by: str

    @property
    def label(self) -> str:
        """How the officer's decisions name the officer: 'officer_id name'."""
        return f"{self.officer_id} {self.name}"


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


class OfficerNotRegistered(BulkdaqError, ValueError):
    """An officer's step signed with a key the registry has no officer for, or an officer's step without one."""


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


class ShipmentRegistry:
    """The shipments, their evidence and their events, in a SQLite file or an office's PostgreSQL database.

    Parameters
    ----------
    location
        The SQLite file, or a ``postgresql+psycopg://role@host:port/database`` URL (a customs office's
        registry, docs/office.md).
    signing_key
        The site's Ed25519 key (`[evidence] key_file`): every event appended is signed with it. A registry
        that has signed once refuses, from then on, to append without its key or with another key.
    create
        SQLite: create the file (and its folder) if it does not exist. Without it (every command but
        `shipment declare`) a missing file is refused and nothing is created.
    password
        PostgreSQL: the role's password (from the environment or a file).

    An existing file must be a registry: a folder, a file that is not SQLite, or another program's SQLite
    database (a spool) is refused with `RegistryUnavailable`, never written to. Opening writes nothing;
    a SQLite registry of an older format is brought up to date by its first write, and read as it is until then.
    """

    def __init__(
        self, location: str | Path, signing_key: Ed25519PrivateKey | None = None, *, create: bool = True, password: str | None = None,
    ) -> None:
        self.database = RegistryDatabase(location, create=create, password=password)
        self.path: Path | str = self.database.path if self.database.path is not None else self.database.where
        self.signing_key = signing_key

    def _columns(self, connection: Connection, table: str) -> set[str]:
        return {column["name"] for column in sa.inspect(connection).get_columns(table)}

    def _has_table(self, connection: Connection, name: str) -> bool:
        return sa.inspect(connection).has_table(name)

    @property
    def key_fingerprint(self) -> str | None:
        """Fingerprint of the key this registry signs its history with (None: unsigned history), computed from the
        public key the signatures are checked against, as the yard ledger does, never read from the file's
        ``fingerprint`` column (a column can be edited apart from the key)."""
        key = self.public_key()
        return None if key is None else fingerprint(key)

    def public_key(self) -> Ed25519PublicKey | None:
        with self.database.reading() as connection:
            return self._public_key(connection)

    def _public_key(self, connection: Connection) -> Ed25519PublicKey | None:
        if not self._has_table(connection, "signing_key"):  # a registry of format 1, not written to since
            return None
        row = connection.execute(sa.text("SELECT public_key_pem FROM signing_key ORDER BY since LIMIT 1")).fetchone()
        return None if row is None else load_public_key(row[0])

    def site_key_of(self, shipment_id: str) -> Ed25519PublicKey | None:
        """At an office: the key registered for the site that declared the shipment (None at a terminal, whose
        own key is `public_key`)."""
        with self.database.reading() as connection:
            if not self._has_table(connection, "site_keys"):
                return None
            row = connection.execute(sa.text("SELECT k.public_key_pem FROM shipments s JOIN site_keys k ON k.site = s.site WHERE s.id = :id"),
                                     {"id": shipment_id}).fetchone()
        return None if row is None else load_public_key(row[0])

    def site_of(self, shipment_id: str) -> str | None:
        """The site the shipment belongs to at an office (None: a terminal's own shipment)."""
        with self.database.reading() as connection:
            if "site" not in self._columns(connection, "shipments"):
                return None
            row = connection.execute(sa.text("SELECT site FROM shipments WHERE id = :id"), {"id": shipment_id}).fetchone()
        return None if row is None else row[0]

    def officer_keys(self) -> dict[str, Ed25519PublicKey]:
        """The registered officers' public keys by fingerprint (empty for a registry from before officers)."""
        with self.database.reading() as connection:
            return self._officer_keys(connection)

    def _officer_keys(self, connection: Connection) -> dict[str, Ed25519PublicKey]:
        return {key: officer.public_key for key, officer in self._officers(connection).items()}

    def registered_officers(self) -> dict[str, RegisteredOfficerRow]:
        """Every officer the registry holds, by the fingerprint computed from the stored key (never read from a column)."""
        with self.database.reading() as connection:
            return self._officers(connection)

    def _officers(self, connection: Connection) -> dict[str, RegisteredOfficerRow]:
        if not self._has_table(connection, "officers"):
            return {}
        rows = connection.execute(sa.text("SELECT officer_id, name, public_key_pem, registered_at, registered_by FROM officers ORDER BY officer_id"))
        officers = (RegisteredOfficerRow(r[0], r[1], r[2], load_public_key(r[2]), r[3], r[4]) for r in rows)
        return {fingerprint(officer.public_key): officer for officer in officers}

    def _revocations(self, db: Connection) -> dict[str, tuple[str, str]]:
        """Revoked officers' keys: fingerprint → (revoked at, why)."""
        if not self._has_table(db, "officer_revocations"):
            return {}
        rows = db.execute(sa.text("SELECT fingerprint, revoked_at, reason FROM officer_revocations")).fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    def officer_revocations(self) -> dict[str, tuple[str, str]]:
        """Revoked officers' keys: fingerprint → (revoked at, why) (bulkdaq/office/officers.py revokes)."""
        with self.database.reading() as connection:
            return self._revocations(connection)

    def recorded_at(self, shipment_id: str) -> dict[int, str | None]:
        """When the registry recorded each event of the shipment, by number (None: before it kept the moment).
        On an office's PostgreSQL the database's own clock wrote it, whatever the writer sent."""
        with self.database.reading() as connection:
            if "recorded_at" not in self._columns(connection, "events"):
                return {}
            rows = connection.execute(sa.text("SELECT number, recorded_at FROM events WHERE shipment = :id AND number IS NOT NULL"),
                                      {"id": shipment_id}).fetchall()
        return {int(row[0]): row[1] for row in rows}

    def officer_names(self) -> dict[str, str]:
        """'officer_id name' of each registered officer by key fingerprint, computed from the stored key."""
        return {key: officer.label for key, officer in self.registered_officers().items()}

    def _check_signing_key(self, db: Connection) -> None:
        """Bind the registry to its key at the first signed event; refuse an unsigned or foreign append after."""
        key = self._public_key(db)
        bound = None if key is None else fingerprint(key)
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
            unsigned = db.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
            if unsigned:
                # Signing from here on would leave every earlier link unsigned: a bundle of those shipments
                # could never verify against the site key. Better said now than at the officer's desk.
                raise SigningKeyRequired(
                    f"registry {self.path} already holds {unsigned} unsigned events (recorded without the site key); a history "
                    "begun unsigned cannot be signed later: keep using it without the key, or start a new registry and give "
                    "--site from the first declaration"
                )
            db.execute(sa.text("INSERT INTO signing_key (fingerprint, public_key_pem, since) VALUES (:fingerprint, :pem, :since)"),
                       {"fingerprint": mine, "pem": public_pem(public), "since": _iso(datetime.now(timezone.utc))})
        elif bound != mine:
            raise SigningKeyRequired(f"registry {self.path} signs its history with site key {bound}, not with key {mine}")

    def _officer(self, db: Connection, officer_key: Ed25519PrivateKey) -> tuple[str, str]:
        """The registered officer whose key this is: (fingerprint, 'officer_id name')."""
        mine = fingerprint(officer_key.public_key())
        officer = self._officers(db).get(mine)
        if officer is not None:
            revoked = self._revocations(db).get(mine)
            if revoked is not None:
                raise OfficerNotRegistered(
                    f"officer {officer.label}'s key {mine} was revoked at {revoked[0]} ({revoked[1]}); "
                    "a decision is signed only with a key in force: the officer makes a new key, whose card the office registers "
                    "under a new service number entry (one key per service number until key rotation is built)"
                )
            return mine, officer.label
        raise OfficerNotRegistered(
            f"registry {self.path} has no officer with key {mine}; the office registers an officer's card with "
            "`bulkdaq officer register CARD --actor NAME` before the officer's first step"
        )

    def close(self) -> None:
        self.database.dispose()

    def __enter__(self) -> ShipmentRegistry:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

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
        try:
            with self.database.writing(shipment.id) as db:
                if db.execute(sa.text("SELECT 1 FROM shipments WHERE id = :id"), {"id": shipment.id}).fetchone():
                    raise ShipmentExists(shipment.id)
                self._store_evidence(db, [declaration])
                self._insert_shipment(db, shipment.id, declaration.hash, _iso(at), shipment.site)
                event = self._append(db, shipment.id, None, ClearanceState.DECLARED.value, actor, reason, [declaration.hash], at)
                if before_commit is not None:
                    before_commit()
                return event
        except sa.exc.IntegrityError:  # another writer declared the same id between our check and our insert
            raise ShipmentExists(shipment.id) from None

    @staticmethod
    def _insert_shipment(db: Connection, shipment_id: str, declaration_hash: str, declared_at: str, site: str | None) -> None:
        db.execute(sa.text("INSERT INTO shipments (id, declaration_hash, declared_at, site) VALUES (:id, :hash, :at, :site)"),
                   {"id": shipment_id, "hash": declaration_hash, "at": declared_at, "site": site})

    def transition(
        self,
        shipment_id: str,
        to_state: str,
        actor: str,
        reason: str,
        evidence: Sequence[Evidence] = (),
        at: datetime | None = None,
        *,
        officer_key: Ed25519PrivateKey | None = None,
    ) -> Event:
        """Move a shipment to `to_state` if the lifecycle allows it, recording the event and its evidence.

        Raises
        ------
        UnknownShipment
        clearance_lifecycle.TransitionRefused
            The move skips a required step (naming current, requested and allowed states).
        IncompleteEvent
            Empty actor or reason.
        OfficerNotRegistered
            An officer's step without a registered officer's key.
        """
        return self.record(shipment_id, [Transition(to_state, reason, evidence)], actor, at, officer_key=officer_key)[0]

    def record(
        self,
        shipment_id: str,
        transitions: Sequence[Transition],
        actor: str,
        at: datetime | None = None,
        *,
        before_commit: Callable[[], None] | None = None,
        officer_key: Ed25519PrivateKey | None = None,
    ) -> tuple[Event, ...]:
        """Record a step of one or more transitions in one transaction: all of them, or none.

        Each transition is checked against the lifecycle from the state the one before it left (the first
        from the shipment's current state, read inside the transaction, so two processes cannot both move
        the shipment from the same state). `before_commit` runs last inside the transaction and sees the
        new state (the workflow publishes it to InfluxDB there); if it raises, nothing is recorded.

        An officer's decision (investigating, resolved, certified, released) is recorded only with
        `officer_key`, the key of an officer the registry holds: the event names the key (format 3), is
        signed with it, and its actor is the officer as registered (`actor` is then not used). A step that
        is not an officer's is never signed with an officer's key.

        Raises
        ------
        UnknownShipment, TransitionRefused, IncompleteEvent, OfficerNotRegistered
        """
        officer_steps = [t.to_state in OFFICER_STATES for t in transitions]
        if officer_key is not None and not all(officer_steps):
            raise OfficerNotRegistered("an officer's key signs only an officer's decision (investigate, resolve, certify, release)")
        if officer_key is None and any(officer_steps):
            decided = next(t.to_state for t in transitions if t.to_state in OFFICER_STATES)
            raise OfficerNotRegistered(
                f"'{decided}' is an officer's decision: it is recorded only signed with the officer's own key "
                "(`bulkdaq officer ... --key OFFICER.key`)"
            )
        if (officer_key is None and not actor.strip()) or any(not t.reason.strip() for t in transitions):
            raise IncompleteEvent("every transition needs an actor and a reason")
        at = at or datetime.now(timezone.utc)
        events = []
        with self.database.writing(shipment_id) as db:
            current = self._state(db, shipment_id)
            signer = None
            if officer_key is not None:
                signer, actor = self._officer(db, officer_key)
                # The decision continues the chain and so vouches for every link before it: it is taken only on a
                # history that verifies whole (a link written into the database behind bulkdaq's back is found here).
                try:
                    verified = self.verify_history(shipment_id)[-1]
                except HistoryAltered as altered:
                    raise HistoryAltered(f"no officer's decision is recorded on shipment {shipment_id}: its history does not verify ({altered})") from None
                if self._chain_end(db, shipment_id) != (verified.hash, verified.number):
                    # a row written past bulkdaq (without the lock) between the check and now: the decision would vouch for it
                    raise HistoryAltered(f"no officer's decision is recorded on shipment {shipment_id}: an event was added while its "
                                         "history was being verified; take the step again")
                current = verified.to_state
            for step in transitions:
                if step.only_from is not None and current not in step.only_from:
                    raise TransitionRefused(shipment_id, current, step.to_state, only_from=step.only_from, step=step.step)
                check_transition(shipment_id, current, step.to_state)
                self._store_evidence(db, step.evidence)
                events.append(self._append(db, shipment_id, current, step.to_state, actor, step.reason, [e.hash for e in step.evidence], at,
                                           officer_key=officer_key, signer=signer))
                current = step.to_state
            if before_commit is not None:
                before_commit()
        return tuple(events)

    @staticmethod
    def _store_evidence(db: Connection, evidence: Sequence[Evidence]) -> None:
        for item in evidence:
            db.execute(
                sa.text("INSERT INTO evidence (hash, kind, body) VALUES (:hash, :kind, :body) ON CONFLICT DO NOTHING"),
                {"hash": item.hash, "kind": item.kind, "body": canonical_json(item.body).decode("utf-8")},
            )

    def _append(
        self, db: Connection, shipment_id: str, from_state: str | None, to_state: str, actor: str, reason: str,
        hashes: list[str], at: datetime, *, officer_key: Ed25519PrivateKey | None = None, signer: str | None = None,
    ) -> Event:
        if officer_key is None:
            self._check_signing_key(db)
        previous_hash, number = self._chain_end(db, shipment_id)
        format_ = EVENT_FORMAT if officer_key is None else OFFICER_EVENT_FORMAT
        fields = _event_fields(format_, number + 1, shipment_id, _iso(at), from_state, to_state, actor, reason, hashes, previous_hash, signer)
        digest = sha256_hex(fields)
        key = officer_key if officer_key is not None else self.signing_key
        signature = key.sign(canonical_json(fields)).hex() if key is not None else ""
        event = Event(number + 1, shipment_id, _parse(_iso(at)), from_state, to_state, actor, reason, tuple(hashes), previous_hash, digest,
                      signature, format_, None, signer)
        self._insert_event(db, event, site=None)
        return event

    @staticmethod
    def _chain_end(db: Connection, shipment_id: str) -> tuple[str | None, int]:
        """The hash of the shipment's last event and how many it has."""
        row = db.execute(
            sa.text("SELECT (SELECT hash FROM events WHERE shipment = :id ORDER BY seq DESC LIMIT 1), COUNT(*) FROM events WHERE shipment = :id"),
            {"id": shipment_id},
        ).one()
        return row[0], int(row[1])

    @staticmethod
    def _insert_event(db: Connection, event: Event, *, site: str | None) -> None:
        db.execute(
            sa.text(
                "INSERT INTO events (shipment, number, time, from_state, to_state, actor, reason, evidence, previous_hash, hash, signature, "
                "signer, site, recorded_at) VALUES (:shipment, :number, :time, :from_state, :to_state, :actor, :reason, :evidence, "
                ":previous_hash, :hash, :signature, :signer, COALESCE(:site, (SELECT site FROM shipments WHERE id = :shipment)), :recorded_at)"
            ),
            {"shipment": event.shipment, "number": event.number, "time": _iso(event.time), "from_state": event.from_state,
             "to_state": event.to_state, "actor": event.actor, "reason": event.reason, "evidence": json.dumps(list(event.evidence)),
             "previous_hash": event.previous_hash, "hash": event.hash, "signature": event.signature, "signer": event.signer, "site": site,
             "recorded_at": _iso(datetime.now(timezone.utc))},
        )

    # -- reading -------------------------------------------------------------------------------------

    def _state(self, db: Connection, shipment_id: str) -> str:
        row = db.execute(sa.text("SELECT to_state FROM events WHERE shipment = :id ORDER BY seq DESC LIMIT 1"), {"id": shipment_id}).fetchone()
        if row is None:
            raise UnknownShipment(shipment_id, self.ids())
        return str(row[0])

    def state(self, shipment_id: str) -> str:
        with self.database.reading() as connection:
            return self._state(connection, shipment_id)

    def ids(self, site: str | None = None) -> list[str]:
        """Shipment ids in declaration order; `site`: only that site's (an office's registry holds many)."""
        with self.database.reading() as connection:
            if site is None:
                rows = connection.execute(sa.text("SELECT id FROM shipments ORDER BY declared_at, id"))
            else:
                rows = connection.execute(sa.text("SELECT id FROM shipments WHERE site = :site ORDER BY declared_at, id"), {"site": site})
            return [row[0] for row in rows]

    def shipment(self, shipment_id: str) -> Shipment:
        with self.database.reading() as connection:
            row = connection.execute(
                sa.text("SELECT e.body FROM shipments s JOIN evidence e ON e.hash = s.declaration_hash WHERE s.id = :id"), {"id": shipment_id}
            ).fetchone()
        if row is None:
            raise UnknownShipment(shipment_id, self.ids())
        return shipment_from_data(json.loads(row[0]), f"registry {self.path} ({shipment_id})")

    def events(self, shipment_id: str) -> list[Event]:
        with self.database.reading() as connection:
            columns = self._columns(connection, "events")
            # A format-1 registry not written to since has no number and signature columns yet: read them as NULL.
            numbered = "number, signature" if {"number", "signature"} <= columns else "NULL, NULL"
            signer = "signer" if "signer" in columns else "NULL"
            rows = connection.execute(
                sa.text(f"SELECT seq, shipment, time, from_state, to_state, actor, reason, evidence, previous_hash, hash, {numbered}, {signer} "
                        "FROM events WHERE shipment = :id ORDER BY seq"),
                {"id": shipment_id},
            ).fetchall()
        if not rows:
            raise UnknownShipment(shipment_id, self.ids())
        return [
            Event(r[10] if r[10] is not None else position, r[1], _parse(r[2]), r[3], r[4], r[5], r[6], tuple(json.loads(r[7])), r[8], r[9],
                  r[11] or "", (OFFICER_EVENT_FORMAT if r[12] is not None else EVENT_FORMAT) if r[10] is not None else 1, r[0], r[12])
            for position, r in enumerate(rows, start=1)
        ]

    def evidence(self, digest: str) -> Evidence:
        with self.database.reading() as connection:
            row = connection.execute(sa.text("SELECT kind, body FROM evidence WHERE hash = :hash"), {"hash": digest}).fetchone()
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

    def verify_history(self, shipment_id: str) -> list[Event]:
        """Recompute every event hash and link, and every evidence hash, of a shipment, and check each
        officer's step against the key of the officer it names; return the events so verified (read once:
        a caller lists or extends exactly what was checked, not a second reading).

        Raises
        ------
        HistoryAltered
            Naming the first event (or evidence) that does not match.
        """
        events = self.events(shipment_id)
        site_key = self.site_key_of(shipment_id)
        # At a terminal only a signed event is checked against the key, so a history begun before the registry had
        # its key still verifies here (an evidence bundle, verified with the site key, names every unsigned event).
        # At the office every event of a site must carry the signature of the key registered for that site.
        problems = check_event_chain(shipment_id, events, site_key or self.public_key(), unsigned_allowed=site_key is None,
                                     officer_keys=self.officer_keys())
        problems += self._revoked_decisions(shipment_id, events)
        if problems:
            raise HistoryAltered(problems[0])
        for event in events:
            for digest in event.evidence:
                try:
                    document = self.evidence(digest)
                except KeyError:
                    raise HistoryAltered(f"evidence {digest} of event #{event.number} of {shipment_id} is missing") from None
                if evidence_hash(document.body) != digest:
                    raise HistoryAltered(f"evidence {digest} of event #{event.number} of {shipment_id} does not match its hash")
        return events

    def _revoked_decisions(self, shipment_id: str, events: Sequence[Event]) -> list[str]:
        """An officer's decision recorded at or after its key's revocation. The moment is the registry's own
        (`recorded_at`: the office database's clock), falling back to the event's time where none was kept."""
        revoked = self.officer_revocations()
        if not revoked:
            return []
        recorded = self.recorded_at(shipment_id)
        problems = []
        for event in events:
            if event.signer is None or event.signer not in revoked:
                continue
            moment = recorded.get(event.number) or _iso(event.time)
            revoked_at, why = revoked[event.signer]
            if moment > revoked_at:
                problems.append(f"event #{event.number} of {shipment_id} ({event.from_state} → {event.to_state}) was recorded at {moment}, "
                                f"after officer key {event.signer} was revoked at {revoked_at} ({why})")
        return problems

    def summaries(self) -> list[tuple[Shipment, Event]]:
        """Every shipment with its newest event (its current state), in declaration order."""
        return [(self.shipment(shipment_id), self.events(shipment_id)[-1]) for shipment_id in self.ids()]


def _event_fields(
    format_: int, number: int | None, shipment: str, time: str, from_state: str | None, to_state: str, actor: str, reason: str,
    evidence: list[str], previous_hash: str | None, signer: str | None = None,
) -> dict[str, Any]:
    fields = {
        "shipment": shipment, "time": time, "from": from_state, "to": to_state, "actor": actor,
        "reason": reason, "evidence": evidence, "previous_hash": previous_hash,
    }
    if format_ == 1:  # registry-wide row number, no format member
        return {"seq": number, **fields}
    if format_ == OFFICER_EVENT_FORMAT:
        fields["signer"] = signer
    return {"format": f"bulkdaq-event/{format_}", "number": number, **fields}


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"time {moment.isoformat()} has no time zone; give UTC or an offset")
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


__all__ = [
    "EVENT_FORMAT",
    "OFFICER_EVENT_FORMAT",
    "OFFICER_STATES",
    "OfficerNotRegistered",
    "RegisteredOfficerRow",
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
    "lifecycle_problems",
    "signed_by",
]
