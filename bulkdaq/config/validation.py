"""Input validation: how the problems found in an input file are worded and raised.

Every input file (site, shipment, figures, tolerance rules, ticket, survey) reports its problems as
:class:`~bulkdaq.errors.InputError` naming the file, the key path
(``modbus.devices[2].points[5].address``) and what was expected. This module holds that wording once:
the key path (built key by key, or from a pydantic error's ``loc``), the problem text of a pydantic
error, and the one error that lists every problem of a file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bulkdaq.errors import InputError

Problem = tuple[str, str]
"""(key path, what was wrong and what was expected)."""

Model = TypeVar("Model", bound=BaseModel)

# Steps pydantic adds to an error's location that are not keys of the file: validator functions,
# union members and constrained types (``function-after[…]``, ``tagged-union[…]``, ``literal['none']``,
# ``nullable[…]``, ``constrained-float``).
_SCHEMA_STEPS = ("function-", "tagged-union", "constrained-")


def join_key(path: str, key: str | int) -> str:
    """The key path of `key` inside `path`: ``path.key`` for a key, ``path[3]`` for a list index."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def key_path(location: Sequence[str | int]) -> str:
    """The key path of a pydantic error's ``loc``, without pydantic's own schema steps."""
    path = ""
    for part in location:
        if not isinstance(part, int) and (str(part).startswith(_SCHEMA_STEPS) or "[" in str(part)):
            continue
        path = join_key(path, part if isinstance(part, int) else str(part))
    return path or "(top level)"


def problem_text(error: Mapping[str, Any], docs: str, *, missing_names_docs: bool = False) -> str:
    """What a pydantic error dict says was wrong, in the words of the input files.

    `docs` is the page that documents the file's keys (``docs/configuration.md``); an unknown key points
    to it, and so does a missing key when `missing_names_docs` is set.
    """
    kind = error["type"]
    if kind == "missing":
        return f"required key is missing (see {docs})" if missing_names_docs else "required key is missing"
    if kind == "extra_forbidden":
        return f"unknown key (check the spelling against {docs})"
    message = error["msg"].removeprefix("Value error, ")
    if kind in {"value_error", "assertion_error"}:
        return message
    return f"{message}; got {error.get('input')!r}"


def pydantic_problems(error: ValidationError, docs: str, *, missing_names_docs: bool = False) -> list[Problem]:
    """Every problem of a pydantic ValidationError as (key path, problem)."""
    return [(key_path(e["loc"]), problem_text(e, docs, missing_names_docs=missing_names_docs)) for e in error.errors()]


def problems_error(source: str | Path, problems: Sequence[Problem], *, one_line: bool = False) -> InputError:
    """One InputError for all the problems of a file; its field and problem are the first one's.

    The message lists every problem, one ``SOURCE: FIELD: PROBLEM`` line each, or with `one_line` the
    first one followed by ``(and N more: FIELD: PROBLEM; …)``. The list stays on the error as ``problems``.
    """
    problems = list(problems)
    field, problem = problems[0]
    if one_line and len(problems) > 1:
        problem += f" (and {len(problems) - 1} more: " + "; ".join(f"{f}: {p}" for f, p in problems[1:]) + ")"
    error = InputError(str(source), field, problem)
    if not one_line and len(problems) > 1:
        error.args = ("\n".join(f"{source}: {f}: {p}" for f, p in problems),)
    error.problems = problems  # type: ignore[attr-defined]
    return error


def validated(model: type[Model], raw: Any, source: str | Path, docs: str) -> Model:
    """`raw` validated as `model`; every problem raises one InputError naming `source` (see `problems_error`)."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise problems_error(source, pydantic_problems(error, docs)) from None


def environment_value(name: str, source: str | Path, key: str) -> str:
    """The value of environment variable `name`; an InputError naming `source` and `key` when it is not set.
    Secrets (InfluxDB and OPC UA passwords, tokens) reach bulkdaq this way, never on the command line."""
    value = os.environ.get(name)
    if value is None:
        raise InputError(source, key, f"environment variable {name} is not set")
    return value


def read_text(path: Path) -> str:
    """The text of an input file; a missing or undecodable file raises InputError."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "(file)", "no such file") from None
    except UnicodeDecodeError as error:
        raise InputError(path, "(file)", f"not UTF-8 text: {error}") from None


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML of an input file; unreadable or invalid TOML raises InputError."""
    text = read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, "(syntax)", f"not valid TOML: {error}") from None


__all__ = [
    "environment_value",
    "Problem",
    "join_key",
    "key_path",
    "problem_text",
    "problems_error",
    "pydantic_problems",
    "read_text",
    "read_toml",
    "validated",
]
