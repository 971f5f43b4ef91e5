"""The published reference cases, read from tests/reference/: the one loader every test module uses.

Each file holds cases with their inputs, the figures their source prints (to the digits it prints), a
tolerance and the source itself; tests/reference/README.md says where each case comes from. Callers get
a fresh copy of a case, so a test that edits one cannot change what another test reads.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
PETROLEUM = "petroleum_cases.json"
DRAFT_SURVEY = "draft_survey_cases.json"
FILES = (PETROLEUM, DRAFT_SURVEY)

SOURCE_KEYS = ("document", "edition", "location", "figures")
"""What every case's ``source`` says: the document, its edition, where in it (section, table, page or
file), and what the case's figures are (printed by the source, or recomputed)."""


@cache
def _read(name: str) -> dict[str, Any]:
    if name not in FILES:
        raise ValueError(f"unknown reference file {name!r}; expected one of {', '.join(FILES)}")
    return json.loads((REFERENCE_DIR / name).read_text(encoding="utf-8"))


def document(name: str) -> dict[str, Any]:
    """The whole reference file ``name`` (one of ``FILES``), as parsed JSON."""
    return copy.deepcopy(_read(name))


def cases(name: str, family: str | None = None) -> list[dict[str, Any]]:
    """The cases of reference file ``name`` in file order, only those of ``family`` when given.

    Raises
    ------
    LookupError
        ``family`` names no case of the file (a renamed family must not leave a test with nothing to check).
    """
    found = [case for case in _read(name)["cases"] if family is None or case["family"] == family]
    if not found:
        families = sorted({case["family"] for case in _read(name)["cases"]})
        raise LookupError(f"{name} has no case of family {family!r}; its families: {', '.join(families)}")
    return copy.deepcopy(found)


def reference_case(case_id: str) -> dict[str, Any]:
    """The case called ``case_id``, from whichever reference file holds it."""
    for name in FILES:
        for item in _read(name)["cases"]:
            if item["id"] == case_id:
                return copy.deepcopy(item)
    known = [item["id"] for name in FILES for item in _read(name)["cases"]]
    raise LookupError(f"no reference case {case_id!r}; the cases are: {', '.join(known)}")


def petroleum_cases(family: str | None = None) -> list[dict[str, Any]]:
    """Cases of petroleum_cases.json (API MPMS 11.1-2004 examples, 1980 Table 54B/56 worksheet, bunker chain)."""
    return cases(PETROLEUM, family)


def draft_survey_cases(family: str | None = None) -> list[dict[str, Any]]:
    """Cases of draft_survey_cases.json (the EVER SHIP survey, two perpendicular-correction examples)."""
    return cases(DRAFT_SURVEY, family)
