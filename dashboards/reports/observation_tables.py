"""The observations behind a draft survey's marks as printed on paper: one section per observation
session (marks, samples, wave pairs, observed draft, spread, uncertainty, frames, status; the file and its
SHA-256; the dock water's samples; the verdict and its reasons) and the cargo's uncertainty.

The survey report (dashboards/reports/survey_report.py) and the measurement report for customs
(dashboards/reports/measurement_report.py) print them through here, from the same documents the shipment's
signed history keeps (``ObservationSession.as_document()``, ``SurveyUncertainty.as_document()``), with the
figures of bulkdaq/wording/observation_statement.py.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bulkdaq.wording import glossary
from bulkdaq.wording.observation_statement import ROW_HEADS, density_line, session_rows, session_subject, uncertainty_lines, verdict_line
from dashboards.reports.report_html import bilingual

STYLE = """
  table.observations td.figure { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  p.preliminary { color: #8a1c00; }
  table.uncertainty td.label { width: 40%; }
"""

FRAMES_IN_FILE = "Every sample's image frame and its SHA-256 are in the observation file. 每个样本的图像帧及其 SHA-256 均记录在观测文件中。"
FRAMES_IN_HISTORY = (
    "Every sample's image frame and its SHA-256, and the file's SHA-256, are recorded in the shipment's signed history. "
    "每个样本的图像帧及其 SHA-256 以及观测文件的 SHA-256 均记录在货物的签名记录中。"
)


def session_html(session: Mapping[str, Any], frames_note: str = FRAMES_IN_FILE) -> str:
    """One observation session's section; `frames_note` says where the frames' hashes are kept."""
    terms = glossary.OBSERVATION_TERMS
    heads = "".join(f"<th>{bilingual(*label)}</th>" for label in ROW_HEADS)
    rows = "".join(
        "<tr>" + "".join(f'<td class="{"figure" if 0 < i < 7 else ""}">{html.escape(cell)}</td>' for i, cell in enumerate(row)) + "</tr>"
        for row in session_rows(session)
    )
    origin = Path(session["origin"]).name if session["sha256"] else session["origin"]
    notes = [html.escape(origin) + (f" · SHA-256 {html.escape(session['sha256'])}" if session["sha256"] else "")]
    density = density_line(session)
    if density is not None:
        notes.append(f"{bilingual(*terms['dock_density'])}: {html.escape(density)}")
    if any(mark["frames"] for mark in session["marks"].values()):
        notes.append(html.escape(frames_note))
    fit = session["status"] == "figure"
    reasons = "".join(f"<li>{html.escape(reason)}</li>" for reason in session["reasons"])
    return (
        f"<h2>{bilingual(*terms['observations'])} — {html.escape(session_subject(session))}</h2>"
        f'<table class="observations"><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>'
        f'<p class="muted">{"<br>".join(notes)}</p>'
        f'<p class="{"" if fit else "preliminary"}"><b>{html.escape(verdict_line(session))}</b></p>'
        + (f'<ul class="warnings">{reasons}</ul>' if reasons else "")
    )


def observations_html(sessions: Iterable[Mapping[str, Any]], uncertainty: Mapping[str, Any], frames_note: str = FRAMES_IN_FILE) -> str:
    """Every session's section, then the cargo's uncertainty."""
    lines = "".join(
        f'<tr><td class="label">{bilingual(english, chinese)}</td><td>{html.escape(text)}</td></tr>'
        for english, chinese, text in uncertainty_lines(uncertainty)
    )
    method = html.escape(uncertainty.get("method", ""))
    return "\n".join(
        [
            *(session_html(session, frames_note) for session in sessions),
            f"<h2>{bilingual(*glossary.OBSERVATION_TERMS['cargo_uncertainty'])}</h2>"
            f'<table class="uncertainty">{lines}</table><p class="muted">{method}</p>',
        ]
    )


__all__ = ["FRAMES_IN_FILE", "FRAMES_IN_HISTORY", "STYLE", "observations_html", "session_html"]
