"""Reading an officer-facing HTML page the way an officer does, and checking every figure on it.

`page_text` gives the visible text (table cells separated by spaces, so a figure and the unit in the next
cell read together); `figures_with_units` finds every number followed by a unit; `check_decimals` says
which of them are not at the decimals their policy gives, and `raw_floats` finds floating-point noise.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Decimals the measurement report shows per unit, for the demo and example policies (mass and volume
# decimals 3, API MPMS 11.1-2004 factors 5): see calculators/petroleum/measurement_policy.py and
# bulkdaq/wording/figure_format.py.
REPORT_DECIMALS = {"t": 3, "m³": 3, "kg": 3, "kg/m³": 1, "°C": 2, "kPa": 1, "%": 3, "t/m³": 4}
NUMBER_WITH_UNIT = re.compile(r"(?<![\w.,])([+-]?\d{1,3}(?:,\d{3})*(?:\.(\d+))?|[+-]?\d+(?:\.(\d+))?)\s?(t/m³|m³|kg/m³|kg|°C|kPa|%|t)(?![\w/])")
RAW_FLOAT = re.compile(r"(?<![\w.])\d+\.\d{7,}(?!\w)|\d\.\d+e[+-]?\d+")


VOID = {"br", "meta", "hr", "img", "input", "link"}
BREAKS = {"td", "th", "br", "tr", "p", "li", "h1", "h2", "table", "ul"}


class _Text(HTMLParser):
    """Visible text, each piece with the classes of every element it sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[tuple[str, frozenset[str]]] = []
        self.stack: list[frozenset[str]] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "title", "script"):
            self.skip += 1
        if tag not in VOID:
            self.stack.append(frozenset((dict(attrs).get("class") or "").split()))
        if tag in BREAKS:
            self.parts.append((" ", frozenset()))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "script"):
            self.skip -= 1
        if tag not in VOID and self.stack:
            self.stack.pop()
        if tag in BREAKS:
            self.parts.append((" ", frozenset()))

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append((data, frozenset().union(*self.stack) if self.stack else frozenset()))


def page_text(page: str, *, without: tuple[str, ...] = ()) -> str:
    """The visible text of `page`, leaving out text inside elements of the classes in `without`."""
    parser = _Text()
    parser.feed(page)
    return re.sub(r"\s+", " ", "".join(text for text, classes in parser.parts if not classes & set(without)))


def figures_with_units(text: str) -> list[tuple[str, str, int]]:
    """(number as printed, unit, decimals) of every number followed by a unit."""
    found = []
    for match in NUMBER_WITH_UNIT.finditer(text):
        decimals = match.group(2) or match.group(3) or ""
        found.append((match.group(1), match.group(4), len(decimals)))
    return found


def check_decimals(text: str, expected: dict[str, int] = REPORT_DECIMALS) -> list[str]:
    """Every figure whose decimals are not its unit's (an empty list when all are right)."""
    return [f"{number} {unit} has {decimals} decimals, expected {expected[unit]}"
            for number, unit, decimals in figures_with_units(text) if unit in expected and decimals != expected[unit]]


def raw_floats(text: str) -> list[str]:
    """Numbers with seven or more decimals or in exponent notation: floating-point noise on a page."""
    return RAW_FLOAT.findall(text)


# The recorded reasons are the events' own text (hashed into the history), printed as written; configured
# values ("0.3 %", "5 ‰" as the rule file writes them), prose ("about 95 %") and the survey's warnings
# (which state their thresholds, "more than 10 %") hold percentages that are not measured figures.
RECORDED = ("reason",)
PROSE = ("reason", "as-written", "muted", "warning", "warnings")
FIGURE_UNITS = {unit: decimals for unit, decimals in REPORT_DECIMALS.items() if unit != "%"}


def figure_problems(page: str, *, prose: tuple[str, ...] = ()) -> list[str]:
    """Every figure of a measurement report not at its policy's decimals, and any floating-point noise.
    `prose`: text that names a method (its base temperature, "at 15 °C") rather than a figure, left out."""
    text = page_text(page, without=RECORDED)
    for words in prose:
        assert words in text, words
        text = text.replace(words, "")
    return (check_decimals(text, FIGURE_UNITS)
            + check_decimals(page_text(page, without=PROSE), {"%": REPORT_DECIMALS["%"]})
            + raw_floats(page_text(page, without=("hash",))))


__all__ = ["FIGURE_UNITS", "PROSE", "RECORDED", "REPORT_DECIMALS", "check_decimals", "figure_problems", "figures_with_units", "page_text", "raw_floats"]
