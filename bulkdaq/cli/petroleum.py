"""CLI for petroleum measurement: `bulkdaq vcf` and the file tickets `bulkdaq ticket meter|coriolis|tank`."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bulkdaq.cli.json_output import json_text
from bulkdaq.errors import InputError
from bulkdaq.inputs.ticket_files import TICKET_READERS
from bulkdaq.wording.figure_format import figure_text
from calculators.petroleum import vcf_1980, volume_correction
from calculators.petroleum.measurement_policy import MeasurementPolicy, Ticket

console = Console()


class DensityUnit(str, Enum):
    kgm3 = "kg/m3"
    api = "api"
    rd = "rd"


class TemperatureUnit(str, Enum):
    C = "C"
    F = "F"


class PressureUnit(str, Enum):
    kPa = "kPa"
    bar = "bar"
    psi = "psi"


class BaseChoice(str, Enum):
    b15C = "15C"
    b20C = "20C"
    b60F = "60F"


class EditionChoice(str, Enum):
    e2004 = "2004"
    e1980 = "1980"


class GroupChoice(str, Enum):
    crude = "crude"
    refined = "refined"
    lube = "lube"


OPTION_FOR_QUANTITY = {"density": "--density", "alpha60": "--density", "temperature": "--temperature", "pressure": "--pressure"}


def vcf(
    density: float = typer.Option(..., "--density", help="Density at the base (at 60 °F for api and rd)."),
    density_unit: DensityUnit = typer.Option(..., "--density-unit", help="kg/m3, api (°API) or rd (relative density 60/60 °F)."),
    temperature: float = typer.Option(..., "--temperature", help="Observed temperature."),
    temperature_unit: TemperatureUnit = typer.Option(..., "--temperature-unit", help="C or F."),
    pressure: float = typer.Option(..., "--pressure", help="Observed gauge pressure (negative is taken as 0)."),
    pressure_unit: PressureUnit = typer.Option(..., "--pressure-unit", help="kPa, bar or psi (gauge)."),
    base: BaseChoice = typer.Option(..., "--base", help="Base temperature: 15C, 20C or 60F."),
    edition: EditionChoice = typer.Option(..., "--edition", help="2004 (API MPMS 11.1-2004) or 1980 (ASTM D1250-1980 Tables 54, 15C only)."),
    group: GroupChoice = typer.Option(GroupChoice.refined, "--group", help="refined (group by density), crude or lube."),
    unrounded: bool = typer.Option(False, "--unrounded", help="Print unrounded factors instead of the standard's decimals."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Volume correction factors CTL, CPL and CTPL, and the commodity group used."""
    result = volume_correction_report(
        density, density_unit.value, temperature, temperature_unit.value, pressure, pressure_unit.value,
        base.value, edition.value, group.value, unrounded,
    )
    if as_json:
        print(json_text(result))
        return
    table = Table(title="Volume correction", caption=result["method"])
    table.add_column("figure")
    table.add_column("value", justify="right")
    policy = MeasurementPolicy(result["edition"], result["base"], result["rounding"])
    units = {"density_kgm3": "kg/m3", "density_60f_kgm3": "kg/m3", "temperature_c": "degC", "pressure_kpa": "kPa", "ctl": "-", "cpl": "-", "ctpl": "-"}
    for key in ("group", "table", "density_kgm3", "density_60f_kgm3", "temperature_c", "pressure_kpa", "ctl", "cpl", "ctpl"):
        value = result.get(key)
        if value is None:
            continue
        if isinstance(value, float):
            unit = units[key]
            decimals = result["decimals"] if unit == "-" else None
            table.add_row(key, figure_text(value, unit, policy.shown_decimals(unit, decimals)))
        else:
            table.add_row(key, str(value))
    console.print(table)


def volume_correction_report(
    density: float,
    density_unit: str,
    temperature: float,
    temperature_unit: str,
    pressure: float,
    pressure_unit: str,
    base: str,
    edition: str,
    group: str,
    unrounded: bool = False,
) -> dict[str, Any]:
    """The figures of `bulkdaq vcf` as a dict (keys ctl, cpl, ctpl, group, edition, base, …).

    Raises
    ------
    InputError
        Naming the command-line option at fault and what was expected.
    """
    if density_unit in {"api", "rd"} and base != "60F":
        raise InputError(
            "command line", "--density-unit", f"{density_unit} is a 60 °F quantity; with --base {base} give --density-unit kg/m3"
        )
    try:
        policy = MeasurementPolicy(edition, base, "unrounded" if unrounded else "standard")  # type: ignore[arg-type]
    except ValueError as error:
        raise InputError("command line", "--edition", str(error)) from None
    density_kgm3 = {
        "kg/m3": float(density),
        "api": float(volume_correction.density_from_api(density)),
        "rd": float(volume_correction.density_from_relative_density(density)),
    }[density_unit]
    temperature_c = float(temperature) if temperature_unit == "C" else float(volume_correction.celsius_from_fahrenheit(temperature))
    pressure_kpa = float(pressure) * {"kPa": 1.0, "bar": 100.0, "psi": 1.0 / volume_correction.PSI_PER_KPA}[pressure_unit]
    try:
        factors = policy.correction_factors(density_kgm3, temperature_c, pressure_kpa, group)
        details = (
            volume_correction.ctpl_at_base(density_kgm3, temperature_c, pressure_kpa, base, group, rounded=False)  # type: ignore[arg-type]
            if edition == "2004"
            else None
        )
    except (volume_correction.OutsideStandardLimits, vcf_1980.OutsideTableRange) as error:
        raise InputError("command line", OPTION_FOR_QUANTITY.get(error.quantity, "--density"), str(error)) from None
    result: dict[str, Any] = {
        "ctl": float(factors.ctl),
        "cpl": float(factors.cpl),
        "ctpl": float(factors.ctpl),
        "group": str(factors.group),
        "table": factors.table,
        "commodity": group,
        "edition": edition,
        "base": base,
        "rounding": policy.rounding,
        "decimals": factors.decimals,
        "method": policy.method(),
        "density_kgm3": density_kgm3,
        "density_unit_given": density_unit,
        "temperature_c": temperature_c,
        "pressure_kpa": pressure_kpa,
    }
    if details is not None:
        at60 = details.at_60f
        result.update(
            density_60f_kgm3=float(at60.density_60f_kgm3),
            t_ipts68_f=float(at60.t_ipts68_f),
            rho_star_kgm3=float(at60.rho_star_kgm3),
            alpha60_per_f=float(at60.alpha60_per_f),
            fp_scaled=float(at60.fp_scaled),
            ctl_unrounded=float(details.ctl),
            cpl_unrounded=float(details.cpl),
        )
    return result


def render_ticket(ticket: Ticket, source: Path, name: str | None) -> Table:
    """A ticket as a rich table: every figure at the decimals its policy gives with its unit in the same cell
    (``1,234.567 m³``; no separate unit column), its rounding, the policy in the caption."""
    title = f"{ticket.kind.capitalize()} ticket" + (f" {name}" if name else "") + f" — {source.name}"
    table = Table(title=title, caption=f"{ticket.policy.method()}\ncommodity {ticket.commodity}, group {ticket.group}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("rounding", justify="right")
    for figure in ticket.figures:
        shown = ticket.policy.shown_decimals(figure.unit, figure.decimals)
        if figure.decimals is not None:
            rounding = f"{figure.decimals} dp"
        elif ticket.policy.rounding == "unrounded":
            rounding = f"unrounded; shown {shown} dp"
        else:
            rounding = f"as given; shown {shown} dp"
        table.add_row(Text(figure.label), figure_text(figure.value, figure.unit, shown), rounding)
    return table


def _ticket_command(kind: str):
    def command(
        file: Path = typer.Argument(..., help=f"{kind} ticket file (JSON; see docs/tickets.md)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object with every figure and the policy."),
    ) -> None:
        ticket = TICKET_READERS[kind](file)
        name = _asset_name(file, kind)
        if as_json:
            print(json_text({"file": str(file), "asset": name, **ticket.as_dict()}))
            return
        console.print(render_ticket(ticket, file, name))
        for flag in ticket.flags:
            console.print(f"[bold red]FLAG:[/] {flag}", highlight=False)

    command.__doc__ = {
        "meter": "Meter ticket (API MPMS 12.2): IV, CTL, CPL, CCF, GSV, NSV, mass and weight in air.",
        "coriolis": "Coriolis mass ticket: mass, derived GSV, weight in air, line-density cross-check.",
        "tank": "Shore tank ticket (API MPMS 12.1.1): TOV, FW, CTSh, FRA, GOV, GSV, NSV, TCV.",
    }[kind]
    return command


def _asset_name(file: Path, kind: str) -> str | None:
    """The meter or tank id of an already validated ticket file."""
    raw = json.loads(file.read_text(encoding="utf-8"))
    return raw.get("tank" if kind == "tank" else "meter")


def register(app: typer.Typer, ticket_app: typer.Typer) -> None:
    """Add the petroleum commands to the main app and to the `ticket` group."""
    app.command("vcf")(vcf)
    for kind in ("meter", "coriolis", "tank"):
        ticket_app.command(kind)(_ticket_command(kind))


__all__ = [
    "OPTION_FOR_QUANTITY",
    "BaseChoice",
    "DensityUnit",
    "EditionChoice",
    "GroupChoice",
    "PressureUnit",
    "TemperatureUnit",
    "register",
    "render_ticket",
    "vcf",
    "volume_correction_report",
]
