"""Lot files of the bonded blending yard: one JSON document per file, read strictly.

A lot file says what it holds with ``kind`` and carries that document's keys beside it (docs/yard.md;
the models are in bulkdaq/yard/lot.py):

* ``"inbound_lot"``: lot, origin, brand, grade, declaration, figures (method, wet_t, u_wet_t, source, and
  for a ``belt_scale`` figure the scale that weighed it, e.g. ``"scale": "BR-1"``), of_record, moisture (pct, u_pct, source), optionally vessel;
* ``"outbound_lot"``: lot, product, declaration, figure, moisture, runs, optionally destination and vessel;
* ``"moisture"``: lot, sampled, moisture;
* ``"stock_survey"``: lot, surveyed, figure, optionally moisture;
* ``"transfer"``: lot, figure, to, reason.

Masses are wet tonnes [t]; every ``u_…`` is a *standard* uncertainty (k = 1) in the unit of its figure;
moisture is % on the wet basis (ISO 3087), 0 … 30 %. Numbers are JSON numbers (text in quotes is not a
number), unknown keys are refused, nothing is filled in: every problem raises one
:class:`~bulkdaq.errors.InputError` naming the file, the key path (``figures[0].u_wet_t``) and what was
expected, every problem of the file listed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from bulkdaq.config.validation import read_text, validated
from bulkdaq.errors import InputError
from bulkdaq.yard.lot import InboundLot, MoistureResult, OutboundLot, StockSurvey, Transfer

DOCS = "docs/yard.md"
T = TypeVar("T", bound=BaseModel)
LOT_FILE_KINDS: dict[str, type[BaseModel]] = {
    "inbound_lot": InboundLot,
    "outbound_lot": OutboundLot,
    "moisture": MoistureResult,
    "stock_survey": StockSurvey,
    "transfer": Transfer,
}

LotDocument = InboundLot | OutboundLot | MoistureResult | StockSurvey | Transfer


def read_lot_file(path: str | Path) -> LotDocument:
    """Read and validate a lot file (JSON).

    Returns
    -------
    InboundLot, OutboundLot, MoistureResult, StockSurvey or Transfer
        As its ``kind`` says.

    Raises
    ------
    InputError
        A missing, unreadable or invalid JSON file; no ``kind`` or an unknown one; any problem of the
        document (file, key path, what was expected).
    """
    path = Path(path)
    text = read_text(path)
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(path, "(syntax)", f"not valid JSON: {error}") from None
    if not isinstance(raw, dict):
        raise InputError(path, "(top level)", f"expected a JSON object with a kind ({', '.join(LOT_FILE_KINDS)}); got {type(raw).__name__}")
    kinds = ", ".join(LOT_FILE_KINDS)
    if "kind" not in raw:
        raise InputError(path, "kind", f"required key is missing; expected one of {kinds}")
    kind = raw["kind"]
    if not isinstance(kind, str) or kind not in LOT_FILE_KINDS:
        raise InputError(path, "kind", f"{kind!r} is not a kind of lot file; expected one of {kinds}")
    body = {key: value for key, value in raw.items() if key != "kind"}
    document: LotDocument = validated(LOT_FILE_KINDS[kind], body, path, docs=DOCS)  # type: ignore[assignment]
    return document


def read_inbound_lot(path: str | Path) -> InboundLot:
    """A lot file that must hold an inbound lot (kind ``inbound_lot``)."""
    return _expect(path, InboundLot, "inbound_lot")


def read_outbound_lot(path: str | Path) -> OutboundLot:
    """A lot file that must hold an outbound lot (kind ``outbound_lot``)."""
    return _expect(path, OutboundLot, "outbound_lot")


def _expect(path: str | Path, model: type[T], kind: str) -> T:
    document = read_lot_file(path)
    if not isinstance(document, model):
        held = next(name for name, held_model in LOT_FILE_KINDS.items() if isinstance(document, held_model))
        raise InputError(Path(path), "kind", f"this file holds kind {held!r}; expected kind {kind!r}")
    return document


__all__ = ["LOT_FILE_KINDS", "LotDocument", "read_inbound_lot", "read_lot_file", "read_outbound_lot"]
