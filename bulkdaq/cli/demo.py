"""`bulkdaq demo SITE.toml`: the whole chain on one machine, time-compressed.

Starts a private influxd (data under var/demo), a simulated flowmeter for every Modbus device of the
site and the simulated plant (OPC UA) for every OPC UA server, and the collectors; declares the two demo
shipments (examples/demo/); runs the loading while the jet-fuel export is watched live; prints each
meter's ticket beside the simulator's ground truth, the tank drop, both shipments' figures,
reconciliation and verdict, and writes their measurement reports for customs verification; stops
everything it started (also on Ctrl-C).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import time
from decimal import Decimal
from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from bulkdaq import contract
from bulkdaq.cli.collect import status_table
from bulkdaq.cli.ticket import render_ticket, ticket_from_store
from bulkdaq.collector_service import CollectorService
from bulkdaq.demo_clearance import DemoClearance, Outcome
from bulkdaq.evidence_bundle import export_shipment_bundle, verify_bundle
from bulkdaq.evidence_chain import create_site_key
from bulkdaq.influx_reader import InfluxReader
from bulkdaq.local_influxd import LocalInfluxd, free_port
from bulkdaq.site_config import EvidenceSettings, LoadedSite, load_site
from bulkdaq.witnessed_heads import query_heads
from simulators.flowmeter import FlowmeterSimulator
from simulators.loading_profile import LoadingProfile
from simulators.plant import PlantServer
from simulators.plant_model import PlantModel, ShoreTank
from simulators.scenario_clock import ScenarioClock

console = Console()
# A tank that holds the whole demo cargo (two meter runs of 45,000 t of jet fuel at 800 kg/m³).
DEMO_TANK = ShoreTank(initial_tov_m3=125_000.0, m3_per_m=6_000.0, high_level_m=22.0)


def demo(
    site_file: Path = typer.Argument(Path("examples/site.toml"), help="Site configuration (TOML)."),
    data_dir: Path = typer.Option(Path("var/demo"), help="Where the demo keeps its data (emptied at each run)."),
    target_t: float = typer.Option(45_000.0, help="Quantity loaded through each meter [t]."),
    rate_t_h: float = typer.Option(2_500.0, help="Steady rate per meter [t/h]."),
    seconds: float = typer.Option(40.0, help="Real seconds the loading takes (sets the speed-up)."),
) -> None:
    """Two shipments through simulators → collectors → InfluxDB → tickets → reconciliation → measurement reports."""
    site = load_site(site_file)
    if data_dir.exists():
        shutil.rmtree(data_dir)  # each demo starts from nothing: the registry is append-only
    clearance = DemoClearance(site_file.resolve().parent, data_dir)
    profile = LoadingProfile(target_t * 1000, rate_t_h * 1000, ramp_up_s=1800, ramp_down_s=1800, start_s=1800)
    meters = len(site.config.meters) or 1
    # The shore tank feeds every meter run: it drops by their sum, on the same clock.
    tank_profile = LoadingProfile(target_t * 1000 * meters, rate_t_h * 1000 * meters, ramp_up_s=1800, ramp_down_s=1800, start_s=1800)
    speedup = profile.end_s / seconds
    influxd = LocalInfluxd(data_dir / "influxdb")
    console.print(f"starting influxd on {influxd.url} (data in {influxd.data_dir})")
    with influxd:
        site = _local(site, influxd.url, data_dir / "spool.sqlite", speedup)
        # The collector signs what it acquires with the site's key (made here, as `bulkdaq evidence keygen` would).
        key_file = data_dir / "site.key"
        fingerprint = create_site_key(key_file, key_file.with_suffix(".pub"))
        console.print(f"site key fingerprint {fingerprint} (what the terminal registers with customs: the trust anchor of every check below)",
                      soft_wrap=True)
        # Heads every 2 s of the demo's minute (60 s at a real site), so the bundle meets several witnesses.
        evidence = EvidenceSettings(key_file=key_file, head_interval_s=2.0)
        site = LoadedSite(site.path, site.config.model_copy(update={"evidence": evidence}), site.warnings)
        with InfluxReader(influxd.url, site.config.influxdb.database) as reader:
            reader.create_database()
        clock = ScenarioClock(speedup, running=False)  # starts once every collector is connected
        simulators = [FlowmeterSimulator.for_loading(device, clock, profile) for device in site.config.modbus.devices]
        belt_t = clearance.belt_scale_target_t()
        belt = LoadingProfile(belt_t * 1000, belt_t * 1000 / (tank_profile.end_s - 3600) * 3600, ramp_up_s=1800, ramp_down_s=1800, start_s=1800)
        plants = [
            PlantServer(PlantModel(tank_profile, tank=DEMO_TANK, scale_profile=belt), clock, port=_port(server.endpoint))
            for server in site.config.opcua.servers
        ]
        started = datetime.now(timezone.utc)
        clearance.declare_and_start(site, started)
        # Collect two more real seconds after pumping stops, so every source's last reading is final.
        scenario_end_s = profile.end_s + 2.0 * speedup
        asyncio.run(_run_loading(site, simulators, plants, clock, scenario_end_s, clearance))
        ended = datetime.now(timezone.utc)
        metered_kg = Decimal(0)
        for meter in site.config.meters:
            ticket = ticket_from_store(site, meter.id, started, ended)
            metered_kg += sum((t.indicated for t in ticket.totals if t.field == "mass_total_kg"), Decimal(0))
            console.print(render_ticket(ticket, site))
            truth = next(s for s in simulators if any(p.asset == meter.id for p in s.device.points))
            for total in ticket.totals:
                opening = truth.reported(meter.id, total.field, 0.0)
                closing = truth.reported(meter.id, total.field, scenario_end_s)
                delivered = Decimal(repr(closing)) - Decimal(repr(opening))
                verdict = "[green]equal[/]" if delivered == total.indicated else "[red]DIFFERENT[/]"
                console.print(f"  simulator ground truth, {total.quantity}: {delivered} {total.unit} ({verdict})")
        if plants:
            _print_tank_drop(site, plants[0].model, started, ended, metered_kg)
        for outcome in clearance.finish(site, ended):
            console.print(_outcome_table(outcome))
        _export_and_verify(site, clearance, data_dir, fingerprint)
        console.print(
            f"\nReadings are in InfluxDB database {site.config.influxdb.database!r} under {influxd.data_dir}; "
            f"to look again: influxd -config {influxd.data_dir / 'influxd.conf'} and query {influxd.url}/query"
        )
    console.print("demo finished; influxd and the simulators are stopped.")


def _local(site: LoadedSite, influx_url: str, spool_path: Path, speedup: float) -> LoadedSite:
    """The same site, pointed at the demo's influxd and spool and at free loopback ports for the simulators.

    The loading runs `speedup` times faster than the flow rates the meters report, so the totals advance
    that much faster than rate × time: the totalizer-jump check keeps its 50 % margin on that pace.
    """
    devices = [
        d.model_copy(update={"host": "127.0.0.1", "port": free_port(), "integrity": d.integrity.model_copy(update={"jump_margin": 1.5 * speedup})})
        for d in site.config.modbus.devices
    ]
    servers = [s.model_copy(update={"endpoint": f"opc.tcp://127.0.0.1:{free_port()}/bulkdaq/plant"}) for s in site.config.opcua.servers]
    config = site.config.model_copy(
        update={
            "influxdb": site.config.influxdb.model_copy(update={"url": influx_url}),
            "modbus": site.config.modbus.model_copy(update={"devices": devices}),
            "opcua": site.config.opcua.model_copy(update={"servers": servers}),
            "spool": site.config.spool.model_copy(update={"path": spool_path}),
        }
    )
    return LoadedSite(site.path, config, site.warnings)


def _port(endpoint: str) -> int:
    return int(endpoint.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def _print_tank_drop(site: LoadedSite, model: PlantModel, started: datetime, ended: datetime, metered_kg: Decimal) -> None:
    tank = model.tank.name
    with InfluxReader(site.config.influxdb.url, site.config.influxdb.database) as reader:
        window = reader.first_and_last(contract.TANK, tank, "tov_m3", started, ended)
    if window is None:
        console.print(f"[red]no good reading of shore tank {tank}[/]")
        return
    opening, closing = window
    drop = float(opening.value) - float(closing.value)
    density = model.tank.density_kg_m3
    console.print(
        f"Shore tank {tank} (OPC UA): TOV {float(opening.value):,.3f} → {float(closing.value):,.3f} m³, a drop of {drop:,.3f} m³; "
        f"the meters indicated {metered_kg / 1000:,.3f} t, i.e. {float(metered_kg) / density:,.3f} m³ at the tank's {density:g} kg/m³"
    )


def _export_and_verify(site: LoadedSite, clearance: DemoClearance, data_dir: Path, fingerprint: str) -> None:
    """What an officer does with the evidence: export the jet-fuel shipment's bundle and verify it offline."""
    bundle = export_shipment_bundle(site, clearance.registry, clearance.jet.id)
    path = data_dir / f"evidence-{clearance.jet.id}.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    # The heads the collector published to InfluxDB: at a real site the customs office's copy of them.
    target = site.config.influxdb
    heads = query_heads(target.url, target.database, site.config.site.name)
    heads_path = data_dir / f"heads-{site.config.site.name}.json"
    heads_path.write_text(json.dumps([h.as_dict() for h in heads], indent=1), encoding="utf-8")
    result = verify_bundle(bundle, fingerprint, heads)
    verdict = "[green]VERIFIED[/]" if result.ok else "[red]NOT VERIFIED[/]: " + "; ".join(result.problems)
    console.print(
        f"Evidence {path}: {result.blocks_checked} signed blocks, {result.readings_checked} readings, {result.events_checked} signed events, "
        f"key {fingerprint[:16]}…, {result.heads_checked} of {len(heads)} witnessed heads bear on it → {verdict}\n"
        f"  (check it yourself against the registered fingerprint, not the key beside the bundle:\n"
        f"   bulkdaq evidence verify {path} --fingerprint {fingerprint} --heads {heads_path})",
        soft_wrap=True,
    )


def _outcome_table(outcome: Outcome) -> Table:
    shipment = outcome.shipment
    colour = "green" if outcome.state in {"released", "certified", "verified"} else "red"
    table = Table(title=f"{shipment.id} {shipment.product} ({shipment.direction}), declared {shipment.declared.quantity:,.3f} {shipment.declared.unit} in {shipment.declared.basis}")
    for column in ("comparison", "difference %", "limit %", "within"):
        table.add_column(column, justify="left" if column == "comparison" else "right")
    for name, difference, limit, within in outcome.comparisons:
        table.add_row(name, f"{difference:+.3f}", f"{limit:.3f}", "[green]yes[/]" if within else "[red]NO[/]")
    figures = ", ".join(f"{method} {value:,.3f}" for method, value in outcome.figures.items())
    table.caption = f"figures [t]: {figures}\nstate: [{colour}]{outcome.state}[/] · measurement report: {outcome.certificate}"
    return table


async def _run_loading(
    site: LoadedSite,
    simulators: list[FlowmeterSimulator],
    plants: list[PlantServer],
    clock: ScenarioClock,
    scenario_end_s: float,
    clearance: DemoClearance,
) -> None:
    servers = [s.server() for s in simulators]
    for server in servers:
        await server.start()
    for plant in plants:
        await plant.start()
    service = CollectorService(site, collector_name="demo")
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, service.stop)
    waiting_since = time.monotonic()

    def on_tick() -> None:
        live.update(status_table(service))
        if clock.seconds() == 0.0:
            # Pumping starts once every source answers (or after 15 s), so each ticket opens before the flow.
            if all(status.connected for status in service.statuses) or time.monotonic() - waiting_since > 15:
                clock.start()
        elif clock.seconds() >= scenario_end_s:
            service.stop()

    stop_watching = asyncio.Event()
    watching = asyncio.create_task(clearance.watch_jet(site, stop_watching))
    try:
        with Live(status_table(service), console=console, refresh_per_second=2) as live:
            await service.run(on_tick=on_tick)
    finally:
        stop_watching.set()
        await watching
        for server in servers:
            await server.stop()
        for plant in plants:
            await plant.stop()
