"""`bulkdaq ticket --site SITE.toml --meter FT-101 --from T1 --to T2`: indicated quantities from stored data."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bulkdaq.cli.json_output import json_text
from bulkdaq.cli.step_options import required_moment
from bulkdaq.config.register_types import INTEGER_TYPES
from bulkdaq.config.site_file import LoadedSite, load_site
from bulkdaq.errors import InputError
from bulkdaq.shipments.stored_totals import StoredTicket, ticket_from_store
from bulkdaq.wording.figure_format import figure_text
from calculators.petroleum.measurement_policy import MeasurementPolicy

DEFAULT_POLICY = MeasurementPolicy("2004", "15C", "standard")  # its reading resolutions: 1 g, 1 L

ticket_app = typer.Typer(
    help="Tickets: from stored data (--site … --meter … --from … --to …) or from a ticket file (meter, coriolis, tank).",
    invoke_without_command=True,
)
console = Console()


def totalizer_decimals(site: LoadedSite | None, meter_id: str, field: str, unit: str) -> int:
    """Decimals a stored totalizer reading is shown with: the register's own resolution when it is an
    integer with a scale (0.001 kg → 3, 0.000001 m³ → 6), else the measurement policy's reading
    resolution for the unit (1 g for kg, the policy's volume decimals for m³)."""
    if site is not None:
        for device in site.config.modbus.devices:
            for point in device.points:
                if (point.measurement, point.asset, point.field) == ("meter", meter_id, field) and point.data_type in INTEGER_TYPES:
                    return max(0, -int(Decimal(repr(point.scale)).normalize().as_tuple().exponent))
    return DEFAULT_POLICY.shown_decimals("m3" if unit == "m³" else unit)


def render_ticket(ticket: StoredTicket, site: LoadedSite | None = None) -> Table:
    """The stored ticket as a table: opening, closing and indicated quantity of each totalizer, each at
    the totalizer's resolution (`totalizer_decimals`; with `site`, from its register map) with its unit in
    the same cell (``45,000.000 kg``). Data is never read as markup."""
    table = Table(title=Text(f"Meter ticket {ticket.meter} ({ticket.site}): indicated quantities"))
    for column, justify in (("totalizer", "left"), ("reading", "left"), ("value", "right"), ("time (UTC)", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for total in ticket.totals:
        decimals = totalizer_decimals(site, ticket.meter, total.field, total.unit)
        table.add_row(total.quantity, "opening", figure_text(total.opening.value, total.unit, decimals), total.opening.time.isoformat(timespec="milliseconds"))
        table.add_row("", "closing", figure_text(total.closing.value, total.unit, decimals), total.closing.time.isoformat(timespec="milliseconds"))
        note = " (rolled over)" if total.rolled_over else ""
        table.add_row("", Text("indicated", style="bold"), Text(figure_text(total.indicated, total.unit, decimals), style="bold") + note, "", end_section=True)
    table.caption = f"first and last good readings in {ticket.start.isoformat(timespec='seconds')} … {ticket.end.isoformat(timespec='seconds')}"
    return table


@ticket_app.callback()
def ticket(
    context: typer.Context,
    site_file: Path | None = typer.Option(None, "--site", help="Site configuration (TOML)."),
    meter: str | None = typer.Option(None, "--meter", help="Meter id, as in the site file."),
    start: str | None = typer.Option(None, "--from", help="Window start, ISO 8601 with time zone."),
    end: str = typer.Option("now", "--to", help="Window end, ISO 8601 with time zone, or 'now'."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Indicated mass and volume of a meter between two times, from the totalizers stored in InfluxDB."""
    if context.invoked_subcommand is not None:
        return
    missing = [name for name, value in (("--site", site_file), ("--meter", meter), ("--from", start)) if value is None]
    if missing:
        raise InputError("command line", ", ".join(missing), "required for a ticket from stored data (or use: ticket meter|coriolis|tank FILE.json)")
    loaded = load_site(site_file)  # type: ignore[arg-type]
    result = ticket_from_store(loaded, meter, required_moment(start, "--from"), required_moment(end, "--to"))  # type: ignore[arg-type]
    if as_json:
        print(json_text(result.as_dict()))
    else:
        console.print(render_ticket(result, loaded))


__all__ = [
    "DEFAULT_POLICY",
    "render_ticket",
    "ticket",
    "ticket_app",
    "totalizer_decimals",
]
