"""A terminal's pusher: sends what the office does not hold yet, from the terminal's registry and outbox,
to the customs office's registry (docs/office.md, "Pushing to the office").

The office never reaches into a terminal's network; the terminal pushes, at `[office] push_interval_s`,
and when the office does not answer it waits with the capped backoff (bulkdaq/backoff.py) and tries
again, for as long as it takes. Nothing leaves the outbox before the office holds it, and every push is
idempotent at the office, so an outage, a crash between the office's commit and the outbox's, or a push
sent twice loses nothing and counts nothing twice.

Each cycle: take a signed chain head of the readings' evidence chain (when it moved), then push every
shipment's events past the last the office confirmed (with the documents they cite), then the queued
heads and bundle manifests, oldest first, and last bring the officers' decisions back into the terminal's
registry (bulkdaq/office/decision_pull.py). A shipment the office refused (a contradiction with what it
holds, a signature it does not accept) is held and named; the others go on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bulkdaq.backoff import Backoff
from bulkdaq.evidence.chain import chain_head
from bulkdaq.evidence.heads import HEAD_FORMAT, YARD_HEAD_FORMAT, ChainHead, sign_head
from bulkdaq.office.decision_pull import pull_decisions
from bulkdaq.office.intake import (
    PushOutcome,
    PushRefused,
    SiteNotRegistered,
    receive_events,
    receive_heads,
    receive_manifest,
    site_event_numbers,
)
from bulkdaq.office.outbox import TerminalOutbox
from bulkdaq.shipments.registry import ShipmentRegistry
from bulkdaq.shipments.registry_database import RegistryUnavailable, WriteRefused
from bulkdaq.yard.ledger import YardLedger

log = logging.getLogger(__name__)

QUEUE_HOLD = "queue"  # the hold subject of the heads-and-manifests queue


@dataclass
class PushReport:
    """What one push cycle did."""

    events: PushOutcome = field(default_factory=PushOutcome)
    heads: PushOutcome = field(default_factory=PushOutcome)
    manifests: PushOutcome = field(default_factory=PushOutcome)
    held: dict[str, str] = field(default_factory=dict)  # subject → why the office refused it (this cycle or before)
    unreachable: str | None = None  # the office did not answer: nothing more was pushed this cycle
    queued: int = 0  # heads and manifests still waiting after the cycle
    decisions_pulled: int = 0  # officers' decisions brought back into the terminal's registry
    pull_refused: dict[str, str] = field(default_factory=dict)  # shipment → why the office's decisions were not taken


class OfficePusher:
    """Pushes one terminal's history to the office.

    Parameters
    ----------
    site
        The terminal's site name (its events and heads are pushed under it).
    local
        The terminal's own shipment registry.
    outbox
        The terminal's outbox.
    open_office
        Opens the office's registry (called again after the office stopped answering).
    signing_key
        The site key: signs the chain heads the pusher takes.
    spool_path
        The readings' spool whose evidence chain the heads are taken of (None: no heads).
    yard_ledger_path
        The yard ledger whose heads are taken too (None, or no such file: a terminal without a yard).
    """

    def __init__(
        self, site: str, local: ShipmentRegistry, outbox: TerminalOutbox, open_office: Callable[[], ShipmentRegistry],
        signing_key: Ed25519PrivateKey | None, spool_path: Path | None, yard_ledger_path: Path | None = None,
    ) -> None:
        self.site = site
        self.local = local
        self.outbox = outbox
        self._open_office = open_office
        self._office: ShipmentRegistry | None = None
        self.signing_key = signing_key
        self.spool_path = spool_path
        self.yard_ledger_path = yard_ledger_path
        self._last_head_seq: int | None = None
        self._last_yard_head_seq: int | None = None

    def take_head(self, now_ms: int | None = None) -> ChainHead | None:
        """Queue a signed head of the evidence chain, when the chain moved since the last one queued; and one of
        the yard ledger, likewise (`take_yard_head`)."""
        self.take_yard_head(now_ms)
        if self.signing_key is None or self.spool_path is None or not self.spool_path.exists():
            return None
        seq, digest = chain_head(self.spool_path)
        if seq == 0 or seq == self._last_head_seq:
            return None
        head = sign_head(self.signing_key, self.site, seq, digest, now_ms if now_ms is not None else time.time_ns() // 1_000_000)
        self.outbox.enqueue("head", head.as_dict())
        self._last_head_seq = seq
        return head

    def take_yard_head(self, now_ms: int | None = None) -> ChainHead | None:
        """Queue a signed head of the yard ledger (its newest entry's number and hash), when it moved."""
        if self.signing_key is None or self.yard_ledger_path is None or not self.yard_ledger_path.exists():
            return None
        with YardLedger(self.yard_ledger_path, create=False) as ledger:
            newest = ledger.head()
        if newest is None or newest.number == self._last_yard_head_seq:
            return None
        head = sign_head(self.signing_key, self.site, newest.number, newest.hash, now_ms if now_ms is not None else time.time_ns() // 1_000_000,
                         YARD_HEAD_FORMAT)
        self.outbox.enqueue("head", head.as_dict())
        self._last_yard_head_seq = newest.number
        return head

    def _office_registry(self) -> ShipmentRegistry:
        if self._office is None:
            office = self._open_office()
            try:
                self.outbox.bind_office(office.database.where)
            except BaseException:
                office.close()
                raise
            self._office = office
        return self._office

    def _drop_office(self) -> None:
        if self._office is not None:
            try:
                self._office.close()
            finally:
                self._office = None

    def close(self) -> None:
        try:
            self._drop_office()
        finally:
            self.outbox.close()

    def push_once(self) -> PushReport:
        """One cycle: events, then queued heads and manifests. An office that does not answer ends the
        cycle (named in `unreachable`); what was confirmed before stays confirmed."""
        report = PushReport()
        try:
            office = self._office_registry()
            self._push_events(office, report)
            self._push_queue(office, report)
            pulled = pull_decisions(office, self.local, self.site)
            report.decisions_pulled, report.pull_refused = len(pulled.decisions), pulled.refused
        except (RegistryUnavailable, SiteNotRegistered, WriteRefused, sa.exc.OperationalError, sa.exc.InterfaceError) as error:
            # SiteNotRegistered and WriteRefused (a role granted for another site, a grant missing) are the office's
            # to mend; retrying, with everything kept, is right meanwhile.
            report.unreachable = str(error).splitlines()[0]
            self._drop_office()
        report.held = self.outbox.holds()
        report.queued = self.outbox.depth()
        return report

    def _push_events(self, office: ShipmentRegistry, report: PushReport) -> None:
        held = self.outbox.holds()
        at_office = site_event_numbers(office, self.site)
        for shipment_id in self.local.ids():
            if shipment_id in held:
                continue
            confirmed = self.outbox.confirmed(shipment_id)
            if confirmed > at_office.get(shipment_id, 0):
                # The outbox says the office has more than it holds: an office restored from an older backup, or an
                # outbox from elsewhere. Pushing on from the outbox's number would leave a gap for ever.
                self._hold(shipment_id, f"the outbox says the office confirmed event #{confirmed} of {shipment_id}, but the office holds "
                                        f"#{at_office.get(shipment_id, 0)}; an operator looks (an office restored from backup?), then "
                                        "moves the outbox aside: every push is idempotent")
                continue
            new = [event for event in self.local.events(shipment_id) if event.number > confirmed]
            if not new:
                continue
            documents = {digest: self.local.evidence(digest) for event in new for digest in event.evidence}
            try:
                outcome = receive_events(office, self.site, new, documents)
            except SiteNotRegistered:
                raise
            except PushRefused as error:
                if error.outcome is not None:  # the office kept the events before the refused one
                    report.events += error.outcome
                    taken = error.outcome.accepted + error.outcome.duplicates
                    if taken:
                        self.outbox.confirm(shipment_id, new[0].number + taken - 1)
                self._hold(shipment_id, str(error))
                continue
            report.events += outcome
            if outcome.conflicts:
                self._hold(shipment_id, outcome.conflicts[0])
                continue
            self.outbox.confirm(shipment_id, new[-1].number)

    def _push_queue(self, office: ShipmentRegistry, report: PushReport) -> None:
        if QUEUE_HOLD in self.outbox.holds():
            return
        for item in self.outbox.pending():
            try:
                if item.kind == "head":
                    outcome = receive_heads(office, self.site, [_head_from(item.body)])
                    report.heads += outcome
                else:
                    outcome = receive_manifest(office, self.site, item.body["manifest"], item.body["signature"])
                    report.manifests += outcome
            except SiteNotRegistered:
                raise
            except PushRefused as error:
                self._hold(QUEUE_HOLD, f"{item.kind} #{item.id}: {error}")
                return
            if outcome.conflicts:
                self._hold(QUEUE_HOLD, f"{item.kind} #{item.id}: {outcome.conflicts[0]}")
                return
            self.outbox.done([item.id])

    def _hold(self, subject: str, reason: str) -> None:
        log.error("office push of %s held: %s (an operator looks, then `bulkdaq office push --release-holds`)", subject, reason)
        self.outbox.hold(subject, reason)

    async def run(self, interval_s: float, max_retry_delay_s: float, stop: asyncio.Event,
                  on_report: Callable[[PushReport], None] | None = None) -> None:
        """Push every `interval_s` [s] until `stop` is set; an office that does not answer is tried again
        after a capped backoff (up to `max_retry_delay_s` [s])."""
        backoff = Backoff(min(1.0, interval_s), max_retry_delay_s)
        while not stop.is_set():
            self.take_head()
            report = await asyncio.to_thread(self.push_once)
            if on_report is not None:
                on_report(report)
            if report.unreachable is not None:
                delay = backoff.next_delay()
                log.warning("the office did not take the push (%s); trying again in %.1f s", report.unreachable, delay)
            else:
                backoff.reset()
                delay = interval_s
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass


def _head_from(body: dict[str, Any]) -> ChainHead:
    return ChainHead(body["site"], int(body["seq"]), body["hash"], int(body["time_ms"]), body["signature"], body.get("format", HEAD_FORMAT))


def queue_bundle_manifest(outbox: TerminalOutbox, bundle: dict[str, Any]) -> None:
    """Queue the signed manifest of a bundle the terminal exported, for the office."""
    outbox.enqueue("manifest", {"manifest": bundle["manifest"], "signature": bundle["manifest_signature"]})


__all__ = ["OfficePusher", "PushReport", "queue_bundle_manifest"]
