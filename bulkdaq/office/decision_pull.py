"""The officers' decisions brought back to the terminal (docs/office.md, "Pushing to the office").

An officer decides at the office; the terminal's own registry, its certificate and its clearance board
would otherwise stop at `verified`. With every push, the terminal asks the office for the events of its
own shipments beyond those it holds, and takes them into its registry when each one is an officer's
decision that continues its own chain and verifies: signed with the key of an officer the office
registered (the officer's card comes along and is registered at the terminal, "registered by the customs
office"), numbered and linked after the terminal's last event, a step the lifecycle allows, with the
documents it cites. Anything else (a site event the terminal never made, a broken link) is not taken and
is named. The office never reaches into the terminal: the terminal asks, with its own role, which reads
only its own site's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from bulkdaq.errors import BulkdaqError
from bulkdaq.evidence.chain import load_public_key
from bulkdaq.office.intake import site_event_numbers
from bulkdaq.office.officer_key import OfficerCard
from bulkdaq.office.officers import register_officer
from bulkdaq.shipments.registry import Event, ShipmentRegistry, check_event_chain, evidence_hash

PULLED_BY = "customs office (pulled)"


@dataclass
class PullReport:
    """What one pull brought back."""

    decisions: list[Event] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # shipment → why its decisions were not taken


def pull_decisions(office: ShipmentRegistry, local: ShipmentRegistry, site: str) -> PullReport:
    """Take into `local` the officers' decisions the office holds beyond the terminal's own events. Nothing the
    office sends can stop the terminal's pushing: whatever is wrong with one shipment's decisions is named in
    `refused` and the others go on."""
    report = PullReport()
    held = site_event_numbers(office, site)
    local_ids = set(local.ids())
    revoked = office.officer_revocations()
    for shipment_id, office_number in sorted(held.items()):
        if shipment_id not in local_ids:
            continue
        mine = local.events(shipment_id)
        if office_number <= len(mine):
            continue
        try:
            beyond = office.events(shipment_id)[len(mine):]
            problem = _why_not(local, office, shipment_id, mine, beyond, revoked)
            if problem is None:
                documents = [office.evidence(digest) for event in beyond for digest in event.evidence]
                wrong = next((d for d in documents if evidence_hash(d.body) != d.hash), None)
                problem = None if wrong is None else f"document {wrong.hash} of the office's decisions does not match its hash"
        except (BulkdaqError, KeyError, ValueError, TypeError) as error:  # a missing document, a card that is not one
            problem = f"the office's decisions on {shipment_id} cannot be read as bulkdaq wrote them: {error}"
        if problem is not None:
            report.refused[shipment_id] = problem
            continue
        try:
            _register_officers(office, local, {event.signer for event in beyond if event.signer is not None})
        except BulkdaqError as refused:  # the terminal knows that service number with another key
            report.refused[shipment_id] = str(refused)
            continue
        try:
            with local.database.writing(shipment_id) as db:
                local._store_evidence(db, documents)
                for event in beyond:
                    local._insert_event(db, event, site=None)
        except (BulkdaqError, sa.exc.DBAPIError) as error:  # the terminal recorded an event meanwhile, its file is locked
            report.refused[shipment_id] = f"the office's decisions on {shipment_id} were not recorded here: {str(error).splitlines()[0]}"
            continue
        report.decisions += beyond
    return report


def _why_not(local: ShipmentRegistry, office: ShipmentRegistry, shipment_id: str, mine: list[Event], beyond: list[Event],
             revoked: dict[str, tuple[str, str]]) -> str | None:
    """Why the office's events beyond the terminal's are not taken (None: they are). Nothing is registered at
    the terminal before this says yes."""
    site_made = [event for event in beyond if event.signer is None]
    if site_made:
        return (f"the office holds event #{site_made[0].number} of {shipment_id} as the site's, which this terminal never recorded "
                "(a history changed at one end): an operator looks")
    recorded = office.recorded_at(shipment_id)
    by_revoked = [event for event in beyond if event.signer in revoked and (recorded.get(event.number) or "~") > revoked[event.signer][0]]
    if by_revoked:  # recorded at the office after its key's revocation (by the office's clock), as `verify` judges it
        return (f"event #{by_revoked[0].number} of {shipment_id} is signed with officer key {by_revoked[0].signer}, revoked at the office "
                f"at {revoked[by_revoked[0].signer or ''][0]}")
    cards = _office_cards(office, {event.signer for event in beyond if event.signer is not None})
    keys = local.officer_keys()
    for signer in {event.signer for event in beyond if event.signer is not None}:
        if signer not in keys and signer in cards:
            keys[signer] = load_public_key(cards[signer].public_key_pem)
    problems = check_event_chain(shipment_id, [*mine, *beyond], local.public_key(), unsigned_allowed=True, officer_keys=keys)
    return None if not problems else f"the office's decisions on {shipment_id} do not continue this terminal's history: {problems[0]}"


def _office_cards(office: ShipmentRegistry, signers: set[str]) -> dict[str, OfficerCard]:
    """The office's cards of the officers whose keys are `signers`, by fingerprint (one that is not a card is
    refused, naming it; the office's other officers are not looked at)."""
    return {key: OfficerCard(o.officer_id, o.name, o.public_key_pem) for key, o in office.registered_officers().items() if key in signers}


def _register_officers(office: ShipmentRegistry, local: ShipmentRegistry, signers: set[str]) -> None:
    """Register at the terminal the officers whose keys signed the decisions, as the office registered them."""
    known = set(local.officer_keys())
    for key, card in _office_cards(office, signers).items():
        if key not in known:
            register_officer(local, card, PULLED_BY)


__all__ = ["PULLED_BY", "PullReport", "pull_decisions"]
