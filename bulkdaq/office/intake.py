"""What the office keeps of what its terminals push (docs/office.md): each shipment's events with their
evidence (the figures among it), the terminal's signed chain heads, and the manifests of the evidence
bundles it exported.

A terminal pushes; the office never reaches into a terminal's network. Every push may come again (the
terminal's outbox retries until the office has said yes), so receiving is idempotent: what the office
already holds under the same number or sequence with the same hash is counted as a duplicate and
nothing is written. What it holds with a *different* hash is a contradiction — a terminal whose history
changed after it left, or someone pushing in its name — and is kept in ``push_conflicts`` with both
hashes and the offered document, never resolved by overwriting.

Before anything is stored, the office checks it against the site key it registered for that site
(`register_site_key`): a terminal's event must carry the site key's signature, recompute to its hash
and bring every evidence document it cites; a head must be signed by the site key. The database keeps
the chain itself (number and previous hash, `bulkdaq/shipments/registry_migrations/`), so an event that
does not follow the last one held is refused there too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from bulkdaq.errors import BulkdaqError
from bulkdaq.evidence.canonical_json import canonical_json, sha256_hex
from bulkdaq.evidence.chain import fingerprint, load_public_key, public_pem
from bulkdaq.evidence.heads import HEAD_FORMAT, YARD_HEAD_FORMAT, ChainHead
from bulkdaq.shipments.lifecycle import ClearanceState
from bulkdaq.shipments.model import SHIPMENT_ID_EXPECTED, SHIPMENT_ID_PATTERN, is_safe_shipment_id, shipment_from_data
from bulkdaq.shipments.registry import (
    DECLARATION,
    EVENT_FORMAT,
    OFFICER_EVENT_FORMAT,
    OFFICER_STATES,
    Event,
    Evidence,
    ShipmentRegistry,
    event_from_dict,
    evidence_hash,
    lifecycle_problems,
    signed_by,
)

HEAD_CLOCK_SLACK_MS = 300_000  # a terminal's clock may run ahead of the office's by this much [ms] (heads and events)


class PushRefused(BulkdaqError, ValueError):
    """A push the office does not store: not signed by the site's registered key, not matching its hash,
    missing a document it cites, naming another site's shipment, or not following the chain held.
    `outcome`: what the same push stored before the refused event (the events before it stay)."""

    def __init__(self, message: str, outcome: PushOutcome | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome


class SiteNotRegistered(PushRefused):
    """A push from a site whose key the office has not registered."""


@dataclass
class PushOutcome:
    """What one push did at the office."""

    accepted: int = 0
    duplicates: int = 0
    conflicts: list[str] = field(default_factory=list)  # one line each: what was held, what was offered

    def __iadd__(self, other: PushOutcome) -> PushOutcome:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.conflicts += other.conflicts
        return self


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def register_site_key(registry: ShipmentRegistry, site: str, key: Ed25519PublicKey, registered_by: str, *, id_prefix: str | None = None) -> str:
    """Register a terminal's site key at the office (once; a second, different key for the site is refused,
    since events already received were checked against the first). Returns the key's fingerprint.

    `id_prefix`: the site's own shipment ids ("ZJ-"). The office then takes from the site only ids that begin
    with it, and from no other site an id that does; prefixes never overlap, and one already used by
    another site's shipments is refused.
    """
    mine = fingerprint(key)
    if id_prefix is not None and not SHIPMENT_ID_PATTERN.fullmatch(id_prefix):
        raise PushRefused(f"id prefix {id_prefix!r}: expected the start of a shipment id ({SHIPMENT_ID_EXPECTED})")
    with registry.database.writing() as db:
        held = db.execute(sa.text("SELECT public_key_pem, id_prefix FROM site_keys WHERE site = :site"), {"site": site}).fetchone()
        if held is not None:
            if fingerprint(load_public_key(held[0])) != mine:
                raise PushRefused(f"site {site} is registered with key {fingerprint(load_public_key(held[0]))}; a second key {mine} is refused "
                                  "(the office checks every event it holds of the site against the first)")
            if held[1] != id_prefix:
                raise PushRefused(f"site {site} is registered with id prefix {held[1]!r}; a registration is never changed")
            return mine
        if id_prefix is not None:
            for other, prefix in db.execute(sa.text("SELECT site, id_prefix FROM site_keys WHERE id_prefix IS NOT NULL")):
                if prefix.startswith(id_prefix) or id_prefix.startswith(prefix):
                    raise PushRefused(f"id prefix {id_prefix!r} overlaps site {other}'s {prefix!r}: each site's ids are its own")
            used = db.execute(sa.text("SELECT id, site FROM shipments WHERE substr(id, 1, :n) = :prefix AND (site IS NULL OR site <> :site) LIMIT 1"),
                              {"n": len(id_prefix), "prefix": id_prefix, "site": site}).fetchone()
            if used is not None:
                raise PushRefused(f"id prefix {id_prefix!r} is already used by shipment {used[0]} of site {used[1]}")
        db.execute(sa.text("INSERT INTO site_keys (site, fingerprint, public_key_pem, registered_at, registered_by, id_prefix) "
                           "VALUES (:site, :fingerprint, :pem, :at, :by, :prefix)"),
                   {"site": site, "fingerprint": mine, "pem": public_pem(key), "at": _now(), "by": registered_by, "prefix": id_prefix})
    return mine


def _id_owner_problem(db: Connection, site: str, shipment_id: str) -> str | None:
    """Why `site` may not declare `shipment_id` under the sites' id prefixes (None: it may)."""
    for other, prefix in db.execute(sa.text("SELECT site, id_prefix FROM site_keys WHERE id_prefix IS NOT NULL")):
        if other == site and not shipment_id.startswith(prefix):
            return f"shipment ids of site {site} begin with {prefix!r}"
        if other != site and shipment_id.startswith(prefix):
            return f"ids beginning with {prefix!r} are site {other}'s"
    return None


def _site_key(db: Connection, site: str) -> Ed25519PublicKey | None:
    row = db.execute(sa.text("SELECT public_key_pem FROM site_keys WHERE site = :site"), {"site": site}).fetchone()
    return None if row is None else load_public_key(row[0])


def site_keys(registry: ShipmentRegistry) -> dict[str, Ed25519PublicKey]:
    """Every registered site's key, by site."""
    with registry.database.reading() as db:
        return {site: load_public_key(pem) for site, pem in db.execute(sa.text("SELECT site, public_key_pem FROM site_keys"))}


def _required_site_key(db: Connection, site: str) -> Ed25519PublicKey:
    key = _site_key(db, site)
    if key is None:
        raise SiteNotRegistered(f"site {site} has no key registered at the office; its key is registered once with "
                                "`bulkdaq office add-site SITE --public-key site.pub`")
    return key


def _record_conflict(registry: ShipmentRegistry, site: str, what: str, held: str, offered: str, document: Any) -> str:
    """Keep a contradiction (in its own transaction: it must stay whatever the push does next)."""
    with registry.database.writing() as db:
        db.execute(sa.text("INSERT INTO push_conflicts (site, what, held_hash, offered_hash, offered, received_at) "
                           "VALUES (:site, :what, :held, :offered, :document, :at)"),
                   {"site": site, "what": what, "held": held, "offered": offered,
                    "document": canonical_json(document).decode("utf-8"), "at": _now()})
    return f"{what}: the office holds {held}, the push offered {offered} (kept in push_conflicts)"


def receive_events(
    registry: ShipmentRegistry, site: str, events: Sequence[Event], documents: Mapping[str, Evidence],
) -> PushOutcome:
    """Store a terminal's events of one shipment, in order, with the evidence documents they cite.

    Raises
    ------
    SiteNotRegistered
    PushRefused
        An event of another shipment in the same push, a shipment declared by another site, a bad
        signature or hash, a missing document, or an event that does not follow the one the office holds.
    """
    outcome = PushOutcome()
    if not events:
        return outcome
    shipment_id = events[0].shipment
    if any(event.shipment != shipment_id for event in events):
        raise PushRefused(f"site {site}: one push carries the events of one shipment ({shipment_id}), not of several")
    conflict: tuple[str, str, str, Any] | None = None
    refusal: PushRefused | None = None
    with registry.database.writing(shipment_id) as db:
        key = _required_site_key(db, site)
        officer_keys = registry._officer_keys(db)
        revoked = {revoked_key: revoked_at for revoked_key, (revoked_at, _) in registry._revocations(db).items()}
        owner = db.execute(sa.text("SELECT site FROM shipments WHERE id = :id"), {"id": shipment_id}).fetchone()
        if owner is not None and owner[0] != site:
            raise PushRefused(f"site {site} pushed shipment {shipment_id}, which site {owner[0]} declared at the office")
        for event in events:
            held = db.execute(sa.text("SELECT hash FROM events WHERE shipment = :id AND number = :number"),
                              {"id": shipment_id, "number": event.number}).fetchone()
            if held is not None:
                if held[0] == event.hash:
                    outcome.duplicates += 1
                    continue
                conflict = (f"event #{event.number} of {shipment_id}", held[0], event.hash, event.as_dict())
                break
            try:
                if event.signer in revoked:  # judged by the office's clock, as verification judges it: the key is revoked now
                    raise PushRefused(f"site {site}: event #{event.number} of {shipment_id} is signed with officer key {event.signer}, "
                                      f"revoked at {revoked[event.signer]}: the office takes no decision signed with it any more")
                _take_event(registry, db, site, event, documents, key, officer_keys, declared=owner is not None or outcome.accepted > 0)
            except PushRefused as error:
                refusal = error  # the events before it stay: the office holds the history up to the refused one
                break
            outcome.accepted += 1
    if conflict is not None:
        outcome.conflicts.append(_record_conflict(registry, site, *conflict))
    if refusal is not None:
        raise PushRefused(str(refusal), outcome)
    return outcome


def _take_event(
    registry: ShipmentRegistry, db: Connection, site: str, event: Event, documents: Mapping[str, Evidence], key: Ed25519PublicKey,
    officer_keys: Mapping[str, Ed25519PublicKey], *, declared: bool,
) -> None:
    """Check one pushed event on its own and store it with the documents it cites (`declared`: the office
    already holds the shipment's declaration)."""
    label = f"site {site}: event #{event.number} of {event.shipment}"
    _check_pushed_event(label, event, key, officer_keys)
    if event.number > 1:
        held = db.execute(sa.text("SELECT to_state FROM events WHERE shipment = :id ORDER BY seq DESC LIMIT 1"), {"id": event.shipment}).fetchone()
        problems = lifecycle_problems(label, event.shipment, held[0], event) if held is not None else []
        if problems:
            raise PushRefused(problems[0])
    cited = []
    for digest in event.evidence:
        document = documents.get(digest)
        if document is None:
            raise PushRefused(f"{label} cites evidence {digest}, which the push does not carry")
        if evidence_hash(document.body) != digest:
            raise PushRefused(f"{label}: evidence {digest} does not match its hash")
        cited.append(document)
    if event.number == 1:
        declaration = next((d for d in cited if d.kind == DECLARATION), None)
        if declaration is None:
            raise PushRefused(f"{label} is a declaration without its declaration document")
        shipment = shipment_from_data(declaration.body, f"{label} (declaration)")
        if shipment.id != event.shipment or not is_safe_shipment_id(event.shipment):
            raise PushRefused(f"{label}: the declaration is of shipment {shipment.id!r}; the event names {event.shipment!r}")
        if shipment.site != site:
            raise PushRefused(f"{label}: the declaration names site {shipment.site!r}, the push comes from {site!r}")
        owner_problem = _id_owner_problem(db, site, event.shipment)
        if owner_problem is not None:
            raise PushRefused(f"{label}: {owner_problem}")
        try:
            with db.begin_nested():
                registry._insert_shipment(db, event.shipment, declaration.hash, event.as_dict()["time"], site)
        except sa.exc.IntegrityError:  # declared by a site whose rows this role cannot see
            raise PushRefused(f"{label}: shipment {event.shipment} is already declared at the office by another site") from None
    elif not declared:
        raise PushRefused(f"{label} arrives before the office holds the shipment's declaration (event #1)")
    registry._store_evidence(db, cited)
    try:
        with db.begin_nested():
            registry._insert_event(db, event, site=site)
    except sa.exc.DBAPIError as error:  # the chain trigger, the unique (shipment, number), an officer's state without an officer
        held_number = registry._chain_end(db, event.shipment)[1]
        raise PushRefused(f"{label} is refused by the office's database, whose last event of the shipment is #{held_number} "
                          f"({str(getattr(error, 'orig', error)).splitlines()[0]})") from None


def _check_pushed_event(label: str, event: Event, key: Ed25519PublicKey, officer_keys: Mapping[str, Ed25519PublicKey]) -> None:
    """One pushed event on its own: its format, its hash, and its signature by the site's registered key (or,
    for an officer's step recorded at a terminal, by the registered officer's key it names)."""
    if event.format == 1:
        raise PushRefused(f"{label} is of format 1 (unsigned, numbered registry-wide); the office takes signed events only")
    if (event.format, event.signer is None) not in ((EVENT_FORMAT, True), (OFFICER_EVENT_FORMAT, False)):
        raise PushRefused(f"{label} is of format {event.format} {'without' if event.signer is None else 'with'} a signer: a site's event is of "
                          f"format {EVENT_FORMAT} and names no signer, an officer's is of format {OFFICER_EVENT_FORMAT} and names the officer's key")
    if event.to_state == ClearanceState.DECLARED.value and event.number != 1:
        raise PushRefused(f"{label} declares the shipment again")
    if sha256_hex(event.hashed_fields()) != event.hash:
        raise PushRefused(f"{label} does not match its hash (altered)")
    if event.time.timestamp() * 1000 > time.time_ns() // 1_000_000 + HEAD_CLOCK_SLACK_MS:
        raise PushRefused(f"{label} is dated {event.as_dict()['time']}, ahead of the office's clock by more than {HEAD_CLOCK_SLACK_MS // 1000} s")
    if event.signer is not None:
        officer = officer_keys.get(event.signer)
        if officer is None:
            raise PushRefused(f"{label} names officer key {event.signer}, which is not a registered officer's")
        if not signed_by(officer, event):
            raise PushRefused(f"{label}: signature is not officer key {event.signer}'s")
        return
    if event.to_state in OFFICER_STATES:
        raise PushRefused(f"{label} is an officer's decision signed by the site, not by an officer")
    if not signed_by(key, event):
        raise PushRefused(f"{label}: signature is not the site key's ({fingerprint(key)}, registered at the office)")


HEAD_TABLES = {HEAD_FORMAT: ("chain_heads", "chain head"), YARD_HEAD_FORMAT: ("yard_heads", "yard ledger head")}


def receive_heads(registry: ShipmentRegistry, site: str, heads: Sequence[ChainHead]) -> PushOutcome:
    """Store a terminal's signed heads: of its readings' evidence chain, or of its yard ledger (by the head's
    format). A head the office holds for the same sequence number with another hash is a rewritten chain:
    kept as a conflict.

    Raises
    ------
    SiteNotRegistered
    PushRefused
        A head of another site, of an unknown format, or not signed by the site's registered key.
    """
    outcome = PushOutcome()
    conflicts = []
    with registry.database.writing() as db:
        key = _required_site_key(db, site)
        for head in heads:
            if head.format not in HEAD_TABLES:
                raise PushRefused(f"site {site}: a head of format {head.format!r}; expected one of {', '.join(HEAD_TABLES)}")
            table, what = HEAD_TABLES[head.format]
            if head.site != site:
                raise PushRefused(f"site {site} pushed a {what} of site {head.site}")
            if not head.verify(key):
                raise PushRefused(f"site {site}: {what} #{head.seq} is not signed by the site's registered key {fingerprint(key)}")
            if head.time_ms > time.time_ns() // 1_000_000 + HEAD_CLOCK_SLACK_MS:
                raise PushRefused(f"site {site}: {what} #{head.seq} is dated {head.time_ms} ms, more than {HEAD_CLOCK_SLACK_MS // 1000} s "
                                  "ahead of the office's clock (a head from the future would keep the site from ever looking stale)")
            held = db.execute(sa.text(f"SELECT hash FROM {table} WHERE site = :site AND seq = :seq"), {"site": site, "seq": head.seq}).fetchone()
            if held is not None:
                if held[0] == head.hash:
                    outcome.duplicates += 1
                else:
                    conflicts.append((f"{what} #{head.seq} of {site}", held[0], head.hash, head.as_dict()))
                continue
            db.execute(sa.text(f"INSERT INTO {table} (site, seq, hash, time_ms, signature, received_at) "
                               "VALUES (:site, :seq, :hash, :time_ms, :signature, :at)"),
                       {"site": head.site, "seq": head.seq, "hash": head.hash, "time_ms": head.time_ms, "signature": head.signature, "at": _now()})
            outcome.accepted += 1
    for conflict in conflicts:
        outcome.conflicts.append(_record_conflict(registry, site, *conflict))
    return outcome


def yard_heads(registry: ShipmentRegistry, site: str) -> list[ChainHead]:
    """The yard ledger heads the office holds of `site`, oldest first (each one NUMBER:HASH for `yard verify --head`)."""
    with registry.database.reading() as db:
        rows = db.execute(sa.text("SELECT seq, hash, time_ms, signature FROM yard_heads WHERE site = :site ORDER BY seq"), {"site": site}).fetchall()
    return [ChainHead(site, int(r[0]), r[1], int(r[2]), r[3], YARD_HEAD_FORMAT) for r in rows]


def receive_manifest(registry: ShipmentRegistry, site: str, manifest: dict[str, Any], signature: str) -> PushOutcome:
    """Store the signed manifest of an evidence bundle the terminal exported (what window it covers, its
    first and last blocks, the digests of its figures and history), so a bundle handed over later can be
    held against what the terminal said when it made it.

    Raises
    ------
    SiteNotRegistered
    PushRefused
        A manifest of another site, or not signed by the site's registered key.
    """
    with registry.database.writing() as db:
        key = _required_site_key(db, site)
        if manifest.get("site") != site:
            raise PushRefused(f"site {site} pushed the manifest of a bundle of site {manifest.get('site')!r}")
        try:
            key.verify(bytes.fromhex(signature), canonical_json(manifest))
        except (InvalidSignature, ValueError):
            raise PushRefused(f"site {site}: the bundle manifest is not signed by the site's registered key {fingerprint(key)}") from None
        digest = sha256_hex(manifest)
        if db.execute(sa.text("SELECT 1 FROM bundle_manifests WHERE hash = :hash"), {"hash": digest}).fetchone():
            return PushOutcome(duplicates=1)
        body = json.dumps({"manifest": manifest, "signature": signature}, sort_keys=True, ensure_ascii=False)
        db.execute(sa.text("INSERT INTO bundle_manifests (hash, site, shipment, body, received_at) VALUES (:hash, :site, :shipment, :body, :at)"),
                   {"hash": digest, "site": site, "shipment": manifest.get("shipment"), "body": body, "at": _now()})
    return PushOutcome(accepted=1)


def site_event_numbers(registry: ShipmentRegistry, site: str) -> dict[str, int]:
    """The number of the last event the office holds of each of the site's shipments (one query)."""
    with registry.database.reading() as db:
        rows = db.execute(sa.text("SELECT shipment, MAX(number) FROM events WHERE site = :site GROUP BY shipment"), {"site": site}).fetchall()
    return {row[0]: int(row[1]) for row in rows}


@dataclass(frozen=True)
class SiteIntake:
    """What the office holds of one site: its newest chain head and event, and its conflicts."""

    site: str
    key_fingerprint: str
    events: int
    last_event_at: str | None
    heads: int
    last_head_seq: int | None
    last_head_ms: int | None
    manifests: int
    conflicts: int
    last_yard_head_seq: int | None = None  # the yard ledger's newest head the office holds (None: no yard, or none yet)
    last_yard_head_hash: str | None = None

    def head_age_s(self, now_ms: int) -> float | None:
        """How old the newest chain head is [s] (None: none arrived)."""
        return None if self.last_head_ms is None else (now_ms - self.last_head_ms) / 1000

    def stale(self, now_ms: int, stale_after_s: float) -> bool:
        """No head, one older than `stale_after_s` [s], or one from the future (a raw row, or a clock far
        ahead: either way not a witness the office can lean on)."""
        age = self.head_age_s(now_ms)
        return age is None or age > stale_after_s or age < -HEAD_CLOCK_SLACK_MS / 1000


def site_intake(registry: ShipmentRegistry) -> list[SiteIntake]:
    """Per registered site, what has arrived and when (the office's health view of its terminals)."""
    query = sa.text("""
        SELECT k.site, k.public_key_pem,
               (SELECT COUNT(*) FROM events e WHERE e.site = k.site),
               (SELECT MAX(e.time) FROM events e WHERE e.site = k.site),
               (SELECT COUNT(*) FROM chain_heads h WHERE h.site = k.site),
               (SELECT MAX(h.seq) FROM chain_heads h WHERE h.site = k.site),
               (SELECT MAX(h.time_ms) FROM chain_heads h WHERE h.site = k.site),
               (SELECT COUNT(*) FROM bundle_manifests m WHERE m.site = k.site),
               (SELECT COUNT(*) FROM push_conflicts c WHERE c.site = k.site),
               (SELECT MAX(y.seq) FROM yard_heads y WHERE y.site = k.site),
               (SELECT y.hash FROM yard_heads y WHERE y.site = k.site ORDER BY y.seq DESC LIMIT 1)
        FROM site_keys k ORDER BY k.site""")
    with registry.database.reading() as db:
        rows = db.execute(query).fetchall()
    return [SiteIntake(r[0], fingerprint(load_public_key(r[1])), int(r[2]), r[3], int(r[4]), r[5], r[6], int(r[7]), int(r[8]), r[9], r[10])
            for r in rows]


def conflicts(registry: ShipmentRegistry, site: str | None = None) -> list[dict[str, Any]]:
    """Every contradiction a push brought, oldest first, each checked again now: `confirmed` is True only when
    the offered document is signed by the site's registered key and hashes to the offered hash, and the
    office still holds the held hash at that place. A row written into the table without bulkdaq (by
    someone holding a terminal's role) is so told from a real contradiction."""
    where = "" if site is None else " WHERE site = :site"
    with registry.database.reading() as db:
        rows = db.execute(sa.text(f"SELECT site, what, held_hash, offered_hash, offered, received_at FROM push_conflicts{where} ORDER BY id"),
                          {"site": site}).fetchall()
        keys = {row[0]: load_public_key(row[1]) for row in db.execute(sa.text("SELECT site, public_key_pem FROM site_keys"))}
        found = []
        for r in rows:
            offered = json.loads(r[4])
            found.append({"site": r[0], "what": r[1], "held_hash": r[2], "offered_hash": r[3], "offered": offered, "received_at": r[5],
                          "confirmed": _conflict_holds(db, keys.get(r[0]), r[0], r[2], r[3], offered)})
    return found


def _conflict_holds(db: Connection, key: Ed25519PublicKey | None, site: str, held_hash: str, offered_hash: str, offered: Any) -> bool:
    if key is None or not isinstance(offered, dict):
        return False
    try:
        if "seq" in offered and "time_ms" in offered:
            head = ChainHead(site, int(offered["seq"]), str(offered["hash"]), int(offered["time_ms"]), str(offered["signature"]),
                             str(offered.get("format", HEAD_FORMAT)))
            if head.format not in HEAD_TABLES:
                return False
            table = HEAD_TABLES[head.format][0]
            held = db.execute(sa.text(f"SELECT hash FROM {table} WHERE site = :site AND seq = :seq"), {"site": site, "seq": head.seq}).fetchone()
            return head.site == offered.get("site") and head.verify(key) and head.hash == offered_hash and held is not None and held[0] == held_hash
        event = event_from_dict(offered)
    except (KeyError, TypeError, ValueError):
        return False
    held = db.execute(sa.text("SELECT hash FROM events WHERE shipment = :id AND number = :number AND site = :site"),
                      {"id": event.shipment, "number": event.number, "site": site}).fetchone()
    signer = key if event.signer is None else None
    return (signer is not None and signed_by(signer, event) and sha256_hex(event.hashed_fields()) == event.hash == offered_hash
            and held is not None and held[0] == held_hash)


__all__ = [
    "PushOutcome",
    "PushRefused",
    "SiteIntake",
    "SiteNotRegistered",
    "conflicts",
    "receive_events",
    "receive_heads",
    "receive_manifest",
    "register_site_key",
    "site_event_numbers",
    "site_intake",
    "yard_heads",
    "site_keys",
]
