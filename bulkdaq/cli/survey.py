"""CLI for surveys: `bulkdaq survey draft FILE.json [--observed OBS.json …] [--json] [--report OUT.html]` and
`bulkdaq survey observe OBS.json | --site SITE.toml --vessel V --survey S --from T --to T`."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from bulkdaq.cli.json_output import json_text
from bulkdaq.cli.step_options import required_moment
from bulkdaq.config.observation_policy import DEFAULT_POLICY, ObservationPolicy, load_observation_policy
from bulkdaq.config.site_file import LoadedSite, load_site
from bulkdaq.errors import InputError
from bulkdaq.inputs.observation_file import SOURCES, load_observation_file
from bulkdaq.inputs.survey_file import SurveyJob, load_survey_file
from bulkdaq.observations.draft_feed import session_from_site
from bulkdaq.observations.observed_survey import ObservedSurvey, observed_survey
from bulkdaq.observations.session import ObservationSession, session_from_file
from bulkdaq.wording import glossary
from bulkdaq.wording.observation_statement import ROW_HEADS, density_line, session_rows, session_title, uncertainty_lines, verdict_line
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


def observed_as_json(observation: ObservedSurvey) -> dict[str, Any]:
    """What observation adds to the survey's JSON: each session, the status and the cargo's uncertainty."""
    uncertainty = observation.uncertainty
    return {
        "status": "preliminary" if observation.preliminary else "figure",
        "preliminary_reasons": list(observation.reasons),
        "observations": {name: session.as_document() for name, session in observation.sessions.items()},
        "uncertainty": uncertainty.as_document(),
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


def _wide_console() -> Console:
    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 150))  # piped or captured: do not squeeze the form
    return console


def observation_policy(path: Path | None, site: LoadedSite | None = None) -> ObservationPolicy:
    """The limits of --policy FILE, else the site file's [draft_observation], else the defaults."""
    if path is not None:
        return load_observation_policy(path)
    return DEFAULT_POLICY if site is None else site.config.draft_observation


def _print_session(console: Console, session: ObservationSession) -> None:
    document = session.as_document()
    table = Table(title=session_title(document), caption=f"{session.origin}" + (f" · SHA-256 {session.sha256}" if session.sha256 else ""))
    for i, (english, chinese) in enumerate(ROW_HEADS):
        table.add_column(f"{english}\n{chinese}", justify="left" if i in (0, 7) else "right")
    for row in session_rows(document):
        table.add_row(*row)
    console.print(table)
    density = density_line(document)
    if density is not None:
        console.print(f"{glossary.both(glossary.OBSERVATION_TERMS['dock_density'])}: {density}", highlight=False)
    style = "bold green" if session.fit else "bold yellow"
    console.print(f"[{style}]{verdict_line(document)}[/]")
    for reason in session.reasons:
        console.print(f"  [yellow]•[/] {reason}", highlight=False)


def _print_uncertainty(console: Console, observed: ObservedSurvey) -> None:
    for english, chinese, text in uncertainty_lines(observed.uncertainty.as_document()):
        console.print(f"{english} {chinese}: {text}", highlight=False)


SurveyOption = typer.Option(None, "--survey", help="The survey observed (initial, draft_check, final …): for a CSV file and the feed.")
SURVEY_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
CsvSourceOption = typer.Option(None, "--source", help=f"What observed, for a CSV observation file: {', '.join(SOURCES)}.")
CsvObserverOption = typer.Option(None, "--observer", help="Who observed, for a CSV observation file without an observer column.")
PolicyOption = typer.Option(None, "--policy", help="TOML file with a draft_observation table of limits (default: the site file's, else those of docs/draft_observation.md).")


@survey_app.command("observe")
def observe(
    file: Optional[Path] = typer.Argument(None, help="Observation file, JSON or CSV (docs/draft_observation.md); or use --site for the plant's draft feed."),
    survey: Optional[str] = SurveyOption,
    vessel: Optional[str] = typer.Option(None, "--vessel", help="The vessel: for a CSV file, and the feed's vessel tag."),
    source: Optional[str] = CsvSourceOption,
    observer: Optional[str] = CsvObserverOption,
    site: Optional[Path] = typer.Option(None, "--site", help="Site file: read the plant's draft feed from its InfluxDB instead of a file."),
    start: Optional[str] = typer.Option(None, "--from", help="Start of the feed's window (ISO 8601 with a time zone)."),
    end: Optional[str] = typer.Option(None, "--to", help="End of the feed's window (ISO 8601 with a time zone, or now)."),
    policy: Optional[Path] = PolicyOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
) -> None:
    """Draft observation (水尺观测): each mark's reading over whole wave periods, its spread and uncertainty.

    Exit code 0 when the session is fit to give the survey its marks, 1 when it is only a preliminary
    reading (the reasons are printed), 2 for bad input.
    """
    loaded = None if site is None else load_site(site)
    limits = observation_policy(policy, loaded)
    if (file is None) == (site is None):
        raise InputError("command line", "FILE, --site", "give an observation file or --site (the plant's draft feed), one of them")
    if file is not None:
        session = session_from_file(load_observation_file(file, survey=survey, vessel=vessel, source=source, observer=observer), limits)
    else:
        missing = [name for name, value in (("--vessel", vessel), ("--survey", survey), ("--from", start), ("--to", end)) if value is None]
        if missing:
            raise InputError("command line", ", ".join(missing), "required to read the draft feed (--site)")
        window = required_moment(start, "--from"), required_moment(end, "--to")  # type: ignore[arg-type]
        if not window[0] < window[1]:
            raise InputError("command line", "--from, --to", f"the window must start before it ends: {start} is not before {end}")
        session = session_from_site(loaded, vessel, survey, *window, limits)  # type: ignore[arg-type]
    if as_json:
        typer.echo(json_text(session.as_document()))
    else:
        _print_session(_wide_console(), session)
    raise typer.Exit(0 if session.fit else 1)


def observed_sessions(
    paths: list[str], limits: ObservationPolicy, job: SurveyJob, source: str | None = None, observer: str | None = None
) -> list[ObservationSession]:
    """The sessions of --observed [SURVEY=]FILE options; a CSV file's vessel is the job's, its source
    and observer those of --source and --observer."""
    sessions = []
    for given in paths:
        survey, separator, path = given.partition("=")
        if not separator or not SURVEY_NAME.fullmatch(survey):
            survey, path = "", given  # no SURVEY= before the file (a path may itself hold '=')
        file = Path(path)
        extra = {"vessel": job.vessel_name, "source": source, "observer": observer} if file.suffix.lower() == ".csv" else {}
        sessions.append(session_from_file(load_observation_file(file, survey=survey or None, **extra), limits))
    return sessions


@survey_app.command("draft")
def draft(
    file: Path = typer.Argument(..., help="Survey job file (JSON; see docs/draft_survey.md)."),
    observed: list[str] = typer.Option([], "--observed", help="Observation file of a survey ([SURVEY=]FILE, repeatable): its marks replace the job file's."),
    source: Optional[str] = CsvSourceOption,
    observer: Optional[str] = CsvObserverOption,
    site: Optional[Path] = typer.Option(None, "--site", help="Site file whose draft_observation table gives the limits."),
    policy: Optional[Path] = PolicyOption,
    allow_preliminary: bool = typer.Option(False, "--allow-preliminary", help="Compute from observations that are only preliminary readings (the result says so)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    report: Optional[Path] = typer.Option(None, "--report", help="Also write the surveyor's HTML report here."),
) -> None:
    """Draft survey (水尺计重): every intermediate figure per survey, the cargo, the constant, warnings;
    with --observed, the observations behind each mark and the cargo's uncertainty."""
    job = load_survey_file(file)
    observation = None
    if observed:
        limits = observation_policy(policy, None if site is None else load_site(site))
        observation = observed_survey(job, observed_sessions(observed, limits, job, source, observer), limits, allow_preliminary=allow_preliminary)
        job, result = observation.job, observation.result
    else:
        result = job.compute()
    if report is not None:
        try:
            write_report(job, result, report, observed=observation)
        except OSError as error:
            raise InputError(str(report), "--report", f"cannot write the report: {error.strerror or error}") from None
    if as_json:
        document = result_as_json(job, result)
        if observation is not None:
            document.update(observed_as_json(observation))
        typer.echo(json_text(document))
        return
    console = _wide_console()
    _print_tables(console, job, result)
    if observation is not None:
        for session in observation.sessions.values():
            _print_session(console, session)
        _print_uncertainty(console, observation)
    if report is not None:
        console.print(f"report written to {report}")


@survey_app.callback()
def _surveys() -> None:
    """Surveys: draft survey (水尺计重)."""


__all__ = [
    "draft",
    "observation_policy",
    "observe",
    "observed_as_json",
    "observed_sessions",
    "result_as_json",
    "survey_app",
]
