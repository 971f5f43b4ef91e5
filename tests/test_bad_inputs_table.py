"""The table of bad inputs in docs/reliability.md is what the tests try (issue 14).

tests/bad_inputs.py collects the module-level `BAD_INPUTS` of every test module and renders them; the page's
generated section must be exactly that rendering, so adding, changing or removing a case without running
`python tests/bad_inputs.py` fails here.
"""

from __future__ import annotations

from collections import Counter

import pytest

import bad_inputs
from bad_inputs import BadInput

CASES = bad_inputs.collect()


def test_the_page_holds_the_table_the_tests_generate() -> None:
    page = bad_inputs.REPORT.read_text(encoding="utf-8")
    assert page.count(bad_inputs.BEGIN) == 1 and page.count(bad_inputs.END) == 1, (
        "docs/reliability.md needs one bad-input section between its markers: run `python tests/bad_inputs.py`"
    )
    assert bad_inputs.section(page) == bad_inputs.markdown(), (
        "docs/reliability.md's table of bad inputs differs from the BAD_INPUTS of the tests: run `python tests/bad_inputs.py`"
    )


def test_no_two_cases_of_a_room_share_an_id() -> None:
    counts = Counter((case.room, case.id) for _, case in CASES)
    shared = {key: [path for path, case in CASES if (case.room, case.id) == key] for key, count in counts.items() if count > 1}
    assert not shared, f"cases of one room with the same id (reword their `what`): {shared}"


@pytest.mark.parametrize(("path", "case"), CASES, ids=[f"{case.room}:{case.id}" for _, case in CASES])
def test_every_case_is_filled_in(path: str, case: BadInput) -> None:
    for field in ("room", "what", "given", "expected_message_part"):
        value = getattr(case, field)
        assert isinstance(value, str) and value.strip(), f"{path}: {case!r}: {field} is empty"
    assert case.id, f"{path}: {case.what!r} gives no id"


def test_at_least_200_cases_are_tabled() -> None:
    assert len(CASES) >= 200, len(CASES)
