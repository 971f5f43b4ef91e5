"""How every `--json` prints: valid JSON (RFC 8259), always.

Python's `json.dumps` writes NaN and infinity as ``NaN`` and ``Infinity``, which no JSON parser accepts; a
program reading ``bulkdaq … --json`` would fail on a figure it cannot see. The inputs refuse values that
could lead there (a totalizer of 1e308, a meter factor of 1e300: docs/tickets.md, "Physical ranges"), and
this is the last guard: a non-finite number is refused, naming where it is, instead of printed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from bulkdaq.errors import BulkdaqError


class NotJson(BulkdaqError, ValueError):
    """A result holds a number JSON cannot carry (NaN or infinity)."""


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """`value` as JSON text (UTF-8 characters kept); NotJson names the first NaN or infinity in it."""
    try:
        return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)
    except ValueError:
        where, number = _non_finite(value, "") or ("(somewhere)", float("nan"))
        raise NotJson(
            f"cannot print the result as JSON: {where or '(top level)'} is {number!r}, which JSON cannot carry "
            "(this is a bug: the inputs should have been refused; please report it with the input files)"
        ) from None


def _non_finite(value: Any, path: str) -> tuple[str, float] | None:
    """(key path, number) of the first NaN or infinity in `value`, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _non_finite(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _non_finite(item, f"{path}[{index}]")
            if found:
                return found
    return None


__all__ = ["NotJson", "json_text"]
