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
        head = _escape_name(self.measurement)
        for key in sorted(self.tags):
            value = self.tags[key]
            if value == "":
                continue  # an empty tag value is not allowed in line protocol; absent is the same thing
            head += f",{_escape_key(key)}={_escape_key(value)}"
        body = ",".join(f"{_escape_key(key)}={_field_value(key, value)}" for key, value in self.fields.items())
        return f"{head} {body} {self.time_ms}"


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
