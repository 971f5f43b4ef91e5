"""A shipment as customs declares it: references, product, declared quantity and basis, methods, assets.

A shipment file (TOML or JSON, see docs/shipments.md and examples/shipments/) is validated here; every
problem is an :class:`~bulkdaq.errors.InputError` naming the file, the key path and what was
expected. The validated shipment is stored unchanged in the registry (``bulkdaq.shipments.registry``);
its canonical JSON is the evidence of the declaration.

Measured figures (``MethodFigure``) are what each method yields at completion, always in the shipment's
declared basis, with the intermediate values a person needs to check them.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import Field, field_validator, model_validator

from bulkdaq.config.strict_model import StrictModel
from bulkdaq.config.validation import problems_error, read_text, validated
from bulkdaq.errors import InputError
from bulkdaq.wording.glossary import BASES
from calculators.petroleum.measurement_policy import MeasurementPolicy
from calculators.reconciliation import vef_adjusted

Direction = Literal["export", "import"]
Method = Literal["meters", "shore_tanks", "ship_figure", "draft_survey", "belt_scale"]
Basis = Literal["t_air", "t_vacuum", "m3_15C", "m3_20C"]

METHODS: tuple[str, ...] = ("meters", "shore_tanks", "ship_figure", "draft_survey", "belt_scale")
BASIS_LABELS = BASES  # English and Chinese of each basis, from the one glossary (bulkdaq/wording/glossary.py)
BASIS_UNITS = {"t_air": "t", "t_vacuum": "t", "m3_15C": "m3", "m3_20C": "m3"}
TONNE_BASES = ("t_air", "t_vacuum")
# Methods that weigh the cargo and give no volume: a shipment declared in m³ cannot use them.
WEIGHING_METHODS = ("draft_survey", "belt_scale")

Identifier = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.:/\-]+$")]
# A shipment id is a safe name: it may appear in a file name (`certificate-ID.html`), so it has no path
# separator and no `..`; it starts with a letter or digit. Shipments declared before this rule keep
# their ids in the registry (read with `Identifier`); no path is ever built from such an id.
SHIPMENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,119}$")
SHIPMENT_ID_EXPECTED = "a safe name: 1–120 letters, digits, '-', '_' or '.', beginning with a letter or digit, no '..' (e.g. \"EXP-2026-0417\")"
Text = Annotated[str, Field(min_length=1, max_length=500)]
ShortText = Annotated[str, Field(min_length=1, max_length=120)]
# The ship's call: which voyage, which vessel (IMO number), where. Required in a shipment file; a
# declaration stored before these keys existed still reads from the registry (they are then absent).
CALL_KEYS = ("voyage", "imo_number", "port", "berth")


def imo_check_digit(first_six: str) -> int:
    """The check digit of an IMO ship identification number: Σ digit × (7, 6, 5, 4, 3, 2), last digit.

    IMO Resolution A.1117(30), Annex: 9074729 → 9×7 + 0×6 + 7×5 + 4×4 + 7×3 + 2×2 = 139 → 9.
    """
    return sum(int(digit) * weight for digit, weight in zip(first_six, (7, 6, 5, 4, 3, 2), strict=True)) % 10


def check_imo_number(value: object) -> str:
    """An IMO number written as text: seven digits (``"9074729"``, or ``"IMO 9074729"``) whose last digit is
    the check digit. Returns the seven digits; anything else raises ValueError saying what was expected."""
    if isinstance(value, bool) or not isinstance(value, str):
        shown = repr(value)
        hint = f'; write it as text, e.g. "{value}"' if isinstance(value, int) and not isinstance(value, bool) else ""
        raise ValueError(f"expected the IMO number as text of seven digits, e.g. \"9074729\"; got {shown}{hint}")
    digits = value.strip().removeprefix("IMO").strip()
    if len(digits) != 7 or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"expected seven digits (optionally after 'IMO '), e.g. \"9074729\"; got {value!r}")
    expected = imo_check_digit(digits[:6])
    if int(digits[6]) != expected:
        raise ValueError(f"IMO number {digits} fails its check digit: the seventh digit must be {expected} (IMO Resolution A.1117(30))")
    return digits


class DeclaredQuantity(StrictModel):
    quantity: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    basis: Basis

    @property
    def unit(self) -> str:
        return BASIS_UNITS[self.basis]


class Assets(StrictModel):
    """The instruments and vessel the shipment's methods use (ids as in the site file)."""

    meters: list[Identifier] = []
    tanks: list[Identifier] = []
    vessel: Text | None = None
    scale: Identifier | None = None


class PolicyChoice(StrictModel):
    """Edition, base and rounding of the meter tickets (no hidden default: all three are required)."""

    edition: Literal["2004", "1980"]
    base: Literal["15C", "20C", "60F"]
    rounding: Literal["standard", "unrounded"]
    volume_decimals: Annotated[int, Field(ge=0, le=9)] = 3
    mass_decimals: Annotated[int, Field(ge=0, le=9)] = 3

    def policy(self) -> MeasurementPolicy:
        return MeasurementPolicy(self.edition, self.base, self.rounding, self.volume_decimals, self.mass_decimals)

    @model_validator(mode="after")
    def _edition_and_base(self) -> PolicyChoice:
        try:
            self.policy()
        except ValueError as error:
            raise ValueError(str(error)) from None
        return self


class Metering(StrictModel):
    """What the meter tickets need besides the stored totalizers: laboratory figures and the policy."""

    policy: PolicyChoice
    commodity: Literal["refined", "crude", "lube"] = "refined"
    base_density_kgm3: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    sediment_water_percent: Annotated[float, Field(ge=0, lt=100)]
    density_band_kgm3: Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Instrument(StrictModel):
    """One instrument used by the shipment: its proving / calibration certificate and (meters) its factor."""

    id: Identifier
    certificate: Text
    certificate_valid_until: date
    meter_factor: Annotated[float, Field(gt=0.9, lt=1.1)] | None = None


class Shipment(StrictModel):
    id: Identifier
    declaration: Text
    bill_of_lading: Text
    direction: Direction
    product: Text
    site: Identifier
    declared: DeclaredQuantity
    methods: Annotated[list[Method], Field(min_length=1)]
    assets: Assets
    tolerance_rules: Identifier
    metering: Metering | None = None
    instruments: list[Instrument] = []
    voyage: ShortText | None = None
    imo_number: str | None = None
    port: ShortText | None = None
    berth: ShortText | None = None

    @field_validator("imo_number", mode="before")
    @classmethod
    def _imo_number(cls, value: object) -> object:
        return None if value is None else check_imo_number(value)

    @property
    def primary_method(self) -> str:
        """The method whose figure is the shipment's measured quantity (the first listed)."""
        return self.methods[0]

    def instrument(self, instrument_id: str) -> Instrument | None:
        return next((i for i in self.instruments if i.id == instrument_id), None)

    def meter_factor(self, meter_id: str) -> float:
        instrument = self.instrument(meter_id)
        if instrument is None or instrument.meter_factor is None:
            raise KeyError(f"shipment {self.id}: no meter factor for meter {meter_id!r} in instruments")
        return instrument.meter_factor

    def as_document(self) -> dict[str, Any]:
        """Plain data (JSON types) of the declaration, the evidence of what was declared."""
        return self.model_dump(mode="json")


def is_safe_shipment_id(shipment_id: str) -> bool:
    """Whether `shipment_id` is a safe name (SHIPMENT_ID_PATTERN, and no '..'): one that can stand in a file name."""
    return SHIPMENT_ID_PATTERN.fullmatch(shipment_id) is not None and ".." not in shipment_id


def shipment_id_problem(shipment_id: str) -> str | None:
    """What is wrong with `shipment_id` as the id of a new shipment (None: it is a safe name)."""
    if is_safe_shipment_id(shipment_id):
        return None
    return f"expected {SHIPMENT_ID_EXPECTED}; got {shipment_id!r}"


def _cross_checks(shipment: Shipment) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if len(set(shipment.methods)) != len(shipment.methods):
        problems.append(("methods", f"a method is listed twice: {shipment.methods}"))
    needs = {
        "meters": ("assets.meters", bool(shipment.assets.meters)),
        "shore_tanks": ("assets.tanks", bool(shipment.assets.tanks)),
        "ship_figure": ("assets.vessel", shipment.assets.vessel is not None),
        "draft_survey": ("assets.vessel", shipment.assets.vessel is not None),
        "belt_scale": ("assets.scale", shipment.assets.scale is not None),
    }
    for i, method in enumerate(shipment.methods):
        key, present = needs[method]
        if not present:
            problems.append((key, f"method {method!r} (methods[{i}]) needs {key}"))
        if method in WEIGHING_METHODS and shipment.declared.basis not in TONNE_BASES:
            problems.append((f"methods[{i}]", f"{method} weighs the cargo; it cannot confirm a quantity declared in {shipment.declared.basis}"))
    if "meters" in shipment.methods:
        if shipment.metering is None:
            problems.append(("metering", "required when the methods include 'meters' (policy, base density, S&W, density band)"))
        elif shipment.declared.basis.startswith("m3_") and shipment.declared.basis[3:] != shipment.metering.policy.base:
            problems.append(
                ("metering.policy.base", f"the declared basis is {shipment.declared.basis}; the meter tickets' base must be {shipment.declared.basis[3:]}, not {shipment.metering.policy.base}")
            )
        for meter_id in shipment.assets.meters:
            instrument = shipment.instrument(meter_id)
            if instrument is None or instrument.meter_factor is None:
                problems.append(("instruments", f"meter {meter_id!r} needs an [[instruments]] entry with its certificate and meter_factor"))
    seen: set[str] = set()
    for i, instrument in enumerate(shipment.instruments):
        if instrument.id in seen:
            problems.append((f"instruments[{i}].id", f"instrument {instrument.id!r} is listed twice"))
        seen.add(instrument.id)
    return problems


def shipment_from_data(raw: Any, source: str | Path, *, require_call: bool = False) -> Shipment:
    """Validate already-parsed shipment data; problems raise InputError naming `source` and the key path.

    `require_call`: a new shipment file: the voyage, IMO number, port and berth must be given and the id
    must be a safe name (`SHIPMENT_ID_PATTERN`); without it a declaration stored before those rules
    existed still reads.
    """
    problems: list[tuple[str, str]] = []
    id_problem = None
    if require_call and isinstance(raw, dict):
        problems = [(key, "required key is missing (the ship's call: voyage, imo_number, port, berth; see docs/shipments.md)")
                    for key in CALL_KEYS if raw.get(key) is None]
        if isinstance(raw.get("id"), str):
            id_problem = shipment_id_problem(raw["id"])
    try:
        shipment = validated(Shipment, raw, source, docs="docs/shipments.md")
    except InputError as error:
        if not problems and id_problem is None:
            raise
        found = getattr(error, "problems", [(error.field, error.problem)])
        if id_problem is not None:  # the safe-name rule says what a new id must be; the stored ids' wider pattern would mislead
            found = [("id", id_problem), *(p for p in found if p[0] != "id")]
        raise problems_error(source, [*found, *problems]) from None
    problems = ([] if id_problem is None else [("id", id_problem)]) + _cross_checks(shipment) + problems
    if problems:
        raise problems_error(source, problems)
    return shipment


def quantity_decimals(shipment: Shipment) -> int:
    """Decimals of the shipment's quantities in its declared basis: the metering policy's mass or volume
    decimals, or for a shipment without meters the measurement policy's default (3: 1 kg, 1 L)."""
    policy = shipment.metering.policy.policy() if shipment.metering is not None else MeasurementPolicy("2004", "15C", "standard")
    return policy.shown_decimals(shipment.declared.unit)


def shown_policy(shipment: Shipment) -> MeasurementPolicy:
    """The policy whose decimals the shipment's figures are shown with (its metering policy, or the default)."""
    return shipment.metering.policy.policy() if shipment.metering is not None else MeasurementPolicy("2004", "15C", "standard")


def load_shipment(path: str | Path) -> Shipment:
    """Read and validate a shipment file (``.toml`` or ``.json``).

    Raises
    ------
    InputError
        Naming the file, the key path (``declared.basis``, ``instruments[1].meter_factor``,
        ``imo_number``) and what was expected; every problem of the file is listed.
    """
    path = Path(path)
    text = read_text(path)
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        raise InputError(path, "(syntax)", f"not valid {kind}: {error}") from None
    return shipment_from_data(raw, path, require_call=True)


UncertaintyPct = Annotated[float, Field(gt=0, lt=100, allow_inf_nan=False, strict=True)]
"""A figure's own expanded uncertainty (k = 2, about 95 %) [% of the figure]."""


class MethodFigure(StrictModel):
    """One method's figure for the whole shipment, in the declared basis, with how it was obtained.

    ``details`` holds the intermediate values (ticket figures, tank drop, ship figure and VEF, survey
    results) exactly as the certificate prints them: label → (value, unit). ``uncertainty_pct`` is the
    figure's own expanded uncertainty (k = 2) when it was evaluated with the figure (a draft survey from
    observed marks); reconciliation uses it instead of the rule set's default for the method.
    """

    method: Method
    value: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    basis: Basis
    source: Text
    details: list[tuple[str, float | str, str]] = []
    uncertainty_pct: UncertaintyPct | None = None


__all__ = [
    "BASIS_LABELS",
    "CALL_KEYS",
    "METHODS",
    "SHIPMENT_ID_EXPECTED",
    "SHIPMENT_ID_PATTERN",
    "Basis",
    "DeclaredQuantity",
    "Instrument",
    "MethodFigure",
    "Shipment",
    "check_imo_number",
    "imo_check_digit",
    "is_safe_shipment_id",
    "load_figures",
    "load_shipment",
    "quantity_decimals",
    "shipment_from_data",
    "shipment_id_problem",
    "shown_policy",
]


class FigureEntry(StrictModel):
    """One entry of a figures file: a method's figure, or for ``ship_figure`` the ship's value and its VEF."""

    method: Method
    basis: Basis
    source: Text
    value: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    ship_value: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    vessel_experience_factor: Annotated[float, Field(gt=0.9, lt=1.1)] | None = None
    details: list[tuple[str, float | str, str]] = []

    @model_validator(mode="after")
    def _value_or_ship_figure(self) -> FigureEntry:
        if self.method == "ship_figure":
            if self.ship_value is None or self.vessel_experience_factor is None or self.value is not None:
                raise ValueError("a ship_figure gives ship_value and vessel_experience_factor (the adjusted figure is computed), not value")
        elif self.value is None or self.ship_value is not None or self.vessel_experience_factor is not None:
            raise ValueError(f"a {self.method} figure gives value (ship_value and vessel_experience_factor are for ship_figure)")
        return self

    def figure(self) -> MethodFigure:
        if self.method != "ship_figure":
            return MethodFigure(method=self.method, value=cast(float, self.value), basis=self.basis, source=self.source, details=self.details)
        ship_value, vef = cast(float, self.ship_value), cast(float, self.vessel_experience_factor)  # the validator above checked both
        adjusted = float(vef_adjusted(ship_value, vef))
        unit = BASIS_UNITS[self.basis]
        details: list[tuple[str, float | str, str]] = [
            *self.details,
            ("Ship's figure", ship_value, unit),
            ("Vessel experience factor VEF", vef, "-"),
            ("Ship's figure / VEF", adjusted, unit),
        ]
        return MethodFigure(method="ship_figure", value=adjusted, basis=self.basis, source=self.source, details=details)


class FiguresFile(StrictModel):
    figures: Annotated[list[FigureEntry], Field(min_length=1)]


def load_figures(path: str | Path, shipment: Shipment) -> list[MethodFigure]:
    """Read the figures of a shipment's non-meter methods (TOML or JSON), checked against the shipment.

    Raises
    ------
    InputError
        A malformed entry, a method the shipment does not name, a basis other than the declared one,
        or a method given twice (file, key path, problem).
    """
    path = Path(path)
    text = read_text(path)  # one reader for every input file: missing, a folder, not UTF-8
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise InputError(path, "(syntax)", f"not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {error}") from None
    entries = validated(FiguresFile, raw, path, docs="docs/shipments.md").figures
    problems = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if entry.method not in shipment.methods:
            problems.append((f"figures[{i}].method", f"shipment {shipment.id} does not use {entry.method!r} (its methods: {', '.join(shipment.methods)})"))
        if entry.method == "meters":
            problems.append((f"figures[{i}].method", "the meters' figure comes from the stored totalizers (bulkdaq shipment complete), not from a file"))
        if entry.basis != shipment.declared.basis:
            problems.append((f"figures[{i}].basis", f"{entry.basis} differs from the declared basis {shipment.declared.basis}; give the figure in the declared basis"))
        if entry.method in seen:
            problems.append((f"figures[{i}].method", f"{entry.method!r} is given twice"))
        seen.add(entry.method)
    if problems:
        raise problems_error(path, problems)
    return [entry.figure() for entry in entries]
