"""Lot files of the bonded yard (bulkdaq/inputs/lot_file.py): the examples read, and every bad file is refused
with the file, the key path and what was expected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.errors import InputError
from bulkdaq.inputs.lot_file import read_inbound_lot, read_lot_file, read_outbound_lot
from bulkdaq.yard.lot import InboundLot, MoistureResult, OutboundLot, StockSurvey

LOTS = Path(__file__).resolve().parents[3] / "examples" / "yard" / "lots"
SA = json.loads((LOTS / "L-SA-03.json").read_text(encoding="utf-8"))


def test_the_example_lot_files_read() -> None:
    pilbara = read_inbound_lot(LOTS / "L-PILBARA-01.json")
    assert (pilbara.lot, pilbara.of_record, pilbara.figure.wet_t, pilbara.figure.u_wet_t) == ("L-PILBARA-01", "draft_survey", 100_000.0, 250.0)
    assert (pilbara.moisture.pct, pilbara.moisture.u_pct) == (8.5, 0.1)
    assert [(f.method, f.scale) for f in pilbara.figures] == [("draft_survey", None), ("belt_scale", "BR-1")]  # a belt-scale figure names its scale
    assert read_inbound_lot(LOTS / "L-BRAZIL-07.json").origin == "Brazil (Carajás, Pará)"
    assert read_inbound_lot(LOTS / "L-SA-03.json").moisture.pct == 5.0
    outbound = read_outbound_lot(LOTS / "O-PB62-01.json")
    assert (outbound.product, outbound.figure.wet_t, outbound.moisture.pct, outbound.runs) == ("PB-blend-62", 5_000.0, 8.1, ["R-2026-0412-01"])
    assert isinstance(read_lot_file(LOTS / "M-PILBARA-01-0410.json"), MoistureResult)
    survey = read_lot_file(LOTS / "S-SA-03-0415.json")
    assert isinstance(survey, StockSurvey) and survey.moisture is None and survey.figure.method == "stockpile_survey"
    # What the ledger stores is the file's own content, kind aside.
    raw = {k: v for k, v in SA.items() if k != "kind"}
    assert InboundLot.model_validate(raw).model_dump(mode="json", exclude_none=True) == raw


def _bad(tmp_path: Path, document: Any) -> str:
    path = tmp_path / "lot.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_lot_file(path)
    return str(caught.value).replace(str(path), "FILE")


def _figure(**change: Any) -> dict[str, Any]:
    return {**SA, "figures": [{**SA["figures"][0], **change}]}


_CASES: list[tuple[str, str, Any, str]] = [
    ('missing field', '(no declaration key)', {k: v for k, v in SA.items() if k != "declaration"}, "FILE: declaration: required key is missing"),
    ('moisture 85 pct', '"moisture": {"pct": 85.0, …}', {**SA, "moisture": {**SA["moisture"], "pct": 85.0}},
         "FILE: moisture.pct: 85.0 % is outside 0 … 30 % (wet basis, ISO 3087), the range of iron ore moisture; "
         "a figure on the dry basis or as a fraction must be converted, not used"),
    ('negative mass', '"wet_t": -20000.0', _figure(wet_t=-20_000.0), "FILE: figures[0].wet_t: Input should be greater than or equal to 0; got -20000.0"),
    ('u missing', '(no u_wet_t key in figures[0])', {**SA, "figures": [{k: v for k, v in SA["figures"][0].items() if k != "u_wet_t"}]}, "FILE: figures[0].u_wet_t: required key is missing"),
    ('unknown key', '"colour": "red"', {**SA, "colour": "red"}, "FILE: colour: unknown key (check the spelling against docs/yard.md)"),
    ('number as text', '"wet_t": "20000"', _figure(wet_t="20000"),
         "FILE: figures[0].wet_t: Input should be a valid number; got '20000' (text in quotes is not a number: write the number without quotes)"),
    ('bool as number', '"u_pct": true', {**SA, "moisture": {**SA["moisture"], "u_pct": True}}, "FILE: moisture.u_pct: Input should be a valid number; got True (true and false are not numbers)"),
    ('text wrong type', '"origin": 5', {**SA, "origin": 5}, "FILE: origin: Input should be a valid string; got 5"),
    ('list wrong type', '"figures": "draft survey 20,000 t"', {**SA, "figures": "draft survey 20,000 t"}, "FILE: figures: Input should be a valid list; got 'draft survey 20,000 t'"),
    ('unsafe lot id', '"lot": "../L-SA-03"', {**SA, "lot": "../L-SA-03"},
         "FILE: lot: '../L-SA-03' is not a lot id bulkdaq accepts; expected a safe name: 1–120 letters, digits, '-', '_' or '.', "
         "beginning with a letter or digit, no '..' (e.g. \"L-PILBARA-01\")"),
    ('of record without figure', '"of_record": "belt_scale" (no belt_scale figure)', {**SA, "of_record": "belt_scale"}, "FILE: of_record: names 'belt_scale', which has no figure (figures: draft_survey)"),
    ('method twice', 'two draft_survey figures', {**SA, "figures": SA["figures"] * 2}, "FILE: figures: method 'draft_survey' has two figures; give one figure per method"),
    ('shipment without citation', '"method": "shipment" without "shipment"', _figure(method="shipment"), "FILE: figures[0]: a figure of method 'shipment' cites its shipment (key shipment), and only such a figure does"),
    ('belt scale without scale', '"method": "belt_scale" without "scale"', _figure(method="belt_scale"),
         "FILE: figures[0]: a figure of method 'belt_scale' names the belt scale that weighed it (key scale: the scale's asset, "
         "as [[yard.belt_scales]] of the site file names it, e.g. \"BR-1\")"),
    ('draft survey with scale', '"method": "draft_survey", "scale": "BR-1"', _figure(scale="BR-1"),
         "FILE: figures[0]: a figure of method 'draft_survey' names no scale (key scale is for a 'belt_scale' figure only); "
         "remove it, or give the scale's figure as a figure of its own of method 'belt_scale'"),
    ('unsafe scale name', '"scale": "BR 1"', _figure(method="belt_scale", scale="BR 1"),
         "FILE: figures[0].scale: 'BR 1' is not a name bulkdaq accepts: ' ' is not allowed; write 1 to 64 letters, digits and _ . : / -, "
         'starting with a letter or digit (docs/configuration.md, "Names")'),
    ('no kind', '(no kind key)', {k: v for k, v in SA.items() if k != "kind"},
         "FILE: kind: required key is missing; expected one of inbound_lot, outbound_lot, moisture, stock_survey, transfer"),
    ('unknown kind', '"kind": "lot"', {**SA, "kind": "lot"}, "FILE: kind: 'lot' is not a kind of lot file; expected one of inbound_lot, outbound_lot, moisture, stock_survey, transfer"),
    ('not an object', '[ {…} ] (a list)', [SA], "FILE: (top level): expected a JSON object with a kind (inbound_lot, outbound_lot, moisture, stock_survey, transfer); got list"),
    ('time without zone', '"sampled": "2026-04-10T08:00:00"', {"kind": "moisture", "lot": "L-SA-03", "sampled": "2026-04-10T08:00:00", "moisture": {"pct": 5.0, "u_pct": 0.1, "source": "lab"}},
         "FILE: sampled: Input should have timezone info; got '2026-04-10T08:00:00'"),
]
BAD_INPUTS = [BadInput("lot file", what, given, message.removeprefix("FILE: ")) for what, given, _document, message in _CASES]


@pytest.mark.parametrize(("document", "message"), [(c[2], c[3]) for c in _CASES], ids=ids(BAD_INPUTS))
def test_a_bad_lot_file_names_file_key_and_what_was_expected(tmp_path: Path, document: Any, message: str) -> None:
    assert _bad(tmp_path, document) == message


def test_every_problem_of_a_file_is_listed(tmp_path: Path) -> None:
    document = {**_figure(wet_t="20000"), "origin": 5}
    assert _bad(tmp_path, document).splitlines() == [
        "FILE: origin: Input should be a valid string; got 5",
        "FILE: figures[0].wet_t: Input should be a valid number; got '20000' (text in quotes is not a number: write the number without quotes)",
    ]


def test_nan_invalid_json_a_missing_file_and_the_wrong_kind(tmp_path: Path) -> None:
    path = tmp_path / "nan.json"
    path.write_text('{"kind": "moisture", "lot": "L-1", "sampled": "2026-04-10T08:00:00Z", "moisture": {"pct": NaN, "u_pct": 0.1, "source": "x"}}')
    with pytest.raises(InputError, match="nan.json: moisture.pct: Input should be a finite number; got nan"):
        read_lot_file(path)
    path.write_text('{"kind": "moisture",')
    with pytest.raises(InputError, match=r"nan.json: \(syntax\): not valid JSON: "):
        read_lot_file(path)
    with pytest.raises(InputError, match=r"none.json: \(file\): no such file"):
        read_lot_file(tmp_path / "none.json")
    with pytest.raises(InputError, match=r"L-SA-03.json: kind: this file holds kind 'inbound_lot'; expected kind 'outbound_lot'"):
        read_outbound_lot(LOTS / "L-SA-03.json")
    assert isinstance(read_lot_file(LOTS / "O-PB62-01.json"), OutboundLot)
