"""CLI for Grafana dashboards: `bulkdaq dashboards build OUTDIR` (and optionally `push`)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `dashboards` command group to the main app."""
