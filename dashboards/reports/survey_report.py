"""The surveyor's draft survey report (水尺计重报告): printable HTML laid out like the UN/ECE form.

One column per survey (initial, final, …), one row per figure of the form, in the order of the
calculation, every label in English and Chinese from the one glossary (bulkdaq/wording/glossary.py). The same
form lines drive the CLI's tables, so the screen and the paper show the same figures in the same order,
each at the decimals of the survey's rounding policy (bulkdaq/wording/figure_format.py). A discharge is
labelled as one (卸货) and its cargo written as a positive weight.

The page itself (A4 landscape, bilingual labels, particulars and signatures) is dashboards/reports/report_html.py,
shared with the measurement report for customs (dashboards/reports/measurement_report.py): standard library only,
printable to PDF from any browser.

References
----------
UN/ECE Code (1992), Annex: draught survey report form (the order and grouping of the lines).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from string import Template
from typing import Any, Callable

from bulkdaq.inputs.survey_file import SurveyJob
from bulkdaq.observations.observed_survey import ObservedSurvey
from bulkdaq.wording import glossary
from bulkdaq.wording.figure_format import figure_text, number_text
from bulkdaq.wording.glossary import Label
from bulkdaq.wording.survey_statement import bill_of_lading_cells, cargo_line, constant_note, figure_with_unit
from calculators.survey.inputs import DEDUCTIBLE_KINDS
from calculators.survey.result import ConditionResult, DraftSurveyResult
from calculators.survey.rounding import INPUT_DECIMALS, rounding_policy
from dashboards.reports.observation_tables import STYLE as OBSERVATION_STYLE
from dashboards.reports.observation_tables import observations_html
from dashboards.reports.report_html import bilingual, page, particulars_rows, zh


@dataclass(frozen=True)
class FormLine:
    """One line of the form: how to get the figure from a survey result, its labels and unit.

    `shown` decides from the whole job whether the line is printed (e.g. no keel-plate line for
    extreme tables, no line for a deductible kind that no survey has). `given` marks a line of inputs as
    read (printed at their reading resolution, ``INPUT_DECIMALS``), not computed figures.
    """

    english: str
    chinese: str
    unit: str  # 'm', 't', 't/cm', 't·m/cm', 't/m³' or '' (text)
    value: Callable[[ConditionResult], float | str | None]
    key: str = ""  # the result attribute (and --json key), when the line is one
    shown: Callable[[DraftSurveyResult], bool] = lambda result: True
    given: bool = False


def _labelled(key: str) -> Label:
    return glossary.SURVEY_FORM[key]


def _line(key: str, unit: str, **options: Any) -> FormLine:
    return FormLine(*_labelled(key), unit, lambda result: getattr(result, key), key, **options)


def _pair(which: str) -> Callable[[ConditionResult], str]:
    decimals = INPUT_DECIMALS["m"]
    return lambda result: (
        f"{number_text(getattr(result.marks, which + '_port'), decimals)} / {number_text(getattr(result.marks, which + '_stbd'), decimals)}"
    )


DEDUCTIBLE_LABELS = glossary.DEDUCTIBLES


def _offset(name: str, on_it: str) -> Callable[[ConditionResult], str]:
    def describe(result: ConditionResult) -> str:
        offset = getattr(result, name)
        side = "forward" if offset > 0 else "aft"
        return f"{figure_text(abs(offset), 'm', INPUT_DECIMALS['m'])} {glossary.both(glossary.SIDES[side])}" if offset else glossary.both(_labelled(on_it))

    return describe


def _deductible_line(kind: str) -> FormLine:
    english, chinese = DEDUCTIBLE_LABELS[kind]
    return FormLine(
        english,
        chinese,
        "t",
        lambda result: result.deductibles_by_kind().get(kind),
        shown=lambda job: any(line.kind == kind for survey in job.surveys for line in survey.deductibles),
    )


def _list_correction(result: ConditionResult) -> float | str:
    return glossary.both(_labelled("list_not_applied")) if result.list_tpc_port_t_cm is None else result.list_correction_t


def _section(key: str, lines: tuple[FormLine, ...]) -> tuple[str, str, tuple[FormLine, ...]]:
    return (*glossary.SURVEY_SECTIONS[key], lines)


FORM_SECTIONS: tuple[tuple[str, str, tuple[FormLine, ...]], ...] = (
    _section(
        "readings",
        (
            FormLine(*_labelled("fwd_marks"), "m", _pair("fwd"), given=True),
            FormLine(*_labelled("mid_marks"), "m", _pair("mid"), given=True),
            FormLine(*_labelled("aft_marks"), "m", _pair("aft"), given=True),
            _line("mean_fwd_m", "m"),
            _line("mean_mid_m", "m"),
            _line("mean_aft_m", "m"),
            _line("apparent_trim_m", "m"),
        ),
    ),
    _section(
        "perpendiculars",
        (
            FormLine(*_labelled("fwd_mark_offset_m"), "", _offset("fwd_mark_offset_m", "on_fp")),
            FormLine(*_labelled("mid_mark_offset_m"), "", _offset("mid_mark_offset_m", "on_midships")),
            FormLine(*_labelled("aft_mark_offset_m"), "", _offset("aft_mark_offset_m", "on_ap")),
            _line("length_between_marks_m", "m"),
            _line("fwd_correction_m", "m"),
            _line("mid_correction_m", "m"),
            _line("aft_correction_m", "m"),
            _line("keel_plate_m", "m", shown=lambda job: any(survey.keel_plate_m for survey in job.surveys)),
            _line("corrected_fwd_m", "m"),
            _line("corrected_mid_m", "m"),
            _line("corrected_aft_m", "m"),
            _line("true_trim_m", "m"),
            _line("mean_fore_aft_m", "m"),
            _line("deflection_m", "m"),
            FormLine(*_labelled("deflection"), "", lambda r: glossary.both(glossary.DEFLECTIONS[r.deflection])),
            _line("quarter_mean_m", "m"),
        ),
    ),
    _section(
        "hydrostatics",
        (
            _line("displacement_t", "t"),
            _line("tpc_t_cm", "t/cm"),
            _line("lcf_m", "m"),
            _line("mtc_plus_t_m_cm", "t·m/cm"),
            _line("mtc_minus_t_m_cm", "t·m/cm"),
            _line("mtc_difference_t_m_cm", "t·m/cm"),
        ),
    ),
    _section(
        "corrections",
        (
            _line("first_trim_correction_t", "t"),
            _line("second_trim_correction_t", "t"),
            FormLine(*_labelled("trim_correction_t"), "t", lambda r: r.trim_correction_t),
            FormLine(*_labelled("list_correction_t"), "t", _list_correction, "list_correction_t"),
            _line("displacement_trim_list_corrected_t", "t"),
            _line("table_density_t_m3", "t/m³", given=True),
            _line("dock_density_t_m3", "t/m³", given=True),
            _line("density_correction_t", "t"),
            _line("displacement_density_corrected_t", "t"),
        ),
    ),
    _section(
        "deductibles",
        tuple(_deductible_line(kind) for kind in DEDUCTIBLE_KINDS) + (_line("deductibles_t", "t"), _line("net_displacement_t", "t")),
    ),
)


def format_figure(value: float | str | None, unit: str, rounding: str, *, given: bool = False) -> str:
    """A figure of the form as printed (without its unit, which has its own column): at the decimals the
    survey's rounding policy shows for `unit` (``RoundingPolicy.shown_decimals``), or for an input as
    read (`given`) at its reading resolution. Text is printed as it is; None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    decimals = INPUT_DECIMALS.get(unit, 3) if given else rounding_policy(rounding).shown_decimals(unit)
    return number_text(value, decimals)


def form_rows(result: DraftSurveyResult) -> list[tuple[str, str] | tuple[str, str, str, list[str]]]:
    """The form as rows: a section heading (english, chinese), or (english, chinese, unit, figures) with
    one printed figure per survey."""
    rows: list[tuple[str, str] | tuple[str, str, str, list[str]]] = []
    for english, chinese, lines in FORM_SECTIONS:
        rows.append((english, chinese))
        for line in lines:
            if line.shown(result):
                figures = [format_figure(line.value(survey), line.unit, result.rounding, given=line.given) for survey in result.surveys]
                rows.append((line.english, line.chinese, line.unit, figures))
    return rows


SURVEY_TITLES = glossary.SURVEYS


def survey_title(name: str) -> tuple[str, str]:
    """English and Chinese column title for a survey name."""
    return SURVEY_TITLES.get(name, (name.replace("_", " ").capitalize(), ""))


_STYLE = """
  h1 .zh, th .zh, td .zh, h2 .zh { color: #333; }
  table.form td.figure, table.summary td.figure, table.deductibles td.figure { text-align: right;
         font-variant-numeric: tabular-nums; white-space: nowrap; }
  table.form td.unit { color: #555; white-space: nowrap; }
  tr.section td { background: #e8ecf2; font-weight: bold; }
  tr.key td { font-weight: bold; }
  .zh { display: inline; margin-left: .4em; }
  .warnings li { color: #8a1c00; }
  .muted { color: #555; font-size: 9pt; }
"""
_BODY = Template(
    """
<h1>$title</h1>
<table class="particulars">$particulars</table>

<h2>$survey_figures</h2>
<table class="form">
<thead><tr><th>$item</th><th>$unit</th>$survey_heads</tr></thead>
<tbody>
$form_body
</tbody>
</table>

<h2>$result_title</h2>
<table class="summary">$summary</table>

$deductible_details

$observations

<h2>$warnings_title</h2>
$warnings

<p class="muted">$method_label: $method<br>
$rounding_label: <b>$rounding</b> — $rounding_description<br>
$signs_label: trim + by the stern 尾倾为正; LCF from midships, + aft 漂心向尾为正;
deflection + sag 中垂为正.<br>
$source_label: $source · $generated_label $generated</p>
"""
)
SIGNATORIES = tuple(glossary.SIGNATORIES[key] for key in ("surveyor", "master", "customs"))


def render_report(job: SurveyJob, result: DraftSurveyResult, generated: datetime | None = None, observed: ObservedSurvey | None = None) -> str:
    """The report as one self-contained HTML page (no scripts, no external files).

    Parameters
    ----------
    job : SurveyJob
        The validated input (vessel particulars, readings, free-text job details).
    result : DraftSurveyResult
        The computed survey.
    generated : datetime, optional
        Time printed on the report (default: now, UTC).
    observed : ObservedSurvey, optional
        The observations behind the marks, when they were observed (drone, camera, draft sensors).

    Returns
    -------
    str
        HTML.
    """
    generated = generated or datetime.now(timezone.utc)
    vessel = job.vessel
    labels = glossary.SURVEY_PARTICULARS
    particulars = [
        (*labels["vessel"], job.vessel_name or "—"),
        (*labels["operation"], glossary.both(glossary.OPERATIONS[result.operation])),
        (*labels["lbp"], figure_text(vessel.lbp_m, "m", INPUT_DECIMALS["m"])),
        (*labels["table_density"], figure_text(vessel.table_density_t_m3, "t/m³", INPUT_DECIMALS["t/m³"])),
        (*labels["keel_plate"], figure_text(vessel.keel_plate_mm, "mm", INPUT_DECIMALS["mm"])),
        (*labels["lcf_convention"], job.lcf_convention),
        (*labels["mean_method"], result.mean_method),
    ]
    if vessel.breadth_m is not None:
        particulars.insert(3, (*labels["breadth"], figure_text(vessel.breadth_m, "m", INPUT_DECIMALS["m"])))
    for key, value in job.job_details.items():
        particulars.append((key.replace("_", " ").capitalize(), "", value))
    if job.sha256:
        particulars.append((*labels["source_sha256"], job.sha256))
    if observed is not None:
        particulars.append((*labels["observed_marks"], "; ".join(
            f"{name}: {glossary.both(glossary.OBSERVATION_SOURCES.get(s.source, (s.source, '')))}, {Path(s.origin).name if s.sha256 else s.origin}"
            for name, s in observed.sessions.items()
        )))

    heads = []
    for survey in result.surveys:
        english, chinese = survey_title(survey.name)
        details = job.survey_details.get(survey.name, {})
        extra = "".join(f'<br><span class="muted">{html.escape(v)}</span>' for v in details.values())
        source = "" if survey.table_source == "vessel table" else f'<br><span class="muted">{html.escape(glossary.both(_labelled("surveyor_readings")))}</span>'
        heads.append(f"<th>{bilingual(english, chinese)}{extra}{source}</th>")

    body = []
    key_lines = {_labelled(key)[0] for key in ("net_displacement_t", "displacement_density_corrected_t", "quarter_mean_m")}
    for row in form_rows(result):
        if len(row) == 2:
            body.append(f'<tr class="section"><td colspan="{2 + len(result.surveys)}">{bilingual(*row)}</td></tr>')
            continue
        english, chinese, unit, figures = row
        css = ' class="key"' if english in key_lines else ""
        cells = "".join(f'<td class="figure">{html.escape(figure)}</td>' for figure in figures)
        body.append(f'<tr{css}><td>{bilingual(english, chinese)}</td><td class="unit">{html.escape(unit)}</td>{cells}</tr>')

    summary = []
    cargo = cargo_line(result)
    if cargo is not None:
        summary.append(cargo)
    if result.constant_t is not None:
        summary.append((*glossary.TERMS["constant"], figure_with_unit(result.constant_t, "t", result.rounding), constant_note(result)))
    if result.bill_of_lading_t is not None:
        summary.append((*glossary.TERMS["bill_of_lading_weight"], *bill_of_lading_cells(result)))
    summary_html = "\n".join(
        f'<tr class="key"><td>{bilingual(en, chinese)}</td><td class="figure">{html.escape(value)}</td><td>{html.escape(note)}</td></tr>'
        for en, chinese, value, note in summary
    )

    detail_rows = []
    for survey in result.surveys:
        for line in survey.deductibles:
            english, chinese = DEDUCTIBLE_LABELS[line.kind]
            detail_rows.append(
                "<tr>"
                f"<td>{html.escape(survey_title(survey.name)[0])}</td><td>{bilingual(english, chinese)}</td>"
                f"<td>{html.escape(line.name)}</td>"
                f'<td class="figure">{"" if line.volume_m3 is None else number_text(line.volume_m3, INPUT_DECIMALS["m³"])}</td>'
                f'<td class="figure">{"" if line.density_t_m3 is None else number_text(line.density_t_m3, INPUT_DECIMALS["t/m³"])}</td>'
                f'<td class="figure">{format_figure(line.weight_t, "t", result.rounding)}</td>'
                "</tr>"
            )
    terms = glossary.TERMS
    deductible_details = ""
    if detail_rows:
        deductible_details = (
            f'<h2>{bilingual(*terms["deductibles_detail"])}</h2>\n<table class="deductibles">'
            f"<thead><tr><th>{bilingual(*terms['survey'])}</th><th>{bilingual(*terms['kind'])}</th><th>{bilingual(*terms['tank_item'])}</th>"
            f"<th>{bilingual(*terms['volume'])} m³</th><th>{bilingual(*terms['density'])} t/m³</th><th>{bilingual(*terms['weight'])} t</th></tr></thead>"
            f"<tbody>{''.join(detail_rows)}</tbody></table>"
        )

    if result.warnings:
        warnings_html = '<ul class="warnings">' + "".join(f"<li>{html.escape(w.message)}</li>" for w in result.warnings) + "</ul>"
    else:
        warnings_html = f"<p>{bilingual(*terms['none'])}</p>"

    title_en, title_zh = glossary.SURVEY_REPORT
    operation_en, operation_zh = glossary.OPERATIONS[result.operation]
    page_body = _BODY.substitute(
        title=f"{html.escape(title_en)} — {html.escape(operation_en)} {zh(title_zh + '（' + operation_zh + '）')}"
        + ("" if observed is None or not observed.preliminary else f" — {bilingual(*glossary.OBSERVATION_STATUS['preliminary reading, not a figure'])}"),
        particulars=particulars_rows(particulars),
        survey_figures=bilingual(*terms["survey_figures"]),
        item=bilingual(*terms["item"]),
        unit=bilingual(*terms["unit"]),
        survey_heads="".join(heads),
        form_body="\n".join(body),
        result_title=bilingual(*terms["result"]),
        summary=summary_html,
        deductible_details=deductible_details,
        observations="" if observed is None else observations_html(
            [session.as_document() for session in observed.sessions.values()], observed.uncertainty.as_document()
        ),
        warnings_title=bilingual(*terms["warnings"]),
        warnings=warnings_html,
        method_label=bilingual(*terms["method"]),
        method=html.escape(result.method),
        rounding_label=bilingual(*terms["rounding"]),
        rounding=html.escape(result.rounding),
        rounding_description=html.escape(result.rounding_description),
        signs_label=bilingual(*terms["sign_conventions"]),
        source_label=bilingual(*terms["source_file"]),
        source=html.escape(job.source),
        generated_label=bilingual(*terms["generated"]),
        generated=f"{generated:%Y-%m-%d %H:%M} UTC",
    )
    title = f"{title_en} ({operation_en}) {job.vessel_name} — {title_zh}（{operation_zh}）"
    return page(title, page_body, orientation="landscape", font_size="10.5pt", style=_STYLE + OBSERVATION_STYLE, signatories=SIGNATORIES)


def write_report(job: SurveyJob, result: DraftSurveyResult, path: str | Path, observed: ObservedSurvey | None = None) -> Path:
    """Write the HTML report to `path` (UTF-8) and return the path."""
    target = Path(path)
    target.write_text(render_report(job, result, observed=observed), encoding="utf-8")
    return target


__all__ = [
    "DEDUCTIBLE_LABELS",
    "FORM_SECTIONS",
    "SIGNATORIES",
    "SURVEY_TITLES",
    "FormLine",
    "form_rows",
    "format_figure",
    "render_report",
    "survey_title",
    "write_report",
]
