"""A draft observation session as every officer-facing output states it: one row per mark with its
samples, wave pairs, observed draft, spread, uncertainty, frames and status, and the dock water's line.

The CLI (`bulkdaq survey observe`, `bulkdaq survey draft --observed`) and the survey report write sessions
through here, so screen and paper show the same figures. Decimals: drafts and spreads to the millimetre
(an observed mean is finer than the 1 cm a mark is read to; the uncertainty says how much finer),
uncertainties to 0.1 mm, densities to 0.0001 t/m³ and their uncertainty to 0.00001 t/m³. The cargo's
uncertainty is stated to two significant digits (JCGM 100 7.2.6), its figure's decimals following.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bulkdaq.wording import glossary
from bulkdaq.wording.figure_format import figure_text, number_text
from calculators.survey.wave_mean import PRELIMINARY

DRAFT_DECIMALS = 3
U_DRAFT_DECIMALS = 4
DENSITY_DECIMALS = 4
U_DENSITY_DECIMALS = 5

ROW_HEADS: tuple[glossary.Label, ...] = tuple(
    glossary.OBSERVATION_TERMS[key] for key in ("mark", "samples", "pairs", "observed_draft", "spread", "u", "frames", "status")
)


def mark_row(mark: str, observation: Mapping[str, Any]) -> tuple[str, ...]:
    """One mark's cells from its document (``MarkObservation.as_document()``): mark, samples, pairs,
    observed draft, spread, u, frames, status."""
    return (
        glossary.both(glossary.MARKS[mark]),
        number_text(observation["samples"], 0),
        "calm 平静" if observation["calm"] else number_text(observation["pairs"], 0),
        figure_text(observation["draft_m"], "m", DRAFT_DECIMALS),
        figure_text(observation["spread_m"], "m", DRAFT_DECIMALS),
        figure_text(observation["u_m"], "m", U_DRAFT_DECIMALS),
        number_text(observation["frames"], 0),
        glossary.both(glossary.OBSERVATION_STATUS[observation["status"]]),
    )


def session_rows(session: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """Every mark of a session document (``ObservationSession.as_document()``, or the same document as the
    shipment's signed history keeps it), fore to aft, port before starboard; a mark not observed has a
    row that says so."""
    rows: list[tuple[str, ...]] = []
    for mark, label in glossary.MARKS.items():
        observation = session["marks"].get(mark)
        if observation is None:
            rows.append((glossary.both(label), "0", "—", "not observed 未观测", "—", "—", "0", glossary.both(glossary.OBSERVATION_STATUS[PRELIMINARY])))
        else:
            rows.append(mark_row(mark, observation))
    return rows


def density_line(session: Mapping[str, Any]) -> str | None:
    """The dock water's density from its samples: ``1.0231 t/m³ from 3 samples, spread 0.0004 t/m³, u 0.00014 t/m³``."""
    density = session.get("dock_density")
    if density is None:
        return None
    return (
        f"{figure_text(density['density_t_m3'], 't/m3', DENSITY_DECIMALS)} from {density['samples']} samples, "
        f"spread {figure_text(density['spread_t_m3'], 't/m3', DENSITY_DECIMALS)}, u {figure_text(density['u_t_m3'], 't/m3', U_DENSITY_DECIMALS)}"
    )


def session_subject(session: Mapping[str, Any]) -> str:
    """``Initial 初始, drone 无人机, EVER SHIP``: which survey, observed how, of which vessel."""
    survey = glossary.SURVEYS.get(session["survey"], (session["survey"], ""))
    source = glossary.OBSERVATION_SOURCES.get(session["source"], (session["source"], ""))
    return f"{glossary.both(survey)}, {glossary.both(source)}, {session['vessel']}"


def session_title(session: Mapping[str, Any]) -> str:
    """``Draft observation 水尺观测 — Initial 初始, drone 无人机, EVER SHIP``."""
    return f"{glossary.both(glossary.DRAFT_OBSERVATION)} — {session_subject(session)}"


def significant_decimals(value: float, digits: int = 2) -> int:
    """Decimals that show `value` to `digits` significant digits; negative for tens, hundreds …"""
    if value == 0 or not math.isfinite(value):
        return 0
    return digits - 1 - math.floor(math.log10(abs(value)))


def uncertainty_text(value: float, unit: str, digits: int = 2) -> str:
    """An uncertainty to `digits` significant digits (JCGM 100 7.2.6): ``52 t``, ``100 t`` (for 103 t),
    ``0.063 %``."""
    decimals = significant_decimals(value, digits)
    if decimals >= 0:
        return figure_text(value, unit, decimals)
    step = 10 ** -decimals
    return figure_text(round(value / step) * step, unit, 0)


def uncertainty_lines(uncertainty: Mapping[str, Any], largest: int = 4) -> list[tuple[str, str, str]]:
    """The cargo's uncertainty as (english, chinese, text), from its document
    (``SurveyUncertainty.as_document()``, as the shipment's signed history keeps it): u, U with k = 2 and
    its share of the cargo, and the largest contributions (survey, mark or density, c·u)."""
    terms = glossary.OBSERVATION_TERMS
    u, expanded = uncertainty["u_cargo_t"], uncertainty["expanded_uncertainty_t"]
    cargo = abs(uncertainty["cargo_t"])
    share = "" if cargo == 0 else f" ({uncertainty_text(100 * expanded / cargo, '%')} of the cargo 占货物重量)"
    lines = [
        (*terms["u"], uncertainty_text(u, "t")),
        (*terms["expanded"], f"± {uncertainty_text(expanded, 't')}{share}"),
    ]
    shares = []
    for item in uncertainty["contributions"][:largest]:
        what = glossary.both(glossary.MARKS.get(item["item"], terms["dock_density_short"]))
        survey = glossary.both(glossary.SURVEYS.get(item["survey"], (item["survey"], "")))
        size = abs(item["contribution_t"])
        shares.append(f"{survey} {what} {uncertainty_text(size, 't')}")
    if shares:
        lines.append((*terms["largest_contributions"], "; ".join(shares)))
    return lines


def verdict_line(session: Mapping[str, Any]) -> str:
    """The session's verdict in both languages: ``Status 状态: figure 可作为数据``."""
    return f"{glossary.both(glossary.OBSERVATION_TERMS['status'])}: {glossary.both(glossary.OBSERVATION_STATUS[session['status']])}"


__all__ = [
    "DENSITY_DECIMALS", "DRAFT_DECIMALS", "ROW_HEADS", "U_DENSITY_DECIMALS", "U_DRAFT_DECIMALS", "density_line", "mark_row",
    "session_rows", "session_subject", "session_title", "significant_decimals", "uncertainty_lines", "uncertainty_text", "verdict_line",
]
