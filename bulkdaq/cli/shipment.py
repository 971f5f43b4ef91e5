"""`bulkdaq shipment …` and `bulkdaq certificate`: declare a shipment, take it through its clearance
lifecycle, watch it load, reconcile it and print its weight certificate. The officer's decisions
(investigate, resolve, certify, release) are `bulkdaq officer …` (bulkdaq/cli/officer.py), signed with
the officer's own key; it opens the registry and prints the events with this module's functions.

The steps themselves are in `bulkdaq/shipments/workflow.py`, so the demo and the tests drive the same
code as a person at the terminal; this module parses the arguments and prints what each step did.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from bulkdaq.cli.json_output import json_text
from bulkdaq.cli.step_options import actor_name, moment_option, site_option
from bulkdaq.cli.survey import CsvObserverOption, CsvSourceOption, observation_policy, observed_sessions
from bulkdaq.config.site_file import LoadedSite, load_site
from bulkdaq.errors import InputError
from bulkdaq.inputs.survey_file import load_survey_file
from bulkdaq.shipments.live_quantities import watch
from bulkdaq.shipments.model import BASIS_LABELS, Shipment, is_safe_shipment_id, load_figures, load_shipment, quantity_decimals
from bulkdaq.shipments.registry import Event, Evidence, ShipmentRegistry
from bulkdaq.shipments.tolerance_rules import Reconciliation, load_rule_set
from bulkdaq.shipments.workflow import (
    RECONCILIATION,
    StepResult,
    check_rule_set,
    complete_loading,
    declare_shipment,
    draft_survey_measurement,
    recheck,
    reconcile_shipment,
    record_figures,
    recorded_figures,
    registry_signing_key,
    start_loading,
)
from bulkdaq.wording.figure_format import PERCENT_DECIMALS, basis_text, figure_text, percent_text
from bulkdaq.wording.shown_text import shown

DEFAULT_REGISTRY = Path("var/shipments.sqlite")

shipment_app = typer.Typer(help="Shipments and their clearance: declare, start, watch, complete, measure, reconcile (an officer certifies and releases: bulkdaq officer …).", no_args_is_help=True)
console = Console(emoji=False)  # data is printed as it is: no ":cd:" emoji codes (and data is escaped from markup below)


def registry_path(path: Path | None, site: LoadedSite | None = None) -> Path:
    """The registry a command uses: --registry, else the site file's ``[shipments] registry``, else
    $BULKDAQ_REGISTRY, else var/shipments.sqlite."""
    if path is not None:
        return path
    if site is not None and site.config.shipments.registry is not None:
        return site.config.shipments.registry
    return Path(os.environ.get("BULKDAQ_REGISTRY", DEFAULT_REGISTRY))


def open_registry(path: Path | None, site: LoadedSite | None = None, *, create: bool = False) -> ShipmentRegistry:
    """The registry (`registry_path`); with a site whose `[evidence] key_file` is set, every event appended
    is signed with that key.

    Only `shipment declare` passes `create`: every other command needs a registry that exists, and a
    reading command never creates a file or a folder.
    """
    return ShipmentRegistry(registry_path(path, site), registry_signing_key(site), create=create)


RegistryOption = typer.Option(None, "--registry", help="Shipment registry (SQLite); default the site file's [shipments] registry, $BULKDAQ_REGISTRY or var/shipments.sqlite.")
ActorOption = typer.Option(None, "--actor", help="Who acts (recorded in the event); default $BULKDAQ_ACTOR or $USER.")
SiteOption = typer.Option(None, "--site", help="Site file (TOML): InfluxDB target for the clearance state, meters for tickets, the registry; default $BULKDAQ_SITE.")
RulesOption = typer.Option(None, "--rules", help="Tolerance rule file (TOML), e.g. examples/tolerances.toml.")


def print_events(result: StepResult) -> None:
    """One line per event a step recorded: shipment, from → to, and the reason (escaped from markup, hidden
    characters made visible: one event is one line)."""
    for event in result.events:
        console.print(f"{escape(event.shipment)}: {event.from_state} → [bold]{event.to_state}[/]  ({escape(shown(event.reason))})", highlight=False)


@shipment_app.command("declare")
def declare_command(file: Path = typer.Argument(..., help="Shipment file (TOML or JSON)."), registry: Path | None = RegistryOption,
                    actor: str | None = ActorOption, site: Path | None = SiteOption) -> None:
    """Declare a shipment from its file (state: declared)."""
    shipment, loaded = load_shipment(file), site_option(site)
    with open_registry(registry, loaded, create=True) as opened:
        result = declare_shipment(opened, shipment, actor_name(actor), f"declared from {file.name}", loaded)
    print_events(result)


@shipment_app.command("start")
def start_command(shipment_id: str, site: Path | None = SiteOption, registry: Path | None = RegistryOption, actor: str | None = ActorOption,
                  at: str | None = typer.Option(None, "--at", help="Loading start, ISO 8601 with time zone (default now).")) -> None:
    """Run the prechecks and open the loading window (loading, or blocked with the reasons)."""
    loaded = site_option(site)
    with open_registry(registry, loaded) as opened:
        result = start_loading(opened, shipment_id, actor_name(actor), loaded, moment_option(at, "--at"))
    print_events(result)


@shipment_app.command("watch")
def watch_command(shipment_id: str, site: Path = typer.Option(..., "--site", help="Site file (TOML)."),
                  rules: Path = typer.Option(..., "--rules", help="Tolerance rule file (data-gap limit)."),
                  interval: float = typer.Option(5.0, "--interval", min=0.1, help="Seconds between updates."),
                  registry: Path | None = RegistryOption) -> None:
    """Write the live quantities every few seconds while the shipment loads (until it completes, or Ctrl-C)."""
    loaded, rule_set = load_site(site), load_rule_set(rules)
    with open_registry(registry, loaded) as opened:
        check_rule_set(opened.shipment(shipment_id), rule_set)
        try:
            report = asyncio.run(watch(opened, loaded, shipment_id, max_gap_s=rule_set.max_data_gap_s, interval_s=interval))
        except KeyboardInterrupt:
            console.print("stopped")
            return
    if report.last is not None:
        last = report.last
        declared, decimals = last.shipment.declared, quantity_decimals(last.shipment)
        console.print(Text(f"{shipment_id}: {figure_text(last.total, declared.unit, decimals)} of {basis_text(declared.quantity, declared.basis, decimals)} "
                           f"({last.progress:.1%}) after {report.cycles} updates"))
    console.print(f"watch ended: {report.stopped_because}")


@shipment_app.command("complete")
def complete_command(shipment_id: str, site: Path | None = SiteOption, rules: Path | None = RulesOption, registry: Path | None = RegistryOption,
                     actor: str | None = ActorOption, at: str | None = typer.Option(None, "--at", help="Loading end (default now).")) -> None:
    """Close the loading window: final meter tickets (complete), or blocked if the batch fails its checks."""
    loaded = site_option(site)
    with open_registry(registry, loaded) as opened:
        result = complete_loading(opened, shipment_id, actor_name(actor), loaded, None if rules is None else load_rule_set(rules), moment_option(at, "--at"))
    print_events(result)


@shipment_app.command("measure")
def measure_command(shipment_id: str, figures: Path | None = typer.Argument(None, help="Figures file of the non-meter methods (TOML or JSON)."),
                    registry: Path | None = RegistryOption, actor: str | None = ActorOption, site: Path | None = SiteOption,
                    survey: Path | None = typer.Option(None, "--survey", help="Draft survey job file (JSON): its cargo is the draft_survey figure."),
                    observed: list[str] = typer.Option([], "--observed", help="Observation file of a survey of --survey ([SURVEY=]FILE, repeatable); recorded as evidence."),
                    source: str | None = CsvSourceOption, observer: str | None = CsvObserverOption,
                    policy: Path | None = typer.Option(None, "--policy", help="TOML file with a draft_observation table of limits.")) -> None:
    """Record every method's figure (meters from the completion tickets, others from the file and the
    draft survey): measured."""
    if observed and survey is None:
        raise InputError("command line", "--observed", "observations are of a draft survey: give its job file with --survey")
    loaded = site_option(site)
    with open_registry(registry, loaded) as opened:
        shipment = opened.shipment(shipment_id)
        entered = [] if figures is None else load_figures(figures, shipment)
        evidence: list[Evidence] = []
        if survey is not None:
            if any(f.method == "draft_survey" for f in entered):
                raise InputError(str(figures), "figures", "gives a draft_survey figure and --survey gives another; give one")
            job = load_survey_file(survey)
            limits = observation_policy(policy, loaded)
            figure, evidence = draft_survey_measurement(job, shipment, observed_sessions(observed, limits, job, source, observer), limits)
            entered.append(figure)
        result = record_figures(opened, shipment_id, actor_name(actor), entered, loaded, evidence)
    print_events(result)


@shipment_app.command("reconcile")
def reconcile_command(shipment_id: str, rules: Path = typer.Option(..., "--rules", help="Tolerance rule file (TOML)."),
                      registry: Path | None = RegistryOption, actor: str | None = ActorOption, site: Path | None = SiteOption) -> None:
    """Compare the figures under the tolerance rules: reconciled, then verified or discrepancy."""
    loaded = site_option(site)
    with open_registry(registry, loaded) as opened:
        result, reconciliation = reconcile_shipment(opened, shipment_id, actor_name(actor), load_rule_set(rules), loaded)
        print_whole(reconciliation_table(opened.shipment(shipment_id), reconciliation))
    print_events(result)


@shipment_app.command("recheck")
def recheck_command(shipment_id: str, reason: str = typer.Option(..., "--reason", help="Why (recorded in the event): how the cause was dealt with."),
                    evidence: list[Path] = typer.Option([], "--evidence", help="A file the step rests on (hashed into the event)."),
                    registry: Path | None = RegistryOption, actor: str | None = ActorOption, site: Path | None = SiteOption) -> None:
    """Return a blocked shipment to precheck after its cause is remedied (then: shipment start); only from blocked."""
    loaded = site_option(site)
    with open_registry(registry, loaded) as opened:
        result = recheck(opened, shipment_id, actor_name(actor), reason, loaded, evidence)
    print_events(result)


def reconciliation_table(shipment: Shipment, result: Reconciliation) -> Table:
    """The comparisons of a reconciliation; every figure with its unit in its cell, at the shipment's decimals."""
    unit, decimals = shipment.declared.unit, quantity_decimals(shipment)
    table = Table(title=Text(f"Reconciliation {shipment.id}: {result.verdict} ({result.rule_set} {result.version}); figures in the declared basis, {BASIS_LABELS[shipment.declared.basis][0]}"))
    for column, justify in (("first", "left"), ("second", "left"), ("first figure", "right"), ("second figure", "right"), ("difference", "right"),
                            ("difference %", "right"), ("limit", "right"), ("rule", "left"), ("within", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for c in result.comparisons:
        table.add_row(c.first, c.second, figure_text(c.first_value, unit, decimals), figure_text(c.second_value, unit, decimals),
                      figure_text(c.difference, unit, decimals, signed=True), percent_text(c.difference_pct, signed=True, decimals=PERCENT_DECIMALS),
                      f"{c.rule.limit_pct:.4g} %" + (" (short only)" if c.rule.sense == "short" else ""), Text(c.rule.name), "yes" if c.within else "[bold red]NO[/]")
    return table


@shipment_app.command("show")
def show_command(shipment_id: str, registry: Path | None = RegistryOption, as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """A shipment's declaration, state, figures and event history (and whether the history is intact)."""
    with open_registry(registry, site_option(None)) as opened:
        shipment = opened.shipment(shipment_id)
        events = opened.events(shipment_id)
        opened.verify_history(shipment_id)
        figures = recorded_figures(opened, shipment_id)
        found = opened.latest_evidence(shipment_id, RECONCILIATION)
    if as_json:
        print(json_text({
            "shipment": shipment.as_document(), "state": events[-1].to_state, "figures": [f.model_dump(mode="json") for f in figures],
            "reconciliation": None if found is None else found[1].body, "events": [e.as_dict() for e in events], "history": "intact",
        }))
        return
    declared = basis_text(shipment.declared.quantity, shipment.declared.basis, quantity_decimals(shipment))
    console.print(f"[bold]{escape(shipment.id)}[/] {shipment.direction} {escape(shipment.product)}; declared {declared}; "
                  f"methods {', '.join(shipment.methods)}; state [bold]{events[-1].to_state}[/]", highlight=False)
    table = Table(title="History (intact: every hash recomputed)")
    for column in ("#", "time (UTC)", "from", "to", "actor", "reason", "evidence"):
        table.add_column(column)
    for e in events:
        table.add_row(str(e.number), e.time.isoformat(timespec="seconds"), e.from_state or "", e.to_state, escape(e.actor), escape(e.reason), " ".join(h[:12] for h in e.evidence))
    print_whole(table)


@shipment_app.command("list")
def list_command(registry: Path | None = RegistryOption, as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Every shipment with its current state, and which registry was read."""
    with open_registry(registry, site_option(None)) as opened:
        rows = opened.summaries()
        path = opened.path.absolute() if isinstance(opened.path, Path) else opened.path  # a file, or an office's database URL
    if as_json:
        print(json_text(shipment_list_document(path, rows)))
        return
    console.print(Text(f"{len(rows)} shipment{'' if len(rows) == 1 else 's'} in the registry {path}"), soft_wrap=True)
    table = Table(title="Shipments")
    table.add_column("id", no_wrap=True)  # an id is never cut or folded
    for column in ("direction", "product", "declared", "state", "since (UTC)"):
        table.add_column(column)
    for shipment, event in rows:
        table.add_row(Text(shipment.id), shipment.direction, Text(shipment.product),
                      basis_text(shipment.declared.quantity, shipment.declared.basis, quantity_decimals(shipment)), event.to_state,
                      event.time.isoformat(timespec="seconds"))
    print_whole(table)


def shipment_list_document(registry: Path | str, rows: list[tuple[Shipment, Event]]) -> dict[str, object]:
    """`shipment list --json`: the registry read and each shipment with its declaration and current state."""
    return {
        "registry": str(registry),
        "shipments": [
            {
                "id": shipment.id, "direction": shipment.direction, "product": shipment.product,
                "declared": {"quantity": shipment.declared.quantity, "unit": shipment.declared.unit, "basis": shipment.declared.basis},
                "state": event.to_state, "since": event.time.isoformat(), "event": event.number,
            }
            for shipment, event in rows
        ],
    }


def print_whole(table: Table) -> None:
    """Print `table` without cutting a cell: on a terminal at its width; into a file or a pipe (where rich
    would assume 80 columns) at the table's own width, however wide."""
    if console.is_terminal:
        console.print(table)
        return
    natural = Measurement.get(console, console.options.update_width(100_000), table).maximum
    Console(file=console.file, width=max(console.width, natural), emoji=False).print(table)  # `print(width=…)` caps at the console's width


def certificate_command(shipment_id: str, out: Path | None = typer.Option(None, "--out", help="HTML file to write (default: certificate-SHIPMENT.html)."),
                        registry: Path | None = RegistryOption,
                        site: Path | None = typer.Option(None, "--site", help="Site file (TOML): its site.time_zone gives the local times beside UTC.")) -> None:
    """Write the terminal's measurement report for customs verification (码头计量报告（供海关核查）) of a
    reconciled shipment as printable HTML; PROVISIONAL (临时) until the shipment is released."""
    from dashboards.reports.measurement_report import certificate_data, write_certificate

    loaded = site_option(site)
    target = output_file(out, "--out", folder_made=True) if out is not None else default_certificate_path(shipment_id)
    with open_registry(registry, loaded) as opened:
        data = certificate_data(opened, shipment_id, time_zone=None if loaded is None else loaded.config.site.time_zone)
    target = write_certificate(data, target)
    status = "PROVISIONAL (not released)" if data.provisional else "final (released)"
    console.print(f"{shipment_id}: measurement report {data.document_number} written to {target} ({status}; verdict {data.verdict}, "
                  f"evidence {data.evidence_hash[:16]}…)", highlight=False)


def output_file(path: Path, option: str, *, folder_made: bool = False) -> Path:
    """`path` as the file a command writes; a folder, or a folder that is not there (unless the command
    makes it: `folder_made`) or is a file, is refused in one line instead of failing halfway."""
    if path.is_dir():
        raise InputError("command line", option, f"{path} is a folder; name the file to write")
    folder = next((parent for parent in path.parents if parent.exists()), Path("."))
    if not folder.is_dir():
        raise InputError("command line", option, f"cannot write {path}: {folder} is a file, not a folder")
    if not folder_made and folder != path.parent:
        raise InputError("command line", option, f"cannot write {path}: the folder {path.parent} does not exist")
    return path


def default_certificate_path(shipment_id: str) -> Path:
    """``certificate-ID.html`` in the current folder, for a shipment whose id is a safe name. An id declared
    before ids had to be safe names is never made into a path: the person names the file with --out."""
    if not is_safe_shipment_id(shipment_id):
        raise InputError("command line", "--out", f"shipment id {shipment_id!r} is not a safe file name (declared before ids had to be); "
                         "name the report's file with --out FILE.html")
    name = f"certificate-{shipment_id}.html"
    assert Path(name).name == name  # one file in the current folder, whatever the id (the safe-name rule guarantees it)
    return Path(name)


def register(app: typer.Typer) -> None:
    """Add `shipment …` and `certificate` to the bulkdaq command line."""
    app.add_typer(shipment_app, name="shipment")
    app.command("certificate")(certificate_command)


__all__ = [
    "RegistryOption", "default_certificate_path", "open_registry", "output_file", "print_events", "print_whole", "register",
    "shipment_list_document",
]
