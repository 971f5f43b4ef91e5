"""`bulkdaq shipment …` and `bulkdaq certificate`: declare a shipment, take it through its clearance
lifecycle, watch it load, reconcile it and print its weight certificate.

The steps a command takes are plain functions (``start_loading``, ``complete_loading``,
``record_figures``, ``reconcile_shipment``, ``officer_step``) so the demo and the tests drive the same
code as a person at the terminal. Every step is one or more registry events; when a site file is given
the new state is written to InfluxDB's `clearance` measurement for the Grafana clearance board.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from rich.table import Table

from bulkdaq.clearance_lifecycle import ClearanceState, Finding, certificate_findings, check_transition
from bulkdaq.clearance_writer import clearance_point, publish
from bulkdaq.evidence_chain import load_private_key
from bulkdaq.influx_reader import InfluxReader
from bulkdaq.input_error import InputError
from bulkdaq.live_quantities import (
    INTEGRITY,
    LOADING_START,
    METER_TICKETS,
    batch_findings,
    live_snapshot,
    loading_start,
    meters_figure,
    snapshot_points,
    watch,
)
from bulkdaq.shipment import BASIS_LABELS, MethodFigure, Shipment, load_figures, load_shipment
from bulkdaq.shipment_registry import Event, Evidence, ShipmentRegistry
from bulkdaq.site_config import LoadedSite, load_site, resolve_credentials
from bulkdaq.tolerance_rules import Reconciliation, RuleSet, load_rule_set, reconcile
from dashboards.figure_format import PERCENT_DECIMALS, number_text, percent_text

FIGURES = "figures"
RECONCILIATION = "reconciliation"
RULE_SET = "rule_set"
DEFAULT_REGISTRY = Path("var/shipments.sqlite")

shipment_app = typer.Typer(help="Shipments and their clearance: declare, start, watch, complete, measure, reconcile, certify, release.", no_args_is_help=True)
console = Console()


def _now() -> datetime:
    return datetime.now(timezone.utc)


# -- the steps ---------------------------------------------------------------------------------------


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
    _publish(registry, shipment_id, site)
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
        _publish(registry, shipment_id, site)
        return StepResult((event,))
    if site is None or rules is None:
        raise InputError("command line", "--site, --rules", f"shipment {shipment_id} loads through meters: the final tickets need the site file and the rule set (data-gap limit)")
    _check_rule_set(shipment, rules)
    target = site.config.influxdb
    with InfluxReader(influx_url or target.url, target.database, resolve_credentials(target, site.path)) as reader:
        findings = batch_findings(reader, shipment, site, start, at, rules.max_data_gap_s)
        if findings:
            evidence = Evidence(INTEGRITY, {**window, "findings": [f.as_dict() for f in findings]})
            event = registry.transition(shipment_id, ClearanceState.BLOCKED.value, actor, "integrity check failed at completion: " + "; ".join(f.message for f in findings), [evidence], at=at)
            _publish(registry, shipment_id, site)
            return StepResult((event,), tuple(findings))
        snapshot = live_snapshot(reader, site, shipment, start, at)
    figure = meters_figure(snapshot)
    tickets = Evidence(METER_TICKETS, {**snapshot.as_document(), "figure": figure.model_dump(mode="json")})
    event = registry.transition(shipment_id, ClearanceState.COMPLETE.value, actor, f"loading complete; meters {figure.value:.3f} {shipment.declared.unit}", [tickets], at=at)
    if site is not None:
        publish(site, snapshot_points(snapshot, ClearanceState.COMPLETE.value))
    return StepResult((event,))


def record_figures(registry: ShipmentRegistry, shipment_id: str, actor: str, figures: list[MethodFigure], site: LoadedSite | None = None) -> StepResult:
    """``complete`` → ``measured`` once every method of the shipment has its figure."""
    shipment = registry.shipment(shipment_id)
    check_transition(shipment_id, registry.state(shipment_id), ClearanceState.MEASURED.value)
    by_method = {f.method: f for f in figures}
    if "meters" in shipment.methods:
        found = registry.latest_evidence(shipment_id, METER_TICKETS)
        if found is None:
            raise ValueError(f"shipment {shipment_id} has no meter tickets; complete the loading with --site and --rules first")
        by_method["meters"] = MethodFigure.model_validate(found[1].body["figure"])
    missing = [m for m in shipment.methods if m not in by_method]
    if missing:
        raise ValueError(f"shipment {shipment_id} needs a figure for every method; missing: {', '.join(missing)} (give them in a figures file)")
    ordered = [by_method[m].model_dump(mode="json") for m in shipment.methods]
    summary = ", ".join(f"{m} {by_method[m].value:.3f}" for m in shipment.methods)
    event = registry.transition(shipment_id, ClearanceState.MEASURED.value, actor, f"figures recorded: {summary} {shipment.declared.unit}", [Evidence(FIGURES, {"figures": ordered})])
    _publish(registry, shipment_id, site)
    return StepResult((event,))


def _check_rule_set(shipment: Shipment, rules: RuleSet) -> None:
    if rules.name != shipment.tolerance_rules:
        raise InputError(rules.path, "rule_set.name", f"is {rules.name!r}, but shipment {shipment.id} names the rule set {shipment.tolerance_rules!r}")


def recorded_figures(registry: ShipmentRegistry, shipment_id: str) -> list[MethodFigure]:
    found = registry.latest_evidence(shipment_id, FIGURES)
    return [] if found is None else [MethodFigure.model_validate(f) for f in found[1].body["figures"]]


def reconcile_shipment(registry: ShipmentRegistry, shipment_id: str, actor: str, rules: RuleSet, site: LoadedSite | None = None) -> tuple[StepResult, Reconciliation]:
    """``measured`` → ``reconciled`` → ``verified`` | ``discrepancy``, each comparison with its rule."""
    shipment = registry.shipment(shipment_id)
    check_transition(shipment_id, registry.state(shipment_id), ClearanceState.RECONCILED.value)
    _check_rule_set(shipment, rules)
    figures = {f.method: f.value for f in recorded_figures(registry, shipment_id)}
    result = reconcile(figures, shipment.declared.quantity, rules, list(shipment.methods))
    evidence = [Evidence(RECONCILIATION, result.as_dict()), Evidence(RULE_SET, rules.as_document())]
    outside = [f"{c.first} vs {c.second} {percent_text(c.difference_pct, signed=True)} (limit {c.rule.value}, {c.rule.name})" for c in result.comparisons if not c.within]
    events = [
        registry.transition(shipment_id, ClearanceState.RECONCILED.value, actor, f"{len(result.comparisons)} comparisons under {rules.name} {rules.version}", evidence),
        registry.transition(
            shipment_id, result.verdict, actor,
            "every comparison within its limit" if not outside else "outside: " + "; ".join(outside), evidence,
        ),
    ]
    _publish(registry, shipment_id, site)
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
    _publish(registry, shipment_id, site)
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


def _publish(registry: ShipmentRegistry, shipment_id: str, site: LoadedSite | None) -> None:
    if site is not None:
        publish(site, [status_point(registry, shipment_id)])


# -- command line ------------------------------------------------------------------------------------


def open_registry(path: Path | None, site: LoadedSite | None = None) -> ShipmentRegistry:
    """The registry; with a site whose `[evidence] key_file` is set, every event appended is signed with that key."""
    return ShipmentRegistry(path or Path(os.environ.get("BULKDAQ_REGISTRY", DEFAULT_REGISTRY)), registry_signing_key(site))


def registry_signing_key(site: LoadedSite | None) -> Ed25519PrivateKey | None:
    if site is None or site.config.evidence.key_file is None:
        return None
    key_file = site.config.evidence.key_file
    try:
        return load_private_key(key_file)
    except FileNotFoundError:
        raise InputError(site.path, "evidence.key_file", f"{key_file} does not exist; create it with `bulkdaq evidence keygen --site {site.path}`") from None
    except ValueError as error:
        raise InputError(site.path, "evidence.key_file", f"{key_file} is not an Ed25519 private key in PEM ({error})") from None


def _actor(actor: str | None) -> str:
    name = actor or os.environ.get("BULKDAQ_ACTOR") or os.environ.get("USER")
    if not name:
        raise InputError("command line", "--actor", "who is acting? give --actor NAME (or set BULKDAQ_ACTOR)")
    return name


def _time(text: str | None, option: str) -> datetime | None:
    if text is None or text == "now":
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError("command line", option, f"expected an ISO 8601 time such as 2026-04-17T08:00:00Z, got {text!r}") from None
    if moment.tzinfo is None:
        raise InputError("command line", option, f"{text!r} has no time zone; add Z (UTC) or an offset such as +08:00")
    return moment


def _site(path: Path | None) -> LoadedSite | None:
    return None if path is None else load_site(path)


RegistryOption = typer.Option(None, "--registry", help="Shipment registry (SQLite); default $BULKDAQ_REGISTRY or var/shipments.sqlite.")
ActorOption = typer.Option(None, "--actor", help="Who acts (recorded in the event); default $BULKDAQ_ACTOR or $USER.")
SiteOption = typer.Option(None, "--site", help="Site file (TOML): InfluxDB target for the clearance state, meters for tickets.")
RulesOption = typer.Option(None, "--rules", help="Tolerance rule file (TOML), e.g. examples/tolerances.toml.")


def _print_events(result: StepResult) -> None:
    for event in result.events:
        console.print(f"{event.shipment}: {event.from_state} → [bold]{event.to_state}[/]  ({event.reason})", highlight=False)


@shipment_app.command("declare")
def declare_command(file: Path = typer.Argument(..., help="Shipment file (TOML or JSON)."), registry: Path | None = RegistryOption,
                    actor: str | None = ActorOption, site: Path | None = SiteOption) -> None:
    """Declare a shipment from its file (state: declared)."""
    shipment, loaded = load_shipment(file), _site(site)
    with open_registry(registry, loaded) as opened:
        event = opened.declare(shipment, _actor(actor), f"declared from {file.name}")
        _publish(opened, shipment.id, loaded)
    _print_events(StepResult((event,)))


@shipment_app.command("start")
def start_command(shipment_id: str, site: Path | None = SiteOption, registry: Path | None = RegistryOption, actor: str | None = ActorOption,
                  at: str | None = typer.Option(None, "--at", help="Loading start, ISO 8601 with time zone (default now).")) -> None:
    """Run the prechecks and open the loading window (loading, or blocked with the reasons)."""
    loaded = _site(site)
    with open_registry(registry, loaded) as opened:
        result = start_loading(opened, shipment_id, _actor(actor), loaded, _time(at, "--at"))
    _print_events(result)


@shipment_app.command("watch")
def watch_command(shipment_id: str, site: Path = typer.Option(..., "--site", help="Site file (TOML)."),
                  rules: Path = typer.Option(..., "--rules", help="Tolerance rule file (data-gap limit)."),
                  interval: float = typer.Option(5.0, "--interval", min=0.1, help="Seconds between updates."),
                  registry: Path | None = RegistryOption) -> None:
    """Write the live quantities every few seconds while the shipment loads (until it completes, or Ctrl-C)."""
    loaded, rule_set = load_site(site), load_rule_set(rules)
    with open_registry(registry, loaded) as opened:
        _check_rule_set(opened.shipment(shipment_id), rule_set)
        try:
            report = asyncio.run(watch(opened, loaded, shipment_id, max_gap_s=rule_set.max_data_gap_s, interval_s=interval))
        except KeyboardInterrupt:
            console.print("stopped")
            return
    if report.last is not None:
        last = report.last
        unit = last.shipment.declared.unit
        console.print(f"{shipment_id}: {last.total:,.3f} {unit} of {last.shipment.declared.quantity:,.3f} ({last.progress:.1%}) after {report.cycles} updates")
    console.print(f"watch ended: {report.stopped_because}")


@shipment_app.command("complete")
def complete_command(shipment_id: str, site: Path | None = SiteOption, rules: Path | None = RulesOption, registry: Path | None = RegistryOption,
                     actor: str | None = ActorOption, at: str | None = typer.Option(None, "--at", help="Loading end (default now).")) -> None:
    """Close the loading window: final meter tickets (complete), or blocked if the batch fails its checks."""
    loaded = _site(site)
    with open_registry(registry, loaded) as opened:
        result = complete_loading(opened, shipment_id, _actor(actor), loaded, None if rules is None else load_rule_set(rules), _time(at, "--at"))
    _print_events(result)


@shipment_app.command("measure")
def measure_command(shipment_id: str, figures: Path | None = typer.Argument(None, help="Figures file of the non-meter methods (TOML or JSON)."),
                    registry: Path | None = RegistryOption, actor: str | None = ActorOption, site: Path | None = SiteOption) -> None:
    """Record every method's figure (meters from the completion tickets, others from the file): measured."""
    loaded = _site(site)
    with open_registry(registry, loaded) as opened:
        entered = [] if figures is None else load_figures(figures, opened.shipment(shipment_id))
        result = record_figures(opened, shipment_id, _actor(actor), entered, loaded)
    _print_events(result)


@shipment_app.command("reconcile")
def reconcile_command(shipment_id: str, rules: Path = typer.Option(..., "--rules", help="Tolerance rule file (TOML)."),
                      registry: Path | None = RegistryOption, actor: str | None = ActorOption, site: Path | None = SiteOption) -> None:
    """Compare the figures under the tolerance rules: reconciled, then verified or discrepancy."""
    loaded = _site(site)
    with open_registry(registry, loaded) as opened:
        result, reconciliation = reconcile_shipment(opened, shipment_id, _actor(actor), load_rule_set(rules), loaded)
        console.print(reconciliation_table(opened.shipment(shipment_id), reconciliation))
    _print_events(result)


def _officer_command(name: str, state: str, summary: str) -> None:
    def command(shipment_id: str, reason: str = typer.Option(..., "--reason", help="Why (recorded in the event)."),
                evidence: list[Path] = typer.Option([], "--evidence", help="A file the step rests on (hashed into the event)."),
                registry: Path | None = RegistryOption, actor: str | None = ActorOption, site: Path | None = SiteOption) -> None:
        loaded = _site(site)
        with open_registry(registry, loaded) as opened:
            result = officer_step(opened, shipment_id, state, _actor(actor), reason, loaded, evidence)
        _print_events(result)

    command.__doc__ = summary
    shipment_app.command(name)(command)


_officer_command("investigate", "investigating", "Open an investigation of a discrepancy.")
_officer_command("resolve", "resolved", "Close the investigation with its outcome.")
_officer_command("certify", "certified", "Certify the weight (after verified or resolved).")
_officer_command("release", "released", "Release the cargo (放行).")
_officer_command("recheck", "precheck", "Return a blocked shipment to precheck after its cause is remedied (then: shipment start).")


def reconciliation_table(shipment: Shipment, result: Reconciliation) -> Table:
    unit = shipment.declared.unit
    table = Table(title=f"Reconciliation {shipment.id}: {result.verdict} ({result.rule_set} {result.version})")
    for column in ("first", "second", f"first [{unit}]", f"second [{unit}]", f"difference [{unit}]", "difference [%]", "limit", "rule", "within"):
        table.add_column(column, justify="right" if "[" in column else "left")
    for c in result.comparisons:
        table.add_row(c.first, c.second, f"{c.first_value:,.3f}", f"{c.second_value:,.3f}", f"{c.difference:+,.3f}", number_text(c.difference_pct, PERCENT_DECIMALS, signed=True),
                      f"{c.rule.limit_pct:.4g} %" + (" (short only)" if c.rule.sense == "short" else ""), c.rule.name, "yes" if c.within else "[bold red]NO[/]")
    return table


@shipment_app.command("show")
def show_command(shipment_id: str, registry: Path | None = RegistryOption, as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """A shipment's declaration, state, figures and event history (and whether the history is intact)."""
    with open_registry(registry) as opened:
        shipment = opened.shipment(shipment_id)
        events = opened.events(shipment_id)
        opened.verify_history(shipment_id)
        figures = recorded_figures(opened, shipment_id)
        found = opened.latest_evidence(shipment_id, RECONCILIATION)
    if as_json:
        print(json.dumps({
            "shipment": shipment.as_document(), "state": events[-1].to_state, "figures": [f.model_dump(mode="json") for f in figures],
            "reconciliation": None if found is None else found[1].body, "events": [e.as_dict() for e in events], "history": "intact",
        }, indent=2, ensure_ascii=False))
        return
    english, chinese = BASIS_LABELS[shipment.declared.basis]
    console.print(f"[bold]{shipment.id}[/] {shipment.direction} {shipment.product}; declared {shipment.declared.quantity:,.3f} {english}; "
                  f"methods {', '.join(shipment.methods)}; state [bold]{events[-1].to_state}[/]", highlight=False)
    table = Table(title="History (intact: every hash recomputed)")
    for column in ("#", "time (UTC)", "from", "to", "actor", "reason", "evidence"):
        table.add_column(column)
    for e in events:
        table.add_row(str(e.number), e.time.isoformat(timespec="seconds"), e.from_state or "", e.to_state, e.actor, e.reason, " ".join(h[:12] for h in e.evidence))
    console.print(table)


@shipment_app.command("list")
def list_command(registry: Path | None = RegistryOption) -> None:
    """Every shipment with its current state."""
    with open_registry(registry) as opened:
        rows = opened.summaries()
    table = Table(title="Shipments")
    for column in ("id", "direction", "product", "declared", "state", "since (UTC)"):
        table.add_column(column)
    for shipment, event in rows:
        table.add_row(shipment.id, shipment.direction, shipment.product, f"{shipment.declared.quantity:,.3f} {BASIS_LABELS[shipment.declared.basis][0]}",
                      event.to_state, event.time.isoformat(timespec="seconds"))
    console.print(table)


def certificate_command(shipment_id: str, out: Path | None = typer.Option(None, "--out", help="HTML file to write (default: certificate-SHIPMENT.html)."),
                        registry: Path | None = RegistryOption,
                        site: Path | None = typer.Option(None, "--site", help="Site file (TOML): its site.time_zone gives the local times beside UTC.")) -> None:
    """Write the terminal's measurement report for customs verification (码头计量报告（供海关核查）) of a
    reconciled shipment as printable HTML; PROVISIONAL (临时) until the shipment is released."""
    from dashboards.weight_certificate import certificate_data, write_certificate

    loaded = _site(site)
    with open_registry(registry) as opened:
        data = certificate_data(opened, shipment_id, time_zone=None if loaded is None else loaded.config.site.time_zone)
    target = write_certificate(data, out or Path(f"certificate-{shipment_id}.html"))
    status = "PROVISIONAL (not released)" if data.provisional else "final (released)"
    console.print(f"{shipment_id}: measurement report {data.document_number} written to {target} ({status}; verdict {data.verdict}, "
                  f"evidence {data.evidence_hash[:16]}…)", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `shipment …` and `certificate` to the bulkdaq command line."""
    app.add_typer(shipment_app, name="shipment")
    app.command("certificate")(certificate_command)


__all__ = [
    "StepResult",
    "complete_loading",
    "officer_step",
    "reconcile_shipment",
    "record_figures",
    "recorded_figures",
    "register",
    "start_loading",
    "status_point",
]
