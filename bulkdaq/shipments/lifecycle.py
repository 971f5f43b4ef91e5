"""The clearance lifecycle (docs/design.md, "Clearance lifecycle"): states, the transitions allowed between them, and refusals.

    declared → precheck → loading → complete → measured → reconciled → verified ──────────┐
                   │          │         │                              └→ discrepancy      │
                   ↓          ↓         ↓                                  → investigating │
                 blocked ←────┴─────────┘                                  → resolved ─────┤
                   └→ precheck (after the cause is remedied)                      certified ←┘ → released

``blocked`` is entered when a precheck fails: before loading (an instrument certificate expired, a
meter missing from the site) or while or after loading (the meter factor changed during the batch, a
device clock jumped, a totalizer reset or jumped, readings are missing for longer than the limit). A
blocked shipment goes back through ``precheck`` once the cause is dealt with; it can never jump ahead.

Anything else is refused with :class:`TransitionRefused`, which names the current state, the requested
one and the allowed ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from bulkdaq.errors import BulkdaqError


class ClearanceState(str, Enum):
    DECLARED = "declared"
    PRECHECK = "precheck"
    LOADING = "loading"
    COMPLETE = "complete"
    MEASURED = "measured"
    RECONCILED = "reconciled"
    VERIFIED = "verified"
    DISCREPANCY = "discrepancy"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    CERTIFIED = "certified"
    RELEASED = "released"
    BLOCKED = "blocked"


S = ClearanceState
TRANSITIONS: dict[ClearanceState, tuple[ClearanceState, ...]] = {
    S.DECLARED: (S.PRECHECK,),
    S.PRECHECK: (S.LOADING, S.BLOCKED),
    S.LOADING: (S.COMPLETE, S.BLOCKED),
    S.COMPLETE: (S.MEASURED, S.BLOCKED),
    S.MEASURED: (S.RECONCILED,),
    S.RECONCILED: (S.VERIFIED, S.DISCREPANCY),
    S.VERIFIED: (S.CERTIFIED,),
    S.DISCREPANCY: (S.INVESTIGATING,),
    S.INVESTIGATING: (S.RESOLVED,),
    S.RESOLVED: (S.CERTIFIED,),
    S.CERTIFIED: (S.RELEASED,),
    S.RELEASED: (),
    S.BLOCKED: (S.PRECHECK,),
}
STATES: tuple[str, ...] = tuple(state.value for state in ClearanceState)

# Event kinds (contract.EVENT_KINDS) that make a batch's meter figures untrustworthy until examined.
BLOCKING_EVENT_KINDS = ("meter_factor_change", "clock_jump", "totalizer_reset", "totalizer_jump")


class TransitionRefused(BulkdaqError, ValueError):
    """A transition the lifecycle does not allow from the current state, or a step narrower than the
    lifecycle (`only_from`: ``recheck`` goes to ``precheck`` only from ``blocked``) taken from another state."""

    def __init__(self, shipment_id: str, current: str, requested: str, *, only_from: tuple[str, ...] | None = None, step: str = "") -> None:
        self.shipment_id = shipment_id
        self.current = current
        self.requested = requested
        self.allowed = tuple(s.value for s in TRANSITIONS.get(ClearanceState(current), ())) if current in STATES else ()
        allowed = ", ".join(self.allowed) if self.allowed else "none: it is final"
        if only_from is not None:
            sources = " or ".join(f"'{state}'" for state in only_from)
            super().__init__(
                f"shipment {shipment_id} is '{current}', not {sources}: {step or 'this step'} goes to '{requested}' only from {sources} "
                f"(allowed from '{current}': {allowed})"
            )
            return
        super().__init__(
            f"shipment {shipment_id} is '{current}'; it cannot go to '{requested}' "
            f"(allowed from '{current}': {allowed})"
        )


class UnknownState(BulkdaqError, ValueError):
    def __init__(self, state: str) -> None:
        super().__init__(f"unknown clearance state {state!r}; expected one of {', '.join(STATES)}")


def state_of(name: str) -> ClearanceState:
    """The state called `name`, or UnknownState listing the valid names."""
    try:
        return ClearanceState(name)
    except ValueError:
        raise UnknownState(name) from None


def check_transition(shipment_id: str, current: str, requested: str) -> ClearanceState:
    """The requested state if the lifecycle allows it from `current`; else TransitionRefused.

    Raises
    ------
    UnknownState
        `requested` (or `current`) is not a lifecycle state.
    TransitionRefused
        The transition skips a required step or goes backwards.
    """
    target = state_of(requested)
    if target not in TRANSITIONS[state_of(current)]:
        raise TransitionRefused(shipment_id, current, requested)
    return target


@dataclass(frozen=True)
class Finding:
    """One failed precheck: what (``certificate_expired``, ``meter_factor_change``, ``data_gap`` …),
    the asset, and a sentence a person can act on."""

    check: str
    asset: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "asset": self.asset, "message": self.message}


def certificate_findings(instruments: list[tuple[str, str, date]], on: date) -> list[Finding]:
    """Instruments whose certificate is no longer valid on `on`: (id, certificate, valid until) each."""
    return [
        Finding("certificate_expired", instrument_id, f"certificate {certificate} of {instrument_id} expired on {valid_until.isoformat()} (checked on {on.isoformat()})")
        for instrument_id, certificate, valid_until in instruments
        if valid_until < on
    ]


def event_findings(events: list[tuple[str, str, str, str]]) -> list[Finding]:
    """Integrity events (asset, kind, time ISO, message) of a blocking kind, as findings."""
    return [
        Finding(kind, asset, f"{kind.replace('_', ' ')} on {asset} at {time}: {message}")
        for asset, kind, time, message in events
        if kind in BLOCKING_EVENT_KINDS
    ]


def gap_findings(gaps_s: dict[str, float], limit_s: float) -> list[Finding]:
    """Meters whose longest stretch without a good totalizer reading exceeds `limit_s`."""
    return [
        Finding("data_gap", asset, f"no good totalizer reading of {asset} for {gap:.1f} s (limit {limit_s:g} s)")
        for asset, gap in sorted(gaps_s.items())
        if gap > limit_s
    ]


__all__ = [
    "BLOCKING_EVENT_KINDS",
    "STATES",
    "TRANSITIONS",
    "ClearanceState",
    "Finding",
    "TransitionRefused",
    "UnknownState",
    "certificate_findings",
    "check_transition",
    "event_findings",
    "gap_findings",
    "state_of",
]
