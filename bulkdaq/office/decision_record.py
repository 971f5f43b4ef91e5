"""Who decided what, when, on which evidence: a shipment's history read back and checked, step by step
(`bulkdaq office verify`).

Each step is named by the key that signed it, worked out from the key, never from a column: a terminal's
step by the site key (the key the office registered for the site, or a terminal registry's own), an
officer's decision by the officer whose registered card holds the key. The history is first checked
whole (numbering, chain, hashes, every signature, every evidence document); a history that fails is
refused with its first problem, never listed as if it held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bulkdaq.evidence.chain import fingerprint
from bulkdaq.shipments.registry import OFFICER_STATES, ShipmentRegistry


@dataclass(frozen=True)
class CitedEvidence:
    hash: str
    kind: str


@dataclass(frozen=True)
class RecordedStep:
    number: int
    time: datetime
    from_state: str | None
    to_state: str
    decided_by: str  # "officer 4401-0231 李伟" or "site ZJ-JET"
    key_fingerprint: str | None  # the key that signed it (None: an unsigned step of an old terminal history)
    reason: str
    evidence: tuple[CitedEvidence, ...]
    hash: str


def decision_record(registry: ShipmentRegistry, shipment_id: str) -> list[RecordedStep]:
    """The shipment's steps, each with who signed it and the evidence it cites.

    Raises
    ------
    HistoryAltered
        The history does not hold (numbering, chain, hash, signature or evidence), naming the first problem.
    UnknownShipment
    """
    events = registry.verify_history(shipment_id)
    officers = registry.officer_names()
    site = registry.site_of(shipment_id) or registry.shipment(shipment_id).site
    site_key = registry.site_key_of(shipment_id) or registry.public_key()
    site_fingerprint = None if site_key is None else fingerprint(site_key)
    steps = []
    for event in events:
        key: str | None
        if event.signer is not None:
            decided_by, key = f"officer {officers[event.signer]}", event.signer
        else:
            decided_by, key = f"site {site}", site_fingerprint if event.signature else None
            if event.to_state in OFFICER_STATES:
                decided_by += f" for {event.actor} (recorded before officers signed their own decisions)"
        cited = tuple(CitedEvidence(digest, registry.evidence(digest).kind) for digest in event.evidence)
        steps.append(RecordedStep(event.number, event.time, event.from_state, event.to_state, decided_by, key, event.reason, cited, event.hash))
    return steps


__all__ = ["CitedEvidence", "RecordedStep", "decision_record"]
