"""`bulkdaq demo SITE.toml`: the whole chain on one machine, time-compressed.

Starts a private influxd (data under var/demo), a simulated flowmeter for every Modbus device of the
site and the simulated plant (OPC UA) for every OPC UA server, and the collectors; declares the two demo
shipments (examples/demo/); runs the loading while the jet-fuel export is watched live; prints each
meter's ticket beside the simulator's ground truth, the tank drop, both shipments' figures,
reconciliation and verdict, and writes their measurement reports for customs verification; stops
everything it started (also on Ctrl-C). The wiring is in `bulkdaq/app/demo.py`; this module takes the
options and prints.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.app.demo import (
    DemoPlan,
    against_ground_truth,
    create_database,
    export_and_verify,
    fresh_demo_folder,
    local_site,
    registry_note,
    run_loading,
    simulated_devices,
    tank_drop,
    with_site_key,
)
from bulkdaq.app.demo_clearance import DemoClearance, Outcome
from bulkdaq.cli.collect import status_display
from bulkdaq.cli.ticket import render_ticket, totalizer_decimals
from bulkdaq.config.site_file import LoadedSite, load_site
from bulkdaq.shipments.model import BASIS_LABELS, BASIS_UNITS, quantity_decimals
from bulkdaq.shipments.stored_totals import ticket_from_store
from bulkdaq.store.local_influxd import LocalInfluxd
from bulkdaq.wording.figure_format import basis_text, figure_text, number_text, percent_text
from simulators.plant_model import PlantModel
from simulators.scenario_clock import ScenarioClock

console = Console()


def demo(
    site_file: Path = typer.Argument(Path("examples/site.toml"), help="Site configuration (TOML)."),
    data_dir: Path = typer.Option(Path("var/demo"), help="Where the demo keeps its data (emptied at each run)."),
    target_t: float = typer.Option(45_000.0, help="Quantity loaded through each meter [t]."),
    rate_t_h: float = typer.Option(2_500.0, help="Steady rate per meter [t/h]."),
    seconds: float = typer.Option(40.0, help="Real seconds the loading takes (sets the speed-up)."),
) -> None:
    """Two shipments through simulators → collectors → InfluxDB → tickets → reconciliation → measurement reports."""
    site = load_site(site_file)
    fresh_demo_folder(data_dir)
    clearance = DemoClearance(site_file.resolve().parent, data_dir)
    plan = DemoPlan.for_site(site, target_t, rate_t_h, seconds)
    influxd = LocalInfluxd(data_dir / "influxdb")
    console.print(f"starting influxd on {influxd.url} (data in {influxd.data_dir})")
    with influxd:
        site = local_site(site, influxd.url, data_dir / "spool.sqlite")
        # The collector signs what it acquires with the site's key.
        site, fingerprint = with_site_key(site, data_dir)
        console.print(f"site key fingerprint {fingerprint} (what the terminal registers with customs: the trust anchor of every check below)",
                      soft_wrap=True)
        create_database(site)
        clock = ScenarioClock(plan.speedup, running=False)  # starts once every collector is connected
        simulators, plants = simulated_devices(site, plan, clock, clearance)
        started = datetime.now(timezone.utc)
        clearance.declare_and_start(site, started)
        scenario_end_s = plan.scenario_end_s
        asyncio.run(run_loading(site, simulators, plants, clock, scenario_end_s, clearance, _live_status(clearance)))
        ended = datetime.now(timezone.utc)
        metered_kg = Decimal(0)
        for meter in site.config.meters:
            ticket = ticket_from_store(site, meter.id, started, ended)
            metered_kg += sum((t.indicated for t in ticket.totals if t.field == "mass_total_kg"), Decimal(0))
            console.print(render_ticket(ticket, site))
            for total, truth in zip(ticket.totals, against_ground_truth(ticket, simulators, scenario_end_s), strict=True):
                shown = figure_text(truth.delivered, truth.unit, totalizer_decimals(site, ticket.meter, total.field, total.unit))
                verdict = "[green]equal[/]" if truth.equal else "[red]DIFFERENT[/]"
                console.print(f"  simulator ground truth, {truth.quantity}: {shown} ({verdict})", highlight=False)
        if plants:
            _print_tank_drop(site, plants[0].model, started, ended, metered_kg)
        for outcome in clearance.finish(site, ended):
            console.print(_outcome_table(outcome))
        _print_evidence_check(site, clearance, data_dir, fingerprint)
        console.print(registry_note(clearance, command_name()), soft_wrap=True, highlight=False, markup=False)
        hint = path_hint()
        if hint:
            console.print(hint, highlight=False, markup=False, soft_wrap=True)
        console.print(
            f"\nReadings are in InfluxDB database {site.config.influxdb.database!r} under {influxd.data_dir}; "
            f"to look again: influxd -config {influxd.data_dir / 'influxd.conf'} and query {influxd.url}/query"
        )
    console.print("demo finished; influxd and the simulators are stopped.")


def _live_status(clearance: DemoClearance) -> Callable[[CollectorService], AbstractContextManager[Callable[[], None]]]:
    """The live table on a terminal; into a pipe or a file, a status line every 10 s (the loading lasts about a
    minute); each with the jet fuel loaded so far, as the clearance board shows it."""

    def loaded() -> str | None:
        live = clearance.jet_live
        if live is None:
            return None
        shipment = live.shipment
        decimals = quantity_decimals(shipment)
        return (
            f"{shipment.id} loaded {figure_text(live.total, shipment.declared.unit, decimals)} of "
            f"{basis_text(shipment.declared.quantity, shipment.declared.basis, decimals)} ({percent_text(100 * live.progress, decimals=1)})"
        )

    @contextmanager
    def view(service: CollectorService) -> Iterator[Callable[[], None]]:
        with status_display(service, console, every_s=10.0, extra=loaded) as tick:
            yield tick

    return view


def _print_tank_drop(site: LoadedSite, model: PlantModel, started: datetime, ended: datetime, metered_kg: Decimal) -> None:
    drop = tank_drop(site, model, started, ended)
    if drop is None:
        console.print(f"[red]no good reading of shore tank {model.tank.name}[/]")
        return
    console.print(
        f"Shore tank {drop.tank} (OPC UA): TOV {number_text(drop.opening_m3, 3)} → {figure_text(drop.closing_m3, 'm3', 3)}, "
        f"a drop of {figure_text(drop.drop_m3, 'm3', 3)}; the meters indicated {figure_text(metered_kg / 1000, 't', 3)}, "
        f"i.e. {figure_text(float(metered_kg) / drop.density_kg_m3, 'm3', 3)} at the tank's {drop.density_kg_m3:g} kg/m³"
    )


def _print_evidence_check(site: LoadedSite, clearance: DemoClearance, data_dir: Path, fingerprint: str) -> None:
    """What an officer does with the evidence: export the jet-fuel shipment's bundle and verify it offline."""
    check = export_and_verify(site, clearance, data_dir, fingerprint)
    result = check.result
    verdict = "[green]VERIFIED[/]" if result.ok else "[red]NOT VERIFIED[/]: " + "; ".join(result.problems)
    console.print(
        f"Evidence {check.bundle_path}: {result.blocks_checked} signed blocks, {result.readings_checked} readings, {result.events_checked} signed events, "
        f"key {fingerprint[:16]}…, {result.heads_checked} of {len(check.heads)} witnessed heads bear on it → {verdict}\n"
        f"  (check it yourself against the registered fingerprint, not the key beside the bundle:\n"
        f"   {command_name()} evidence verify {check.bundle_path} --fingerprint {fingerprint} --heads {check.heads_path})",
        soft_wrap=True,
    )


def _outcome_table(outcome: Outcome) -> Table:
    shipment = outcome.shipment
    colour = "green" if outcome.state in {"released", "certified", "verified"} else "red"
    declared, decimals = shipment.declared, quantity_decimals(shipment)
    table = Table(title=Text(f"{shipment.id} {shipment.product} ({shipment.direction}), declared {basis_text(declared.quantity, declared.basis, decimals)}"),
                  caption_justify="left")
    for column in ("comparison", "difference", "limit", "within"):
        table.add_column(column, justify="left" if column == "comparison" else "right")
    for name, difference, limit, within in outcome.comparisons:
        table.add_row(Text(name), percent_text(difference, signed=True), percent_text(limit), "[green]yes[/]" if within else "[red]NO[/]")
    unit = BASIS_UNITS[declared.basis]
    figures = ", ".join(f"{method} {figure_text(value, unit, decimals)}" for method, value in outcome.figures.items())
    table.caption = Text.assemble(f"figures ({BASIS_LABELS[declared.basis][0]}): {figures}\nstate: ", (outcome.state, colour),
                                  f" · measurement report: {outcome.certificate}")
    return table


def command_name() -> str:
    """How to run bulkdaq from where the demo was started, for the commands it prints: ``bulkdaq`` when that
    is this program on PATH (an activated virtual environment), else the path of this entry point
    (``.venv/bin/bulkdaq`` from the repository; `make demo` does not activate the environment)."""
    here = Path(sys.argv[0]) if Path(sys.argv[0]).name == "bulkdaq" else Path(sys.executable).parent / "bulkdaq"
    on_path = shutil.which("bulkdaq")
    if on_path is not None and Path(on_path).resolve() == here.resolve():
        return "bulkdaq"
    try:
        return str(here.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(here.absolute())


def path_hint() -> str | None:
    """One line saying how to get `bulkdaq` on PATH, when it is not (None when it is)."""
    command = command_name()
    if command == "bulkdaq":
        return None
    activate = Path(command).parent / "activate"
    return f"\n`bulkdaq` is not on PATH in this shell: run `source {activate}` first (then `bulkdaq …` works), or call {command} directly."


__all__ = [
    "command_name",
    "demo",
    "path_hint",
]
