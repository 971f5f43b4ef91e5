"""CLI for petroleum measurement: `bulkdaq vcf` and the file tickets `bulkdaq ticket meter|coriolis|tank`."""

from __future__ import annotations

import typer


def register(app: typer.Typer, ticket_app: typer.Typer) -> None:
    """Add the petroleum commands to the main app and to the `ticket` group."""
