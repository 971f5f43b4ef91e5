"""The one error base: every error bulkdaq reports to a person derives from `BulkdaqError`.

The command line catches `BulkdaqError` and nothing broader, and prints it in one line with exit code 2;
anything else (a bug) ends with its traceback. Errors that are also a kind of built-in error keep it as a
second base (``class TransitionRefused(BulkdaqError, ValueError)``), so code that catches the built-in
still does.

This module imports nothing, so every layer may use it: it is the one module of bulkdaq that the pure
calculators (`calculators/`) import (docs/design.md, "Map").
"""

from __future__ import annotations

import os


class BulkdaqError(Exception):
    """An error a person can act on: bad input, a refused step, a store that does not answer.

    Its message says what is wrong and, where it can, what to do about it.
    """


class InputError(BulkdaqError):
    """Bad input that a person must fix: a site file, a ticket file, a survey file, a CLI value.

    The message always reads ``SOURCE: FIELD: PROBLEM`` so the person can go straight to the spot.
    """

    def __init__(self, source: str | os.PathLike[str], field: str, problem: str) -> None:
        self.source = str(source)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.source}: {field}: {problem}")


__all__ = ["BulkdaqError", "InputError"]
