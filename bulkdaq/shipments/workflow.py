"""The clearance workflow: the steps that take a shipment through its lifecycle.

``start_loading``, ``complete_loading``, ``record_figures``, ``reconcile_shipment`` and ``officer_step``
are plain functions, so the command line (`bulkdaq shipment …`), the demo and the tests drive the same
code. Every step is one or more registry events; when a site is given, the new state is written to
InfluxDB's `clearance` measurement for the Grafana clearance board (`publish_status`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bulkdaq.config.site_file import LoadedSite, resolve_credentials
from bulkdaq.errors import BulkdaqError, InputError
from bulkdaq.evidence.chain import load_private_key
from bulkdaq.inputs.survey_file import SurveyJob
from bulkdaq.observations.observation_evidence import DRAFT_OBSERVATIONS, observation_evidence
from bulkdaq.observations.observed_survey import ObservedSurvey
from bulkdaq.shipments.clearance_writer import clearance_point, publish
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
from bulkdaq.shipments.registry import Event, Evidence, ShipmentRegistry
from bulkdaq.shipments.tolerance_rules import Reconciliation, RuleSet, reconcile
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.wording.figure_format import percent_text

FIGURES = "figures"
RECONCILIATION = "reconciliation"
RULE_SET = "rule_set"


class StepRefused(BulkdaqError, ValueError):
    """A step the shipment is not ready for: a figure missing for one of its methods."""


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
    """``declared``/``blocked`` → ``precheck`` → ``loading`` (or ``blocked`` when a precheck fails).

    Prechecks: every instrument certificate valid on the start day; the site is the declared one and
    configures every meter the shipment names. The loading window opens at `at` (default now).
    """
    at = at or _now()
    shipment = registry.shipment(shipment_id)
    # From `declared` or `blocked` the precheck is entered here; after `recheck` the shipment is already in it.
    current = registry.state(shipment_id)
    if current != ClearanceState.PRECHECK.value:
        check_transition(shipment_id, current, ClearanceState.PRECHECK.value)
    if shipment.assets.meters and site is None:
        raise InputError("command line", "--site", f"shipment {shipment_id} loads through meters; name the site file so the prechecks can see them")
    events = []
    if current != ClearanceState.PRECHECK.value:
        events.append(registry.transition(shipment_id, ClearanceState.PRECHECK.value, actor, "precheck: instrument certificates, site and meters", at=at))
    instruments = [(i.id, i.certificate, i.certificate_valid_until) for i in shipment.instruments]
    findings = certificate_findings(instruments, at.date()) + (_site_findings(shipment, site) if site else [])
    checked = {"checked_on": at.date().isoformat(), "instruments": [list(map(str, i)) for i in instruments], "site": site.config.site.name if site else None}
    if findings:
        evidence = Evidence(INTEGRITY, {**checked, "findings": [f.as_dict() for f in findings]})
        events.append(registry.transition(shipment_id, ClearanceState.BLOCKED.value, actor, "precheck failed: " + "; ".join(f.message for f in findings), [evidence], at=at))
    else:
        evidence = Evidence(LOADING_START, {**checked, "start": at.isoformat(), "meters": list(shipment.assets.meters)})
        events.append(registry.transition(shipment_id, ClearanceState.LOADING.value, actor, "precheck passed; loading window opened", [evidence], at=at))
    publish_status(registry, shipment_id, site)
    return StepResult(tuple(events), tuple(findings))


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
        event = registry.transition(shipment_id, ClearanceState.COMPLETE.value, actor, "loading complete", [Evidence("loading_window", window)], at=at)
        publish_status(registry, shipment_id, site)
        return StepResult((event,))
    if site is None or rules is None:
        raise InputError("command line", "--site, --rules", f"shipment {shipment_id} loads through meters: the final tickets need the site file and the rule set (data-gap limit)")
    check_rule_set(shipment, rules)
    target = site.config.influxdb
    with InfluxReader(influx_url or target.url, target.database, resolve_credentials(target, site.path)) as reader:
        findings = batch_findings(reader, shipment, site, start, at, rules.max_data_gap_s)
        if findings:
            evidence = Evidence(INTEGRITY, {**window, "findings": [f.as_dict() for f in findings]})
            event = registry.transition(shipment_id, ClearanceState.BLOCKED.value, actor, "integrity check failed at completion: " + "; ".join(f.message for f in findings), [evidence], at=at)
            publish_status(registry, shipment_id, site)
            return StepResult((event,), tuple(findings))
        snapshot = live_snapshot(reader, site, shipment, start, at)
    figure = meters_figure(snapshot)
    tickets = Evidence(METER_TICKETS, {**snapshot.as_document(), "figure": figure.model_dump(mode="json")})
    event = registry.transition(shipment_id, ClearanceState.COMPLETE.value, actor, f"loading complete; meters {figure.value:.3f} {shipment.declared.unit}", [tickets], at=at)
    if site is not None:
        publish(site, snapshot_points(snapshot, ClearanceState.COMPLETE.value))
    return StepResult((event,))


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
    event = registry.transition(
        shipment_id, ClearanceState.MEASURED.value, actor, f"figures recorded: {summary} {shipment.declared.unit}",
        [Evidence(FIGURES, {"figures": ordered}), *evidence],
    )
    publish_status(registry, shipment_id, site)
    return StepResult((event,))


def draft_survey_measurement(job: SurveyJob, shipment: Shipment, observed: ObservedSurvey | None = None) -> tuple[MethodFigure, list[Evidence]]:
    """The draft survey's figure for `record_figures`, and with observed marks the evidence of every
    observation behind them (recorded in the same signed event as the figures)."""
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
    outside = [f"{c.first} vs {c.second} {percent_text(c.difference_pct, signed=True)} (limit {c.rule.value}, {c.rule.name})" for c in result.comparisons if not c.within]
    events = [
        registry.transition(shipment_id, ClearanceState.RECONCILED.value, actor, f"{len(result.comparisons)} comparisons under {rules.name} {rules.version}", evidence),
        registry.transition(
            shipment_id, result.verdict, actor,
            "every comparison within its limit" if not outside else "outside: " + "; ".join(outside), evidence,
        ),
    ]
    publish_status(registry, shipment_id, site)
    return StepResult(tuple(events)), result


def officer_step(registry: ShipmentRegistry, shipment_id: str, to_state: str, actor: str, reason: str, site: LoadedSite | None = None,
                 evidence_files: list[Path] | None = None) -> StepResult:
    """A person's step: investigate, resolve, certify, release (with optional evidence files, hashed)."""
    evidence = []
    for path in evidence_files or []:
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(path, "(file)", f"cannot read the evidence file: {error}") from None
        evidence.append(Evidence("document", {"file": path.name, "content": content}))
    if to_state == ClearanceState.CERTIFIED.value:
        reconciliation = registry.latest_evidence(shipment_id, RECONCILIATION)
        if reconciliation is not None:
            evidence.append(reconciliation[1])
    event = registry.transition(shipment_id, to_state, actor, reason, evidence)
    publish_status(registry, shipment_id, site)
    return StepResult((event,))


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
    """With a site, write the shipment's current clearance point to its InfluxDB (the clearance board)."""
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
    "RECONCILIATION",
    "RULE_SET",
    "StepRefused",
    "StepResult",
    "check_rule_set",
    "complete_loading",
    "officer_step",
    "publish_status",
    "reconcile_shipment",
    "record_figures",
    "recorded_figures",
    "registry_signing_key",
    "start_loading",
    "status_point",
]
