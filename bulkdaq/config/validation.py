"""Input validation: how the problems found in an input file are worded and raised.

Every input file (site, shipment, figures, tolerance rules, ticket, survey) reports its problems as
:class:`~bulkdaq.errors.InputError` naming the file, the key path
(``modbus.devices[2].points[5].address``) and what was expected. This module holds that wording once:
the key path (built key by key, or from a pydantic error's ``loc``), the problem text of a pydantic
error, and the one error that lists every problem of a file.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, ValidationError

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
    given = error.get("input")
    if kind in {"int_type", "float_type"} and isinstance(given, str):
        return f"{message}; got {given!r} (text in quotes is not a number: write the number without quotes)"
    if kind in {"int_type", "float_type"} and isinstance(given, bool):
        return f"{message}; got {given!r} (true and false are not numbers)"
    return f"{message}; got {given!r}"


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


# ---------------------------------------------------------------------------------------------------------
# Names and labels. A name is written into InfluxDB as a tag value (asset, device, meter, site) or a field
# key, typed on command lines and put in Grafana variables and URLs, so it keeps to a small, safe set of
# characters (docs/configuration.md, "Names"); a label is free text shown to people, on one line.

NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}"
"""An asset, device, meter or field name: 1 to 64 characters, letters, digits and ``_ . : / -``, the first
a letter or a digit (``FT-101``, ``TK_3``, ``LIT-3001.PV``, ``P-101/A``)."""
NAME_RULE = "1 to 64 letters, digits and _ . : / -, starting with a letter or digit"
SITE_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
"""A site name, also the default spool file's name: a `NAME_PATTERN` without ``:`` and ``/``."""
SITE_NAME_RULE = "1 to 64 letters, digits and _ . -, starting with a letter or digit"


def _name_checker(pattern: str, rule: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        """`value` if it is a name of `pattern`, else ValueError saying what is wrong and what is expected."""
        if compiled.fullmatch(value):
            return value
        if not value:
            raise ValueError(f"a name cannot be empty; write {rule} (docs/configuration.md, \"Names\")")
        bad = next((char for char in value if not compiled.fullmatch("A" + char)), None)
        if len(value) > 64:
            why = f"it has {len(value)} characters"
        elif bad is not None:
            why = f"{bad!r} is not allowed"
        else:
            why = f"it starts with {value[0]!r}"
        raise ValueError(f"{value!r} is not a name bulkdaq accepts: {why}; write {rule} (docs/configuration.md, \"Names\")")

    return check


check_name = _name_checker(NAME_PATTERN, NAME_RULE)
check_site_name = _name_checker(SITE_NAME_PATTERN, SITE_NAME_RULE)


def check_label(value: str) -> str:
    """Free text shown to people (a point's label, a product): anything on one line, no control characters."""
    for char in value:
        if unicodedata.category(char) == "Cc":
            raise ValueError(f"{value!r} holds the control character {char!r}; write the text on one line")
    return value


Name = Annotated[str, AfterValidator(check_name)]
SiteName = Annotated[str, AfterValidator(check_site_name)]
Label = Annotated[str, AfterValidator(check_label)]


# ---------------------------------------------------------------------------------------------------------
# URLs. Credentials never live in a URL of an input file (they would be printed wherever the URL is); every
# URL bulkdaq prints goes through `redacted_url` in case one was given on a command line.


def url_problem(url: str) -> str | None:
    """Why `url` is not a usable ``http(s)://host[:port][/path]`` base URL of a server, or None.

    The problem never repeats the URL's user information, query or fragment (they may hold secrets)."""
    if any(unicodedata.category(char) == "Cc" or char.isspace() for char in url):
        return "a URL holds no spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as error:
        return f"not a URL ({error}); expected e.g. \"http://influxdb:8086\""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"expected an http:// or https:// URL with a host, e.g. \"http://influxdb:8086\"; got {redacted_url(url)!r}"
    if parts.username is not None or parts.password is not None:
        return (
            "the URL holds credentials (user:password@host); they must not be written in the site file: "
            "give username (or username_env) and password_env or password_file instead"
        )
    if parts.query or parts.fragment:
        return "the URL holds a query (?…) or a fragment (#…); give the server's base URL only (InfluxDB reads credentials from u= and p= there)"
    return None


def redacted_url(url: str) -> str:
    """`url` fit to print: a password (and the user) before the host become ``***``, a query and a fragment
    are left out."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return re.sub(r"//[^/@]*@", "//***@", url).split("?")[0].split("#")[0]
    if ":" in host:
        host = f"[{host}]"
    userinfo = "***@" if parts.username is not None or parts.password is not None else ""
    return urlunsplit((parts.scheme, f"{userinfo}{host}{port}", parts.path, "", ""))


def url_without_credentials(url: str) -> tuple[str, str | None, str | None]:
    """`url` without its user information, and the user and password it held (None when absent).

    The clients keep the URL without them, so no log line of theirs (nor of httpx) can print a password
    given in a URL on a command line; the user and password, if any, become the HTTP basic credentials."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url, None, None
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return url, None, None
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)), parts.username, parts.password


def environment_value(name: str, source: str | Path, key: str) -> str:
    """The value of environment variable `name`; an InputError naming `source` and `key` when it is not set.
    Secrets (InfluxDB and OPC UA passwords, tokens) reach bulkdaq this way, never on the command line."""
    value = os.environ.get(name)
    if value is None:
        raise InputError(source, key, f"environment variable {name} is not set")
    return value


def read_text(path: Path) -> str:
    """The text of an input file; a missing, unreadable or undecodable file (or a folder) raises InputError."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "(file)", "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "(file)", "is a folder; expected a file") from None
    except UnicodeDecodeError as error:
        raise InputError(path, "(file)", f"not UTF-8 text: {error}") from None
    except OSError as error:
        raise InputError(path, "(file)", f"cannot read it: {error.strerror or error}") from None


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML of an input file; unreadable or invalid TOML raises InputError."""
    text = read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, "(syntax)", f"not valid TOML: {error}") from None


__all__ = [
    "NAME_PATTERN",
    "NAME_RULE",
    "SITE_NAME_PATTERN",
    "SITE_NAME_RULE",
    "Label",
    "Name",
    "SiteName",
    "check_label",
    "check_name",
    "check_site_name",
    "environment_value",
    "redacted_url",
    "url_problem",
    "url_without_credentials",
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
