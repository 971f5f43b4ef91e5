"""CLI for surveys: `bulkdaq survey draft FILE.json [--json] [--report OUT.html]`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from bulkdaq.cli.json_output import json_text
from bulkdaq.errors import InputError
from bulkdaq.inputs.survey_file import SurveyJob, load_survey_file
from bulkdaq.wording import glossary
from bulkdaq.wording.survey_statement import bill_of_lading_cells, cargo_line, constant_note, figure_with_unit
from calculators.survey.result import DraftSurveyResult
from dashboards.reports.survey_report import form_rows, survey_title, write_report

survey_app = typer.Typer(help="Surveys: draft survey (水尺计重).", no_args_is_help=True)


def result_as_json(job: SurveyJob, result: DraftSurveyResult) -> dict[str, Any]:
    """The machine-readable result: every figure of every survey at full float precision (already
    rounded where the policy rounds), plus cargo, constant and warnings."""
    surveys = {}
    for survey in result.surveys:
        figures = asdict(survey)
        figures.pop("name")
        figures["deductibles_by_kind_t"] = survey.deductibles_by_kind()
        figures["deductible_lines"] = figures.pop("deductibles")
        figures["trim_correction_t"] = survey.trim_correction_t
        surveys[survey.name] = figures
    return {
        "source": job.source,
        "vessel": job.vessel_name,
        "method": result.method,
        "rounding": result.rounding,
        "rounding_description": result.rounding_description,
        "mean_method": result.mean_method,
        "lcf_convention_input": job.lcf_convention,
        "lcf_convention_output": "midship_aft_positive",
        "surveys": surveys,
        "sha256": job.sha256,
        "operation": result.operation,
        "cargo_from": result.cargo_from,
        "cargo_to": result.cargo_to,
        "cargo_t": result.cargo_t,
        "cargo_weight_t": result.cargo_weight_t,
        "lightship_t": result.lightship_t,
        "constant_survey": result.constant_survey,
        "constant_t": result.constant_t,
        "declared_constant_t": result.declared_constant_t,
        "bill_of_lading_t": result.bill_of_lading_t,
        "bill_of_lading_difference_pct": result.bill_of_lading_difference_pct,
        "warnings": [asdict(warning) for warning in result.warnings],
    }


def _print_tables(console: Console, job: SurveyJob, result: DraftSurveyResult) -> None:
    operation = glossary.both(glossary.OPERATIONS[result.operation])
    table = Table(
        title=f"{glossary.both(glossary.DRAFT_SURVEY)} ({operation}) — {job.vessel_name or job.source}",
        caption=f"rounding: {result.rounding} · mean: {result.mean_method} · trim + by the stern · LCF + aft of midships",
        show_lines=False,
    )
    table.add_column("item", no_wrap=True)
    table.add_column("项目", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    for survey in result.surveys:
        english, chinese = survey_title(survey.name)
        table.add_column(f"{english} {chinese}".strip(), justify="right", no_wrap=True)
    bold = {glossary.SURVEY_FORM[key][0] for key in ("net_displacement_t", "displacement_density_corrected_t")}
    for row in form_rows(result):
        if len(row) == 2:
            table.add_section()
            table.add_row(f"[bold]{row[0]}[/]", f"[bold]{row[1]}[/]", "", *["" for _ in result.surveys])
            continue
        english, chinese, unit, figures = row
        table.add_row(english, chinese, unit, *figures, style="bold" if english in bold else None)
    console.print(table)

    summary = Table(show_header=False, box=None)
    summary.add_column()
    summary.add_column(justify="right")
    summary.add_column()
    cargo = cargo_line(result)
    if cargo is not None:
        english, chinese, figure, how = cargo
        summary.add_row(f"[bold]{english} {chinese}[/]", f"[bold]{figure}[/]", how)
    if result.constant_t is not None:
        summary.add_row(glossary.both(glossary.TERMS["constant"]), figure_with_unit(result.constant_t, "t", result.rounding), constant_note(result))
    if result.bill_of_lading_t is not None:
        summary.add_row(glossary.both(glossary.TERMS["bill_of_lading_weight"]), *bill_of_lading_cells(result))
    console.print(summary)
    if result.warnings:
        console.print("[bold yellow]Warnings 警告[/]")
        for warning in result.warnings:
            console.print(f"  [yellow]•[/] {warning.message}", highlight=False)
    else:
        console.print("No warnings 无警告")


@survey_app.command("draft")
def draft(
    file: Path = typer.Argument(..., help="Survey job file (JSON; see docs/draft_survey.md)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    report: Optional[Path] = typer.Option(None, "--report", help="Also write the surveyor's HTML report here."),
) -> None:
    """Draft survey (水尺计重): every intermediate figure per survey, the cargo, the constant, warnings."""
    job = load_survey_file(file)
    result = job.compute()
    if report is not None:
        try:
            write_report(job, result, report)
        except OSError as error:
            raise InputError(str(report), "--report", f"cannot write the report: {error.strerror or error}") from None
    if as_json:
        typer.echo(json_text(result_as_json(job, result)))
        return
    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 150))  # piped or captured: do not squeeze the form
    _print_tables(console, job, result)
    if report is not None:
        console.print(f"report written to {report}")


@survey_app.callback()
def _surveys() -> None:
    """Surveys: draft survey (水尺计重)."""


__all__ = [
    "draft",
    "result_as_json",
    "survey_app",
]
