"""The draft observation file (水尺观测, issue 16): what a drone, camera, sensor or boat observed of one survey's
draft marks, as a time series per mark, read and validated.

The format is documented field by field in docs/draft_observation.md ("The observation file"). A JSON
document carries the whole observation (``"format": "bulkdaq-draft-observation/1"``, the vessel, the survey it
observes, the source, the observer, the list, the readings and any dock-water density samples); a CSV file
carries the readings only, and the caller gives the metadata (`load_observation_file`'s keyword arguments,
e.g. command-line options).

Each problem names the file, the key path (``readings[12].draft_m``), the value and what was expected. All
the problems of a file are reported at once (up to `MAX_PROBLEMS`), in one
:class:`bulkdaq.errors.InputError` whose ``problems`` lists them. A wrong or missing ``format`` tag is the one
exception: the rest of such a file is not read, because it was written for another format.

The structure is validated with pydantic models on the one strict base (:mod:`bulkdaq.config.strict_model`,
unknown keys refused). The readings are validated one by one when the file has a problem, so that the
checks across readings (a duplicate, the frame hash an image source must give, the observer) are
reported for every reading that is itself valid, together with the problems of the others.

A mark without readings is not a problem of the file: a drone may observe only some marks. The file
says which marks it has (`ObservationFile.marks`); whether that is enough is the session's decision.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import BeforeValidator, TypeAdapter, ValidationError, ValidationInfo, field_validator

from bulkdaq.config.strict_model import StrictModel
from bulkdaq.config.validation import Problem, join_key, key_path, problem_text, problems_error
from bulkdaq.errors import InputError
from bulkdaq.inputs.survey_file import DRAFT_RANGE_M, MARK_KEYS

OBSERVATION_FORMAT = "bulkdaq-draft-observation/1"
"""The ``format`` tag of a JSON observation file; a CSV file is the same format's readings alone."""

FORMATS = (OBSERVATION_FORMAT,)
"""The formats this bulkdaq reads."""

MARKS: tuple[str, ...] = MARK_KEYS
"""The six draft marks, in the order of the survey job file: fwd_port, fwd_stbd, mid_port, mid_stbd,
aft_port, aft_stbd."""

SOURCES: tuple[str, ...] = ("drone", "camera", "sensor", "boat")
"""Who or what observed the marks."""

IMAGE_SOURCES: tuple[str, ...] = ("drone", "camera")
"""Sources whose every reading is read off a picture: each must name its frame and the frame's SHA-256."""

CSV_HEADER: tuple[str, ...] = ("time", "mark", "draft_m", "frame", "frame_sha256", "observer")
"""The header line of a CSV observation file, exactly."""

DENSITY_RANGE_T_M3 = (0.990, 1.040)
"""Dock water, from fresh to the saltiest harbour [t/m³]."""

LIST_LIMIT_DEG = 10.0
"""The largest list an observation may report [°]; beyond it no draft survey is done."""

MAX_FILE_BYTES = 200_000_000
"""Larger files are refused before they are read (a day of six marks at 10 Hz is about 50 MB of JSON)."""

MAX_PROBLEMS = 10
"""The problems of a file listed in its error; the rest are counted."""

TEXT_MAX_CHARS = 200
FRAME_MAX_CHARS = 500
SURVEY_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
DOCS = "docs/draft_observation.md"

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""Control characters (Unicode category Cc) and the line and paragraph separators."""
_SHA256 = re.compile(r"[0-9A-Fa-f]{64}")
_CSV_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_TIME_EXAMPLE = '"2026-12-01T02:15:00.000Z"'

FloatArray = npt.NDArray[np.float64]


# ---------------------------------------------------------------------------------------------------------
# What the file holds once validated


@dataclass(frozen=True)
class MarkReading:
    """One draft read at one mark at one moment.

    Attributes
    ----------
    index : int
        Position of the reading in the file, 0-based (``readings[index]``; in a CSV file the data rows,
        without the header), for messages.
    time : datetime
        When it was observed, in UTC.
    epoch_s : float
        The same moment as seconds since 1970-01-01T00:00:00Z [s].
    mark : str
        One of `MARKS`.
    draft_m : float
        The draft read [m].
    frame : str or None
        The picture it was read from (file and position, e.g. ``"initial-fwd_port.mp4#t=12.480"``).
    frame_sha256 : str or None
        SHA-256 of that frame, 64 lowercase hexadecimal characters.
    observer : str
        Who or what read it: the reading's own observer, else the file's.
    """

    index: int
    time: datetime
    epoch_s: float
    mark: str
    draft_m: float
    frame: str | None
    frame_sha256: str | None
    observer: str


@dataclass(frozen=True)
class DensitySample:
    """One sample of the dock water's density.

    Attributes
    ----------
    index : int
        Position in ``density_samples``, 0-based.
    time : datetime
        When it was drawn, in UTC.
    epoch_s : float
        The same moment as seconds since the epoch [s].
    density_t_m3 : float
        Density of the water [t/m³].
    place : str
        Where it was drawn (``"fwd port, 1 m below surface"``).
    observer : str
        Who drew it: the sample's own observer, else the file's.
    """

    index: int
    time: datetime
    epoch_s: float
    density_t_m3: float
    place: str
    observer: str


@dataclass(frozen=True)
class ObservationFile:
    """A validated draft observation file.

    Attributes
    ----------
    path : str
        The file, as given.
    sha256 : str
        SHA-256 of the file's bytes as read, so a session or certificate can name exactly which file it used.
    format : str
        `OBSERVATION_FORMAT` (also for a CSV file, which holds that format's readings).
    vessel, survey, source : str
        The ship, the survey of the job file the observation is of, and one of `SOURCES`.
    observer : str
        The file's default observer; ``""`` when it gives none because every reading names its own.
    list_deg : float or None
        The list observed [°], positive to starboard (starboard side lower), negative to port; None when
        not observed.
    readings : tuple of MarkReading
        Sorted by mark (in the order of `MARKS`), then time.
    density_samples : tuple of DensitySample
        Sorted by time.
    """

    path: str
    sha256: str
    format: str
    vessel: str
    survey: str
    source: str
    observer: str
    list_deg: float | None
    readings: tuple[MarkReading, ...]
    density_samples: tuple[DensitySample, ...]

    def marks(self) -> tuple[str, ...]:
        """The marks that have readings, in the order of `MARKS`."""
        present = {reading.mark for reading in self.readings}
        return tuple(mark for mark in MARKS if mark in present)

    def readings_of(self, mark: str) -> tuple[MarkReading, ...]:
        """The readings of `mark`, by time; empty when the mark was not observed.

        Raises
        ------
        ValueError
            `mark` is not one of `MARKS`.
        """
        if mark not in MARKS:
            raise ValueError(f"unknown mark {mark!r}; the marks are {', '.join(MARKS)}")
        return tuple(reading for reading in self.readings if reading.mark == mark)

    def series(self, mark: str) -> tuple[FloatArray, FloatArray]:
        """The time series of `mark`: (epoch seconds [s], drafts [m]), times strictly increasing; two empty
        arrays when the mark was not observed.

        Raises
        ------
        ValueError
            `mark` is not one of `MARKS`.
        """
        readings = self.readings_of(mark)
        return (
            np.asarray([reading.epoch_s for reading in readings], dtype=np.float64),
            np.asarray([reading.draft_m for reading in readings], dtype=np.float64),
        )


# ---------------------------------------------------------------------------------------------------------
# How each value is read. A problem is a ValueError whose message names the value and what was expected;
# pydantic puts the key path to it.


def _describe(node: Any) -> str:
    """A value as the message shows it: JSON-like, long texts shortened."""
    if node is None:
        return "null"
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, float) and not math.isfinite(node):
        return "NaN" if math.isnan(node) else ("Infinity" if node > 0 else "-Infinity")
    if isinstance(node, str):
        shown = node if len(node) <= 70 else node[:67] + "…"
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(node, dict):
        return "an object"
    if isinstance(node, list):
        return "a list"
    return repr(node)


def _character_name(character: str) -> str:
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab"}
    return names.get(character, f"the control character U+{ord(character):04X}")


def _text(node: Any, limit: int = TEXT_MAX_CHARS) -> str:
    expected = f"expected text of at most {limit} characters on one line"
    if not isinstance(node, str):
        raise ValueError(f"{expected}, got {_describe(node)}")
    if not node.strip():
        raise ValueError(f"{expected}, got {_describe(node)} (empty)")
    if len(node) > limit:
        raise ValueError(f"{expected}, got {len(node)} characters ({_describe(node)})")
    control = _CONTROL.search(node)
    if control:
        raise ValueError(
            f"{expected}, without newlines or control characters, got {_describe(node)} "
            f"({_character_name(control.group())} at character {control.start() + 1})"
        )
    return node


def _frame(node: Any) -> str:
    return _text(node, FRAME_MAX_CHARS)


def _survey_name(node: Any) -> str:
    if not isinstance(node, str) or not SURVEY_NAME.fullmatch(node):
        raise ValueError(
            "expected the name of a survey of the job file (initial, draft_check, final, …): letters, digits, "
            f"'_' and '-', at most 64, got {_describe(node)}"
        )
    return node


def _choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def choice(node: Any) -> str:
        if not isinstance(node, str) or node not in choices:
            hint = ""
            if isinstance(node, str) and node.strip().lower() in choices:
                hint = f" (did you mean {node.strip().lower()!r}?)"
            raise ValueError(f"expected one of {', '.join(choices)}, got {_describe(node)}{hint}")
        return node

    return choice


def _time(node: Any) -> datetime:
    expected = f"expected an ISO 8601 date and time with a time zone, e.g. {_TIME_EXAMPLE}"
    if not isinstance(node, str):
        raise ValueError(f"{expected}, got {_describe(node)}")
    try:
        moment = datetime.fromisoformat(node)
    except ValueError:
        raise ValueError(f"{expected}, got {_describe(node)}") from None
    if not re.search(r"[0-9][Tt ][0-9]", node):
        raise ValueError(f"{expected}, got {_describe(node)} (a date without the time of day)")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{_describe(node)} has no time zone; add Z for UTC or the offset of the local time, e.g. +08:00 "
            f"({_TIME_EXAMPLE} or \"2026-12-01T10:15:00+08:00\")"
        )
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:  # the first or last day of the calendar, shifted out of it
        raise ValueError(f"{expected}, got {_describe(node)} (out of the calendar in UTC)") from None


def _number(node: Any, info: ValidationInfo, expected: str) -> float:
    """A number: in a JSON file a JSON number (never text, never true/false), in a CSV cell a plain decimal."""
    from_csv = isinstance(info.context, dict) and info.context.get("csv", False)
    if isinstance(node, str) and from_csv and _CSV_NUMBER.fullmatch(node):
        node = float(node)
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        if from_csv:
            hint = " (a plain decimal number with a point, e.g. 13.834)"
        elif isinstance(node, str):
            hint = " (text: write the number without quotes)"
        else:
            hint = ""
        raise ValueError(f"{expected}, got {_describe(node)}{hint}")
    try:
        value = float(node)
    except OverflowError:  # an integer too large for a float
        raise ValueError(f"{expected}, got an integer of {len(str(node))} digits") from None
    if not math.isfinite(value):
        raise ValueError(f"{expected}, got {_describe(node)} (not a measured number)")
    return value


def _draft(node: Any, info: ValidationInfo) -> float:
    low, high = DRAFT_RANGE_M
    expected = f"expected a draft in metres, above {low:g} and at most {high:g}"
    value = _number(node, info, expected)
    if not low < value <= high:
        hint = ""
        if value <= low:
            hint = " (a draft is measured up from the keel)"
        elif 100 <= value <= high * 100:
            hint = " (centimetres? write metres, e.g. 13.834)"
        raise ValueError(f"{expected}, got {value:g} m{hint}")
    return value


def _density(node: Any, info: ValidationInfo) -> float:
    low, high = DENSITY_RANGE_T_M3
    expected = f"expected the water's density in t/m³, {low:.3f} to {high:.3f}"
    value = _number(node, info, expected)
    if not low <= value <= high:
        hint = ""
        if low * 1000 <= value <= high * 1000:
            hint = f" (that is kg/m³: write t/m³, {value:g} kg/m³ = {value / 1000:.4g} t/m³)"
        raise ValueError(f"{expected}, got {value:g}{hint}")
    return value


def _list_deg(node: Any, info: ValidationInfo) -> float:
    expected = f"expected the list in degrees, -{LIST_LIMIT_DEG:g} to {LIST_LIMIT_DEG:g} (positive to starboard, negative to port)"
    value = _number(node, info, expected)
    if abs(value) > LIST_LIMIT_DEG:
        raise ValueError(f"{expected}, got {value:g}°")
    return value


def _sha256(node: Any) -> str:
    expected = "expected the frame's SHA-256: 64 hexadecimal characters"
    if not isinstance(node, str):
        raise ValueError(f"{expected}, got {_describe(node)}")
    if not _SHA256.fullmatch(node):
        if len(node) != 64:
            raise ValueError(f"{expected}, got {len(node)} characters ({_describe(node)})")
        bad = next(character for character in node if character not in "0123456789abcdefABCDEF")
        raise ValueError(f"{expected}, got {_describe(node)} ({bad!r} is not hexadecimal)")
    return node.lower()


def _list_of(one: str, many: str, *, at_least_one: bool) -> Callable[[Any], list[Any]]:
    def read(node: Any) -> list[Any]:
        if not isinstance(node, list):
            raise ValueError(f"expected a list of {many}, got {_describe(node)}")
        if at_least_one and not node:
            raise ValueError(f"expected at least one {one}, got an empty list")
        return node

    return read


def _Optional(read: Callable[[Any], Any]) -> BeforeValidator:
    """A key that may be left out or null, read with `read` when given."""
    return BeforeValidator(lambda node: None if node is None else read(node))


Text = Annotated[str, BeforeValidator(_text)]
OptionalText = Annotated[str | None, _Optional(_text)]
Moment = Annotated[datetime, BeforeValidator(_time)]


# ---------------------------------------------------------------------------------------------------------
# The structure


class _Reading(StrictModel):
    time: Moment
    mark: Annotated[str, BeforeValidator(_choice(MARKS))]
    draft_m: float
    frame: Annotated[str | None, _Optional(_frame)] = None
    frame_sha256: Annotated[str | None, _Optional(_sha256)] = None
    observer: OptionalText = None

    @field_validator("draft_m", mode="before")
    @classmethod
    def _draft_m(cls, node: Any, info: ValidationInfo) -> float:
        return _draft(node, info)


class _DensitySample(StrictModel):
    time: Moment
    density_t_m3: float
    place: Text
    observer: OptionalText = None

    @field_validator("density_t_m3", mode="before")
    @classmethod
    def _density_t_m3(cls, node: Any, info: ValidationInfo) -> float:
        return _density(node, info)


class _Header(StrictModel):
    """The file's own keys; the readings and density samples are validated one by one (see `_items`)."""

    format: str
    vessel: Text
    survey: Annotated[str, BeforeValidator(_survey_name)]
    source: Annotated[str, BeforeValidator(_choice(SOURCES))]
    observer: OptionalText = None
    list_deg: float | None = None
    readings: Annotated[list[Any], BeforeValidator(_list_of("reading", "readings", at_least_one=True))]
    density_samples: Annotated[list[Any], BeforeValidator(_list_of("density sample", "density samples", at_least_one=False))] = []

    @field_validator("list_deg", mode="before")
    @classmethod
    def _list(cls, node: Any, info: ValidationInfo) -> float | None:
        return None if node is None else _list_deg(node, info)


_KEYS_OF = {
    "an observation file": tuple(_Header.model_fields),
    "a reading": tuple(_Reading.model_fields),
    "a density sample": tuple(_DensitySample.model_fields),
}
_REQUIRED = {
    "vessel": "the ship's name",
    "survey": "the survey of the job file observed (initial, draft_check, final, …)",
    "source": f"what observed the marks: {', '.join(SOURCES)}",
    "readings": "the list of readings",
    "time": f"when, ISO 8601 with a time zone, e.g. {_TIME_EXAMPLE}",
    "mark": f"which mark: {', '.join(MARKS)}",
    "draft_m": "the draft read, in metres",
    "density_t_m3": "the water's density in t/m³",
    "place": "where the sample was drawn",
}
"""What a required key holds, for the message that says it is missing."""
_READINGS = TypeAdapter(list[_Reading])
_DENSITY_SAMPLES = TypeAdapter(list[_DensitySample])


class _DuplicateKeys(dict[str, Any]):
    """A JSON object that gave some key more than once (`duplicates`): json keeps the last in silence."""

    duplicates: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    node = dict(pairs)
    if len(node) == len(pairs):
        return node
    keys = [key for key, _ in pairs]
    marked = _DuplicateKeys(node)
    marked.duplicates = tuple(dict.fromkeys(key for key in keys if keys.count(key) > 1))
    return marked


def _duplicate_keys(node: Any, path: str) -> list[Problem]:
    duplicates = node.duplicates if isinstance(node, _DuplicateKeys) else ()
    return [(join_key(path, key), "the key is given twice in the same object; give it once") for key in duplicates]


def _problem(error: Mapping[str, Any], prefix: str, what: str, note: str) -> Problem:
    """(key path, problem) of a pydantic error inside `prefix` (a reading, a sample, or the file)."""
    path = key_path(error["loc"])
    path = prefix if path == "(top level)" else (f"{prefix}.{path}" if prefix and not path.startswith("[") else prefix + path)
    kind = error["type"]
    if kind == "extra_forbidden":
        problem = f"unknown key; {what} has the keys {', '.join(_KEYS_OF[what])} (see {DOCS})"
    elif kind == "missing":
        key = str(error["loc"][-1]) if error["loc"] else ""
        problem = f"required key is missing: {_REQUIRED.get(key, 'see ' + DOCS)}"
    else:
        problem = problem_text(error, DOCS)
    return path or "(top level)", problem + note


def _items(
    model: type[StrictModel], adapter: TypeAdapter[Any], nodes: list[Any], key: str, what: str, csv_lines: Sequence[int] | None
) -> tuple[list[tuple[int, Any]], list[Problem]]:
    """The valid items of the list `key` (with their index) and the problems of the others."""
    context = {"csv": csv_lines is not None}
    duplicates = [problem for index, node in enumerate(nodes) for problem in _duplicate_keys(node, f"{key}[{index}]")]
    if not duplicates:
        try:
            return list(enumerate(adapter.validate_python(nodes, context=context))), []
        except ValidationError:
            pass  # validate one by one: the valid items are checked against each other too
    valid: list[tuple[int, Any]] = []
    problems = duplicates
    for index, node in enumerate(nodes):
        prefix = f"{key}[{index}]"
        note = "" if csv_lines is None else f" (CSV line {csv_lines[index]})"
        if not isinstance(node, dict):
            problems.append((prefix, f"expected {what} as an object ({{…}}) with the keys {', '.join(_KEYS_OF[what])}, got {_describe(node)}{note}"))
            continue
        try:
            valid.append((index, model.model_validate(node, context=context)))
        except ValidationError as error:
            problems.extend(_problem(e, prefix, what, note) for e in error.errors())
    return valid, problems


# ---------------------------------------------------------------------------------------------------------
# The checks across values, and the result


@dataclass(frozen=True)
class _Given:
    """The metadata the caller gives with the file (`load_observation_file`'s keyword arguments)."""

    survey: str | None
    vessel: str | None
    source: str | None
    observer: str | None

    def items(self) -> tuple[tuple[str, str | None], ...]:
        return (("vessel", self.vessel), ("survey", self.survey), ("source", self.source), ("observer", self.observer))


def _valid(read: Callable[[Any], Any], node: Any) -> Any:
    """`node` read with `read`, or None when it is not valid (its problem is reported elsewhere)."""
    try:
        return read(node)
    except ValueError:
        return None


def _observation(
    path: str, sha256: str, document: Mapping[str, Any], csv_lines: Sequence[int] | None, from_caller: Sequence[str]
) -> ObservationFile:
    """Validate the document (the JSON file, or the CSV file's rows with the caller's metadata) and build it."""
    problems: list[Problem] = _duplicate_keys(document, "")
    header: _Header | None = None
    try:
        header = _Header.model_validate(document, context={"csv": False})
    except ValidationError as error:
        for e in error.errors():
            field, problem = _problem(e, "", "an observation file", "")
            if field in from_caller:
                problem += " (given with the file, not written in it)"
                if e["type"] == "missing":
                    problem = f"required: a CSV observation file holds the readings only; give the {field} with it (e.g. a command-line option)"
            problems.append((field, problem))
    source = _valid(_choice(SOURCES), document.get("source"))

    readings: list[tuple[int, _Reading]] = []
    raw_readings = document.get("readings")
    if isinstance(raw_readings, list):
        readings, found = _items(_Reading, _READINGS, raw_readings, "readings", "a reading", csv_lines)
        problems += found
    samples: list[tuple[int, _DensitySample]] = []
    raw_samples = document.get("density_samples", [])
    if isinstance(raw_samples, list):
        samples, found = _items(_DensitySample, _DENSITY_SAMPLES, raw_samples, "density_samples", "a density sample", None)
        problems += found

    def where(index: int) -> str:
        return "" if csv_lines is None else f" (CSV line {csv_lines[index]})"

    first_at: dict[tuple[str, datetime], int] = {}
    by_hash: dict[str, int] = {}
    by_frame: dict[str, int] = {}
    read_at = {index: reading for index, reading in readings}
    for index, reading in readings:
        prefix = f"readings[{index}]"
        if source in IMAGE_SOURCES and reading.frame_sha256 is None:
            problems.append(
                (
                    f"{prefix}.frame_sha256",
                    f"required key is missing: a {source} reading is read off a picture, so it names the frame's "
                    f"SHA-256 (64 hexadecimal characters), the evidence behind the number{where(index)}",
                )
            )
        if reading.frame_sha256 is not None and reading.frame is None:
            problems.append((f"{prefix}.frame", f"required key is missing: the frame that frame_sha256 is the hash of{where(index)}"))
        if reading.frame_sha256 is not None and reading.frame is not None:
            # one picture is one instant: a hash (or a frame) cited for another frame or another time
            # would let one picture stand behind many numbers
            other = read_at[by_hash.setdefault(reading.frame_sha256, index)]
            if other is not reading and (other.frame != reading.frame or other.time != reading.time):
                problems.append(
                    (
                        f"{prefix}.frame_sha256",
                        f"is also the hash of readings[{by_hash[reading.frame_sha256]}] (frame {other.frame!r} at "
                        f"{other.time.isoformat().replace('+00:00', 'Z')}): one frame is one picture at one instant{where(index)}",
                    )
                )
            other = read_at[by_frame.setdefault(reading.frame, index)]
            if other is not reading and (other.frame_sha256 != reading.frame_sha256 or other.time != reading.time):
                problems.append(
                    (
                        f"{prefix}.frame",
                        f"{reading.frame!r} is also cited by readings[{by_frame[reading.frame]}] with another hash or time; "
                        f"one frame is one picture at one instant{where(index)}",
                    )
                )
        same = first_at.setdefault((reading.mark, reading.time), index)
        if same != index:
            problems.append(
                (
                    prefix,
                    f"a second reading of {reading.mark} at {reading.time.isoformat().replace('+00:00', 'Z')}: readings[{same}] "
                    f"has the same mark and time; each reading once{where(index)}",
                )
            )
    if "observer" not in document or document.get("observer") is None:
        without = [f"readings[{index}]" for index, reading in readings if reading.observer is None]
        without += [f"density_samples[{index}]" for index, sample in samples if sample.observer is None]
        if without:
            shown = ", ".join(without[:3]) + (f" and {len(without) - 3} more" if len(without) > 3 else "")
            problems.append(
                ("observer", f"required key is missing: give the default observer, or an observer on every reading and sample ({shown} have none)")
            )

    if problems:
        if len(problems) > MAX_PROBLEMS:
            hidden = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [("(more)", f"{hidden} more problem{'s' if hidden > 1 else ''} not listed")]
        raise problems_error(path, problems, one_line=True)
    assert header is not None
    observer = header.observer or ""
    return ObservationFile(
        path=path,
        sha256=sha256,
        format=header.format,
        vessel=header.vessel,
        survey=header.survey,
        source=header.source,
        observer=observer,
        list_deg=header.list_deg,
        readings=tuple(
            sorted(
                (
                    MarkReading(
                        index=index,
                        time=reading.time,
                        epoch_s=reading.time.timestamp(),
                        mark=reading.mark,
                        draft_m=reading.draft_m,
                        frame=reading.frame,
                        frame_sha256=reading.frame_sha256,
                        observer=reading.observer or observer,
                    )
                    for index, reading in readings
                ),
                key=lambda reading: (MARKS.index(reading.mark), reading.time),
            )
        ),
        density_samples=tuple(
            sorted(
                (
                    DensitySample(
                        index=index,
                        time=sample.time,
                        epoch_s=sample.time.timestamp(),
                        density_t_m3=sample.density_t_m3,
                        place=sample.place,
                        observer=sample.observer or observer,
                    )
                    for index, sample in samples
                ),
                key=lambda sample: (sample.time, sample.index),
            )
        ),
    )


def _format_tag(path: str, document: Any) -> None:
    """The document is a JSON object of a format this bulkdaq reads; else the one problem of the file."""
    if not isinstance(document, dict):
        raise InputError(path, "(top level)", f"expected a JSON object ({{\"format\": \"{OBSERVATION_FORMAT}\", …}}), got {_describe(document)}")
    tag = document.get("format")
    understood = ", ".join(FORMATS)
    if "format" not in document:
        raise InputError(path, "format", f"required key is missing: expected \"{OBSERVATION_FORMAT}\" (the formats understood: {understood})")
    if tag not in FORMATS:
        raise InputError(path, "format", f"expected one of the formats understood ({understood}), got {_describe(tag)}")


def _given_agrees(path: str, document: Mapping[str, Any], given: _Given) -> None:
    """A JSON file states its own metadata: what the caller gives must agree with it, naming both."""
    problems = []
    for key, value in given.items():
        stated = document.get(key)
        if value is not None and stated is not None and stated != value:
            what = {"survey": "observes survey", "vessel": "is of vessel", "source": "was observed by", "observer": "names the observer"}[key]
            problems.append((key, f"the file {what} {_describe(stated)}, but {_describe(value)} was given with it"))
    if problems:
        raise problems_error(path, problems, one_line=True)


def _parse_json(path: str, sha256: str, text: str, given: _Given) -> ObservationFile:
    try:
        # NaN and Infinity are read (Python's json accepts them) so that the value's own key names the problem.
        document = json.loads(text, object_pairs_hook=_json_object)
    except json.JSONDecodeError as error:
        raise InputError(path, f"(line {error.lineno}, column {error.colno})", f"not valid JSON: {error.msg}") from None
    except RecursionError:
        raise InputError(path, "(top level)", "not valid JSON for an observation: nested too deeply") from None
    except ValueError:  # an integer of more digits than Python converts (4300)
        raise InputError(path, "(top level)", "not valid JSON for an observation: a number with thousands of digits") from None
    _format_tag(path, document)
    _given_agrees(path, document, given)
    from_caller: tuple[str, ...] = ()
    if given.observer is not None and document.get("observer") is None:
        document["observer"] = given.observer  # the default observer the file leaves to the caller
        from_caller = ("observer",)
    return _observation(path, sha256, document, None, from_caller)


def _parse_csv(path: str, sha256: str, text: str, given: _Given) -> ObservationFile:
    header_line = ",".join(CSV_HEADER)
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    nodes: list[dict[str, Any]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    try:
        header = next(rows, None)
        if header is None:
            raise InputError(path, "(header)", f"the file is empty; expected the header {header_line}")
        if tuple(header) != CSV_HEADER:
            raise InputError(path, "(header)", f"expected the header {header_line}, got {_describe(','.join(header))} (CSV line {rows.line_num})")
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            index = len(nodes)
            if len(row) != len(CSV_HEADER):
                problems.append((f"readings[{index}]", f"expected {len(CSV_HEADER)} cells ({header_line}), got {len(row)} (CSV line {rows.line_num})"))
            cells = dict(zip(CSV_HEADER, row, strict=False))
            nodes.append({key: value for key, value in cells.items() if value != "" or key in ("time", "mark", "draft_m")})
            lines.append(rows.line_num)
    except csv.Error as error:
        raise InputError(path, f"(CSV line {rows.line_num})", f"not valid CSV: {error}") from None
    if problems:
        raise problems_error(path, problems[:MAX_PROBLEMS], one_line=True)
    document: dict[str, Any] = {"format": OBSERVATION_FORMAT, "readings": nodes}
    for key, value in given.items():
        if value is not None:
            document[key] = value
    if not nodes:
        raise InputError(path, "readings", "expected at least one reading; the file has only the header")
    return _observation(path, sha256, document, lines, ("vessel", "survey", "source", "observer"))


def load_observation_file(
    path: str | Path,
    *,
    survey: str | None = None,
    vessel: str | None = None,
    source: str | None = None,
    observer: str | None = None,
) -> ObservationFile:
    """Read and validate a draft observation file (docs/draft_observation.md, "The observation file").

    Parameters
    ----------
    path : str or Path
        A ``.json`` file (the whole observation) or a ``.csv`` file (the readings only).
    survey, vessel, source, observer : str, optional
        The metadata a CSV file does not hold: `vessel`, `survey` and `source` are required with one, and
        `observer` unless every row names its own. For a JSON file each must agree with what the file
        states (a survey asked for that differs from the file's is an error naming both); `observer` gives
        the default observer when the file has none.

    Returns
    -------
    ObservationFile

    Raises
    ------
    InputError
        Naming the file, the key path, the value and what was expected; every problem of the file (up to
        `MAX_PROBLEMS`) is listed, and kept as the error's ``problems``.
    """
    name = str(path)
    file = Path(path)
    try:
        size = file.stat().st_size
    except FileNotFoundError:
        raise InputError(name, "(file)", "no such file") from None
    except OSError as error:
        raise InputError(name, "(file)", f"cannot read the file: {error.strerror or error}") from None
    if file.is_dir():
        raise InputError(name, "(file)", "this is a directory; expected an observation file (.json or .csv)")
    suffix = file.suffix.lower()
    if suffix not in (".json", ".csv"):
        named = f"the suffix {file.suffix!r}" if file.suffix else "no suffix"
        raise InputError(name, "(file)", f"{named}; expected an observation file ending in .json (the whole observation) or .csv (the readings only)")
    if size > MAX_FILE_BYTES:
        raise InputError(
            name, "(file)", f"the file is {size / 1e6:.1f} MB; observation files up to {MAX_FILE_BYTES / 1e6:g} MB are read (split the observation by mark or by time)"
        )
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise InputError(name, "(file)", f"cannot read the file: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(name, "(file)", f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    sha256 = hashlib.sha256(raw).hexdigest()
    given = _Given(survey=survey, vessel=vessel, source=source, observer=observer)
    if suffix == ".csv":
        return _parse_csv(name, sha256, text, given)
    return _parse_json(name, sha256, text, given)


__all__ = [
    "CSV_HEADER",
    "DENSITY_RANGE_T_M3",
    "FORMATS",
    "IMAGE_SOURCES",
    "LIST_LIMIT_DEG",
    "MARKS",
    "MAX_FILE_BYTES",
    "MAX_PROBLEMS",
    "OBSERVATION_FORMAT",
    "SOURCES",
    "DensitySample",
    "MarkReading",
    "ObservationFile",
    "load_observation_file",
]
