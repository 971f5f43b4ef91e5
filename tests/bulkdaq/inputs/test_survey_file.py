"""Survey job files: the contract shape, the example, the number-text rule, and every kind of bad file."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.errors import InputError
from bulkdaq.inputs.survey_file import NumberTextError, load_survey_file, parse_number_text, parse_survey_document
from reference_cases import reference_case

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "surveys" / "evership.json"
REFERENCE = reference_case("DS-EVERSHIP-COAL-2019")


@pytest.fixture
def document() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def write(tmp_path: Path, document: object, name: str = "job.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def error_for(tmp_path: Path, document: object) -> InputError:
    path = write(tmp_path, document)
    with pytest.raises(InputError) as raised:
        load_survey_file(path).compute()
    assert raised.value.source == str(path)
    assert str(raised.value).startswith(f"{path}: ")
    return raised.value


# ---------------------------------------------------------------------------------------------------
# The shipped example is the reference survey (tests/reference, DS-EVERSHIP-COAL-2019)


def test_example_file_reproduces_the_reference_survey():
    job = load_survey_file(EXAMPLE)
    assert job.vessel_name == "EVER SHIP"
    assert job.rounding.name == "workbook"
    assert [c.name for c in job.conditions] == ["initial", "draft_check", "final"]
    result = job.compute()
    expected = REFERENCE["expected"]
    assert result.survey("initial").net_displacement_t == pytest.approx(expected["initial"]["net_displacement_t"], abs=0.01)
    assert result.survey("draft_check").net_displacement_t == pytest.approx(expected["draft_check"]["net_displacement_t"], abs=0.01)
    assert result.survey("final").net_displacement_t == pytest.approx(expected["final"]["net_displacement_t"], abs=0.01)
    assert result.cargo_t == pytest.approx(expected["cargo_loaded_initial_to_draft_check_t"], abs=0.01)
    assert result.constant_t == pytest.approx(350.52, abs=0.01)
    assert [w.code for w in result.warnings] == ["bill_of_lading"]


def test_example_file_mirrors_the_reference_inputs(document):
    for name, given in REFERENCE["inputs"].items():
        survey = document["surveys"][name]
        assert survey["marks_m"] == given["marks"]
        assert survey["dock_density_t_m3"] == given["dock_water_density"]
        assert survey["mark_positions"]["mid"] == {"distance_m": given["mid_mark_aft_of_midship_m"], "side": "aft"}
        assert {d["kind"]: d["t"] for d in survey["deductibles"]} == given["deductibles_t"]
    assert len(document["vessel"]["hydrostatics"]) == len(REFERENCE["hydrostatic_rows_subset"])


def test_rounding_policy_is_read_from_the_file(tmp_path, document):
    document["rounding"] = "none"
    result = load_survey_file(write(tmp_path, document)).compute()
    assert result.rounding == "none"
    assert result.cargo_t == pytest.approx(REFERENCE["expected_unrounded"]["cargo_t"], abs=0.01)


@pytest.mark.parametrize(
    ("convention", "convert"),
    [
        ("midship_forward_positive", lambda lcf: -lcf),
        ("from_ap", lambda lcf: 227.0 / 2 - lcf),
        ("from_fp", lambda lcf: 227.0 / 2 + lcf),
    ],
)
def test_every_lcf_convention_gives_the_same_survey(tmp_path, document, convention, convert):
    baseline = load_survey_file(write(tmp_path, document, "midship.json")).compute()
    document["vessel"]["lcf_convention"] = convention
    for row in document["vessel"]["hydrostatics"]:
        row["lcf_m"] = round(convert(row["lcf_m"]), 6)
    converted = load_survey_file(write(tmp_path, document)).compute()
    for name in ("initial", "draft_check", "final"):
        assert converted.survey(name).lcf_m == pytest.approx(baseline.survey(name).lcf_m, abs=1e-9)
        assert converted.survey(name).net_displacement_t == pytest.approx(baseline.survey(name).net_displacement_t, abs=1e-6)


def contract_document() -> dict:
    """The issue's contract shape with every optional part: table readings, list TPCs, tank volumes."""
    return {
        "vessel": {"name": "EVER SHIP", "lbp_m": 227.0, "table_density_t_m3": 1.025, "keel_plate_mm": 0,
                   "lightship_t": 14637, "declared_constant_t": 350,
                   "lcf_convention": "midship_aft_positive",
                   "hydrostatics": []},
        "rounding": "unece-3dp",
        "surveys": {
            "initial": {
                "marks_m": {"fwd_port": 5.69, "fwd_stbd": 5.69, "mid_port": 6.41, "mid_stbd": 6.39, "aft_port": 7.30, "aft_stbd": 7.30},
                "mark_positions": {"fwd": {"distance_m": 2.255, "side": "aft"}, "mid": {"distance_m": 0.0, "side": "aft"},
                                   "aft": {"distance_m": 10.70, "side": "forward"}},
                "dock_density_t_m3": 1.023,
                "list_tpc_t_cm": {"port": 75.9, "stbd": 75.7},
                "table_readings": {"rows": [{"draft_m": 6.43, "displacement_t": 45914, "tpc_t_cm": 75.8, "lcf_m": -7.71},
                                            {"draft_m": 6.44, "displacement_t": 45990, "tpc_t_cm": 75.8, "lcf_m": -7.69}],
                                   "mtc_plus_t_m_cm": 1102.48, "mtc_minus_t_m_cm": 1061.18},
                "deductibles": [{"kind": "ballast", "name": "DB1P", "volume_m3": 1374.73, "density_t_m3": 1.025},
                                {"kind": "ballast", "name": "rest", "t": 27888},
                                {"kind": "fresh_water", "t": 247}, {"kind": "fuel_oil", "t": 836.18},
                                {"kind": "diesel_oil", "t": 57.5}, {"kind": "lube_oil", "t": 0}],
            },
            "final": {
                "marks_m": {"fwd_port": 13.83, "fwd_stbd": 13.83, "mid_port": 13.98, "mid_stbd": 13.98, "aft_port": 14.12, "aft_stbd": 14.12},
                "mark_positions": {"fwd": {"distance_m": 2.255, "side": "aft"}, "mid": {"distance_m": 0.54, "side": "aft"},
                                   "aft": {"distance_m": 10.70, "side": "forward"}},
                "dock_density_t_m3": 1.023,
                "table_readings": {"rows": [{"draft_m": 13.97, "displacement_t": 106221, "tpc_t_cm": 83.4, "lcf_m": 2.46},
                                            {"draft_m": 13.98, "displacement_t": 106305, "tpc_t_cm": 83.4, "lcf_m": 2.46}],
                                   "mtc_plus_t_m_cm": 1436.98, "mtc_minus_t_m_cm": 1417.78},
                "deductibles": [{"kind": "ballast", "t": 1245}, {"kind": "fresh_water", "t": 242},
                                {"kind": "fuel_oil", "t": 831}, {"kind": "diesel_oil", "t": 57.4}, {"kind": "other", "t": 0}],
            },
        },
    }


def test_contract_shape_with_table_readings_list_and_tank_volumes(tmp_path):
    result = load_survey_file(write(tmp_path, contract_document())).compute()
    initial, final = result.survey("initial"), result.survey("final")
    assert initial.table_source == final.table_source == "surveyor readings"
    # as worked by hand in test_draft_survey (unece-3dp): 45929.2 - 439.244 + 26.507, plus the list
    # correction 6 × |6.41 - 6.39| × |75.9 - 75.7| = 0.024 t
    assert initial.list_correction_t == 0.024
    assert initial.displacement_trim_list_corrected_t == 45516.487
    # ballast DB1P 1374.73 × 1.025 = 1409.09825 → 1409.098 t
    assert initial.deductibles[0].weight_t == 1409.098
    assert initial.deductibles_t == 1409.098 + 27888 + 247 + 836.18 + 57.5
    assert final.list_correction_t == 0.0 and final.list_tpc_port_t_cm is None
    assert result.cargo_t == pytest.approx(final.net_displacement_t - initial.net_displacement_t)
    assert result.constant_t == pytest.approx(initial.net_displacement_t - 14637)


def test_extra_keys_are_allowed(tmp_path):
    document = contract_document()
    document["remarks"] = "surveyed by launch"
    document["surveys"]["initial"]["sea_state"] = "calm"
    load_survey_file(write(tmp_path, document)).compute()


# ---------------------------------------------------------------------------------------------------
# Numbers written as text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5.69", 5.69),
        ("5,69", 5.69),  # a comma before two digits can only be a decimal comma
        ("0,750", 0.75),  # a thousands group never follows a lone 0
        ("1374,730", 1374.73),  # nor four leading digits
        ("29,297.50", 29297.5),
        ("29.297,50", 29297.5),
        ("1,374,730", 1374730.0),
        ("1.374.730,5", 1374730.5),
        ("29 297,5", 29297.5),
        ("29\u00a0297.5", 29297.5),
        ("1'374.73", 1374.73),
        ("-0,5", -0.5),
        ("+12", 12.0),
        (" 7.30 ", 7.3),
    ],
)
def test_number_text_read_when_it_has_one_meaning(text, value):
    assert parse_number_text(text) == value


ROOM = "survey file"
# Numbers written as text in a survey file (the input as given is the JSON string as written in the file)
BAD_NUMBER_TEXTS = [
    BadInput(ROOM, "number text with a comma before three digits", '"1,374"', "ambiguous"),  # 1374 or 1.374?
    BadInput(ROOM, "number text with a point before three digits", '"1.374"', "ambiguous"),  # 1.374 or 1374 (continental grouping)?
    BadInput(ROOM, "number text grouped in twos", '"12,34.5"', "in threes"),
    BadInput(ROOM, "number text grouped in fours", '"1,2345,678"', "in threes"),
    BadInput(ROOM, "number text with two decimal points", '"1,234.567.8"', "more than once"),
    BadInput(ROOM, "number text with points grouping a short tail", '"1.234.567.8"', "in threes"),
    BadInput(ROOM, "number text mixing separators", '"1,234 567.5"', "mixes"),
    BadInput(ROOM, "number text with its unit", '"5.69 m"', "not a number"),
    BadInput(ROOM, "number text with an exponent", '"1e3"', "not a number"),
    BadInput(ROOM, "empty number text", '""', "not a number"),
    BadInput(ROOM, "number text of a sign alone", '"-"', "not a number"),
    BadInput(ROOM, "number text without a leading digit", '".5"', "not a number"),
    BadInput(ROOM, "number text in words", '"five"', "not a number"),
]


@pytest.mark.parametrize("case", BAD_NUMBER_TEXTS, ids=ids(BAD_NUMBER_TEXTS))
def test_number_text_refused_when_it_could_be_misread(case):
    with pytest.raises(NumberTextError, match=re.escape(case.expected_message_part)):
        parse_number_text(json.loads(case.given))


def test_decimal_comma_in_a_file_is_read_correctly(tmp_path, document):
    expected = load_survey_file(write(tmp_path, document, "numbers.json")).compute()
    lbp = document["vessel"]["lbp_m"]
    assert lbp == round(lbp, 1)
    document["vessel"]["lbp_m"] = f"{lbp:.1f}".replace(".", ",")  # a decimal comma: "227,0" is 227.0 (draft marks must be numbers)
    document["surveys"]["initial"]["deductibles"][0]["t"] = "29.297"  # ambiguous, would be refused …
    with pytest.raises(InputError, match=r"surveys\.initial\.deductibles\[0\]\.t: expected a number in tonnes, got \"29\.297\" \(ambiguous"):
        load_survey_file(write(tmp_path, document))
    document["surveys"]["initial"]["deductibles"][0]["t"] = "29 297"  # … this is not
    result = load_survey_file(write(tmp_path, document)).compute()
    assert result.survey("initial").net_displacement_t == expected.survey("initial").net_displacement_t


def test_ambiguous_thousands_in_a_volume_is_refused(tmp_path):
    document = contract_document()
    document["surveys"]["initial"]["deductibles"][0]["volume_m3"] = "1,374"
    error = error_for(tmp_path, document)
    assert error.field == "surveys.initial.deductibles[0].volume_m3"
    assert 'got "1,374"' in error.problem and "ambiguous" in error.problem


# ---------------------------------------------------------------------------------------------------
# Bad files: each error names the file, the key path and what was expected


def _set(document: dict, path: str, value: object) -> dict:
    node = document
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is _DELETE:
        del node[keys[-1]]
    elif isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return document


_DELETE = object()


# (what, the edit as given in the table, expected message part); the edits below hold the change and the key path
BAD_FIELDS = [
    BadInput(ROOM, "draft mark in words", 'surveys.initial.marks_m.fwd_port = "five"', 'expected a number in metres written as a JSON number, not text, got "five"'),
    BadInput(ROOM, "boolean draft mark", "surveys.initial.marks_m.fwd_port = true", "expected a number in metres, got true"),
    BadInput(ROOM, "draft mark in centimetres", "surveys.initial.marks_m.fwd_port = 569", "569 metres is outside the plausible range 0 to 30 metres"),
    BadInput(ROOM, "draft mark missing", "surveys.initial.marks_m without mid_stbd", "missing (required)"),
    BadInput(ROOM, "dock density in kg/m3", "surveys.final.dock_density_t_m3 = 1022", "(enter t/m³, not kg/m³)"),
    BadInput(ROOM, "dock density missing", "surveys.final without dock_density_t_m3", "missing (required)"),
    BadInput(ROOM, "mark position side port", 'surveys.final.mark_positions.fwd.side = "port"', "expected one of 'forward', 'aft', got \"port\""),
    BadInput(ROOM, "negative mark distance", "surveys.final.mark_positions.aft.distance_m = -10.7", "a distance is never negative"),
    BadInput(ROOM, "unknown deductible kind", 'surveys.final.deductibles[0].kind = "bunkers"', "expected one of 'ballast'"),
    BadInput(ROOM, "deductible by weight and by volume", "surveys.final.deductibles[0].volume_m3 = 1000 (beside t)", "not both"),
    BadInput(ROOM, "deductibles as an object", 'surveys.final.deductibles = {"ballast": 1}', "expected a list (may be empty), got an object"),
    BadInput(ROOM, "misspelt key", 'surveys.initial.list_tpc_t_cmm = {"port": 1, "stbd": 2}', "unknown key; did you mean 'list_tpc_t_cm'?"),
    BadInput(ROOM, "MTC plus of null", "surveys.initial.table_readings.mtc_plus_t_m_cm = null", "missing (required)"),
    BadInput(ROOM, "table readings without rows", "surveys.initial.table_readings.rows = []", "at least one row"),
    BadInput(ROOM, "table readings drafts not increasing", "surveys.initial.table_readings.rows[1].draft_m = 6.42 (row 0: 6.43)", "increase strictly"),
    BadInput(ROOM, "final survey missing", "surveys without final", "missing: the cargo is measured from 'initial' to 'final'"),
    BadInput(ROOM, "unknown LCF convention", 'vessel.lcf_convention = "aft"', "expected one of 'midship_aft_positive'"),
    BadInput(ROOM, "LCF convention missing", "vessel without lcf_convention", "missing (required)"),
    BadInput(ROOM, "table density missing", "vessel without table_density_t_m3", "missing (required)"),
    BadInput(ROOM, "negative keel plate", "vessel.keel_plate_mm = -5", "outside the plausible range 0 to 100 mm"),
    BadInput(ROOM, "LBP with its unit", 'vessel.lbp_m = "227 m"', 'expected a number in metres, got "227 m" (not a number)'),
    BadInput(ROOM, "unknown rounding policy", 'rounding = "unece"', "expected one of 'none', 'unece-3dp', 'workbook', got \"unece\""),
    BadInput(ROOM, "rounding policy missing", "no rounding", "missing (required)"),
    BadInput(ROOM, "unknown mean method", 'mean_method = "simpson"', "expected one of 'quarter_mean', 'river', 'barge'"),
    BadInput(ROOM, "bill of lading of zero", "bill_of_lading_t = 0", "must be greater than 0 tonnes"),
    BadInput(ROOM, "vessel as a list", "vessel = []", "expected an object ({…}), got a list"),
]
# (path in the document, value, key path named by the error)
_FIELD_EDITS = [
    ("surveys.initial.marks_m.fwd_port", "five", "surveys.initial.marks_m.fwd_port"),
    ("surveys.initial.marks_m.fwd_port", True, "surveys.initial.marks_m.fwd_port"),
    ("surveys.initial.marks_m.fwd_port", 569, "surveys.initial.marks_m.fwd_port"),
    ("surveys.initial.marks_m.mid_stbd", _DELETE, "surveys.initial.marks_m.mid_stbd"),
    ("surveys.final.dock_density_t_m3", 1022, "surveys.final.dock_density_t_m3"),
    ("surveys.final.dock_density_t_m3", _DELETE, "surveys.final.dock_density_t_m3"),
    ("surveys.final.mark_positions.fwd.side", "port", "surveys.final.mark_positions.fwd.side"),
    ("surveys.final.mark_positions.aft.distance_m", -10.7, "surveys.final.mark_positions.aft.distance_m"),
    ("surveys.final.deductibles.0.kind", "bunkers", "surveys.final.deductibles[0].kind"),
    ("surveys.final.deductibles.0.volume_m3", 1000, "surveys.final.deductibles[0]"),
    ("surveys.final.deductibles", {"ballast": 1}, "surveys.final.deductibles"),
    ("surveys.initial.list_tpc_t_cmm", {"port": 1, "stbd": 2}, "surveys.initial.list_tpc_t_cmm"),
    ("surveys.initial.table_readings.mtc_plus_t_m_cm", None, "surveys.initial.table_readings.mtc_plus_t_m_cm"),
    ("surveys.initial.table_readings.rows", [], "surveys.initial.table_readings.rows"),
    ("surveys.initial.table_readings.rows.1.draft_m", 6.42, "surveys.initial.table_readings.rows[1].draft_m"),
    ("surveys.final", _DELETE, "surveys.final"),
    ("vessel.lcf_convention", "aft", "vessel.lcf_convention"),
    ("vessel.lcf_convention", _DELETE, "vessel.lcf_convention"),
    ("vessel.table_density_t_m3", _DELETE, "vessel.table_density_t_m3"),
    ("vessel.keel_plate_mm", -5, "vessel.keel_plate_mm"),
    ("vessel.lbp_m", "227 m", "vessel.lbp_m"),
    ("rounding", "unece", "rounding"),
    ("rounding", _DELETE, "rounding"),
    ("mean_method", "simpson", "mean_method"),
    ("bill_of_lading_t", 0, "bill_of_lading_t"),
    ("vessel", [], "vessel"),
]


@pytest.mark.parametrize(("case", "edit"), list(zip(BAD_FIELDS, _FIELD_EDITS, strict=True)), ids=ids(BAD_FIELDS))
def test_bad_field_is_named_with_its_path(tmp_path, case, edit):
    path, value, field = edit
    error = error_for(tmp_path, _set(contract_document(), path, value))
    assert error.field == field
    assert case.expected_message_part in error.problem


def test_empty_vessel_table_needs_readings_in_every_survey(tmp_path):
    document = contract_document()
    del document["surveys"]["final"]["table_readings"]
    error = error_for(tmp_path, document)
    assert error.field == "surveys.final.table_readings"
    assert "vessel.hydrostatics is empty" in error.problem


def test_mtc_on_some_rows_only_is_refused(tmp_path, document):
    del document["vessel"]["hydrostatics"][3]["mtc_t_m_cm"]
    error = error_for(tmp_path, document)
    assert error.field == "vessel.hydrostatics[3].mtc_t_m_cm"


def test_mean_draft_outside_the_vessel_table_names_the_table(tmp_path, document):
    document["surveys"]["final"]["marks_m"] = {key: 15.0 for key in document["surveys"]["final"]["marks_m"]}
    error = error_for(tmp_path, document)
    assert error.field == "vessel.hydrostatics"
    assert "survey 'final': mean draft 15.0000 m is outside the hydrostatic table, which covers 5.73 m to 14.48 m" in error.problem


def test_mean_draft_outside_the_readings_names_the_readings(tmp_path):
    document = contract_document()
    document["surveys"]["initial"]["marks_m"]["mid_port"] = 6.6
    error = error_for(tmp_path, document)
    assert error.field == "surveys.initial.table_readings.rows"
    assert "6.43 m to 6.44 m" in error.problem


def test_cargo_between_named_surveys(tmp_path, document):
    document["cargo"] = {"from": "initial", "to": "nowhere"}
    error = error_for(tmp_path, document)
    assert error.field == "surveys.nowhere"
    document["cargo"] = {"from": "final", "to": "final"}
    assert error_for(tmp_path, document).field == "cargo"


def test_unreadable_files(tmp_path):
    missing = tmp_path / "absent.json"
    with pytest.raises(InputError, match=r"absent.json: \(file\): cannot read the file"):
        load_survey_file(missing)
    broken = tmp_path / "broken.json"
    broken.write_text('{"vessel": {"lbp_m": 227.0,}}', encoding="utf-8")
    with pytest.raises(InputError, match=r"broken.json: \(line 1, column 28\): not valid JSON"):
        load_survey_file(broken)
    nan = tmp_path / "nan.json"
    nan.write_text('{"vessel": {"lbp_m": NaN}}', encoding="utf-8")
    with pytest.raises(InputError, match="NaN is not a number"):
        load_survey_file(nan)
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"vessel": {"name": "Caf\u00e9"}}'.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_survey_file(latin)
    with pytest.raises(InputError, match=r"\(document\): expected an object"):
        parse_survey_document([1, 2], "inline")


def test_document_is_not_modified(tmp_path):
    document = contract_document()
    before = copy.deepcopy(document)
    parse_survey_document(document, "inline").compute()
    assert document == before


BAD_INPUTS = [*BAD_NUMBER_TEXTS, *BAD_FIELDS]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
