"""`bulkdaq collect SITE.toml`: run the site's collectors with a live one-line status per device."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.site_file import load_site
from bulkdaq.config.validation import redacted_url

console = Console()


def status_table(service: CollectorService) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("device", "state", "polls", "errors", "poll ms", "last good", "last error"):
        table.add_column(column)
    now = time.time()
    for status in service.statuses:
        state = "[green]connected[/]" if status.connected else "[red]down[/]"
        last_good = f"{now - status.last_good_time:.1f} s ago" if status.last_good_time else "never"
        table.add_row(
            status.name, state, str(status.polls), str(status.errors), f"{status.last_poll_ms:.1f}", last_good,
            status.last_error or "",
        )
    stats = service.writer.stats
    table.caption = (
        f"queued {service.forwarder.depth} · written {stats.lines_written} lines · "
        f"retries {stats.retries} · quarantined {stats.lines_quarantined}"
        + ("" if stats.blocked is None else f"\n[red]InfluxDB refuses writes:[/] {escape(stats.blocked)}")
    )
    return table


async def collect_until_stopped(service: CollectorService, live: Live) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, service.stop)
    await service.run(on_tick=lambda: live.update(status_table(service)))


def collect(site_file: Path = typer.Argument(..., help="Site configuration (TOML).")) -> None:
    """Poll every device of the site and write its readings to InfluxDB, until Ctrl-C."""
    site = load_site(site_file)
    for warning in site.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    service = CollectorService(site)
    console.print(
        f"collecting {site.config.site.name} → {redacted_url(site.config.influxdb.url)} db={site.config.influxdb.database} (Ctrl-C stops)",
        highlight=False, markup=False,
    )
    with Live(status_table(service), console=console, refresh_per_second=2) as live:
        asyncio.run(collect_until_stopped(service, live))
    console.print(shutdown_summary(service, site_file), highlight=False, markup=False)


def shutdown_summary(service: CollectorService, site_file: Path) -> str:
    """What became of the accepted readings, as it is after the shutdown: in InfluxDB, quarantined, or still spooled."""
    quarantined = service.writer.stats.lines_quarantined
    refused = (
        f" {quarantined} readings InfluxDB refused (HTTP 400) are kept in {service.writer.quarantine_dir} with its reasons."
        if quarantined else ""
    )
    left = service.spool.depth
    if left == 0:
        return ("stopped; every accepted reading reached InfluxDB." if not quarantined else "stopped; nothing is left in the spool.") + refused
    return (
        f"stopped; {left} accepted readings did not reach InfluxDB and stay in the spool {service.spool.path}; "
        f"they will be sent at the next start (bulkdaq collect {site_file}).{refused}"
    )


__all__ = [
    "collect",
    "collect_until_stopped",
    "shutdown_summary",
    "status_table",
]
