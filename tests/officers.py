"""A registered customs officer for the tests that take an officer's decision (investigate, resolve, certify,
release): a fresh Ed25519 key whose card is registered with the registry, as the office does."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bulkdaq.evidence.chain import public_pem
from bulkdaq.office.officer_key import OfficerCard, generate_officer_key, officer_key_paths
from bulkdaq.office.officers import register_officer
from bulkdaq.shipments.registry import ShipmentRegistry

OFFICER_ID, OFFICER_NAME = "4401-0231", "王 officer Wang"


def registered_officer(registry: ShipmentRegistry, officer_id: str = OFFICER_ID, name: str = OFFICER_NAME) -> Ed25519PrivateKey:
    """A new officer key, its card registered with `registry` (registered_by "test"); the officer's events
    then name the officer as ``f"{officer_id} {name}"``."""
    key = Ed25519PrivateKey.generate()
    register_officer(registry, OfficerCard(officer_id, name, public_pem(key.public_key())), "test")
    return key


def registered_key_file(registry: Path, out: Path, officer_id: str = OFFICER_ID, name: str = OFFICER_NAME) -> Path:
    """An officer's key file (OUT.key, unencrypted) and card (OUT.card.json), the card registered with the
    registry file `registry` (which exists): the key a test gives `bulkdaq officer … --key`."""
    key_path, card_path = officer_key_paths(out)
    card = generate_officer_key(officer_id, name, key_path, card_path, None)
    with ShipmentRegistry(registry, create=False) as opened:
        register_officer(opened, card, "test")
    return key_path


__all__ = ["OFFICER_ID", "OFFICER_NAME", "registered_key_file", "registered_officer"]
