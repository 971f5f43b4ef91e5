"""The one error type for bad input files: it names the file, the field and what was expected."""

from __future__ import annotations


class InputError(Exception):
    """Bad input that a person must fix: a site file, a ticket file, a survey file, a CLI value.

    The message always reads ``SOURCE: FIELD: PROBLEM`` so the person can go straight to the spot.
    """

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = str(source)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.source}: {field}: {problem}")
