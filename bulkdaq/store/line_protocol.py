"""InfluxDB line protocol: one reading (or derived figure) as one line, escaped as the server expects."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

FieldValue = float | int | str | bool


@dataclass(frozen=True, slots=True)
class Point:
    """One point: measurement, tags, fields and a timestamp in milliseconds since the Unix epoch (UTC)."""

    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time_ms: int

    def to_line(self) -> str:
        if not self.fields:
            raise ValueError(f"point of {self.measurement!r} has no fields; InfluxDB needs at least one")
        parts = [_head(self.measurement, tuple(self.tags.items())), " "]
        for key, value in self.fields.items():
            prefix = _FIELD_PREFIXES.get(key) or _field_prefix(key)
            if type(value) is float and value - value == 0.0:  # finite float, the common case
                parts += (prefix, repr(value), ",")
            else:
                parts += (prefix, _field_value(key, value), ",")
        parts[-1] = f" {self.time_ms}"
        return "".join(parts)


# A site writes a few thousand series again and again: the escaped head of each (measurement, tags) and
# the escaped `key=` of every field are kept, so building a line costs a dictionary look-up per series
# and per field. Bounded: past the limit a cache is emptied and refilled.
_CACHE_LIMIT = 100_000
_HEADS: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
_FIELD_PREFIXES: dict[str, str] = {}


def _head(measurement: str, tags: tuple[tuple[str, str], ...]) -> str:
    """`measurement,tag=value,…` with the tags sorted by key and empty values left out, escaped."""
    cache_key = (measurement, tags)
    head = _HEADS.get(cache_key)
    if head is None:
        head = _escape_name(measurement)
        for key, value in sorted(tags):
            if value == "":
                continue  # an empty tag value is not allowed in line protocol; absent is the same thing
            head += f",{_escape_key(key)}={_escape_key(value)}"
        if len(_HEADS) >= _CACHE_LIMIT:
            _HEADS.clear()
        _HEADS[cache_key] = head
    return head


def _field_prefix(key: str) -> str:
    """`key=`, escaped (and remembered)."""
    if len(_FIELD_PREFIXES) >= _CACHE_LIMIT:
        _FIELD_PREFIXES.clear()
    prefix = _FIELD_PREFIXES[key] = _escape_key(key) + "="
    return prefix


def _field_value(key: str, value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"field {key!r} is {value!r}; line protocol cannot carry NaN or infinity")
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"field {key!r}: unsupported type {type(value).__name__}")


def _escape_name(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(" ", "\\ ")


def _escape_key(text: str) -> str:
    return _escape_name(text).replace("=", "\\=")


def parse_line(line: str) -> Point:
    """Read back a line written by `Point.to_line` (used to recompute figures from evidence)."""
    head, rest = _split_unescaped(line, " ")
    body, stamp = _rsplit_time(rest)
    parts = _split_all(head, ",")
    measurement = _unescape(parts[0])
    tags = dict((_unescape(k), _unescape(v)) for k, v in (_split_unescaped(part, "=") for part in parts[1:]))
    fields: dict[str, FieldValue] = {}
    for part in _split_all(body, ",", quotes=True):
        key, raw = _split_unescaped(part, "=")
        fields[_unescape(key)] = _parse_value(raw)
    return Point(measurement, tags, fields, int(stamp))


def _parse_value(raw: str) -> FieldValue:
    if raw.startswith('"'):
        return raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if raw in {"true", "false"}:
        return raw == "true"
    if raw.endswith("i"):
        return int(raw[:-1])
    return float(raw)


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in ",= \\":
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
    "Point",
    "parse_line",
]
