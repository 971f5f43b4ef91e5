"""The clearance lifecycle in the SQLite registry: every allowed transition, every refusal, the
append-only history with its hash chain, and the prechecks' findings."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from bulkdaq.evidence.chain import fingerprint
from bulkdaq.shipments.lifecycle import (
    STATES,
    TRANSITIONS,
    ClearanceState,
    TransitionRefused,
    UnknownState,
    certificate_findings,
    check_transition,
    event_findings,
    gap_findings,
)
from bulkdaq.shipments.model import load_shipment
from bulkdaq.shipments.registry import (
    OFFICER_STATES,
    Evidence,
    HistoryAltered,
    ShipmentExists,
    ShipmentRegistry,
    UnknownShipment,
    canonical_json,
    evidence_hash,
)
from officers import registered_officer

REPO = Path(__file__).resolve().parents[3]
JET = REPO / "examples" / "shipments" / "jet-fuel-export.toml"

HAPPY_PATH = ["precheck", "loading", "complete", "measured", "reconciled", "verified", "certified", "released"]
DISCREPANCY_PATH = ["precheck", "loading", "complete", "measured", "reconciled", "discrepancy", "investigating", "resolved", "certified", "released"]


@pytest.fixture
def registry(tmp_path: Path) -> ShipmentRegistry:
    with ShipmentRegistry(tmp_path / "shipments.sqlite") as opened:
        yield opened


def declared(registry: ShipmentRegistry) -> str:
    shipment = load_shipment(JET)
    registry.declare(shipment, actor="officer Li", at=datetime(2026, 4, 17, 6, 0, tzinfo=timezone.utc))
    return shipment.id


def test_the_transition_table_is_the_documented_lifecycle():
    assert STATES == ("declared", "precheck", "loading", "complete", "measured", "reconciled", "verified", "discrepancy",
                      "investigating", "resolved", "certified", "released", "blocked")
    as_text = {s.value: tuple(t.value for t in targets) for s, targets in TRANSITIONS.items()}
    assert as_text == {
        "declared": ("precheck",),
        "precheck": ("loading", "blocked"),
        "loading": ("complete", "blocked"),
        "complete": ("measured", "blocked"),
        "measured": ("reconciled",),
        "reconciled": ("verified", "discrepancy"),
        "verified": ("certified",),
        "discrepancy": ("investigating",),
        "investigating": ("resolved",),
        "resolved": ("certified",),
        "certified": ("released",),
        "released": (),
        "blocked": ("precheck",),
    }


@pytest.mark.parametrize("path", [HAPPY_PATH, DISCREPANCY_PATH], ids=["verified", "discrepancy"])
def test_every_step_of_a_path_is_recorded_with_actor_reason_and_evidence(registry: ShipmentRegistry, path: list[str]):
    shipment_id = declared(registry)
    officer = registered_officer(registry, "4401-0007", "officer Li")  # an officer's decision is signed with the officer's own key
    for step, state in enumerate(path):
        figures = {"step": step, "value": 900.0 + step}
        key = officer if state in OFFICER_STATES else None
        event = registry.transition(shipment_id, state, "officer Li", f"reason {step}", [Evidence("figures", figures)], officer_key=key)
        assert event.to_state == state and registry.state(shipment_id) == state
        # the evidence hash is sha256 of the canonical JSON of the figures, and the document is stored
        assert event.evidence == (evidence_hash(figures),)
        assert registry.evidence(event.evidence[0]).body == figures
    events = registry.events(shipment_id)
    assert [e.to_state for e in events] == ["declared", *path]
    assert [e.from_state for e in events] == [None, "declared", *path[:-1]]
    assert all(e.actor == "officer Li" for e in events if e.to_state not in OFFICER_STATES)
    decisions = [e for e in events if e.to_state in OFFICER_STATES]
    assert decisions and all(e.actor == "4401-0007 officer Li" and e.signer == fingerprint(officer.public_key()) for e in decisions)
    assert events[0].evidence == (evidence_hash(load_shipment(JET).as_document()),)
    registry.verify_history(shipment_id)


def test_blocked_from_precheck_loading_and_complete_returns_only_through_precheck(registry: ShipmentRegistry):
    shipment_id = declared(registry)
    for reached in (["precheck"], ["loading"], ["complete"]):
        for state in reached:
            if registry.state(shipment_id) != state:
                registry.transition(shipment_id, state, "collector", "next")
        registry.transition(shipment_id, "blocked", "watch", "meter factor changed")
        with pytest.raises(TransitionRefused):
            registry.transition(shipment_id, "loading", "officer", "resume")
        registry.transition(shipment_id, "precheck", "officer", "cause remedied, recheck")
        registry.transition(shipment_id, "loading", "officer", "precheck passed")
        if reached == ["complete"]:
            break
    assert registry.state(shipment_id) == "loading"


def _every_refusal() -> list[tuple[str, str]]:
    return [
        (current.value, requested.value)
        for current in ClearanceState
        for requested in ClearanceState
        if requested not in TRANSITIONS[current]
    ]


@pytest.mark.parametrize(("current", "requested"), _every_refusal())
def test_every_disallowed_transition_is_refused_naming_current_requested_and_allowed(current: str, requested: str):
    with pytest.raises(TransitionRefused) as refused:
        check_transition("EXP-1", current, requested)
    allowed = [s.value for s in TRANSITIONS[ClearanceState(current)]]
    message = str(refused.value)
    assert f"shipment EXP-1 is '{current}'" in message and f"cannot go to '{requested}'" in message
    assert message.endswith(f"(allowed from '{current}': {', '.join(allowed) if allowed else 'none: it is final'})")
    assert isinstance(refused.value, ValueError)


def test_refusal_in_the_registry_changes_nothing(registry: ShipmentRegistry):
    shipment_id = declared(registry)
    with pytest.raises(TransitionRefused, match=r"is 'declared'; it cannot go to 'measured' \(allowed from 'declared': precheck\)"):
        registry.transition(shipment_id, "measured", "officer", "skip ahead", [Evidence("figures", {"x": 1})])
    assert [e.to_state for e in registry.events(shipment_id)] == ["declared"]
    with pytest.raises(UnknownState, match="unknown clearance state 'done'; expected one of declared, precheck"):
        registry.transition(shipment_id, "done", "officer", "typo")
    with pytest.raises(ValueError, match="needs an actor and a reason"):
        registry.transition(shipment_id, "precheck", "officer", "  ")


def test_unknown_and_duplicate_shipments(registry: ShipmentRegistry):
    with pytest.raises(UnknownShipment, match="no shipment 'NOPE' in the registry \\(shipments: none yet\\)"):
        registry.state("NOPE")
    shipment_id = declared(registry)
    with pytest.raises(UnknownShipment, match=f"shipments: {shipment_id}"):
        registry.transition("NOPE", "precheck", "officer", "x")
    with pytest.raises(ShipmentExists, match="already declared"):
        declared(registry)
    assert registry.shipment(shipment_id) == load_shipment(JET)


def test_history_is_append_only_in_sqlite_itself(registry: ShipmentRegistry):
    shipment_id = declared(registry)
    registry.transition(shipment_id, "precheck", "officer", "x")
    raw = sqlite3.connect(registry.path)
    for statement in (
        "UPDATE events SET reason = 'edited'",
        "DELETE FROM events",
        "UPDATE evidence SET body = '{}'",
        "DELETE FROM evidence",
        "UPDATE shipments SET declared_at = 'x'",
        "DELETE FROM shipments",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute(statement)
    raw.close()


def test_an_edit_behind_sqlites_back_breaks_the_hash_chain(registry: ShipmentRegistry):
    shipment_id = declared(registry)
    registry.transition(shipment_id, "precheck", "officer", "x")
    registry.transition(shipment_id, "loading", "officer", "precheck passed")
    raw = sqlite3.connect(registry.path)
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute("UPDATE events SET reason = 'precheck waived' WHERE to_state = 'loading'")
    raw.commit()
    raw.close()
    with pytest.raises(HistoryAltered, match=r"event #3 of EXP-2026-0417 \(precheck → loading\) does not match its hash \(altered\)"):
        registry.verify_history(shipment_id)


def test_event_chain_links_each_event_to_the_one_before(registry: ShipmentRegistry):
    shipment_id = declared(registry)
    registry.transition(shipment_id, "precheck", "officer", "x")
    first, second = registry.events(shipment_id)
    assert first.previous_hash is None and second.previous_hash == first.hash
    assert canonical_json({"b": 1, "a": [1.5, "中"]}) == '{"a":[1.5,"中"],"b":1}'.encode()


def test_precheck_findings():
    # certificate valid until 2026-04-16 is expired on 2026-04-17; valid until the 17th is still good that day
    findings = certificate_findings([("FT-101", "NIM-1", date(2026, 4, 16)), ("FT-102", "NIM-2", date(2026, 4, 17))], date(2026, 4, 17))
    assert [(f.check, f.asset) for f in findings] == [("certificate_expired", "FT-101")]
    assert findings[0].message == "certificate NIM-1 of FT-101 expired on 2026-04-16 (checked on 2026-04-17)"
    events = event_findings([
        ("FT-101", "meter_factor_change", "2026-04-17T08:00:00+00:00", "meter factor changed from 1.0 to 1.0012"),
        ("FT-101", "comms_gap", "2026-04-17T08:01:00+00:00", "back"),  # handled by the gap limit, not blocking itself
        ("FT-102", "clock_jump", "2026-04-17T08:02:00+00:00", "device clock jumped +12.000 s"),
    ])
    assert [(f.check, f.asset) for f in events] == [("meter_factor_change", "FT-101"), ("clock_jump", "FT-102")]
    gaps = gap_findings({"FT-101": 31.5, "FT-102": 30.0}, 30.0)
    assert [(f.check, f.asset, f.message) for f in gaps] == [("data_gap", "FT-101", "no good totalizer reading of FT-101 for 31.5 s (limit 30 s)")]
