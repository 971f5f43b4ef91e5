"""The clearance workflow: the steps that take a shipment through its lifecycle.

``declare_shipment``, ``start_loading``, ``complete_loading``, ``record_figures``, ``reconcile_shipment``,
``officer_step`` and ``recheck`` are plain functions, so the command line (`bulkdaq shipment …`), the demo
and the tests drive the same code. Every step is one or more registry events; when a site is given, the
new state is written to InfluxDB's `clearance` measurement for the Grafana clearance board.

A step is all or nothing. Everything it reads (the site, the stored readings) is read first; then its
events are written in one registry transaction, the new state is published to InfluxDB from inside that
transaction, and only then is it committed. If InfluxDB does not take the state within the site's
budget (2 × `[influxdb] timeout_s`, at most PUBLISH_LIMIT_S), the transaction is rolled back: the registry is as it was, and the
same step can simply be run again (`StepNotRecorded`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bulkdaq.config.observation_policy import DEFAULT_POLICY, ObservationPolicy
from bulkdaq.config.site_file import LoadedSite, resolve_credentials
from bulkdaq.errors import BulkdaqError, InputError
from bulkdaq.evidence.chain import load_private_key
from bulkdaq.inputs.survey_file import SurveyJob
from bulkdaq.observations.observation_evidence import DRAFT_OBSERVATIONS, observation_evidence
from bulkdaq.observations.observed_survey import observed_survey
from bulkdaq.observations.session import ObservationSession
from bulkdaq.shipments.clearance_writer import PublishFailed, clearance_point, publish
from bulkdaq.shipments.lifecycle import ClearanceState, Finding, certificate_findings, check_transition
from bulkdaq.shipments.live_quantities import (
    INTEGRITY,
    LOADING_START,
    METER_TICKETS,
    batch_findings,
    live_snapshot,
    loading_start,
    meters_figure,
    snapshot_points,
)
from bulkdaq.shipments.method_figures import draft_survey_figure
from bulkdaq.shipments.model import MethodFigure, Shipment
from bulkdaq.shipments.registry import Event, Evidence, ShipmentRegistry, Transition
from bulkdaq.shipments.tolerance_rules import Reconciliation, RuleSet, reconcile
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.line_protocol import Point
from bulkdaq.wording.figure_format import percent_text

FIGURES = "figures"
# A step holds the registry's write lock while InfluxDB takes its new state; other writers wait for the
# lock up to 30 s (bulkdaq/shipments/registry.py), so the wait for InfluxDB stays below that.
PUBLISH_LIMIT_S = 25.0
RECONCILIATION = "reconciliation"
RULE_SET = "rule_set"


class StepRefused(BulkdaqError, ValueError):
    """A step the shipment is not ready for: a figure missing for one of its methods."""


class StepNotRecorded(BulkdaqError):
    """InfluxDB did not take the new clearance state, so the step was rolled back: nothing was recorded."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class StepResult:
    events: tuple[Event, ...]
    findings: tuple[Finding, ...] = ()

    @property
    def state(self) -> str:
        return self.events[-1].to_state


def _site_findings(shipment: Shipment, site: LoadedSite) -> list[Finding]:
    findings = []
    if site.config.site.name != shipment.site:
        findings.append(Finding("wrong_site", site.config.site.name, f"shipment {shipment.id} is declared at site {shipment.site!r}, not {site.config.site.name!r} ({site.path})"))
    known = {m.id for m in site.config.meters}
    for meter_id in shipment.assets.meters:
        if meter_id not in known:
            findings.append(Finding("meter_not_configured", meter_id, f"meter {meter_id} is not configured in {site.path} (meters: {', '.join(sorted(known)) or 'none'})"))
    return findings


def start_loading(registry: ShipmentRegistry, shipment_id: str, actor: str, site: LoadedSite | None, at: datetime | None = None) -> StepResult:
    """``declared``/``blocked`` → ``precheck`` → ``loading`` (or ``blocked`` when a precheck fails), in one step.

    Prechecks: every instrument certificate valid on the start day; the site is the declared one and
    configures every meter the shipment names. The loading window opens at `at` (default now). The
    events and the published state are recorded together or not at all (see the module's docstring).
    """
    at = at or _now()
    shipment = registry.shipment(shipment_id)
    # From `declared` or `blocked` the precheck is entered here; after `recheck` the shipment is already in it.
    current = registry.state(shipment_id)
    if current != ClearanceState.PRECHECK.value:
        check_transition(shipment_id, current, ClearanceState.PRECHECK.value)
    if shipment.assets.meters and site is None:
        raise InputError("command line", "--site", f"shipment {shipment_id} loads through meters; name the site file so the prechecks can see them")
    steps = []
    if current != ClearanceState.PRECHECK.value:
        steps.append(Transition(ClearanceState.PRECHECK.value, "precheck: instrument certificates, site and meters"))
    instruments = [(i.id, i.certificate, i.certificate_valid_until) for i in shipment.instruments]
    findings = certificate_findings(instruments, at.date()) + (_site_findings(shipment, site) if site else [])
    checked = {"checked_on": at.date().isoformat(), "instruments": [list(map(str, i)) for i in instruments], "site": site.config.site.name if site else None}
    if findings:
        evidence = Evidence(INTEGRITY, {**checked, "findings": [f.as_dict() for f in findings]})
        steps.append(Transition(ClearanceState.BLOCKED.value, "precheck failed: " + "; ".join(f.message for f in findings), [evidence]))
    else:
        evidence = Evidence(LOADING_START, {**checked, "start": at.isoformat(), "meters": list(shipment.assets.meters)})
        steps.append(Transition(ClearanceState.LOADING.value, "precheck passed; loading window opened", [evidence]))
    events = _record(registry, shipment_id, steps, actor, site, "shipment start", at=at)
    return StepResult(events, tuple(findings))


def complete_loading(
    registry: ShipmentRegistry, shipment_id: str, actor: str, site: LoadedSite | None, rules: RuleSet | None,
    at: datetime | None = None, influx_url: str | None = None,
) -> StepResult:
    """``loading`` → ``complete`` with the final meter tickets, or → ``blocked`` if the batch fails its
    integrity checks (meter-factor change, clock jump, totalizer reset/jump, data gap over the limit)."""
    at = at or _now()
    shipment = registry.shipment(shipment_id)
    check_transition(shipment_id, registry.state(shipment_id), ClearanceState.COMPLETE.value)
    start = loading_start(registry, shipment_id)
    window = {"start": start.isoformat(), "end": at.isoformat()}
    if not shipment.assets.meters:
        step = Transition(ClearanceState.COMPLETE.value, "loading complete", [Evidence("loading_window", window)])
        return StepResult(_record(registry, shipment_id, [step], actor, site, "shipment complete", at=at))
    if site is None or rules is None:
        raise InputError("command line", "--site, --rules", f"shipment {shipment_id} loads through meters: the final tickets need the site file and the rule set (data-gap limit)")
    check_rule_set(shipment, rules)
    target = site.config.influxdb
    with InfluxReader(influx_url or target.url, target.database, resolve_credentials(target, site.path)) as reader:
        findings = batch_findings(reader, shipment, site, start, at, rules.max_data_gap_s)
        if findings:
            evidence = Evidence(INTEGRITY, {**window, "findings": [f.as_dict() for f in findings]})
            step = Transition(ClearanceState.BLOCKED.value, "integrity check failed at completion: " + "; ".join(f.message for f in findings), [evidence])
            return StepResult(_record(registry, shipment_id, [step], actor, site, "shipment complete", at=at), tuple(findings))
        snapshot = live_snapshot(reader, site, shipment, start, at)
    figure = meters_figure(snapshot)
    tickets = Evidence(METER_TICKETS, {**snapshot.as_document(), "figure": figure.model_dump(mode="json")})
    step = Transition(ClearanceState.COMPLETE.value, f"loading complete; meters {figure.value:.3f} {shipment.declared.unit}", [tickets])
    # The final quantities and the new state go to InfluxDB together, before the events are committed.
    return StepResult(_record(registry, shipment_id, [step], actor, site, "shipment complete", at=at,
                              points=lambda: snapshot_points(snapshot, ClearanceState.COMPLETE.value)))


def record_figures(
    registry: ShipmentRegistry,
    shipment_id: str,
    actor: str,
    figures: list[MethodFigure],
    site: LoadedSite | None = None,
    evidence: Sequence[Evidence] = (),
) -> StepResult:
    """``complete`` → ``measured`` once every method of the shipment has its figure; `evidence` (the draft
    observations behind an observed survey) is recorded with the figures in the same signed event."""
    shipment = registry.shipment(shipment_id)
    check_transition(shipment_id, registry.state(shipment_id), ClearanceState.MEASURED.value)
    by_method = {f.method: f for f in figures}
    if "meters" in shipment.methods:
        found = registry.latest_evidence(shipment_id, METER_TICKETS)
        if found is None:
            raise StepRefused(f"shipment {shipment_id} has no meter tickets; complete the loading with --site and --rules first")
        by_method["meters"] = MethodFigure.model_validate(found[1].body["figure"])
    missing = [m for m in shipment.methods if m not in by_method]
    if missing:
        raise StepRefused(f"shipment {shipment_id} needs a figure for every method; missing: {', '.join(missing)} (give them in a figures file)")
    ordered = [by_method[m].model_dump(mode="json") for m in shipment.methods]
    summary = ", ".join(f"{m} {by_method[m].value:.3f}" for m in shipment.methods)
    step = Transition(
        ClearanceState.MEASURED.value, f"figures recorded: {summary} {shipment.declared.unit}", [Evidence(FIGURES, {"figures": ordered}), *evidence]
    )
    return StepResult(_record(registry, shipment_id, [step], actor, site, "shipment measure"))


def draft_survey_measurement(
    job: SurveyJob, shipment: Shipment, sessions: Sequence[ObservationSession] = (), policy: ObservationPolicy = DEFAULT_POLICY
) -> tuple[MethodFigure, list[Evidence]]:
    """The draft survey's figure for `record_figures`; with observation sessions, the survey of their marks
    and the evidence of every observation behind them (recorded in the same signed event as the figures)."""
    observed = observed_survey(job, sessions, policy) if sessions else None
    figure = draft_survey_figure(job, shipment, observed)
    evidence = [] if observed is None else [Evidence(DRAFT_OBSERVATIONS, observation_evidence(observed))]
    return figure, evidence


def check_rule_set(shipment: Shipment, rules: RuleSet) -> None:
    """The rule set must be the one the shipment names."""
    if rules.name != shipment.tolerance_rules:
        raise InputError(rules.path, "rule_set.name", f"is {rules.name!r}, but shipment {shipment.id} names the rule set {shipment.tolerance_rules!r}")


def recorded_figures(registry: ShipmentRegistry, shipment_id: str) -> list[MethodFigure]:
    """The figures recorded by the newest `measured` step (none before it)."""
    found = registry.latest_evidence(shipment_id, FIGURES)
    return [] if found is None else [MethodFigure.model_validate(f) for f in found[1].body["figures"]]


def reconcile_shipment(registry: ShipmentRegistry, shipment_id: str, actor: str, rules: RuleSet, site: LoadedSite | None = None) -> tuple[StepResult, Reconciliation]:
    """``measured`` → ``reconciled`` → ``verified`` | ``discrepancy``, each comparison with its rule."""
    shipment = registry.shipment(shipment_id)
    check_transition(shipment_id, registry.state(shipment_id), ClearanceState.RECONCILED.value)
    check_rule_set(shipment, rules)
    recorded = recorded_figures(registry, shipment_id)
    figures: dict[str, float] = {f.method: f.value for f in recorded}
    own_uncertainties: dict[str, float] = {f.method: f.uncertainty_pct for f in recorded if f.uncertainty_pct is not None}
    result = reconcile(figures, shipment.declared.quantity, rules, list(shipment.methods), own_uncertainties)
    evidence = [Evidence(RECONCILIATION, result.as_dict()), Evidence(RULE_SET, rules.as_document())]
    outside = [f"{c.first} vs {c.second} {percent_text(c.difference_pct, signed=True)} (limit {percent_text(c.rule.limit_pct)}, {c.rule.name})" for c in result.comparisons if not c.within]
    steps = [
        Transition(ClearanceState.RECONCILED.value, f"{len(result.comparisons)} comparisons under {rules.name} {rules.version}", evidence),
        Transition(result.verdict, "every comparison within its limit" if not outside else "outside: " + "; ".join(outside), evidence),
    ]
    return StepResult(_record(registry, shipment_id, steps, actor, site, "shipment reconcile")), result


def officer_step(registry: ShipmentRegistry, shipment_id: str, to_state: str, officer_key: Ed25519PrivateKey, reason: str,
                 site: LoadedSite | None = None, evidence_files: list[Path] | None = None) -> StepResult:
    """An officer's decision: investigate, resolve, certify, release (with optional evidence files, hashed),
    signed with the officer's own key; the registry names the officer it registered with that key."""
    evidence = _evidence_files(evidence_files)
    if to_state == ClearanceState.CERTIFIED.value:
        reconciliation = registry.latest_evidence(shipment_id, RECONCILIATION)
        if reconciliation is not None:
            evidence.append(reconciliation[1])
    command = _OFFICER_COMMANDS.get(to_state, f"the step to {to_state}")
    return StepResult(_record(registry, shipment_id, [Transition(to_state, reason, evidence)], "", site, command, officer_key=officer_key))


# The command of each officer's step, for the message that asks to run it again.
_OFFICER_COMMANDS = {"investigating": "officer investigate", "resolved": "officer resolve", "certified": "officer certify",
                     "released": "officer release"}


def recheck(registry: ShipmentRegistry, shipment_id: str, actor: str, reason: str, site: LoadedSite | None = None,
            evidence_files: list[Path] | None = None) -> StepResult:
    """``blocked`` → ``precheck`` once the cause is dealt with; from any other state it is refused (a declared
    shipment enters its precheck with ``start_loading``)."""
    step = Transition(ClearanceState.PRECHECK.value, reason, _evidence_files(evidence_files),
                      only_from=(ClearanceState.BLOCKED.value,), step="recheck")
    return StepResult(_record(registry, shipment_id, [step], actor, site, "shipment recheck"))


def declare_shipment(registry: ShipmentRegistry, shipment: Shipment, actor: str, reason: str, site: LoadedSite | None = None,
                     at: datetime | None = None) -> StepResult:
    """Declare a shipment (state ``declared``); with a site its state is published before the declaration is committed."""
    hook = None if site is None else _publisher(registry, shipment.id, site, None)
    try:
        event = registry.declare(shipment, actor, reason, at, before_commit=hook)
    except PublishFailed as error:
        raise StepNotRecorded(f"{error}; nothing was recorded: shipment {shipment.id} is not declared. Run `shipment declare` again once InfluxDB answers") from None
    return StepResult((event,))


def _evidence_files(paths: list[Path] | None) -> list[Evidence]:
    evidence = []
    for path in paths or []:
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(path, "(file)", f"cannot read the evidence file: {error}") from None
        evidence.append(Evidence("document", {"file": path.name, "content": content}))
    return evidence


def _publisher(registry: ShipmentRegistry, shipment_id: str, site: LoadedSite, points: Callable[[], list[Point]] | None) -> Callable[[], None]:
    """What a step runs before its events are committed: write the new clearance state to InfluxDB (or the
    step's own `points`, which carry it: the final quantities and the `clearance` point of `complete`)."""
    def publish_new_state() -> None:
        budget = min(2 * site.config.influxdb.timeout_s, PUBLISH_LIMIT_S)
        publish(site, points() if points is not None else [status_point(registry, shipment_id)], budget)
    return publish_new_state


def _record(registry: ShipmentRegistry, shipment_id: str, steps: list[Transition], actor: str, site: LoadedSite | None, command: str,
            *, at: datetime | None = None, points: Callable[[], list[Point]] | None = None,
            officer_key: Ed25519PrivateKey | None = None) -> tuple[Event, ...]:
    """Record a step's events in one transaction; with a site, publish the new state inside it (all or nothing)."""
    hook = None if site is None else _publisher(registry, shipment_id, site, points)
    try:
        return registry.record(shipment_id, steps, actor, at, before_commit=hook, officer_key=officer_key)
    except PublishFailed as error:
        raise StepNotRecorded(
            f"{error}; nothing was recorded: shipment {shipment_id} is still '{registry.state(shipment_id)}'. "
            f"Run {command} again once InfluxDB answers"
        ) from None


def status_point(registry: ShipmentRegistry, shipment_id: str, at: datetime | None = None):  # noqa: ANN201 (a line_protocol.Point)
    """The clearance point for a shipment's current state, with the primary figure and verdict once known."""
    shipment = registry.shipment(shipment_id)
    state = registry.state(shipment_id)
    measured = difference = tolerance = None
    extra: dict[str, Any] = {}
    primary = next((f for f in recorded_figures(registry, shipment_id) if f.method == shipment.primary_method), None)
    if primary is not None:
        measured = primary.value
    found = registry.latest_evidence(shipment_id, RECONCILIATION)
    if found is not None:
        body = found[1].body
        extra["verdict"] = body["verdict"]
        comparison = next((c for c in body["comparisons"] if c["first"] == shipment.primary_method and c["second"] == "declared"), None)
        if comparison is not None:
            difference, tolerance = comparison["difference_pct"], comparison["rule"]["limit_pct"]
            rule = comparison["rule"]
            extra["rule"] = f"{rule['name']} {rule['value']} ({rule['rule_set']} {rule['version']})"
    return clearance_point(shipment, state, at or _now(), measured=measured, difference_pct=difference, tolerance_pct=tolerance, extra=extra)


def publish_status(registry: ShipmentRegistry, shipment_id: str, site: LoadedSite | None) -> None:
    """With a site, write the shipment's current clearance point to its InfluxDB (the clearance board) again,
    e.g. to refill a board; the steps publish their own new state."""
    if site is not None:
        publish(site, [status_point(registry, shipment_id)])


def registry_signing_key(site: LoadedSite | None) -> Ed25519PrivateKey | None:
    """The site's `[evidence] key_file`, which signs every registry event (None without a site or key)."""
    if site is None or site.config.evidence.key_file is None:
        return None
    key_file = site.config.evidence.key_file
    try:
        return load_private_key(key_file)
    except FileNotFoundError:
        raise InputError(site.path, "evidence.key_file", f"{key_file} does not exist; create it with `bulkdaq evidence keygen --site {site.path}`") from None
    except ValueError as error:
        raise InputError(site.path, "evidence.key_file", f"{key_file} is not an Ed25519 private key in PEM ({error})") from None


__all__ = [
    "FIGURES",
    "PUBLISH_LIMIT_S",
    "RECONCILIATION",
    "RULE_SET",
    "StepNotRecorded",
    "StepRefused",
    "StepResult",
    "check_rule_set",
    "complete_loading",
    "declare_shipment",
    "officer_step",
    "publish_status",
    "recheck",
    "reconcile_shipment",
    "record_figures",
    "recorded_figures",
    "registry_signing_key",
    "start_loading",
    "status_point",
]
