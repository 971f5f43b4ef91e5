"""`bulkdaq demo SITE.toml`: the whole chain on one machine, time-compressed.

Starts a private influxd (data under var/), a simulated flowmeter for every Modbus device of the site,
and the collector; runs one loading; prints each meter's ticket from the stored data beside the
simulator's ground truth; stops everything it started (also on Ctrl-C).
"""

from __future__ import annotations

import asyncio
import signal
from decimal import Decimal
from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.console import Console
from rich.live import Live

from bulkdaq.cli.collect import status_table
from bulkdaq.cli.ticket import render_ticket, ticket_from_store
from bulkdaq.collector_service import CollectorService
from bulkdaq.influx_reader import InfluxReader
from bulkdaq.local_influxd import LocalInfluxd, free_port
from bulkdaq.site_config import LoadedSite, load_site
from simulators.flowmeter import FlowmeterSimulator
from simulators.loading_profile import LoadingProfile
from simulators.scenario_clock import ScenarioClock

console = Console()


def demo(
    site_file: Path = typer.Argument(Path("examples/site.toml"), help="Site configuration (TOML)."),
    data_dir: Path = typer.Option(Path("var/demo"), help="Where the demo's InfluxDB keeps its data."),
    target_t: float = typer.Option(45_000.0, help="Quantity loaded through each meter [t]."),
    rate_t_h: float = typer.Option(2_500.0, help="Steady rate per meter [t/h]."),
    seconds: float = typer.Option(40.0, help="Real seconds the loading takes (sets the speed-up)."),
) -> None:
    """Run a time-compressed loading through simulator → collector → InfluxDB → meter tickets."""
    site = load_site(site_file)
    profile = LoadingProfile(target_t * 1000, rate_t_h * 1000, ramp_up_s=1800, ramp_down_s=1800, start_s=1800)
    speedup = (profile.end_s + 1800) / seconds
    influxd = LocalInfluxd(data_dir / "influxdb")
    console.print(f"starting influxd on {influxd.url} (data in {influxd.data_dir})")
    with influxd:
        site = _local(site, influxd.url, data_dir / "spool.sqlite", speedup)
        with InfluxReader(influxd.url, site.config.influxdb.database) as reader:
            reader.create_database()
        clock = ScenarioClock(speedup)
        simulators = [FlowmeterSimulator.for_loading(device, clock, profile) for device in site.config.modbus.devices]
        started = datetime.now(timezone.utc)
        asyncio.run(_run_loading(site, simulators, clock, profile.end_s + 1800))
        ended = datetime.now(timezone.utc)
        for meter in site.config.meters:
            ticket = ticket_from_store(site, meter.id, started, ended)
            console.print(render_ticket(ticket))
            truth = next(s for s in simulators if any(p.asset == meter.id for p in s.device.points))
            for total in ticket.totals:
                opening = truth.reported(meter.id, total.field, 0.0)
                closing = truth.reported(meter.id, total.field, profile.end_s + 1800)
                delivered = Decimal(repr(closing)) - Decimal(repr(opening))
                verdict = "[green]equal[/]" if delivered == total.indicated else "[red]DIFFERENT[/]"
                console.print(f"  simulator ground truth, {total.quantity}: {delivered} {total.unit} ({verdict})")
        console.print(
            f"\nReadings are in InfluxDB database {site.config.influxdb.database!r} under {influxd.data_dir}; "
            f"to look again: influxd -config {influxd.data_dir / 'influxd.conf'} and query {influxd.url}/query"
        )
    console.print("demo finished; influxd and the simulators are stopped.")


def _local(site: LoadedSite, influx_url: str, spool_path: Path, speedup: float) -> LoadedSite:
    """The same site, pointed at the demo's influxd and spool and at free loopback ports for the simulators.

    The loading runs `speedup` times faster than the flow rates the meters report, so the totals advance
    that much faster than rate × time: the totalizer-jump check is widened by the same factor.
    """
    devices = [
        d.model_copy(update={"host": "127.0.0.1", "port": free_port(), "integrity": d.integrity.model_copy(update={"jump_margin": speedup})})
        for d in site.config.modbus.devices
    ]
    config = site.config.model_copy(
        update={
            "influxdb": site.config.influxdb.model_copy(update={"url": influx_url}),
            "modbus": site.config.modbus.model_copy(update={"devices": devices}),
            "spool": site.config.spool.model_copy(update={"path": spool_path}),
        }
    )
    return LoadedSite(site.path, config, site.warnings)


async def _run_loading(site: LoadedSite, simulators: list[FlowmeterSimulator], clock: ScenarioClock, scenario_end_s: float) -> None:
    servers = [s.server() for s in simulators]
    for server in servers:
        await server.start()
    service = CollectorService(site, collector_name="demo")
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, service.stop)
    clock.start()

    def on_tick() -> None:
        live.update(status_table(service))
        if clock.seconds() >= scenario_end_s:
            service.stop()

    try:
        with Live(status_table(service), console=console, refresh_per_second=2) as live:
            await service.run(on_tick=on_tick)
    finally:
        for server in servers:
            await server.stop()
