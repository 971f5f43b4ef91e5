"""The officers a registry knows: each officer's card (service number, name, public key) as the office
registered it, the key every step the officer signs is checked against, and the keys it revoked.

Registering is append-only, like the rest of the registry: an officer is registered once, under one
service number and one key; a second card with the same number or the same key is refused (a key that
changes hands would make two officers of one signature).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from bulkdaq.errors import BulkdaqError
from bulkdaq.office.officer_key import OfficerCard
from bulkdaq.shipments.registry import ShipmentRegistry


class OfficerRegistrationRefused(BulkdaqError, ValueError):
    """A card whose service number or key is already registered."""


@dataclass(frozen=True)
class RegisteredOfficer:
    officer_id: str
    name: str
    fingerprint: str  # computed from the stored public key
    registered_at: str
    registered_by: str
    revoked_at: str | None = None  # the key's revocation, if any


def register_officer(registry: ShipmentRegistry, card: OfficerCard, registered_by: str, at: datetime | None = None) -> RegisteredOfficer:
    """Register an officer's card with the registry (the office's, or a single terminal's).

    Raises
    ------
    OfficerRegistrationRefused
        The service number or the key is registered already (under a different card).
    """
    if not registered_by.strip():
        raise OfficerRegistrationRefused("registering an officer needs the name of who registers (--actor)")
    moment = (at or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    with registry.database.writing() as db:
        for held in _officers(registry, db):
            if held.officer_id == card.officer_id or held.fingerprint == card.fingerprint:
                if (held.officer_id, held.name, held.fingerprint) == (card.officer_id, card.name, card.fingerprint):
                    return held  # the same card again: nothing to do
                raise OfficerRegistrationRefused(
                    f"officer {held.officer_id} {held.name} is registered with key {held.fingerprint}; the card of "
                    f"{card.officer_id} {card.name} (key {card.fingerprint}) shares its service number or key and is refused"
                )
        db.execute(sa.text("INSERT INTO officers (officer_id, name, fingerprint, public_key_pem, registered_at, registered_by) "
                           "VALUES (:id, :name, :fingerprint, :pem, :at, :by)"),
                   {"id": card.officer_id, "name": card.name, "fingerprint": card.fingerprint, "pem": card.public_key_pem,
                    "at": moment, "by": registered_by})
    return RegisteredOfficer(card.officer_id, card.name, card.fingerprint, moment, registered_by)


def revoke_officer(registry: ShipmentRegistry, officer_id: str, reason: str, revoked_by: str, at: datetime | None = None) -> str:
    """Revoke an officer's key from `at` (default now) on: no decision is signed with it after, and
    verification names any recorded after. Returns the key's fingerprint.

    Raises
    ------
    OfficerRegistrationRefused
        No such officer, the key is revoked already, or no reason or actor.
    """
    if not reason.strip() or not revoked_by.strip():
        raise OfficerRegistrationRefused("revoking an officer's key needs a reason (--reason) and who revokes it (--actor)")
    moment = (at or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    with registry.database.writing() as db:
        officers = _officers(registry, db)
        officer = next((o for o in officers if o.officer_id == officer_id), None)
        if officer is None:
            known = ", ".join(o.officer_id for o in officers) or "none"
            raise OfficerRegistrationRefused(f"no officer {officer_id!r} is registered (officers: {known})")
        held = db.execute(sa.text("SELECT revoked_at FROM officer_revocations WHERE fingerprint = :fingerprint"),
                          {"fingerprint": officer.fingerprint}).fetchone()
        if held is not None:
            raise OfficerRegistrationRefused(f"officer {officer.officer_id}'s key {officer.fingerprint} was revoked already at {held[0]}")
        db.execute(sa.text("INSERT INTO officer_revocations (fingerprint, revoked_at, reason, revoked_by) VALUES (:fingerprint, :at, :reason, :by)"),
                   {"fingerprint": officer.fingerprint, "at": moment, "reason": reason, "by": revoked_by})
    return officer.fingerprint


def _officers(registry: ShipmentRegistry, db: sa.engine.Connection) -> list[RegisteredOfficer]:
    """The registry's officers by service number, with their keys' revocations."""
    revoked = registry._revocations(db)
    held = sorted(registry._officers(db).items(), key=lambda item: item[1].officer_id)
    return [RegisteredOfficer(o.officer_id, o.name, key, o.registered_at, o.registered_by, revoked[key][0] if key in revoked else None)
            for key, o in held]


def registered_officers(registry: ShipmentRegistry) -> list[RegisteredOfficer]:
    """Every officer the registry holds, by service number."""
    with registry.database.reading() as db:
        return _officers(registry, db)


__all__ = ["OfficerRegistrationRefused", "RegisteredOfficer", "register_officer", "registered_officers", "revoke_officer"]
