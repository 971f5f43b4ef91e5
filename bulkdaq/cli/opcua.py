"""CLI for OPC UA: `bulkdaq opcua browse`, `bulkdaq certs create`, `bulkdaq simulate plant`."""

from __future__ import annotations

import typer


def register(app: typer.Typer, simulate_app: typer.Typer) -> None:
    """Add the OPC UA commands to the main app and to the `simulate` group."""
