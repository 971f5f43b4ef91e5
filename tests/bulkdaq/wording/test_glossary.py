"""One glossary: the clearance board, the measurement report and the survey report use the same English and
Chinese for the same state, method and figure."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from bulkdaq.shipments.lifecycle import ClearanceState
from bulkdaq.shipments.model import MethodFigure, load_shipment
from bulkdaq.shipments.registry import Evidence, ShipmentRegistry
from bulkdaq.shipments.tolerance_rules import load_rule_set
from bulkdaq.shipments.workflow import officer_step, reconcile_shipment, record_figures, start_loading
from bulkdaq.wording import glossary
from dashboards.grafana import clearance_board
from dashboards.reports import measurement_report, survey_report
from dashboards.reports.measurement_report import certificate_data, render_certificate
from officers import registered_officer

REPO = Path(__file__).resolve().parents[3]
AT = datetime(2026, 5, 2, 6, 30, tzinfo=timezone.utc)


def _board_texts() -> dict[str, str]:
    """The text the board's value mapping shows for each state (as Grafana renders it)."""
    mapping = clearance_board.state_mapping()
    return {state: result.text for state, result in mapping.options.items()}  # type: ignore[union-attr]


def test_every_lifecycle_state_has_one_label_and_the_board_shows_it():
    states = [state.value for state in ClearanceState]
    assert set(glossary.STATES) == set(states)
    board = _board_texts()
    assert set(board) == set(states)
    for state in states:
        english, chinese = glossary.STATES[state]
        assert board[state] == f"{chinese} {english}", state


def test_board_and_measurement_report_use_the_same_labels(tmp_path: Path):
    """A shipment taken through investigation and release: each state in the report's history reads as on the board."""
    ore = load_shipment(REPO / "examples" / "shipments" / "ore-import.toml")
    belt = MethodFigure(method="belt_scale", value=89_300.0, basis="t_air", source="belt scale BS-3")
    survey = MethodFigure(method="draft_survey", value=88_798.4, basis="t_air", source="draft survey")
    with ShipmentRegistry(tmp_path / "shipments.sqlite") as registry:
        registry.declare(ore, "officer Wang", "declared", at=AT)
        start_loading(registry, ore.id, "officer Wang", None, AT)
        registry.transition(ore.id, "complete", "terminal", "discharge complete", [Evidence("loading_window", {"end": AT.isoformat()})], at=AT)
        record_figures(registry, ore.id, "surveyor", [survey, belt])
        reconcile_shipment(registry, ore.id, "officer Wang", load_rule_set(REPO / "examples" / "tolerances.toml"))
        officer = registered_officer(registry)  # an officer's decision is signed with the officer's own key
        for state in ("investigating", "resolved", "certified", "released"):
            officer_step(registry, ore.id, state, officer, state)
        page = render_certificate(certificate_data(registry, ore.id))
    board = _board_texts()
    history = re.findall(r'<tr><td>\d+</td><td class="time">[^<]*</td><td class="time">[^<]*</td><td>([^<]+) <span class="zh">([^<]+)</span></td>', page)
    assert len(history) == 11
    for english, chinese in history:
        state = next(s for s, label in glossary.STATES.items() if label == (english, chinese))
        assert board[state] == f"{chinese} {english}"
    # the states this shipment went through, including the ones the two used to name differently
    seen = {next(s for s, label in glossary.STATES.items() if label == pair) for pair in history}
    assert {"loading", "verified", "discrepancy", "certified", "released"} & seen == {"loading", "discrepancy", "certified", "released"}
    # the report's verdict and method labels are the glossary's as well
    assert glossary.VERDICTS["discrepancy"][1] in page and all(glossary.METHODS[m][1] in page for m in ("draft_survey", "belt_scale"))


def test_no_module_keeps_its_own_state_words():
    """The labels live in the glossary only: the board, the report and the survey report define none of their own."""
    for module in (clearance_board, measurement_report, survey_report):
        source = Path(module.__file__).read_text(encoding="utf-8")  # type: ignore[arg-type]
        for state, (_, chinese) in glossary.STATES.items():
            assert f'"{chinese}' not in source, (module.__name__, state)
        for old in ("装货中", "已验证", "已出证", "货物重量"):
            assert old not in source, (module.__name__, old)
    # the survey form's labels are the glossary's
    for _, _, lines in survey_report.FORM_SECTIONS:
        for line in lines:
            assert (line.english, line.chinese) in {*glossary.SURVEY_FORM.values(), *glossary.DEDUCTIBLES.values()}, line.english


def test_board_columns_are_glossary_terms():
    labels = clearance_board.COLUMN_LABELS
    assert labels[clearance_board.DECLARED] == "declared / 申报 (t)" and labels[clearance_board.MEASURED] == "measured / 实测 (t)"
    for term in ("declared", "measured", "difference", "tolerance", "progress", "shipment"):
        assert any(glossary.TERMS[term][1] in label for label in labels.values()), term
