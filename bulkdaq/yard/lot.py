"""A lot of the bonded blending yard: what entered (an inbound lot), what left (an outbound lot of blended
product), and the measured documents the yard ledger records about them (moisture results, stock surveys,
transfers).

Each model is strict (bulkdaq/config/strict_model.py: unknown keys refused, no number from text, no NaN)
and frozen; its JSON form (``model_dump(mode="json")``) is the document the yard ledger stores and hashes
(bulkdaq/yard/ledger.py), and the same form is what a lot file holds (bulkdaq/inputs/lot_file.py).

A lot's quantity has a method (docs/yard.md, "A lot's quantity has a method"): each `LotFigure` names its
method, its wet tonnes, its *standard* uncertainty and its source; one of an inbound lot's figures is the
quantity of record (`InboundLot.of_record`), the others stay beside it. Moisture is on the wet basis
(ISO 3087) with its standard uncertainty in percentage points.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, ValidationInfo, field_validator, model_validator

from bulkdaq.config.strict_model import StrictTypedModel
from bulkdaq.config.validation import Name
from bulkdaq.errors import BulkdaqError
from calculators.blending.dry_mass import MOISTURE_RANGE_PCT

LOT_METHODS: tuple[str, ...] = ("draft_survey", "belt_scale", "shipment", "stockpile_survey")
LotMethod = Literal["draft_survey", "belt_scale", "shipment", "stockpile_survey"]

# A lot id (and a run id, a product pile name) is a safe name, as a shipment id is
# (bulkdaq/shipments/model.py, SHIPMENT_ID_PATTERN): it may stand in a file name and an InfluxDB tag.
LOT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,119}$")
LOT_ID_EXPECTED = "a safe name: 1–120 letters, digits, '-', '_' or '.', beginning with a letter or digit, no '..' (e.g. \"L-PILBARA-01\")"


class UnsafeLotId(BulkdaqError, ValueError):
    """A lot, run or pile id that is not a safe name (`LOT_ID_PATTERN`)."""


def is_safe_lot_id(value: str) -> bool:
    """True when `value` is a safe lot (run, pile) id: `LOT_ID_PATTERN` and no ``..``."""
    return bool(LOT_ID_PATTERN.fullmatch(value)) and ".." not in value


def check_lot_id(value: str) -> str:
    """`value` if it is a safe lot id, else ValueError saying what was expected."""
    if not is_safe_lot_id(value):
        raise ValueError(f"{value!r} is not a lot id bulkdaq accepts; expected {LOT_ID_EXPECTED}")
    return value


def _moisture_in_range(value: float) -> float:
    low, high = MOISTURE_RANGE_PCT
    if not low <= value <= high:
        raise ValueError(
            f"{value!r} % is outside {low:g} … {high:g} % (wet basis, ISO 3087), the range of iron ore moisture; "
            "a figure on the dry basis or as a fraction must be converted, not used"
        )
    return value


LotId = Annotated[str, AfterValidator(check_lot_id)]
Text = Annotated[str, Field(min_length=1, max_length=500)]
Tonnes = Annotated[float, Field(ge=0)]
"""A mass [t], ≥ 0."""
StandardU = Annotated[float, Field(ge=0)]
"""A standard uncertainty (k = 1) [t or percentage points], ≥ 0."""
Moment = Annotated[AwareDatetime, Field(strict=False)]
"""A time with its zone, written as ISO 8601 text (``2026-04-12T05:00:00Z``)."""
MoisturePct = Annotated[float, AfterValidator(_moisture_in_range)]
"""Moisture content [% wet basis], 0 … 30 (calculators/blending/dry_mass.py, MOISTURE_RANGE_PCT)."""


class ShipmentCitation(StrictTypedModel):
    """Where a lot's figure taken from a shipment comes from: the shipment, the registry event (its number
    in the shipment's history and its hash) that recorded the figures, and the hash of the evidence document
    (kind ``figures``) that holds them."""

    shipment: Text
    method: Text
    event_number: Annotated[int, Field(ge=1)]
    event_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    evidence_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    uncertainty_from: Text


class LotFigure(StrictTypedModel):
    """One method's figure of a lot: wet tonnes [t] with their standard uncertainty [t], and the source.

    A figure of method ``belt_scale`` names the belt scale that weighed it (`scale`, the scale's asset as
    ``[[yard.belt_scales]]`` of the site file and the `scale` tag of its readings name it, e.g. ``"BR-1"``):
    the drift check (bulkdaq/yard/drift_watch.py) holds that scale's figures against the draft surveys of
    the same lots, so a belt-scale figure without its scale could not be checked. No other method names a
    scale.
    """

    method: LotMethod
    wet_t: Tonnes
    u_wet_t: StandardU
    source: Text
    shipment: ShipmentCitation | None = None
    scale: Name | None = None

    @model_validator(mode="after")
    def _citation(self) -> LotFigure:
        if (self.method == "shipment") != (self.shipment is not None):
            raise ValueError("a figure of method 'shipment' cites its shipment (key shipment), and only such a figure does")
        if self.method == "belt_scale" and self.scale is None:
            raise ValueError("a figure of method 'belt_scale' names the belt scale that weighed it (key scale: the scale's asset, "
                             "as [[yard.belt_scales]] of the site file names it, e.g. \"BR-1\")")
        if self.method != "belt_scale" and self.scale is not None:
            raise ValueError(f"a figure of method {self.method!r} names no scale (key scale is for a 'belt_scale' figure only); "
                             "remove it, or give the scale's figure as a figure of its own of method 'belt_scale'")
        return self


class Moisture(StrictTypedModel):
    """A moisture content [% wet basis, ISO 3087] with its standard uncertainty [percentage points]."""

    pct: MoisturePct
    u_pct: StandardU
    source: Text


class InboundLot(StrictTypedModel):
    """Ore entered into the bonded yard: origin, brand, grade, customs declaration, its figures (one of
    record) and its moisture at entry."""

    lot: LotId
    origin: Text
    brand: Text
    grade: Text
    declaration: Text
    vessel: Text | None = None
    figures: Annotated[list[LotFigure], Field(min_length=1)]
    of_record: LotMethod
    moisture: Moisture

    @field_validator("figures")
    @classmethod
    def _one_per_method(cls, figures: list[LotFigure]) -> list[LotFigure]:
        methods = [figure.method for figure in figures]
        repeated = sorted({m for m in methods if methods.count(m) > 1})
        if repeated:
            raise ValueError(f"method {repeated[0]!r} has two figures; give one figure per method")
        return figures

    @field_validator("of_record")
    @classmethod
    def _of_record_has_a_figure(cls, of_record: str, info: ValidationInfo) -> str:
        figures = info.data.get("figures")
        if figures is not None and of_record not in [figure.method for figure in figures]:
            raise ValueError(f"names {of_record!r}, which has no figure (figures: {', '.join(f.method for f in figures)})")
        return of_record

    @property
    def figure(self) -> LotFigure:
        """The figure of record."""
        return next(figure for figure in self.figures if figure.method == self.of_record)


class OutboundLot(StrictTypedModel):
    """Blended product leaving the yard: the product pile it is taken from, its declaration, its figure and
    moisture, and the runs that made it."""

    lot: LotId
    product: Text
    declaration: Text
    destination: Text | None = None
    vessel: Text | None = None
    figure: LotFigure
    moisture: Moisture
    runs: list[LotId] = []


class MoistureResult(StrictTypedModel):
    """A moisture result for a lot or a product pile (a later sample than the one at entry)."""

    lot: LotId
    sampled: Moment
    moisture: Moisture


class StockSurvey(StrictTypedModel):
    """A measured stock of a lot's pile or of a product pile [t wet], at a time; the moisture is optional
    (without it the pile's latest moisture is used for its dry tonnes)."""

    lot: LotId
    surveyed: Moment
    figure: LotFigure
    moisture: Moisture | None = None


class Transfer(StrictTypedModel):
    """Ore moved out of a lot other than by a blending run (to another bonded yard, a rejected part)."""

    lot: LotId
    figure: LotFigure
    to: Text
    reason: Text


class ScaleDrift(StrictTypedModel):
    """A belt scale found beyond its class (against draft surveys): the scale, its bias [%] and the
    finding's evidence."""

    scale: Text
    bias_pct: float
    limit_pct: Annotated[float, Field(ge=0)]
    finding: Text


__all__ = [
    "LOT_ID_EXPECTED",
    "LOT_ID_PATTERN",
    "LOT_METHODS",
    "InboundLot",
    "LotFigure",
    "LotId",
    "LotMethod",
    "Moisture",
    "MoistureResult",
    "Moment",
    "OutboundLot",
    "ScaleDrift",
    "ShipmentCitation",
    "StockSurvey",
    "Transfer",
    "UnsafeLotId",
    "check_lot_id",
    "is_safe_lot_id",
]
