"""CLI for surveys: `bulkdaq survey draft FILE.json`."""

from __future__ import annotations

import typer

survey_app = typer.Typer(help="Surveys: draft survey (水尺计重).", no_args_is_help=True)
