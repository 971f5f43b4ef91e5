"""Survey and ticket files that would have been accepted before issue 14 (a, d, e) are refused, each naming
the file, the key path and what was expected; and every `--json` output is valid JSON.

* survey file: a hydrostatic row no ship can have (displacement not rising, TPC or MTC not above 0, LCF
  beyond the perpendiculars, e.g. a table from midships declared `from_ap`), in the vessel's table and in
  a surveyor's table readings: ``vessel.hydrostatics[5].displacement_t``;
* survey file, draft marks written as text: read only when they cannot be misread (docs/draft_survey.md,
  "Numbers written as text", kept as documented), so a mark with a unit or an ambiguous mark is refused;
* ticket files: values outside their physical range (docs/tickets.md, "Physical ranges"): a totalizer of
  1e308 (which printed `Infinity` in `--json`), a meter factor of 1e300, a pressure below vacuum, …
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.cli.json_output import NotJson, json_text
from bulkdaq.errors import InputError
from bulkdaq.inputs.survey_file import load_survey_file
from bulkdaq.inputs.ticket_files import TICKET_READERS

REPO = Path(__file__).resolve().parents[3]
BULKDAQ = Path(sys.executable).parent / "bulkdaq"
EVERSHIP = json.loads((REPO / "examples" / "surveys" / "evership.json").read_text(encoding="utf-8"))
TICKETS = {kind: json.loads((REPO / "examples" / "tickets" / f"{kind}.json").read_text(encoding="utf-8")) for kind in ("meter", "coriolis", "tank")}


def _edit(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `document` with the value at dotted `path` (list indices as numbers) replaced."""
    changed = copy.deepcopy(document)
    node: Any = changed
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(keys[-1]) if isinstance(node, list) else keys[-1]] = value
    return changed


def _readings(rows: list[dict[str, float]]) -> dict[str, Any]:
    return {"rows": rows, "mtc_plus_t_m_cm": 1102.4, "mtc_minus_t_m_cm": 1081.0}


_GOOD_READINGS = [
    {"draft_m": 6.43, "displacement_t": 45914, "tpc_t_cm": 75.8, "lcf_m": -7.71},
    {"draft_m": 6.44, "displacement_t": 45990, "tpc_t_cm": 75.8, "lcf_m": -7.69},
]

# ---------------------------------------------------------------------------------------------------------
# Survey files

SURVEY_BAD_INPUTS = [
    BadInput("survey file", "displacement falling with draft in the vessel table", "vessel.hydrostatics[5].displacement_t = 44300 (row 4: 44400)",
             "displacement_t must increase with draft: row 5 (draft 6.24 m, 44300 t) is not above row 4 (draft 6.23 m, 44400 t)"),
    BadInput("survey file", "displacement equal to the row before", "vessel.hydrostatics[1].displacement_t = 40635",
             "row 1 (draft 5.74 m, 40635 t) is not above row 0 (draft 5.73 m, 40635 t)"),
    BadInput("survey file", "TPC of zero", "vessel.hydrostatics[3].tpc_t_cm = 0", "must be greater than 0 t/cm, got 0"),
    BadInput("survey file", "negative MTC", "vessel.hydrostatics[2].mtc_t_m_cm = -1061.1", "must be greater than 0 t·m/cm, got -1061.1"),
    BadInput("survey file", "LCF beyond the perpendiculars", "vessel.hydrostatics[4].lcf_m = 120 (LBP 227 m)",
             "lcf_m of row 4 (draft 6.23 m) puts the centre of flotation 120 m aft of midships, beyond the aft perpendicular"),
    BadInput("survey file", "table from midships declared from the AP", 'vessel.lcf_convention = "from_ap"',
             "121.91 m aft of midships, beyond the aft perpendicular (LBP 227 m: at most 113.5 m either way); check the value and the LCF convention (the file gives -8.41 m, lcf_convention 'from_ap')"),
    BadInput("survey file", "displacement falling in a surveyor's table readings", "surveys.initial.table_readings.rows[1].displacement_t = 45900",
             "row 1 (draft 6.44 m, 45900 t) is not above row 0 (draft 6.43 m, 45914 t)"),
    BadInput("survey file", "draft mark written as text", 'surveys.initial.marks_m.fwd_port = "5.69"',
             'expected a number in metres written as a JSON number, not text, got "5.69" (remove the quotes)'),
    BadInput("survey file", "draft mark written with its unit", 'surveys.initial.marks_m.fwd_port = "5.69 m"', 'not text, got "5.69 m"'),
    BadInput("survey file", "draft mark written as true", "surveys.initial.marks_m.fwd_port = true", "expected a number in metres, got true"),
]
_SURVEY_EDITS: list[tuple[str, Any, str]] = [
    ("vessel.hydrostatics.5.displacement_t", 44300, "vessel.hydrostatics[5].displacement_t"),
    ("vessel.hydrostatics.1.displacement_t", 40635, "vessel.hydrostatics[1].displacement_t"),
    ("vessel.hydrostatics.3.tpc_t_cm", 0, "vessel.hydrostatics[3].tpc_t_cm"),
    ("vessel.hydrostatics.2.mtc_t_m_cm", -1061.1, "vessel.hydrostatics[2].mtc_t_m_cm"),
    ("vessel.hydrostatics.4.lcf_m", 120, "vessel.hydrostatics[4].lcf_m"),
    ("vessel.lcf_convention", "from_ap", "vessel.hydrostatics[0].lcf_m"),
    ("surveys.initial.table_readings", _readings([_GOOD_READINGS[0], {**_GOOD_READINGS[1], "displacement_t": 45900}]),
     "surveys.initial.table_readings.rows[1].displacement_t"),
    ("surveys.initial.marks_m.fwd_port", "5.69", "surveys.initial.marks_m.fwd_port"),
    ("surveys.initial.marks_m.fwd_port", "5.69 m", "surveys.initial.marks_m.fwd_port"),
    ("surveys.initial.marks_m.fwd_port", True, "surveys.initial.marks_m.fwd_port"),
]


@pytest.mark.parametrize(("case", "edit"), list(zip(SURVEY_BAD_INPUTS, _SURVEY_EDITS, strict=True)), ids=ids(SURVEY_BAD_INPUTS))
def test_a_bad_survey_file_is_refused_with_the_key_path(tmp_path: Path, case: BadInput, edit: tuple[str, Any, str]) -> None:
    path, value, key = edit
    file = tmp_path / "job.json"
    file.write_text(json.dumps(_edit(EVERSHIP, path, value)), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_survey_file(file)
    assert str(caught.value).startswith(f"{file}: {key}: "), str(caught.value)
    assert case.expected_message_part in caught.value.problem, caught.value.problem


def test_the_misprinted_row_of_the_issue_is_refused_and_good_readings_still_load(tmp_path: Path) -> None:
    """The issue's case: 106137 t printed for 106305 t at 13.98 m (168 t less, below 13.97 m's 106221 t), the
    rows the draft check's mean draft is read between; it moved the cargo by 168 t with no warning."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_edit(EVERSHIP, "vessel.hydrostatics.15.displacement_t", 106137)), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_survey_file(bad)
    assert str(caught.value) == (
        f"{bad}: vessel.hydrostatics[15].displacement_t: displacement_t must increase with draft: row 15 (draft 13.98 m, "
        "106137 t) is not above row 14 (draft 13.97 m, 106221 t); a deeper ship displaces more water: check the table for a misprint"
    )
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_edit(EVERSHIP, "surveys.initial.table_readings", _readings(_GOOD_READINGS))), encoding="utf-8")
    assert len(load_survey_file(good).conditions[0].table_readings.rows) == 2  # type: ignore[union-attr]  # no false refusal


def test_other_numbers_written_as_text_are_still_read_when_they_cannot_be_misread(tmp_path: Path) -> None:
    """docs/draft_survey.md, "Numbers written as text": the draft marks must be numbers, the rest of the file
    may carry an unambiguous text number ("1245" t of ballast is 1245 t, exactly)."""
    file = tmp_path / "job.json"
    file.write_text(json.dumps(EVERSHIP), encoding="utf-8")
    as_numbers = load_survey_file(file).compute()
    value = EVERSHIP["surveys"]["initial"]["deductibles"][0]["t"]
    assert isinstance(value, (int, float))
    file.write_text(json.dumps(_edit(EVERSHIP, "surveys.initial.deductibles.0.t", str(value))), encoding="utf-8")
    assert load_survey_file(file).compute().cargo_t == as_numbers.cargo_t


# ---------------------------------------------------------------------------------------------------------
# Ticket files

TICKET_BAD_INPUTS = [
    BadInput("ticket file", "totalizer of 1e308", "totalizer.closing = 1e308",
             "1e+308 is outside 0 … 1e+15, the range a totalizer reading is kept to"),
    BadInput("ticket file", "negative totalizer", "totalizer.opening = -5", "Input should be greater than or equal to 0; got -5"),
    BadInput("ticket file", "totalizer at its roll-over value", "totalizer.closing = 1e9 (rollover_at 1e9)",
             "closing 1e+09 is not below rollover_at 1e+09: the register wraps to 0 there, so it never shows it"),
    BadInput("ticket file", "meter factor of 1e300", "meter_factor = 1e300",
             "1e+300 is outside 0.8 … 1.2, a meter factor is a ratio near 1 (API MPMS 12.2); check for a K-factor or a percentage"),
    BadInput("ticket file", "meter factor as a percentage", "meter_factor = 100.12", "100.12 is outside 0.8 … 1.2"),
    BadInput("ticket file", "mass meter factor of 0.5", "mass_meter_factor = 0.5", "0.5 is outside 0.8 … 1.2"),
    BadInput("ticket file", "gauge pressure below vacuum", 'pressure = {"value": -2, "unit": "bar"}',
             "gauge pressure -2 bar is below a full vacuum (-101.325 kPa gauge); check the sign and the unit"),
    BadInput("ticket file", "line density in t/m3", 'line.density = {"value": 0.9378, "unit": "kg/m3"}',
             "0.9378 kg/m³ is outside 400 … 1300 kg/m³, the densities of liquid hydrocarbons at line conditions"),
    BadInput("ticket file", "density check band of 1e300", "density_check_band.value = 1e300", "1e+300 kg/m³ is outside 0 … 100 kg/m³, a wider band checks nothing"),
    BadInput("ticket file", "flow sample below vacuum hidden in the average", "flow_samples.rows[1] = [10, 28, -500] kPa",
             "gauge pressure -500 kPa is below a full vacuum"),
    BadInput("ticket file", "flow sample temperature out of range", "flow_samples.rows[0] = [10, 400, 400] °C",
             "temperature 400 C is outside -50 … 150 °C (−58 … 302 °F), the range of API MPMS 11.1-2004"),
    BadInput("ticket file", "ambient temperature of 1e300", "shell.ambient_temperature.value = 1e300", "temperature 1e+300 C is outside -50 … 150 °C"),
    BadInput("ticket file", "floating roof mass in grams", "floating_roof.mass_kg = 42500000", "4.25e+07 kg is outside 0 … 1e+07 kg, more than any floating roof weighs"),
    BadInput("ticket file", "strapping table level in mm declared as m", "strapping_table.rows[8] = [18000, 21126.4] (level_unit m)",
             "level 18000 m is outside 0 … 100 m; check level_unit"),
    BadInput("ticket file", "strapping table volume of 1e308", "strapping_table.rows[1] = [0.5, 1e308]", "volume 1e+308 m3 is outside 0 … 1e+07 m³; check volume_unit"),
    BadInput("ticket file", "shell expansion coefficient of 1e-12", "shell.expansion_coefficient_per_c = 1e-12", "greater than or equal to 0.000001; got 1e-12"),
    BadInput("ticket file", "meter factor as text", 'meter_factor = "1.0012"', "Input should be a valid number; got '1.0012'"),
]
_SAMPLES = {"quantity_unit": "m3", "temperature_unit": "C", "pressure_unit": "kPa", "rows": [[10.0, 28.0, 400.0], [10.0, 28.0, -500.0]]}
_HOT_SAMPLES = {**_SAMPLES, "rows": [[10.0, 400.0, 400.0], [10.0, 28.0, 400.0]]}


def _samples(samples: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def apply(document: dict[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(document)
        del changed["temperature"], changed["pressure"]
        changed["flow_samples"] = samples
        return changed

    return apply


_TICKET_EDITS: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]], str]] = [
    ("meter", lambda d: _edit(d, "totalizer.closing", 1e308), "totalizer.closing"),
    ("meter", lambda d: _edit(d, "totalizer.opening", -5), "totalizer.opening"),
    ("meter", lambda d: _edit(d, "totalizer.closing", 1e9), "totalizer"),
    ("meter", lambda d: _edit(d, "meter_factor", 1e300), "meter_factor"),
    ("meter", lambda d: _edit(d, "meter_factor", 100.12), "meter_factor"),
    ("coriolis", lambda d: _edit(d, "mass_meter_factor", 0.5), "mass_meter_factor"),
    ("meter", lambda d: _edit(d, "pressure", {"value": -2, "unit": "bar"}), "pressure.value"),
    ("coriolis", lambda d: _edit(d, "line.density.value", 0.9378), "line.density.value"),
    ("coriolis", lambda d: _edit(d, "density_check_band.value", 1e300), "density_check_band.value"),
    ("meter", _samples(_SAMPLES), "flow_samples.rows[1]"),
    ("meter", _samples(_HOT_SAMPLES), "flow_samples.rows[0]"),
    ("tank", lambda d: _edit(d, "shell.ambient_temperature.value", 1e300), "shell.ambient_temperature.value"),
    ("tank", lambda d: _edit(d, "floating_roof.mass_kg", 42_500_000), "floating_roof.mass_kg"),
    ("tank", lambda d: _edit(d, "strapping_table.rows.8", [18000, 21126.4]), "strapping_table.rows[8]"),
    ("tank", lambda d: _edit(d, "strapping_table.rows.1", [0.5, 1e308]), "strapping_table.rows[1]"),
    ("tank", lambda d: _edit(d, "shell.expansion_coefficient_per_c", 1e-12), "shell.expansion_coefficient_per_c"),
    ("meter", lambda d: _edit(d, "meter_factor", "1.0012"), "meter_factor"),
]


@pytest.mark.parametrize(("case", "edit"), list(zip(TICKET_BAD_INPUTS, _TICKET_EDITS, strict=True)), ids=ids(TICKET_BAD_INPUTS))
def test_a_ticket_value_outside_its_physical_range_is_refused(tmp_path: Path, case: BadInput, edit: tuple[Any, ...]) -> None:
    kind, change, key = edit
    file = tmp_path / f"{kind}.json"
    file.write_text(json.dumps(change(TICKETS[kind])), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        TICKET_READERS[kind](file)
    assert str(caught.value).startswith(f"{file}: {key}: "), str(caught.value)
    assert case.expected_message_part in caught.value.problem, caught.value.problem


BAD_INPUTS = SURVEY_BAD_INPUTS + TICKET_BAD_INPUTS  # every bad input of this file, for docs/reliability.md


def _strict_json(text: str) -> Any:
    """Parse as RFC 8259 JSON: NaN and Infinity are refused."""
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("kind", ["meter", "coriolis", "tank"])
def test_ticket_json_is_valid_json(kind: str) -> None:
    result = subprocess.run([str(BULKDAQ), "ticket", kind, str(REPO / "examples" / "tickets" / f"{kind}.json"), "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert _strict_json(result.stdout)["kind"] == kind


def test_survey_json_is_valid_json() -> None:
    result = subprocess.run([str(BULKDAQ), "survey", "draft", str(REPO / "examples" / "surveys" / "evership.json"), "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert _strict_json(result.stdout)["cargo_weight_t"] > 0


def test_the_1e308_totalizer_gives_one_line_and_exit_2_not_infinity(tmp_path: Path) -> None:
    file = tmp_path / "meter.json"
    file.write_text(json.dumps(_edit(TICKETS["meter"], "totalizer.closing", 1e308)), encoding="utf-8")
    result = subprocess.run([str(BULKDAQ), "ticket", "meter", str(file), "--json"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert " ".join(result.stderr.split()).startswith(f"error: {file}: totalizer.closing: 1e+308 is outside 0 … 1e+15")
    assert "Infinity" not in result.stderr


def test_json_output_refuses_nan_and_infinity_naming_where() -> None:
    assert _strict_json(json_text({"a": [1.5, {"b": "中文"}]})) == {"a": [1.5, {"b": "中文"}]}
    with pytest.raises(NotJson, match=r"figures\.mass_t\.value is inf, which JSON cannot carry"):
        json_text({"figures": {"gsv_m3": {"value": 1.0}, "mass_t": {"value": float("inf")}}})
    with pytest.raises(NotJson, match=r"rows\[1\] is nan"):
        json_text({"rows": [0.0, float("nan")]})
