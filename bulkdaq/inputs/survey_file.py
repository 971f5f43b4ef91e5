"""The draft survey job file: one JSON document per job, read, validated and turned into calculator inputs.

The shape is the contract of issue 4 (documented field by field in docs/draft_survey.md). Every problem
is raised as :class:`bulkdaq.errors.InputError` naming the file, the key path (e.g.
``surveys.initial.marks_m.fwd_port``) and what was expected; nothing is filled in silently.

Numbers should be JSON numbers. A number written as a string is read only when it cannot be misread
(:func:`parse_number_text`): decimal commas and thousands separators are accepted when the text has one
meaning, and rejected when it could mean two (``"1,374"`` — 1374 or 1.374?).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from bulkdaq.config.validation import join_key
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


class _Reader:
    """Walks the document, keeping the key path for every error message."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> InputError:
        return InputError(self.source, path or "(document)", problem)

    def mapping(self, node: Any, path: str, known: tuple[str, ...] = ()) -> Mapping[str, Any]:
        if not isinstance(node, dict):
            raise self.fail(path, f"expected an object ({{…}}), got {_describe(node)}")
        # Extra keys are allowed (other tools add their own), but a near-miss of a known key is a typo
        # that would otherwise silently drop an optional figure such as the list TPCs.
        for key in node:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
                if close:
                    raise self.fail(join_key(path, key), f"unknown key; did you mean {close[0]!r}?")
        return node

    def require(self, node: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in node or node[key] is None:
            raise self.fail(join_key(path, key), "missing (required)")
        return node[key]

    def number(
        self,
        node: Any,
        path: str,
        unit: str,
        minimum: float | None = None,
        maximum: float | None = None,
        positive: bool = False,
        hint: str = "",
    ) -> float:
        expected = f"expected a number in {unit}"
        if isinstance(node, bool) or not isinstance(node, (int, float, str)):
            raise self.fail(path, f"{expected}, got {_describe(node)}")
        if isinstance(node, str):
            try:
                value = parse_number_text(node)
            except NumberTextError as error:
                raise self.fail(path, f"{expected}, got {json.dumps(node, ensure_ascii=False)} ({error})") from None
        else:
            value = float(node)
        if not math.isfinite(value):
            raise self.fail(path, f"{expected}, got {node!r}")
        if positive and not value > 0:
            raise self.fail(path, f"must be greater than 0 {unit}, got {value:g}")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            low = "" if minimum is None else f"{minimum:g}"
            high = "" if maximum is None else f"{maximum:g}"
            raise self.fail(path, f"{value:g} {unit} is outside the plausible range {low} to {high} {unit}{hint}")
        return value

    def optional_number(self, node: Mapping[str, Any], key: str, path: str, unit: str, **limits: Any) -> float | None:
        value = node.get(key)
        return None if value is None else self.number(value, join_key(path, key), unit, **limits)

    def choice(self, node: Any, path: str, choices: tuple[str, ...]) -> str:
        if not isinstance(node, str) or node not in choices:
            raise self.fail(path, f"expected one of {', '.join(repr(c) for c in choices)}, got {_describe(node)}")
        return node

    def text(self, node: Any, path: str) -> str:
        if not isinstance(node, (str, int, float)) or isinstance(node, bool):
            raise self.fail(path, f"expected text, got {_describe(node)}")
        return str(node)


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


def _table(reader: _Reader, rows: Any, path: str, convention: str, lbp_m: float, with_mtc: bool) -> HydrostaticTable:
    if not isinstance(rows, list):
        raise reader.fail(path, f"expected a list of rows, got {_describe(rows)}")
    columns: dict[str, list[float]] = {key: [] for key in ROW_KEYS}
    mtc_present = []
    for index, row in enumerate(rows):
        row_path = join_key(path, index)
        row = reader.mapping(row, row_path, ROW_KEYS)
        columns["draft_m"].append(
            reader.number(reader.require(row, "draft_m", row_path), join_key(row_path, "draft_m"), "metres",
                          minimum=DRAFT_RANGE_M[0], maximum=DRAFT_RANGE_M[1])
        )
        columns["displacement_t"].append(
            reader.number(reader.require(row, "displacement_t", row_path), join_key(row_path, "displacement_t"), "tonnes", positive=True)
        )
        columns["tpc_t_cm"].append(
            reader.number(reader.require(row, "tpc_t_cm", row_path), join_key(row_path, "tpc_t_cm"), "t/cm", positive=True)
        )
        lcf = reader.number(reader.require(row, "lcf_m", row_path), join_key(row_path, "lcf_m"), "metres")
        columns["lcf_m"].append(float(lcf_from_midship_aft_positive(lcf, convention, lbp_m)))
        mtc = row.get("mtc_t_m_cm")
        mtc_present.append(mtc is not None)
        if mtc is not None:
            columns["mtc_t_m_cm"].append(reader.number(mtc, join_key(row_path, "mtc_t_m_cm"), "t·m/cm", positive=True))
    if with_mtc and any(mtc_present) and not all(mtc_present):
        missing = mtc_present.index(False)
        raise reader.fail(join_key(join_key(path, missing), "mtc_t_m_cm"), "missing: give MTC on every row or on none")
    try:
        mtc = columns["mtc_t_m_cm"] if with_mtc and all(mtc_present) and mtc_present else None
        return HydrostaticTable(
            np.asarray(columns["draft_m"], dtype=float),
            np.asarray(columns["displacement_t"], dtype=float),
            np.asarray(columns["tpc_t_cm"], dtype=float),
            np.asarray(columns["lcf_m"], dtype=float),
            None if mtc is None else np.asarray(mtc, dtype=float),
        )
    except HydrostaticTableError as error:
        raise reader.fail(path, str(error)) from None


def _vessel(reader: _Reader, node: Any) -> tuple[str, VesselParticulars, str, HydrostaticTable | None, float, float]:
    path = "vessel"
    node = reader.mapping(node, path, VESSEL_KEYS)
    name = reader.text(node.get("name", ""), join_key(path, "name"))
    lbp = reader.number(reader.require(node, "lbp_m", path), join_key(path, "lbp_m"), "metres", minimum=10, maximum=500)
    density = reader.number(
        reader.require(node, "table_density_t_m3", path), join_key(path, "table_density_t_m3"), "t/m³",
        minimum=DENSITY_RANGE_T_M3[0], maximum=DENSITY_RANGE_T_M3[1], hint=" (enter t/m³, not kg/m³)",
    )
    keel = reader.number(reader.require(node, "keel_plate_mm", path), join_key(path, "keel_plate_mm"), "mm", minimum=0, maximum=100)
    lightship = reader.optional_number(node, "lightship_t", path, "tonnes", positive=True)
    declared = reader.optional_number(node, "declared_constant_t", path, "tonnes", minimum=0)
    breadth = reader.optional_number(node, "breadth_m", path, "metres", minimum=1, maximum=100)
    convention = reader.choice(reader.require(node, "lcf_convention", path), join_key(path, "lcf_convention"), LCF_CONVENTIONS)

    trim_range = None
    if node.get("table_trim_range_m") is not None:
        trim_path = join_key(path, "table_trim_range_m")
        pair = node["table_trim_range_m"]
        if not isinstance(pair, list) or len(pair) != 2:
            raise reader.fail(trim_path, f"expected [minimum, maximum] in metres, got {_describe(pair)}")
        low = reader.number(pair[0], join_key(trim_path, 0), "metres")
        high = reader.number(pair[1], join_key(trim_path, 1), "metres")
        if low > high:
            raise reader.fail(trim_path, f"minimum {low:g} m is above maximum {high:g} m")
        trim_range = (low, high)

    audit_t, audit_fraction = 1.0, 0.01
    if node.get("table_audit") is not None:
        audit_path = join_key(path, "table_audit")
        audit = reader.mapping(node["table_audit"], audit_path, ("tolerance_t", "tolerance_fraction"))
        given_t = reader.optional_number(audit, "tolerance_t", audit_path, "tonnes", minimum=0)
        given_fraction = reader.optional_number(audit, "tolerance_fraction", audit_path, "(fraction)", minimum=0, maximum=1)
        audit_t = 1.0 if given_t is None else given_t
        audit_fraction = 0.01 if given_fraction is None else given_fraction

    rows = reader.require(node, "hydrostatics", path)
    table = None
    if not (isinstance(rows, list) and not rows):
        table = _table(reader, rows, join_key(path, "hydrostatics"), convention, lbp, with_mtc=True)
    vessel = VesselParticulars(
        lbp_m=lbp,
        table_density_t_m3=density,
        keel_plate_mm=keel,
        lightship_t=lightship,
        declared_constant_t=declared,
        breadth_m=breadth,
        trim_range_m=trim_range,
    )
    return name, vessel, convention, table, audit_t, audit_fraction


def _mark_position(reader: _Reader, node: Mapping[str, Any], key: str, path: str, maximum: float) -> MarkPosition:
    position_path = join_key(path, key)
    position = reader.mapping(reader.require(node, key, path), position_path, ("distance_m", "side"))
    distance = reader.number(
        reader.require(position, "distance_m", position_path), join_key(position_path, "distance_m"), "metres",
        minimum=0, maximum=maximum,
        hint=" (a distance is never negative; say which way with 'side')",
    )
    side = reader.choice(reader.require(position, "side", position_path), join_key(position_path, "side"), ("forward", "aft"))
    return MarkPosition(distance, side)  # type: ignore[arg-type]


def _deductible(reader: _Reader, node: Any, path: str) -> Deductible:
    node = reader.mapping(node, path, DEDUCTIBLE_KEYS)
    kind = reader.choice(reader.require(node, "kind", path), join_key(path, "kind"), DEDUCTIBLE_KINDS)
    name = reader.text(node.get("name", ""), join_key(path, "name"))
    has_weight = node.get("t") is not None
    has_volume = node.get("volume_m3") is not None or node.get("density_t_m3") is not None
    if has_weight and has_volume:
        raise reader.fail(path, "give either 't' or 'volume_m3' with 'density_t_m3', not both")
    if has_weight:
        return Deductible(kind, name, weight_t=reader.number(node["t"], join_key(path, "t"), "tonnes", minimum=0))  # type: ignore[arg-type]
    if not has_volume:
        raise reader.fail(path, "missing the weight: give 't', or 'volume_m3' with 'density_t_m3'")
    volume = reader.number(reader.require(node, "volume_m3", path), join_key(path, "volume_m3"), "m³", minimum=0)
    density = reader.number(
        reader.require(node, "density_t_m3", path), join_key(path, "density_t_m3"), "t/m³",
        minimum=0.5, maximum=2.0, hint=" (enter t/m³, not kg/m³)",
    )
    return Deductible(kind, name, volume_m3=volume, density_t_m3=density)  # type: ignore[arg-type]


def _survey(reader: _Reader, name: str, node: Any, vessel: VesselParticulars, convention: str) -> tuple[SurveyConditionInput, dict[str, str]]:
    path = join_key("surveys", name)
    node = reader.mapping(node, path, SURVEY_KEYS)

    marks_path = join_key(path, "marks_m")
    marks_node = reader.mapping(reader.require(node, "marks_m", path), marks_path, MARK_KEYS)
    marks = MarkReadings(
        **{
            key: reader.number(
                reader.require(marks_node, key, marks_path), join_key(marks_path, key), "metres",
                minimum=DRAFT_RANGE_M[0], maximum=DRAFT_RANGE_M[1],
            )
            for key in MARK_KEYS
        }
    )

    positions_path = join_key(path, "mark_positions")
    positions_node = reader.mapping(reader.require(node, "mark_positions", path), positions_path, ("fwd", "mid", "aft"))
    quarter = vessel.lbp_m / 4
    positions = MarkPositions(
        fwd=_mark_position(reader, positions_node, "fwd", positions_path, quarter),
        mid=_mark_position(reader, positions_node, "mid", positions_path, quarter),
        aft=_mark_position(reader, positions_node, "aft", positions_path, quarter),
    )

    dock = reader.number(
        reader.require(node, "dock_density_t_m3", path), join_key(path, "dock_density_t_m3"), "t/m³",
        minimum=DENSITY_RANGE_T_M3[0], maximum=DENSITY_RANGE_T_M3[1], hint=" (enter t/m³, not kg/m³)",
    )

    list_tpc = None
    if node.get("list_tpc_t_cm") is not None:
        list_path = join_key(path, "list_tpc_t_cm")
        pair = reader.mapping(node["list_tpc_t_cm"], list_path, ("port", "stbd"))
        list_tpc = (
            reader.number(reader.require(pair, "port", list_path), join_key(list_path, "port"), "t/cm", positive=True),
            reader.number(reader.require(pair, "stbd", list_path), join_key(list_path, "stbd"), "t/cm", positive=True),
        )

    readings = None
    if node.get("table_readings") is not None:
        readings_path = join_key(path, "table_readings")
        readings_node = reader.mapping(node["table_readings"], readings_path, ("rows", "mtc_plus_t_m_cm", "mtc_minus_t_m_cm"))
        rows = reader.require(readings_node, "rows", readings_path)
        if isinstance(rows, list) and not rows:
            raise reader.fail(join_key(readings_path, "rows"), "expected at least one row (normally the two bracketing the mean draft)")
        readings = TableReadings(
            rows=_table(reader, rows, join_key(readings_path, "rows"), convention, vessel.lbp_m, with_mtc=False),
            mtc_plus_t_m_cm=reader.number(
                reader.require(readings_node, "mtc_plus_t_m_cm", readings_path), join_key(readings_path, "mtc_plus_t_m_cm"), "t·m/cm", positive=True
            ),
            mtc_minus_t_m_cm=reader.number(
                reader.require(readings_node, "mtc_minus_t_m_cm", readings_path), join_key(readings_path, "mtc_minus_t_m_cm"), "t·m/cm", positive=True
            ),
        )

    deductibles_node = reader.require(node, "deductibles", path)
    if not isinstance(deductibles_node, list):
        raise reader.fail(join_key(path, "deductibles"), f"expected a list (may be empty), got {_describe(deductibles_node)}")
    deductibles = tuple(
        _deductible(reader, item, join_key(join_key(path, "deductibles"), index)) for index, item in enumerate(deductibles_node)
    )

    details = {}
    if node.get("details") is not None:
        details_path = join_key(path, "details")
        details_node = reader.mapping(node["details"], details_path)
        details = {str(key): reader.text(value, join_key(details_path, key)) for key, value in details_node.items()}

    condition = SurveyConditionInput(
        name=name,
        marks=marks,
        positions=positions,
        dock_density_t_m3=dock,
        deductibles=deductibles,
        list_tpc_t_cm=list_tpc,
        table_readings=readings,
    )
    return condition, details


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
        Anything missing, mistyped, ambiguous or implausible, with its key path.
    """
    reader = _Reader(source)
    top = reader.mapping(document, "", TOP_KEYS)
    vessel_name, vessel, convention, table, audit_t, audit_fraction = _vessel(reader, reader.require(top, "vessel", ""))

    rounding_name = reader.choice(reader.require(top, "rounding", ""), "rounding", tuple(ROUNDING_POLICIES))
    mean_method = reader.choice(top.get("mean_method", "quarter_mean"), "mean_method", MEAN_METHODS)

    cargo_from, cargo_to = "initial", "final"
    if top.get("cargo") is not None:
        cargo = reader.mapping(top["cargo"], "cargo", ("from", "to"))
        cargo_from = reader.text(cargo.get("from", cargo_from), "cargo.from")
        cargo_to = reader.text(cargo.get("to", cargo_to), "cargo.to")
        if cargo_from == cargo_to:
            raise reader.fail("cargo", f"'from' and 'to' must name two different surveys, got {cargo_from!r} twice")
    operation = None if top.get("operation") is None else reader.choice(top["operation"], "operation", OPERATIONS)
    bill_of_lading = reader.optional_number(top, "bill_of_lading_t", "", "tonnes", positive=True)

    surveys_node = reader.mapping(reader.require(top, "surveys", ""), "surveys")
    for _which, name in (("from", cargo_from), ("to", cargo_to)):
        if name not in surveys_node:
            raise reader.fail(
                join_key("surveys", name),
                f"missing: the cargo is measured from {cargo_from!r} to {cargo_to!r} "
                f"(surveys given: {', '.join(surveys_node) or 'none'})",
            )
    conditions = []
    survey_details = {}
    for name, node in surveys_node.items():
        condition, details = _survey(reader, name, node, vessel, convention)
        if table is None and condition.table_readings is None:
            raise reader.fail(
                join_key(join_key("surveys", name), "table_readings"),
                "missing: vessel.hydrostatics is empty, so every survey needs its own table readings",
            )
        conditions.append(condition)
        survey_details[name] = details

    job_details = {}
    if top.get("job") is not None:
        job_node = reader.mapping(top["job"], "job")
        job_details = {str(key): reader.text(value, join_key("job", key)) for key, value in job_node.items()}

    return SurveyJob(
        source=source,
        vessel_name=vessel_name,
        vessel=vessel,
        lcf_convention=convention,
        table=table,
        conditions=tuple(conditions),
        rounding=ROUNDING_POLICIES[rounding_name],
        mean_method=mean_method,
        cargo_from=cargo_from,
        cargo_to=cargo_to,
        bill_of_lading_t=bill_of_lading,
        audit_tolerance_t=audit_t,
        audit_tolerance_fraction=audit_fraction,
        job_details=job_details,
        survey_details=survey_details,
        operation=operation,
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
