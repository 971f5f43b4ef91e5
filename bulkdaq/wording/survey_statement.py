"""The draft survey's summary as every officer-facing output states it: the cargo, the constant and the
bill of lading, each figure at the decimals of the survey's rounding policy.

The survey report (dashboards/reports/survey_report.py), the CLI's survey table, and the draft survey's
figure of a shipment (bulkdaq/shipments/method_figures.py, hence the measurement report) write these
lines through here, so the screen, the paper and the shipment show the same words and figures.
"""

from __future__ import annotations

from bulkdaq.wording import glossary
from bulkdaq.wording.figure_format import figure_text, percent_text
from calculators.survey.result import DraftSurveyResult
from calculators.survey.rounding import rounding_policy


def figure_with_unit(value: float, unit: str, rounding: str) -> str:
    """A computed survey figure with its unit (``88,798.400 t``), at the policy's decimals: the form, the
    CLI and the measurement report all write the survey's cargo through here."""
    return figure_text(value, unit, rounding_policy(rounding).shown_decimals(unit))


def cargo_line(result: DraftSurveyResult) -> tuple[str, str, str, str] | None:
    """The cargo as every officer-facing output states it: (english, chinese, figure with unit, how).

    A discharge is worked and labelled as one: ``Cargo discharged 卸货重量 88,798.400 t, net initial −
    net final`` — the weight is positive, the operation says which way it went.
    """
    if result.cargo_t is None or result.cargo_weight_t is None:
        return None
    english, chinese = glossary.CARGO[result.operation]
    if result.operation == "discharge":
        how = f"net {result.cargo_from} − net {result.cargo_to}"
    else:
        how = f"net {result.cargo_to} − net {result.cargo_from}"
    operation = glossary.both(glossary.OPERATIONS[result.operation])
    return english, chinese, figure_with_unit(result.cargo_weight_t, "t", result.rounding), f"{how} ({operation})"


def constant_note(result: DraftSurveyResult) -> str:
    """How the constant was found, figures at the survey's decimals."""
    note = f"net {result.constant_survey} − lightship {figure_with_unit(result.lightship_t or 0.0, 't', result.rounding)}"
    if result.declared_constant_t is not None:
        note += f"; declared 申报 {figure_with_unit(result.declared_constant_t, 't', result.rounding)}"
    return note


def bill_of_lading_cells(result: DraftSurveyResult) -> tuple[str, str]:
    """The bill of lading quantity and the cargo's difference from it."""
    assert result.bill_of_lading_t is not None and result.bill_of_lading_difference_pct is not None
    return (
        figure_with_unit(result.bill_of_lading_t, "t", result.rounding),
        f"difference 差异 {percent_text(result.bill_of_lading_difference_pct, signed=True)}",
    )


__all__ = ["bill_of_lading_cells", "cargo_line", "constant_note", "figure_with_unit"]
