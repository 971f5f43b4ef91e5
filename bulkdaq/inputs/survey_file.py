"""The draft survey job file: one JSON document per job, read, validated and turned into calculator inputs.

The shape is the contract of issue 4 (documented field by field in docs/draft_survey.md). Every problem
is raised as :class:`bulkdaq.errors.InputError` naming the file, the key path (e.g.
``surveys.initial.marks_m.fwd_port``) and what was expected; nothing is filled in silently.

The structure is validated with pydantic models on the one strict base of bulkdaq's input files
(:mod:`bulkdaq.config.strict_model`); their validators read the values with this module's helpers, so the
problems keep the survey file's own wording, and the first problem in the order the file is read (vessel,
rounding, mean method, cargo, operation, bill of lading, surveys, job; inside each object the order of its
model's fields) is the one raised. Keys the file does not know are left to other tools, except
near-misses of its own keys ("did you mean …?").

Numbers should be JSON numbers. A number written as a string is read only when it cannot be misread
(:func:`parse_number_text`): decimal commas and thousands separators are accepted when the text has one
meaning, and rejected when it could mean two (``"1,374"`` — 1374 or 1.374?).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Callable, Mapping, Sequence

import numpy as np
from pydantic import BeforeValidator, Field, ValidationError, ValidationInfo, field_validator, model_validator

from bulkdaq.config.strict_model import StrictModel
from bulkdaq.config.validation import Problem, join_key, problem_text, problems_error
from bulkdaq.errors import BulkdaqError, InputError
from calculators.survey.draft_survey import draft_survey
from calculators.survey.hydrostatics import (
    LCF_CONVENTIONS,
    DraftOutsideTable,
    HydrostaticTable,
    HydrostaticTableError,
    lcf_from_midship_aft_positive,
)
from calculators.survey.inputs import (
    DEDUCTIBLE_KINDS,
    MEAN_METHODS,
    OPERATIONS,
    Deductible,
    MarkPosition,
    MarkPositions,
    MarkReadings,
    OperationMismatch,
    SurveyConditionInput,
    TableReadings,
    VesselParticulars,
)
from calculators.survey.result import DraftSurveyResult
from calculators.survey.rounding import ROUNDING_POLICIES, RoundingPolicy

MARK_KEYS = ("fwd_port", "fwd_stbd", "mid_port", "mid_stbd", "aft_port", "aft_stbd")

# Plausibility ranges: wide enough for any sea-going ship, narrow enough to catch a unit slip
# (kg/m³ for t/m³, cm for m).
DRAFT_RANGE_M = (0.0, 30.0)
DENSITY_RANGE_T_M3 = (0.9, 1.1)

# Characters that only ever group thousands (spaces of every width, apostrophes).
_GROUPING_ONLY = {" ", "\u00a0", "\u202f", "\u2009", "'", "\u2019"}
_NUMBER_CHARACTERS = set("0123456789,.") | _GROUPING_ONLY


class NumberTextError(BulkdaqError, ValueError):
    """A number written as text that cannot be read with certainty."""


def parse_number_text(text: str) -> float:
    """Read a number written as text, or refuse it when it could be misread.

    The rule:

    * plain digits with at most one '.' or one ',' are read with that mark as the decimal mark
      (``"5.69"``, ``"5,69"``, ``"0,750"``, ``"1374,73"``) — except when the mark is followed by exactly
      three digits after one to three leading digits not starting with 0 (``"1,374"``, ``"1.374"``):
      that is also how a thousands separator looks, so it is rejected;
    * when both '.' and ',' appear, the last one is the decimal mark and must appear once; the other
      groups thousands (``"29,297.50"``, ``"29.297,50"``);
    * a mark that appears more than once groups thousands (``"1,374,730"``);
    * spaces (also no-break and thin) and apostrophes only ever group thousands (``"29 297,5"``);
    * grouping must be regular: 1–3 digits, then groups of exactly 3;
    * a leading '+' or '-' is allowed; anything else (units, exponents, letters) is rejected.

    Parameters
    ----------
    text : str

    Returns
    -------
    float

    Raises
    ------
    NumberTextError
        The text is not a number, or is ambiguous; the message says why.
    """
    body = text.strip()
    sign = 1.0
    if body[:1] in "+-" and body:
        sign = -1.0 if body[0] == "-" else 1.0
        body = body[1:]
    if not body or not body[0].isdigit() or not body[-1].isdigit() or set(body) - _NUMBER_CHARACTERS:
        raise NumberTextError("not a number")
    commas, dots = body.count(","), body.count(".")
    grouping_chars = {c for c in body if c in _GROUPING_ONLY}
    if commas and dots:
        decimal_mark = "," if body.rfind(",") > body.rfind(".") else "."
        if body.count(decimal_mark) != 1:
            raise NumberTextError(f"the decimal mark {decimal_mark!r} appears more than once")
        grouping_chars.add("." if decimal_mark == "," else ",")
    elif commas == 1 or dots == 1:
        decimal_mark = "," if commas else "."
        whole, fraction = body.split(decimal_mark)
        looks_grouped = len(fraction) == 3 and 1 <= len(whole) <= 3 and not whole.startswith("0")
        if looks_grouped and not grouping_chars:
            raise NumberTextError(
                f"ambiguous: {decimal_mark!r} followed by three digits may be a decimal mark or a thousands "
                "separator; write it as a JSON number"
            )
    elif commas or dots:
        decimal_mark = None
        grouping_chars.add("," if commas else ".")
    else:
        decimal_mark = None

    whole, _, fraction = body.partition(decimal_mark) if decimal_mark else (body, "", "")
    if len(grouping_chars) > 1:
        raise NumberTextError("mixes different thousands separators")
    if grouping_chars:
        separator = re.escape(next(iter(grouping_chars)))
        if not re.fullmatch(rf"[0-9]{{1,3}}({separator}[0-9]{{3}})+", whole):
            raise NumberTextError("thousands separators must group the digits in threes")
        whole = re.sub(separator, "", whole)
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        raise NumberTextError("not a number")
    return sign * float(f"{whole}.{fraction or '0'}")


@dataclass(frozen=True)
class SurveyJob:
    """A validated survey job, ready to compute; `source` is the file it came from."""

    source: str
    vessel_name: str
    vessel: VesselParticulars
    lcf_convention: str
    table: HydrostaticTable | None
    conditions: tuple[SurveyConditionInput, ...]
    rounding: RoundingPolicy
    mean_method: str
    cargo_from: str
    cargo_to: str
    bill_of_lading_t: float | None
    audit_tolerance_t: float
    audit_tolerance_fraction: float
    job_details: Mapping[str, str] = field(default_factory=dict)
    survey_details: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    operation: str | None = None  # 'loading' or 'discharge' as the file declares it; None: from the sign
    sha256: str = ""  # of the file's bytes, so a report or certificate can name exactly which file it used

    def compute(self) -> DraftSurveyResult:
        """Run the draft survey; a mean draft outside a table becomes an InputError naming that table, and
        surveys that contradict the declared operation an InputError naming ``operation``."""
        try:
            return draft_survey(
                self.vessel,
                self.table,
                self.conditions,
                self.rounding,
                self.mean_method,  # type: ignore[arg-type]
                self.cargo_from,
                self.cargo_to,
                self.bill_of_lading_t,
                self.audit_tolerance_t,
                self.audit_tolerance_fraction,
                self.operation,  # type: ignore[arg-type]
            )
        except OperationMismatch as error:
            raise InputError(self.source, "operation", str(error)) from None
        except DraftOutsideTable as error:
            where = (
                f"surveys.{error.survey}.table_readings.rows"
                if error.table_source == "surveyor readings"
                else "vessel.hydrostatics"
            )
            raise InputError(self.source, where, str(error)) from None


VESSEL_KEYS = (
    "name", "lbp_m", "table_density_t_m3", "keel_plate_mm", "lightship_t", "declared_constant_t",
    "lcf_convention", "hydrostatics", "breadth_m", "table_trim_range_m", "table_audit",
)
ROW_KEYS = ("draft_m", "displacement_t", "tpc_t_cm", "lcf_m", "mtc_t_m_cm")
SURVEY_KEYS = (
    "marks_m", "mark_positions", "dock_density_t_m3", "list_tpc_t_cm", "table_readings", "deductibles",
    "details",
)
TOP_KEYS = ("vessel", "rounding", "surveys", "mean_method", "cargo", "operation", "bill_of_lading_t", "job")
DEDUCTIBLE_KEYS = ("kind", "name", "t", "volume_m3", "density_t_m3")


# ---------------------------------------------------------------------------------------------------------
# The file's structure as pydantic models on the one strict base (bulkdaq.config.strict_model), like every
# other input file of bulkdaq. The validators read each value with the helpers below, so the wording of
# every problem is the survey file's own; the first problem, in the order the file is read (the model
# fields are declared in that order), is raised as an InputError with its key path.


class _Problem(ValueError):
    """A problem a validator found at `keys` inside the value it validates (a row of a table, a survey's
    missing table readings), so that the key path of the error names that spot."""

    def __init__(self, problem: str, *keys: str | int) -> None:
        super().__init__(problem)
        self.keys = keys


def _describe(node: Any) -> str:
    if node is None:
        return "null"
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, str):
        return json.dumps(node, ensure_ascii=False)
    if isinstance(node, dict):
        return "an object"
    if isinstance(node, list):
        return "a list"
    return repr(node)


def _object(node: Any, known: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise ValueError(f"expected an object ({{…}}), got {_describe(node)}")
    # Extra keys are allowed (other tools add their own), but a near-miss of a known key is a typo
    # that would otherwise silently drop an optional figure such as the list TPCs.
    for key in node:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
            if close:
                raise _Problem(f"unknown key; did you mean {close[0]!r}?", key)
    return node


def _number(
    node: Any,
    unit: str,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
    hint: str = "",
    text: bool = True,
) -> float:
    expected = f"expected a number in {unit}"
    if isinstance(node, bool) or not isinstance(node, (int, float, str)):
        raise ValueError(f"{expected}, got {_describe(node)}")
    if isinstance(node, str) and not text:
        raise ValueError(f"{expected} written as a JSON number, not text, got {json.dumps(node, ensure_ascii=False)} (remove the quotes)")
    if isinstance(node, str):
        try:
            value = parse_number_text(node)
        except NumberTextError as error:
            raise ValueError(f"{expected}, got {json.dumps(node, ensure_ascii=False)} ({error})") from None
    else:
        value = float(node)
    if not math.isfinite(value):
        raise ValueError(f"{expected}, got {node!r}")
    if positive and not value > 0:
        raise ValueError(f"must be greater than 0 {unit}, got {value:g}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        low = "" if minimum is None else f"{minimum:g}"
        high = "" if maximum is None else f"{maximum:g}"
        raise ValueError(f"{value:g} {unit} is outside the plausible range {low} to {high} {unit}{hint}")
    return value


def _text(node: Any) -> str:
    if not isinstance(node, (str, int, float)) or isinstance(node, bool):
        raise ValueError(f"expected text, got {_describe(node)}")
    return str(node)


def _required(node: Any) -> Any:
    if node is None:
        raise ValueError("missing (required)")
    return node


def _Number(unit: str, **limits: Any) -> Callable[[Any], float]:
    return functools.partial(_number, unit=unit, **limits)


def _Choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def choice(node: Any) -> str:
        if not isinstance(node, str) or node not in choices:
            raise ValueError(f"expected one of {', '.join(repr(c) for c in choices)}, got {_describe(node)}")
        return node

    return choice


def _Required(read: Callable[[Any], Any] | None = None) -> BeforeValidator:
    """A key that must be there and not null ("missing (required)"), read with `read` if given."""
    return BeforeValidator(lambda node: _required(node) if read is None else read(_required(node)))


def _Optional(read: Callable[[Any], Any]) -> BeforeValidator:
    """A key that may be left out or null, read with `read` when given."""
    return BeforeValidator(lambda node: None if node is None else read(node))


def _Value(read: Callable[[Any], Any]) -> BeforeValidator:
    """A key with a default when left out; null is read (and refused) like any other value."""
    return BeforeValidator(read)


def _list(expected: str) -> Callable[[Any], list[Any]]:
    def read(node: Any) -> list[Any]:
        if not isinstance(node, list):
            raise ValueError(f"expected {expected}, got {_describe(node)}")
        return node

    return read


def _context_vessel(info: ValidationInfo) -> _Vessel | None:
    """The vessel validated before the surveys (see `_Document._surveys`), or None if it had problems."""
    return info.context.get("vessel") if isinstance(info.context, dict) else None


Text = Annotated[str, _Value(_text)]
Metres = Annotated[float, _Value(_Number("metres"))]
Draft = Annotated[float, _Required(_Number("metres", minimum=DRAFT_RANGE_M[0], maximum=DRAFT_RANGE_M[1]))]
_DENSITY_HINT = " (enter t/m³, not kg/m³)"
WaterDensity = Annotated[
    float, _Required(_Number("t/m³", minimum=DENSITY_RANGE_T_M3[0], maximum=DENSITY_RANGE_T_M3[1], hint=_DENSITY_HINT))
]
TextMapping = Annotated[dict[str, Text] | None, _Optional(_object)]


class _FileModel(StrictModel):
    """A JSON object of the survey file: keys it does not know are left to other tools (dropped before the
    strict validation), except near-misses of its own keys, which are typos ("did you mean …?")."""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        known = tuple(field.alias or name for name, field in cls.model_fields.items())
        node = _object(data, known)
        return cls._arrange({key: value for key, value in node.items() if key in known})

    @classmethod
    def _arrange(cls, node: dict[str, Any]) -> dict[str, Any]:
        return node


class _Row(_FileModel):
    draft_m: Draft
    displacement_t: Annotated[float, _Required(_Number("tonnes", positive=True))]
    tpc_t_cm: Annotated[float, _Required(_Number("t/cm", positive=True))]
    lcf_m: Annotated[float, _Required(_Number("metres"))]
    mtc_t_m_cm: Annotated[float | None, _Optional(_Number("t·m/cm", positive=True))] = None


def _table(rows: Sequence[_Row], convention: str, lbp_m: float, with_mtc: bool) -> HydrostaticTable:
    """The hydrostatic table of validated rows, the LCF turned to midships aft positive; its problems
    (MTC on some rows only, rows not forming a table) are raised as ValueError for the rows' key path."""
    mtc_present = [row.mtc_t_m_cm is not None for row in rows]
    if with_mtc and any(mtc_present) and not all(mtc_present):
        raise _Problem("missing: give MTC on every row or on none", mtc_present.index(False), "mtc_t_m_cm")
    mtc = [row.mtc_t_m_cm for row in rows] if with_mtc and all(mtc_present) and mtc_present else None
    try:
        return HydrostaticTable(
            np.asarray([row.draft_m for row in rows], dtype=float),
            np.asarray([row.displacement_t for row in rows], dtype=float),
            np.asarray([row.tpc_t_cm for row in rows], dtype=float),
            np.asarray([float(lcf_from_midship_aft_positive(row.lcf_m, convention, lbp_m)) for row in rows], dtype=float),
            None if mtc is None else np.asarray(mtc, dtype=float),
            lbp_m=lbp_m,
        )
    except HydrostaticTableError as error:
        if error.row is None or error.column is None:
            raise ValueError(str(error)) from None
        problem = str(error)
        if error.column == "lcf_m" and convention != "midship_aft_positive":
            problem += f" (the file gives {rows[error.row].lcf_m:g} m, lcf_convention {convention!r})"
        raise _Problem(problem, error.row, error.column) from None


class _Audit(_FileModel):
    tolerance_t: Annotated[float | None, _Optional(_Number("tonnes", minimum=0))] = None
    tolerance_fraction: Annotated[float | None, _Optional(_Number("(fraction)", minimum=0, maximum=1))] = None


def _trim_pair(node: Any) -> Any:
    if not isinstance(node, list) or len(node) != 2:
        raise ValueError(f"expected [minimum, maximum] in metres, got {_describe(node)}")
    return node


class _Vessel(_FileModel):
    name: Text = ""
    lbp_m: Annotated[float, _Required(_Number("metres", minimum=10, maximum=500))]
    table_density_t_m3: WaterDensity
    keel_plate_mm: Annotated[float, _Required(_Number("mm", minimum=0, maximum=100))]
    lightship_t: Annotated[float | None, _Optional(_Number("tonnes", positive=True))] = None
    declared_constant_t: Annotated[float | None, _Optional(_Number("tonnes", minimum=0))] = None
    breadth_m: Annotated[float | None, _Optional(_Number("metres", minimum=1, maximum=100))] = None
    lcf_convention: Annotated[str, _Required(_Choice(LCF_CONVENTIONS))]
    table_trim_range_m: Annotated[tuple[Metres, Metres] | None, _Optional(_trim_pair)] = None
    table_audit: _Audit | None = None
    hydrostatics: Annotated[list[_Row], _Required(_list("a list of rows"))]

    @field_validator("table_trim_range_m")
    @classmethod
    def _ordered(cls, pair: tuple[float, float] | None) -> tuple[float, float] | None:
        if pair is not None and pair[0] > pair[1]:
            raise ValueError(f"minimum {pair[0]:g} m is above maximum {pair[1]:g} m")
        return pair

    @field_validator("hydrostatics")
    @classmethod
    def _forms_a_table(cls, rows: list[_Row], info: ValidationInfo) -> list[_Row]:
        # An empty list: no table (every survey then brings its own table readings).
        if rows and "lbp_m" in info.data and "lcf_convention" in info.data:
            _table(rows, info.data["lcf_convention"], info.data["lbp_m"], with_mtc=True)
        return rows


# A draft mark is the reading the survey rests on: a JSON number only, never text (issue 14: a cell exported
# as text must not pass as a reading); the other numbers of the file may be text when unambiguous.
MarkDraft = Annotated[float, _Required(_Number("metres", minimum=DRAFT_RANGE_M[0], maximum=DRAFT_RANGE_M[1], text=False))]


class _Marks(_FileModel):
    fwd_port: MarkDraft
    fwd_stbd: MarkDraft
    mid_port: MarkDraft
    mid_stbd: MarkDraft
    aft_port: MarkDraft
    aft_stbd: MarkDraft


class _Position(_FileModel):
    distance_m: float
    side: Annotated[str, _Required(_Choice(("forward", "aft")))]

    @field_validator("distance_m", mode="before")
    @classmethod
    def _within_a_quarter(cls, node: Any, info: ValidationInfo) -> float:
        vessel = _context_vessel(info)
        return _number(
            _required(node), "metres", minimum=0, maximum=None if vessel is None else vessel.lbp_m / 4,
            hint=" (a distance is never negative; say which way with 'side')",
        )


class _Positions(_FileModel):
    fwd: Annotated[_Position, _Required()]
    mid: Annotated[_Position, _Required()]
    aft: Annotated[_Position, _Required()]


class _ListTpc(_FileModel):
    port: Annotated[float, _Required(_Number("t/cm", positive=True))]
    stbd: Annotated[float, _Required(_Number("t/cm", positive=True))]


def _reading_rows(node: Any) -> list[Any]:
    if isinstance(node, list) and not node:
        raise ValueError("expected at least one row (normally the two bracketing the mean draft)")
    return _list("a list of rows")(node)


class _Readings(_FileModel):
    rows: Annotated[list[_Row], _Required(_reading_rows)]
    mtc_plus_t_m_cm: Annotated[float, _Required(_Number("t·m/cm", positive=True))]
    mtc_minus_t_m_cm: Annotated[float, _Required(_Number("t·m/cm", positive=True))]

    @field_validator("rows")
    @classmethod
    def _forms_a_table(cls, rows: list[_Row], info: ValidationInfo) -> list[_Row]:
        vessel = _context_vessel(info)
        if vessel is not None:
            _table(rows, vessel.lcf_convention, vessel.lbp_m, with_mtc=False)
        return rows


class _Deductible(_FileModel):
    kind: Annotated[str, _Required(_Choice(DEDUCTIBLE_KINDS))]
    name: Text = ""
    t: Annotated[float | None, _Required(_Number("tonnes", minimum=0))] = None
    volume_m3: Annotated[float | None, _Required(_Number("m³", minimum=0))] = None
    density_t_m3: Annotated[float | None, _Required(_Number("t/m³", minimum=0.5, maximum=2.0, hint=_DENSITY_HINT))] = None

    @classmethod
    def _arrange(cls, node: dict[str, Any]) -> dict[str, Any]:
        """A weight, or a volume with its density: one of the two, after the kind and name (the fields
        report a bad kind or name first); the keys of the form given are then required, the others dropped."""
        try:
            _Choice(DEDUCTIBLE_KINDS)(_required(node.get("kind")))
            _text(node.get("name", ""))
        except ValueError:
            return node
        has_weight = node.get("t") is not None
        has_volume = node.get("volume_m3") is not None or node.get("density_t_m3") is not None
        if has_weight and has_volume:
            raise ValueError("give either 't' or 'volume_m3' with 'density_t_m3', not both")
        if not has_weight and not has_volume:
            raise ValueError("missing the weight: give 't', or 'volume_m3' with 'density_t_m3'")
        given = ("t",) if has_weight else ("volume_m3", "density_t_m3")
        others = {key: value for key, value in node.items() if key not in ("t", "volume_m3", "density_t_m3")}
        return others | {key: node.get(key) for key in given}

    def deductible(self) -> Deductible:
        if self.t is not None:
            return Deductible(self.kind, self.name, weight_t=self.t)  # type: ignore[arg-type]
        return Deductible(self.kind, self.name, volume_m3=self.volume_m3, density_t_m3=self.density_t_m3)  # type: ignore[arg-type]


class _Survey(_FileModel):
    marks_m: Annotated[_Marks, _Required()]
    mark_positions: Annotated[_Positions, _Required()]
    dock_density_t_m3: WaterDensity
    list_tpc_t_cm: _ListTpc | None = None
    table_readings: _Readings | None = None
    deductibles: Annotated[list[_Deductible], _Required(_list("a list (may be empty)"))]
    details: TextMapping = None

    @model_validator(mode="after")
    def _has_a_table(self, info: ValidationInfo) -> _Survey:
        vessel = _context_vessel(info)
        if vessel is not None and not vessel.hydrostatics and self.table_readings is None:
            raise _Problem("missing: vessel.hydrostatics is empty, so every survey needs its own table readings", "table_readings")
        return self


class _Cargo(_FileModel):
    from_: Annotated[Text, Field(alias="from")] = "initial"
    to: Text = "final"

    @model_validator(mode="after")
    def _two_surveys(self) -> _Cargo:
        if self.from_ == self.to:
            raise ValueError(f"'from' and 'to' must name two different surveys, got {self.from_!r} twice")
        return self


class _Document(_FileModel):
    """The whole file; validate it with ``context={}``: the surveys read the vessel from there."""

    vessel: Annotated[_Vessel, _Required()]
    rounding: Annotated[str, _Required(_Choice(tuple(ROUNDING_POLICIES)))]
    mean_method: Annotated[str, _Value(_Choice(MEAN_METHODS))] = "quarter_mean"
    cargo: _Cargo | None = None
    operation: Annotated[str | None, _Optional(_Choice(OPERATIONS))] = None
    bill_of_lading_t: Annotated[float | None, _Optional(_Number("tonnes", positive=True))] = None
    surveys: dict[str, _Survey]
    job: TextMapping = None

    @field_validator("surveys", mode="before")
    @classmethod
    def _surveys(cls, node: Any, info: ValidationInfo) -> Any:
        node = _object(_required(node))
        if "cargo" in info.data:
            cargo = info.data["cargo"]
            cargo_from, cargo_to = ("initial", "final") if cargo is None else (cargo.from_, cargo.to)
            for name in (cargo_from, cargo_to):
                if name not in node:
                    raise _Problem(
                        f"missing: the cargo is measured from {cargo_from!r} to {cargo_to!r} "
                        f"(surveys given: {', '.join(node) or 'none'})",
                        name,
                    )
        # The surveys' mark distances (at most a quarter of the LBP), table readings (the vessel's LCF
        # convention) and need of table readings (no vessel table) depend on the vessel, validated above.
        if isinstance(info.context, dict):
            info.context["vessel"] = info.data.get("vessel")
        return node


def _problem(error: Mapping[str, Any]) -> Problem:
    """(key path, problem) of a pydantic error of the survey file, in the survey file's words."""
    path = ""
    for key in error["loc"]:
        path = join_key(path, key)
    cause = error.get("ctx", {}).get("error")
    for key in getattr(cause, "keys", ()) if isinstance(cause, _Problem) else ():
        path = join_key(path, key)
    problem = "missing (required)" if error["type"] == "missing" else problem_text(error, "docs/draft_survey.md")
    return path or "(document)", problem


def _condition(name: str, survey: _Survey, vessel: _Vessel) -> SurveyConditionInput:
    positions = survey.mark_positions
    readings = survey.table_readings
    return SurveyConditionInput(
        name=name,
        marks=MarkReadings(**{key: getattr(survey.marks_m, key) for key in MARK_KEYS}),
        positions=MarkPositions(
            **{
                key: MarkPosition(position.distance_m, position.side)  # type: ignore[arg-type]
                for key, position in (("fwd", positions.fwd), ("mid", positions.mid), ("aft", positions.aft))
            }
        ),
        dock_density_t_m3=survey.dock_density_t_m3,
        deductibles=tuple(item.deductible() for item in survey.deductibles),
        list_tpc_t_cm=None if survey.list_tpc_t_cm is None else (survey.list_tpc_t_cm.port, survey.list_tpc_t_cm.stbd),
        table_readings=None
        if readings is None
        else TableReadings(
            rows=_table(readings.rows, vessel.lcf_convention, vessel.lbp_m, with_mtc=False),
            mtc_plus_t_m_cm=readings.mtc_plus_t_m_cm,
            mtc_minus_t_m_cm=readings.mtc_minus_t_m_cm,
        ),
    )


def parse_survey_document(document: Any, source: str) -> SurveyJob:
    """Validate a survey job document (already parsed from JSON) and build the calculator inputs.

    Parameters
    ----------
    document : object
        The parsed JSON.
    source : str
        The file name (or other origin) named in errors.

    Returns
    -------
    SurveyJob

    Raises
    ------
    InputError
        Anything missing, mistyped, ambiguous or implausible, with its key path: the first problem in
        the order the file is read.
    """
    try:
        doc = _Document.model_validate(document, context={})
    except ValidationError as error:
        # The first problem only, as the file is read: later ones are often its consequences.
        raise problems_error(source, [_problem(error.errors()[0])]) from None
    vessel = doc.vessel
    audit = vessel.table_audit
    cargo = doc.cargo
    return SurveyJob(
        source=source,
        vessel_name=vessel.name,
        vessel=VesselParticulars(
            lbp_m=vessel.lbp_m,
            table_density_t_m3=vessel.table_density_t_m3,
            keel_plate_mm=vessel.keel_plate_mm,
            lightship_t=vessel.lightship_t,
            declared_constant_t=vessel.declared_constant_t,
            breadth_m=vessel.breadth_m,
            trim_range_m=vessel.table_trim_range_m,
        ),
        lcf_convention=vessel.lcf_convention,
        table=_table(vessel.hydrostatics, vessel.lcf_convention, vessel.lbp_m, with_mtc=True) if vessel.hydrostatics else None,
        conditions=tuple(_condition(name, survey, vessel) for name, survey in doc.surveys.items()),
        rounding=ROUNDING_POLICIES[doc.rounding],
        mean_method=doc.mean_method,
        cargo_from="initial" if cargo is None else cargo.from_,
        cargo_to="final" if cargo is None else cargo.to,
        bill_of_lading_t=doc.bill_of_lading_t,
        audit_tolerance_t=1.0 if audit is None or audit.tolerance_t is None else audit.tolerance_t,
        audit_tolerance_fraction=0.01 if audit is None or audit.tolerance_fraction is None else audit.tolerance_fraction,
        job_details=doc.job or {},
        survey_details={name: survey.details or {} for name, survey in doc.surveys.items()},
        operation=doc.operation,
    )


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def load_survey_file(path: str | Path) -> SurveyJob:
    """Read and validate a survey job file.

    Raises
    ------
    InputError
        The file cannot be read, is not JSON (with line and column), or fails validation.
    """
    source = str(path)
    try:
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as error:
        raise InputError(source, "(file)", f"cannot read the file: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise InputError(source, "(file)", f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        # NaN and Infinity are not JSON numbers; refuse them rather than carry them into the figures.
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise InputError(source, f"(line {error.lineno}, column {error.colno})", f"not valid JSON: {error.msg}") from None
    except ValueError as error:
        raise InputError(source, "(document)", f"not valid JSON: {error}") from None
    return dataclasses.replace(parse_survey_document(document, source), sha256=hashlib.sha256(raw).hexdigest())


__all__ = [
    "DEDUCTIBLE_KEYS",
    "DENSITY_RANGE_T_M3",
    "DRAFT_RANGE_M",
    "MARK_KEYS",
    "ROW_KEYS",
    "SURVEY_KEYS",
    "TOP_KEYS",
    "VESSEL_KEYS",
    "NumberTextError",
    "SurveyJob",
    "load_survey_file",
    "parse_number_text",
    "parse_survey_document",
]
