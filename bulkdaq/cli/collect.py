"""`bulkdaq collect SITE.toml`: run the site's collectors with a live one-line status per device (on a terminal),
or a periodic one-line status (under systemd, into a pipe or a file; as JSON with --json-status)."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.cli.json_output import json_text
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


def collector_status(service: CollectorService) -> dict[str, object]:
    """The collector's state in one object: devices up and down, polls, errors, the spool, the writer.

    What the status line says (`status_line`) and what `collect --json-status` prints, one JSON object a line."""
    now = time.time()
    statuses = service.statuses
    stats = service.writer.stats
    return {
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "site": service.site_name,
        "devices_up": sum(1 for s in statuses if s.connected),
        "devices_down": sum(1 for s in statuses if not s.connected),
        "polls": sum(s.polls for s in statuses),
        "errors": sum(s.errors for s in statuses),
        "spool_depth": service.forwarder.depth,
        "spool_refused_full": service.spool.stats.refused_full,
        "lines_written": stats.lines_written,
        "retries": stats.retries,
        "quarantined": stats.lines_quarantined,
        "writes_refused": stats.blocked,
        "devices": [
            {
                "name": s.name, "connected": s.connected, "polls": s.polls, "errors": s.errors,
                "last_good_s_ago": None if not s.last_good_time else round(now - s.last_good_time, 1), "last_error": s.last_error,
            }
            for s in statuses
        ],
    }


def status_line(status: dict[str, object]) -> str:
    """`collector_status` as one plain line, for a log (journald, a file): no colour, no markup, never wrapped."""
    devices: list[dict[str, object]] = status["devices"]  # type: ignore[assignment]
    down = [f"{d['name']}" + (f" ({d['last_error']})" if d["last_error"] else "") for d in devices if not d["connected"]]
    line = (
        f"{status['time']} status: devices {status['devices_up']} up, {status['devices_down']} down"
        + (f" [{', '.join(down)}]" if down else "")
        + f"; polls {status['polls']}, errors {status['errors']}; spool {status['spool_depth']} queued"
        + f"; written {status['lines_written']} lines, retries {status['retries']}, quarantined {status['quarantined']}"
    )
    if status["spool_refused_full"]:
        line += f"; spool full: {status['spool_refused_full']} readings refused"
    if status["writes_refused"] is not None:
        line += f"; InfluxDB refuses writes: {status['writes_refused']}"
    return line


@contextmanager
def status_display(
    service: CollectorService, out: Console, *, every_s: float = 60.0, as_json: bool = False, extra: Callable[[], str | None] | None = None
) -> Iterator[Callable[[], None]]:
    """The collector's status while it runs; yields the callback to call on every tick.

    On a terminal (and without `as_json`): the live table, redrawn in place. Otherwise (systemd, a pipe, a
    file): one line every `every_s` seconds and one at the end, as text (`status_line`) or as one JSON
    object (`as_json`), so nothing is redrawn into what follows. `extra` gives one more line (the demo's
    tonnes loaded), shown under the table or after the status line."""

    def table() -> Table:
        shown = status_table(service)
        note = None if extra is None else extra()
        if note:
            shown.caption = f"{shown.caption}\n{escape(note)}"
        return shown

    if out.is_terminal and not as_json:
        with Live(table(), console=out, refresh_per_second=2) as live:
            yield lambda: live.update(table())
        return

    def say() -> None:
        status = collector_status(service)
        note = None if extra is None else extra()
        if as_json:
            line = json_text({**status, "note": note} if note else status, indent=None)
        else:
            line = status_line(status) + (f"; {note}" if note else "")
        out.print(line, markup=False, highlight=False, soft_wrap=True)
        out.file.flush()

    next_line = time.monotonic() + every_s

    def tick() -> None:
        nonlocal next_line
        if time.monotonic() >= next_line:
            next_line += every_s
            say()

    try:
        yield tick
    finally:
        say()


async def collect_until_stopped(service: CollectorService, on_tick: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, service.stop)
    await service.run(on_tick=on_tick)


def collect(
    site_file: Path = typer.Argument(..., help="Site configuration (TOML)."),
    status_every: float = typer.Option(
        60.0, "--status-every", min=0.1, help="Without a terminal (systemd, a pipe): seconds between status lines [s]."),
    json_status: bool = typer.Option(
        False, "--json-status", help="Print the status as one JSON object a line (every --status-every seconds and at the end) instead of the live table."),
) -> None:
    """Poll every device of the site and write its readings to InfluxDB, until Ctrl-C (or SIGTERM).

    On a terminal the status is a live table; otherwise one status line every --status-every seconds."""
    site = load_site(site_file)
    for warning in site.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    service = CollectorService(site)
    console.print(
        f"collecting {site.config.site.name} → {redacted_url(site.config.influxdb.url)} db={site.config.influxdb.database} (Ctrl-C stops)",
        highlight=False, markup=False, soft_wrap=True,
    )
    with status_display(service, console, every_s=status_every, as_json=json_status) as tick:
        asyncio.run(collect_until_stopped(service, tick))
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
    "collector_status",
    "shutdown_summary",
    "status_display",
    "status_line",
    "status_table",
]
