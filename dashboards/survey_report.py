"""The surveyor's draft survey report (水尺计重报告): printable HTML laid out like the UN/ECE form.

One column per survey (initial, final, …), one row per figure of the form, in the order of the
calculation, every label in English and Chinese. The same form lines drive the CLI's tables, so the
screen and the paper show the same figures in the same order.

The page itself (A4 landscape, bilingual labels, particulars and signatures) is dashboards/report_html.py,
shared with the weight certificate: standard library only, printable to PDF from any browser.

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

from bulkdaq.survey_file import SurveyJob
from calculators.draft_survey import DEDUCTIBLE_KINDS, ConditionResult, DraftSurveyResult
from dashboards.report_html import bilingual, page, particulars_rows, zh


@dataclass(frozen=True)
class FormLine:
    """One line of the form: how to get the figure from a survey result, its labels and unit.

    `shown` decides from the whole job whether the line is printed (e.g. no keel-plate line for
    extreme tables, no line for a deductible kind that no survey has).
    """

    english: str
    chinese: str
    unit: str  # 'm', 't', 't/cm', 't·m/cm', 't/m³' or '' (text)
    value: Callable[[ConditionResult], float | str | None]
    key: str = ""  # the result attribute (and --json key), when the line is one
    shown: Callable[[DraftSurveyResult], bool] = lambda result: True


def _line(key: str, english: str, chinese: str, unit: str, **options: Any) -> FormLine:
    return FormLine(english, chinese, unit, lambda result: getattr(result, key), key, **options)


def _pair(which: str) -> Callable[[ConditionResult], str]:
    return lambda result: f"{getattr(result.marks, which + '_port'):.3f} / {getattr(result.marks, which + '_stbd'):.3f}"


DEDUCTIBLE_LABELS = {
    "ballast": ("Ballast water", "压载水"),
    "fresh_water": ("Fresh water", "淡水"),
    "fuel_oil": ("Fuel oil", "燃油"),
    "diesel_oil": ("Diesel oil", "柴油"),
    "lube_oil": ("Lube oil", "润滑油"),
    "other": ("Others", "其他"),
}
DEFLECTION_LABELS = {"hog": "hog 中拱", "sag": "sag 中垂", "none": "none 无"}
SIDE_LABELS = {"forward": "fwd 前", "aft": "aft 后"}


def _offset(name: str, on_it: str) -> Callable[[ConditionResult], str]:
    def describe(result: ConditionResult) -> str:
        offset = getattr(result, name)
        side = "forward" if offset > 0 else "aft"
        return f"{abs(offset):.3f} m {SIDE_LABELS[side]}" if offset else on_it

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
    return "not applied 未校正" if result.list_tpc_port_t_cm is None else result.list_correction_t


FORM_SECTIONS: tuple[tuple[str, str, tuple[FormLine, ...]], ...] = (
    (
        "Draft readings",
        "吃水读数",
        (
            FormLine("Forward port / stbd", "首吃水 左 / 右", "m", _pair("fwd")),
            FormLine("Midship port / stbd", "中吃水 左 / 右", "m", _pair("mid")),
            FormLine("Aft port / stbd", "尾吃水 左 / 右", "m", _pair("aft")),
            _line("mean_fwd_m", "Mean forward draft", "首吃水平均", "m"),
            _line("mean_mid_m", "Mean midship draft", "中吃水平均", "m"),
            _line("mean_aft_m", "Mean aft draft", "尾吃水平均", "m"),
            _line("apparent_trim_m", "Apparent trim (+ by the stern)", "表观纵倾（尾倾为正）", "m"),
        ),
    ),
    (
        "Perpendicular corrections",
        "首尾中垂线校正",
        (
            FormLine("Forward mark from FP", "首水尺距首垂线", "", _offset("fwd_mark_offset_m", "on FP 在首垂线")),
            FormLine("Midship mark from midships", "中水尺距船中", "", _offset("mid_mark_offset_m", "on midships 在船中")),
            FormLine("Aft mark from AP", "尾水尺距尾垂线", "", _offset("aft_mark_offset_m", "on AP 在尾垂线")),
            _line("length_between_marks_m", "Length between marks", "首尾水尺间距", "m"),
            _line("fwd_correction_m", "Forward correction", "首吃水校正值", "m"),
            _line("mid_correction_m", "Midship correction", "中吃水校正值", "m"),
            _line("aft_correction_m", "Aft correction", "尾吃水校正值", "m"),
            _line(
                "keel_plate_m", "Keel plate (moulded tables)", "龙骨板厚度（型吃水表）", "m",
                shown=lambda job: any(survey.keel_plate_m for survey in job.surveys),
            ),
            _line("corrected_fwd_m", "Corrected forward draft", "校正后首吃水", "m"),
            _line("corrected_mid_m", "Corrected midship draft", "校正后中吃水", "m"),
            _line("corrected_aft_m", "Corrected aft draft", "校正后尾吃水", "m"),
            _line("true_trim_m", "True trim (+ by the stern)", "实际纵倾（尾倾为正）", "m"),
            _line("mean_fore_aft_m", "Mean of forward and aft", "首尾平均吃水", "m"),
            _line("deflection_m", "Deflection (+ sag, − hog)", "拱垂值（垂为正，拱为负）", "m"),
            FormLine("Hog / sag", "中拱 / 中垂", "", lambda r: DEFLECTION_LABELS[r.deflection]),
            _line("quarter_mean_m", "Mean draft for tables (quarter mean)", "拱垂校正后平均吃水", "m"),
        ),
    ),
    (
        "Hydrostatics at the mean draft",
        "静水力表查值",
        (
            _line("displacement_t", "Displacement (table density)", "排水量（表载密度）", "t"),
            _line("tpc_t_cm", "TPC", "每厘米吃水吨数", "t/cm"),
            _line("lcf_m", "LCF from midships (+ aft)", "漂心距船中（向尾为正）", "m"),
            _line("mtc_plus_t_m_cm", "MTC at mean + 0.5 m", "平均吃水 +0.5 m 厘米纵倾力矩", "t·m/cm"),
            _line("mtc_minus_t_m_cm", "MTC at mean − 0.5 m", "平均吃水 −0.5 m 厘米纵倾力矩", "t·m/cm"),
            _line("mtc_difference_t_m_cm", "MTC difference", "厘米纵倾力矩差", "t·m/cm"),
        ),
    ),
    (
        "Trim, list and density corrections",
        "纵倾、横倾及港水密度校正",
        (
            _line("first_trim_correction_t", "First trim correction", "第一纵倾校正", "t"),
            _line("second_trim_correction_t", "Second trim correction (Nemoto)", "第二纵倾校正", "t"),
            FormLine("Trim correction", "纵倾校正", "t", lambda r: r.trim_correction_t),
            FormLine("List correction", "横倾校正", "t", _list_correction, "list_correction_t"),
            _line("displacement_trim_list_corrected_t", "Displacement corrected for trim and list", "纵倾横倾校正后排水量", "t"),
            _line("table_density_t_m3", "Table density", "表载密度", "t/m³"),
            _line("dock_density_t_m3", "Dock water density", "港水密度", "t/m³"),
            _line("density_correction_t", "Density correction", "港水密度校正", "t"),
            _line("displacement_density_corrected_t", "Displacement corrected for density", "密度校正后排水量", "t"),
        ),
    ),
    (
        "Deductibles",
        "扣除量",
        tuple(_deductible_line(kind) for kind in DEDUCTIBLE_KINDS)
        + (
            _line("deductibles_t", "Total deductibles", "扣除量合计", "t"),
            _line("net_displacement_t", "Net displacement", "净排水量", "t"),
        ),
    ),
)

UNIT_DECIMALS = {"m": 4, "t": 3, "t/cm": 3, "t·m/cm": 3, "t/m³": 4, "mm": 0}


def format_figure(value: float | str | None, unit: str, rounding: str) -> str:
    """A figure as printed: 3 decimals under 'unece-3dp' (the form's own digits), else by unit."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    decimals = 3 if rounding == "unece-3dp" and unit in ("m", "t", "t/cm", "t·m/cm") else UNIT_DECIMALS.get(unit, 3)
    text = f"{value:,.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and float(value) == 0 else text


def form_rows(result: DraftSurveyResult) -> list[tuple[str, str] | tuple[str, str, str, list[str]]]:
    """The form as rows: a section heading (english, chinese), or (english, chinese, unit, figures) with
    one printed figure per survey."""
    rows: list[tuple[str, str] | tuple[str, str, str, list[str]]] = []
    for english, chinese, lines in FORM_SECTIONS:
        rows.append((english, chinese))
        for line in lines:
            if line.shown(result):
                figures = [format_figure(line.value(survey), line.unit, result.rounding) for survey in result.surveys]
                rows.append((line.english, line.chinese, line.unit, figures))
    return rows


SURVEY_TITLES = {
    "initial": ("Initial", "初始"),
    "final": ("Final", "最终"),
    "draft_check": ("Draft check", "中途核查"),
    "intermediate": ("Intermediate", "中途"),
}


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
<h1>Draft survey report <span class="zh">水尺计重报告</span></h1>
<table class="particulars">$particulars</table>

<h2>Survey figures <span class="zh">计算过程</span></h2>
<table class="form">
<thead><tr><th>Item <span class="zh">项目</span></th><th>Unit <span class="zh">单位</span></th>$survey_heads</tr></thead>
<tbody>
$form_body
</tbody>
</table>

<h2>Result <span class="zh">结果</span></h2>
<table class="summary">$summary</table>

$deductible_details

<h2>Warnings <span class="zh">警告</span></h2>
$warnings

<p class="muted">Method <span class="zh">方法</span>: $method<br>
Rounding <span class="zh">修约规则</span>: <b>$rounding</b> — $rounding_description<br>
Sign conventions <span class="zh">符号约定</span>: trim + by the stern 尾倾为正; LCF from midships, + aft 漂心向尾为正;
deflection + sag 中垂为正.<br>
Source file <span class="zh">数据文件</span>: $source · generated <span class="zh">生成时间</span> $generated</p>
"""
)
SIGNATORIES = (("Surveyor", "检验员"), ("Master / Chief officer", "船长／大副"), ("Customs officer", "海关关员"))


def render_report(job: SurveyJob, result: DraftSurveyResult, generated: datetime | None = None) -> str:
    """The report as one self-contained HTML page (no scripts, no external files).

    Parameters
    ----------
    job : SurveyJob
        The validated input (vessel particulars, readings, free-text job details).
    result : DraftSurveyResult
        The computed survey.
    generated : datetime, optional
        Time printed on the report (default: now, UTC).

    Returns
    -------
    str
        HTML.
    """
    generated = generated or datetime.now(timezone.utc)
    vessel = job.vessel
    particulars = [
        ("Vessel", "船名", job.vessel_name or "—"),
        ("Length between perpendiculars", "垂线间长", f"{vessel.lbp_m:g} m"),
        ("Table density", "表载密度", f"{vessel.table_density_t_m3:g} t/m³"),
        ("Keel plate", "龙骨板厚度", f"{vessel.keel_plate_mm:g} mm"),
        ("LCF convention in the tables", "漂心位置表示方法", job.lcf_convention),
        ("Mean draft method", "平均吃水计算方法", result.mean_method),
    ]
    if vessel.breadth_m is not None:
        particulars.insert(2, ("Breadth", "型宽", f"{vessel.breadth_m:g} m"))
    for key, value in job.job_details.items():
        particulars.append((key.replace("_", " ").capitalize(), "", value))

    heads = []
    for survey in result.surveys:
        english, chinese = survey_title(survey.name)
        details = job.survey_details.get(survey.name, {})
        extra = "".join(f'<br><span class="muted">{html.escape(v)}</span>' for v in details.values())
        source = "" if survey.table_source == "vessel table" else '<br><span class="muted">surveyor table readings 检验员查表值</span>'
        heads.append(f"<th>{bilingual(english, chinese)}{extra}{source}</th>")

    body = []
    key_lines = {"Net displacement", "Displacement corrected for density", "Mean draft for tables (quarter mean)"}
    for row in form_rows(result):
        if len(row) == 2:
            body.append(f'<tr class="section"><td colspan="{2 + len(result.surveys)}">{bilingual(*row)}</td></tr>')
            continue
        english, chinese, unit, figures = row
        css = ' class="key"' if english in key_lines else ""
        cells = "".join(f'<td class="figure">{html.escape(figure)}</td>' for figure in figures)
        body.append(f'<tr{css}><td>{bilingual(english, chinese)}</td><td class="unit">{html.escape(unit)}</td>{cells}</tr>')

    summary = []
    if result.cargo_t is not None:
        direction = "loaded 装货" if result.cargo_t >= 0 else "discharged 卸货"
        summary.append(
            (
                "Cargo weight",
                "货物重量",
                f"{format_figure(result.cargo_t, 't', result.rounding)} t",
                f"net {result.cargo_to} − net {result.cargo_from} ({direction})",
            )
        )
    if result.constant_t is not None:
        note = f"net {result.constant_survey} − lightship {result.lightship_t:g} t"
        if result.declared_constant_t is not None:
            note += f"; declared 申报 {result.declared_constant_t:g} t"
        summary.append(("Constant", "船舶常数", f"{format_figure(result.constant_t, 't', result.rounding)} t", note))
    if result.bill_of_lading_t is not None:
        summary.append(
            (
                "Bill of lading",
                "提单重量",
                f"{result.bill_of_lading_t:,.3f} t",
                f"difference 差异 {result.bill_of_lading_difference_pct:+.3f} %",
            )
        )
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
                f'<td class="figure">{"" if line.volume_m3 is None else f"{line.volume_m3:,.3f}"}</td>'
                f'<td class="figure">{"" if line.density_t_m3 is None else f"{line.density_t_m3:.4f}"}</td>'
                f'<td class="figure">{format_figure(line.weight_t, "t", result.rounding)}</td>'
                "</tr>"
            )
    deductible_details = ""
    if detail_rows:
        deductible_details = (
            '<h2>Deductibles in detail <span class="zh">扣除量明细</span></h2>\n<table class="deductibles">'
            f"<thead><tr><th>Survey {zh('检验')}</th><th>Kind {zh('类别')}</th><th>Tank / item {zh('舱名')}</th>"
            f"<th>Volume {zh('体积')} m³</th><th>Density {zh('密度')} t/m³</th><th>Weight {zh('重量')} t</th></tr></thead>"
            f"<tbody>{''.join(detail_rows)}</tbody></table>"
        )

    if result.warnings:
        warnings_html = '<ul class="warnings">' + "".join(f"<li>{html.escape(w.message)}</li>" for w in result.warnings) + "</ul>"
    else:
        warnings_html = "<p>None 无</p>"

    body = _BODY.substitute(
        particulars=particulars_rows(particulars),
        survey_heads="".join(heads),
        form_body="\n".join(body),
        summary=summary_html,
        deductible_details=deductible_details,
        warnings=warnings_html,
        method=html.escape(result.method),
        rounding=html.escape(result.rounding),
        rounding_description=html.escape(result.rounding_description),
        source=html.escape(job.source),
        generated=f"{generated:%Y-%m-%d %H:%M} UTC",
    )
    title = f"Draft survey {job.vessel_name} — 水尺计重"
    return page(title, body, orientation="landscape", font_size="10.5pt", style=_STYLE, signatories=SIGNATORIES)


def write_report(job: SurveyJob, result: DraftSurveyResult, path: str | Path) -> Path:
    """Write the HTML report to `path` (UTF-8) and return the path."""
    target = Path(path)
    target.write_text(render_report(job, result), encoding="utf-8")
    return target
