"""`bulkdaq`: the command line. Each sub-command group lives in its own module of this package."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.text import Text

from bulkdaq import __version__
from bulkdaq.cli import dashboards, office, officer, opcua, petroleum, shipment, survey, yard
from bulkdaq.cli.collect import collect
from bulkdaq.cli.demo import demo
from bulkdaq.cli.evidence import evidence_app
from bulkdaq.cli.simulate import simulate_app
from bulkdaq.cli.ticket import ticket_app
from bulkdaq.errors import BulkdaqError

app = typer.Typer(
    name="bulkdaq",
    help="Metering and cargo verification at bulk terminals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Help texts are printed as written: units in square brackets ("[t/h]", "[[opcua.servers.nodes]]") are
    # text, not rich markup (which would swallow them). One setting here covers every sub-command.
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"bulkdaq {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
) -> None:
    pass


app.command()(collect)
app.command()(demo)
app.add_typer(ticket_app, name="ticket")
app.add_typer(simulate_app, name="simulate")
app.add_typer(survey.survey_app, name="survey")
app.add_typer(evidence_app, name="evidence")
app.add_typer(officer.officer_app, name="officer")
app.add_typer(office.office_app, name="office")
petroleum.register(app, ticket_app)
opcua.register(app, simulate_app)
dashboards.register(app)
shipment.register(app)
yard.register(app)

error_console = Console(stderr=True, soft_wrap=True)


def run() -> None:
    """Console-script entry point: an error a person can act on (`BulkdaqError`: bad input, a refused step, a store
    that does not answer) is reported in one line with exit code 2, never as a traceback; anything else is a bug
    and keeps its traceback."""
    try:
        app()
    except BulkdaqError as error:
        # The message is printed as it is: never read as console markup ("[opcua.servers]") or emoji codes
        # (a fingerprint's ":CD:" became a picture of a CD).
        error_console.print(Text.assemble(("error:", "bold red"), " ", str(error)), highlight=False)
        sys.exit(2)


__all__ = [
    "app",
    "error_console",
    "run",
]


if __name__ == "__main__":
    run()
