"""A record of the bad inputs the hardening tests try, for the table in docs/reliability.md.

Each `test_hardening_*.py` keeps its bad-input cases as a module-level list of `BadInput` (``BAD_INPUTS``)
and parametrises its tests with it, so a script can import the lists and print what is refused and with
which message. `expected_message_part` is a part of the message the user sees, as the test asserts it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class BadInput:
    """One bad input: the room it goes into, what it is, the input as given, and part of the message."""

    room: str  # the input's room: "site file", "line protocol", "survey file", "ticket file", "InfluxDB", …
    what: str  # what is wrong, in a few words ("backslash at the end of an asset name")
    given: str  # the input as written (a TOML line, a JSON fragment, a Python value)
    expected_message_part: str  # part of the message the user sees

    @property
    def id(self) -> str:
        """A pytest id: the `what`, in lower case, words joined by dashes."""
        return re.sub(r"[^a-z0-9]+", "-", self.what.lower()).strip("-")


def ids(cases: list[BadInput]) -> list[str]:
    """The pytest ids of `cases` (``pytest.mark.parametrize(..., ids=ids(CASES))``)."""
    return [case.id for case in cases]


__all__ = ["BadInput", "ids"]
