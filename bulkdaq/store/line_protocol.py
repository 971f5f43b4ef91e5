r"""InfluxDB line protocol: one reading (or derived figure) as one line, written exactly as InfluxDB parses it.

InfluxDB 1.x (and the v1 API of 2.x and 3.x) reads a line this way, and `Point.to_line` writes for it
(checked against a real influxd 1.6: tests/bulkdaq/store/test_hardening_line_protocol.py):

* **Names** (measurement, tag keys and values, field keys): a backslash escapes only a comma, a space and
  (not in a measurement) an equals sign; every other backslash is kept as written. So a name's comma,
  space and equals sign are escaped and its backslashes are written as they are (``FT\101`` stays
  ``FT\101``; doubling it would store ``FT\\101``). What line protocol cannot carry is refused
  (`LineProtocolError`): an empty name, a control character (a newline would start a new point), a
  backslash at the end of a name or right before a comma, space or equals sign (InfluxDB would read it
  as an escape), a measurement starting with ``#`` (a comment line, dropped without an error).
* **String field values** are quoted; ``"`` and ``\`` are escaped and come back exactly. Line protocol
  has no escape for a newline ("Line protocol does not support the newline character \n in tag values or
  field values", InfluxDB line protocol reference), and every batch bulkdaq keeps or sends is one point
  per line, so a newline in a string value is written as the two characters ``\n``: the free text of a
  device's or server's error (a `quality_reason`, an event message) is kept, on one line, rather than
  refused with its reading.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from bulkdaq.errors import BulkdaqError

FieldValue = float | int | str | bool


class LineProtocolError(BulkdaqError, ValueError):
    """A point that line protocol cannot carry as it is: a name it cannot write, no field, NaN or infinity."""


@dataclass(frozen=True, slots=True)
class Point:
    """One point: measurement, tags, fields and a timestamp in milliseconds since the Unix epoch (UTC)."""

    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time_ms: int

    def to_line(self) -> str:
        if not self.fields:
            raise LineProtocolError(f"point of {self.measurement!r} has no fields; InfluxDB needs at least one")
        parts = [_head(self.measurement, tuple(self.tags.items())), " "]
        for key, value in self.fields.items():
            prefix = _FIELD_PREFIXES.get(key) or _field_prefix(key, self.measurement)
            if type(value) is float and value - value == 0.0:  # finite float, the common case
                parts += (prefix, repr(value), ",")
            else:
                parts += (prefix, _field_value(key, value), ",")
        parts[-1] = f" {self.time_ms}"
        return "".join(parts)


# A site writes a few thousand series again and again: the escaped head of each (measurement, tags) and
# the escaped `key=` of every field are kept, so building a line costs a dictionary look-up per series
# and per field (and each name is checked once). Bounded: past the limit a cache is emptied and refilled.
_CACHE_LIMIT = 100_000
_HEADS: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
_FIELD_PREFIXES: dict[str, str] = {}

# What a backslash escapes in each part of a line (InfluxDB 1.x models/points.go: measurement names
# unescape "\," and "\ ", tag keys, tag values and field keys also "\=").
_MEASUREMENT_SPECIALS = ", "
_KEY_SPECIALS = ", ="


def _head(measurement: str, tags: tuple[tuple[str, str], ...]) -> str:
    """`measurement,tag=value,…` with the tags sorted by key and empty values left out, escaped."""
    cache_key = (measurement, tags)
    head = _HEADS.get(cache_key)
    if head is None:
        if measurement.startswith("#"):
            raise LineProtocolError(f"measurement {measurement!r}: a line starting with '#' is a comment, which InfluxDB drops")
        head = _escape(measurement, _MEASUREMENT_SPECIALS, "measurement", measurement)
        for key, value in sorted(tags):
            if value == "":
                continue  # an empty tag value is not allowed in line protocol; absent is the same thing
            head += f",{_escape(key, _KEY_SPECIALS, 'tag key', measurement)}={_escape(value, _KEY_SPECIALS, f'tag {key!r}', measurement)}"
        if len(_HEADS) >= _CACHE_LIMIT:
            _HEADS.clear()
        _HEADS[cache_key] = head
    return head


def _field_prefix(key: str, measurement: str) -> str:
    """`key=`, escaped (and remembered)."""
    escaped = _escape(key, _KEY_SPECIALS, "field key", measurement)
    if len(_FIELD_PREFIXES) >= _CACHE_LIMIT:
        _FIELD_PREFIXES.clear()
    prefix = _FIELD_PREFIXES[key] = escaped + "="
    return prefix


def _field_value(key: str, value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LineProtocolError(f"field {key!r} is {value!r}; line protocol cannot carry NaN or infinity")
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    raise TypeError(f"field {key!r}: unsupported type {type(value).__name__}")


def _escape(name: str, specials: str, what: str, measurement: str) -> str:
    """`name` as InfluxDB reads it back: `specials` escaped, every other character (backslashes too) as it is;
    a name line protocol cannot carry raises LineProtocolError naming it."""
    problem = name_problem(name, specials)
    if problem:
        raise LineProtocolError(f"{what} {name!r} of measurement {measurement!r} cannot be written in line protocol: {problem}")
    for char in specials:
        if char in name:
            name = name.replace(char, "\\" + char)
    return name


def name_problem(name: str, specials: str = _KEY_SPECIALS) -> str | None:
    """Why line protocol cannot carry `name` (a measurement, tag key, tag value or field key), or None.

    `specials` are the characters a backslash escapes in that part of a line: ``", ="`` for tags and field
    keys, ``", "`` for a measurement.
    """
    if not name:
        return "it is empty"
    for char in name:
        if unicodedata.category(char) == "Cc":
            return f"it holds the control character {char!r} (a newline would start a new line)"
    for i, char in enumerate(name):
        if char == "\\" and (i + 1 == len(name) or name[i + 1] in specials):
            follower = "the end" if i + 1 == len(name) else repr(name[i + 1])
            return f"a backslash before {follower} would be read as an escape (InfluxDB has no way to write it)"
    return None


def parse_line(line: str) -> Point:
    """Read a line back as InfluxDB does (used to recompute figures from evidence)."""
    head, rest = _split_unescaped(line, " ")
    body, stamp = _rsplit_time(rest)
    parts = _split_all(head, ",")
    measurement = _unescape(parts[0], _MEASUREMENT_SPECIALS)
    tags = dict((_unescape(k, _KEY_SPECIALS), _unescape(v, _KEY_SPECIALS)) for k, v in (_split_unescaped(part, "=") for part in parts[1:]))
    fields: dict[str, FieldValue] = {}
    for part in _split_all(body, ",", quotes=True):
        key, raw = _split_unescaped(part, "=")
        fields[_unescape(key, _KEY_SPECIALS)] = _parse_value(raw)
    return Point(measurement, tags, fields, int(stamp))


def _parse_value(raw: str) -> FieldValue:
    if raw.startswith('"'):
        return _unescape(raw[1:-1], '"\\')
    if raw in {"true", "false"}:
        return raw == "true"
    if raw.endswith("i"):
        return int(raw[:-1])
    return float(raw)


def _unescape(text: str, specials: str) -> str:
    """A backslash before one of `specials` is dropped; every other backslash is kept (InfluxDB's reading)."""
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in specials:
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _split_all(text: str, separator: str, quotes: bool = False) -> list[str]:
    parts, current, i, quoted = [], [], 0, False
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if quotes and char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def _split_unescaped(text: str, separator: str) -> tuple[str, str]:
    """Split at the first unescaped `separator`."""
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == separator:
            return text[:i], text[i + 1 :]
        i += 1
    raise ValueError(f"malformed line protocol: no {separator!r} in {text!r}")


def _rsplit_time(text: str) -> tuple[str, str]:
    body, _, stamp = text.rpartition(" ")
    if not stamp.isdigit():
        raise ValueError(f"malformed line protocol: no timestamp at the end of {text!r}")
    return body, stamp


__all__ = [
    "FieldValue",
    "LineProtocolError",
    "Point",
    "name_problem",
    "parse_line",
]
