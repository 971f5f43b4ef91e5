"""Shipment, figures and tolerance-rule files: the examples load; bad files name file, key path and problem;
rule sets applied to figures give the verdicts worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.errors import InputError
from bulkdaq.shipments.model import imo_check_digit, load_figures, load_shipment, shipment_from_data
from bulkdaq.shipments.tolerance_rules import load_rule_set, reconcile

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"
JET = EXAMPLES / "shipments" / "jet-fuel-export.toml"
RULES = EXAMPLES / "tolerances.toml"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_examples_load():
    jet = load_shipment(JET)
    assert jet.declared.quantity == 900.0 and jet.declared.basis == "t_air"
    assert jet.primary_method == "meters" and jet.meter_factor("FT-101") == 1.0
    ore = load_shipment(EXAMPLES / "shipments" / "ore-import.toml")
    assert ore.methods == ["draft_survey", "belt_scale"] and ore.metering is None
    figures = load_figures(EXAMPLES / "shipments" / "jet-fuel-export.figures.toml", jet)
    ship = next(f for f in figures if f.method == "ship_figure")
    # 902.4 t / VEF 1.0021 = 900.5089312443868 t
    assert ship.value == pytest.approx(902.4 / 1.0021, rel=1e-15)
    assert ("Vessel experience factor VEF", 1.0021, "-") in ship.details
    rules = load_rule_set(RULES)
    assert (rules.name, rules.version, rules.max_data_gap_s) == ("customs-example", "2026.1", 30.0)


SHIPMENT = """
id = "S-1"
declaration = "D-1"
bill_of_lading = "B-1"
direction = "export"
product = "Jet A-1"
site = "demo-terminal"
methods = {methods}
tolerance_rules = "customs-example"
voyage = "V-1"
imo_number = "9074729"
port = "P"
berth = "B-1"
declared = {{ quantity = {quantity}, basis = "{basis}" }}
[assets]
meters = ["FT-101"]
{metering}
"""
METERING = """
[metering]
policy = { edition = "2004", base = "20C", rounding = "standard" }
base_density_kgm3 = 800.0
sediment_water_percent = 0.0
density_band_kgm3 = 3.0
[[instruments]]
id = "FT-101"
certificate = "C-1"
certificate_valid_until = 2027-01-01
meter_factor = 1.0
"""


CASE = None
"""In a case's list of (key path, problem), the place of the case's own message (its expected_message_part)."""


def _problems(case: BadInput, problems: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    return [(key, case.expected_message_part if problem is CASE else problem) for key, problem in problems]


BAD_SHIPMENTS = [
    BadInput("shipment file", "negative declared quantity", "declared = { quantity = -5, … }", "Input should be greater than 0; got -5"),
    BadInput("shipment file", "unknown declared basis", 'declared = { …, basis = "t_wet" }', "Input should be 't_air', 't_vacuum', 'm3_15C' or 'm3_20C'; got 't_wet'"),
    BadInput("shipment file", "unknown method", 'methods = ["meters", "sonar"]', "Input should be 'meters', 'shore_tanks', 'ship_figure', 'draft_survey' or 'belt_scale'; got 'sonar'"),
    BadInput("shipment file", "draft survey for a volume", 'methods = ["meters", "draft_survey"], basis = "m3_20C"',
             "draft_survey weighs the cargo; it cannot confirm a quantity declared in m3_20C"),
    BadInput("shipment file", "meters without a metering section", 'methods = ["meters"], no [metering] nor [[instruments]]',
             "required when the methods include 'meters' (policy, base density, S&W, density band)"),
    BadInput("shipment file", "meter tickets at another base than the declaration", 'basis = "m3_15C", metering.policy.base = "20C"',
             "the declared basis is m3_15C; the meter tickets' base must be 15C, not 20C"),
]
# (changes to the shipment, every (key path, problem) the error lists in order, CASE standing for the case's message)
_SHIPMENT_EDITS: list[tuple[dict[str, str], list[tuple[str, str | None]]]] = [
    (dict(quantity="-5"), [("declared.quantity", CASE)]),
    (dict(basis="t_wet"), [("declared.basis", CASE)]),
    (dict(methods='["meters", "sonar"]'), [("methods[1]", CASE)]),
    (dict(methods='["meters", "draft_survey"]', basis="m3_20C"),
     [("assets.vessel", "method 'draft_survey' (methods[1]) needs assets.vessel"), ("methods[1]", CASE)]),
    (dict(metering=""), [("metering", CASE), ("instruments", "meter 'FT-101' needs an [[instruments]] entry with its certificate and meter_factor")]),
    (dict(basis="m3_15C"), [("metering.policy.base", CASE)]),
]


@pytest.mark.parametrize(("case", "edit"), list(zip(BAD_SHIPMENTS, _SHIPMENT_EDITS, strict=True)), ids=ids(BAD_SHIPMENTS))
def test_bad_shipment_files_name_every_key_path(tmp_path: Path, case: BadInput, edit: tuple[dict[str, str], list[tuple[str, str | None]]]):
    fields, expected = edit
    problems = _problems(case, expected)
    values = {"methods": '["meters"]', "quantity": "900.0", "basis": "t_air", "metering": METERING, **fields}
    path = write(tmp_path, "shipment.toml", SHIPMENT.format(**values))
    with pytest.raises(InputError) as error:
        load_shipment(path)
    assert error.value.problems == problems  # type: ignore[attr-defined]
    assert str(error.value).splitlines()[0] == f"{path}: {problems[0][0]}: {problems[0][1]}"


def test_examples_carry_the_ships_call():
    for path in (JET, EXAMPLES / "shipments" / "ore-import.toml", EXAMPLES / "demo" / "jet-fuel-export.toml", EXAMPLES / "demo" / "ore-import.toml"):
        shipment = load_shipment(path)
        assert shipment.voyage and shipment.port and shipment.berth, path
        assert shipment.imo_number is not None and len(shipment.imo_number) == 7
        assert imo_check_digit(shipment.imo_number[:6]) == int(shipment.imo_number[6])
    assert load_shipment(EXAMPLES / "demo" / "ore-import.toml").imo_number == "9745017"


def test_imo_check_digit_worked_by_hand():
    # IMO 9074729: 9×7 + 0×6 + 7×5 + 4×4 + 7×3 + 2×2 = 63 + 0 + 35 + 16 + 21 + 4 = 139 → 9
    assert imo_check_digit("907472") == 9
    # 974501: 63 + 42 + 20 + 20 + 0 + 2 = 147 → 7
    assert imo_check_digit("974501") == 7


BAD_CALLS = [
    BadInput("shipment file", "IMO number failing its check digit", 'imo_number = "9074728"',
             "IMO number 9074728 fails its check digit: the seventh digit must be 9 (IMO Resolution A.1117(30))"),
    BadInput("shipment file", "IMO number written as a number", "imo_number = 9074729",
             'expected the IMO number as text of seven digits, e.g. "9074729"; got 9074729; write it as text, e.g. "9074729"'),
    BadInput("shipment file", "IMO number of six digits", 'imo_number = "907472"', "expected seven digits (optionally after 'IMO '), e.g. \"9074729\"; got '907472'"),
    BadInput("shipment file", "IMO number with a letter O", 'imo_number = "IMO 9O74729"',
             "expected seven digits (optionally after 'IMO '), e.g. \"9074729\"; got 'IMO 9O74729'"),
    BadInput("shipment file", "empty voyage", 'voyage = ""', "String should have at least 1 character; got ''"),
    BadInput("shipment file", "berth written as a number", "berth = 3", "Input should be a valid string; got 3"),
]


@pytest.mark.parametrize("case", BAD_CALLS, ids=ids(BAD_CALLS))
def test_bad_ships_call_names_file_key_and_expectation(tmp_path: Path, case: BadInput):
    line = case.given
    key = line.split(" = ")[0]
    problems = [(key, case.expected_message_part)]
    text = SHIPMENT.format(methods='["meters"]', quantity=1, basis="t_air", metering=METERING)
    original = next(existing for existing in text.splitlines() if existing.startswith(f"{key} = "))
    path = write(tmp_path, "call.toml", text.replace(original, line))
    with pytest.raises(InputError) as error:
        load_shipment(path)
    assert error.value.problems == problems  # type: ignore[attr-defined]
    assert str(error.value).splitlines()[0] == f"{path}: {problems[0][0]}: {problems[0][1]}"


def test_the_ships_call_is_required_in_a_file_and_optional_in_a_stored_declaration(tmp_path: Path):
    text = SHIPMENT.format(methods='["meters"]', quantity=1, basis="t_air", metering=METERING)
    for key in ("voyage", "imo_number", "port", "berth"):
        text = "\n".join(line for line in text.splitlines() if not line.startswith(f"{key} = "))
    path = write(tmp_path, "no-call.toml", text)
    with pytest.raises(InputError) as error:
        load_shipment(path)
    assert [field for field, _ in error.value.problems] == ["voyage", "imo_number", "port", "berth"]  # type: ignore[attr-defined]
    assert all("required key is missing" in problem for _, problem in error.value.problems)  # type: ignore[attr-defined]
    # a declaration stored in a registry before the call existed still reads (its call is then absent)
    stored = load_shipment(JET).as_document()
    for key in ("voyage", "imo_number", "port", "berth"):
        del stored[key]
    legacy = shipment_from_data(stored, "registry (legacy declaration)")
    assert (legacy.voyage, legacy.imo_number, legacy.port, legacy.berth) == (None, None, None, None)


def test_shipment_file_syntax_and_missing(tmp_path: Path):
    with pytest.raises(InputError, match=r"nope.toml: \(file\): no such file"):
        load_shipment(tmp_path / "nope.toml")
    with pytest.raises(InputError, match=r"bad.toml: \(syntax\): not valid TOML"):
        load_shipment(write(tmp_path, "bad.toml", "id = "))
    with pytest.raises(InputError, match=r"s.toml: declaration: required key is missing"):
        load_shipment(write(tmp_path, "s.toml", SHIPMENT.format(methods='["meters"]', quantity=1, basis="t_air", metering=METERING).replace('declaration = "D-1"', "")))


def test_figures_file_errors(tmp_path: Path):
    jet = load_shipment(JET)
    path = write(tmp_path, "figures.toml", """
[[figures]]
method = "draft_survey"
value = 1.0
basis = "t_vacuum"
source = "x"
[[figures]]
method = "ship_figure"
value = 900.0
basis = "t_air"
source = "x"
""")
    with pytest.raises(InputError) as error:
        load_figures(path, jet)
    assert error.value.problems == [  # type: ignore[attr-defined]
        ("figures[1]", "a ship_figure gives ship_value and vessel_experience_factor (the adjusted figure is computed), not value"),
    ]
    path = write(tmp_path, "figures2.toml", """
[[figures]]
method = "draft_survey"
value = 1.0
basis = "t_vacuum"
source = "x"
""")
    with pytest.raises(InputError) as error:
        load_figures(path, jet)
    assert error.value.problems == [  # type: ignore[attr-defined]
        ("figures[0].method", "shipment EXP-2026-0417 does not use 'draft_survey' (its methods: meters, shore_tanks, ship_figure)"),
        ("figures[0].basis", "t_vacuum differs from the declared basis t_air; give the figure in the declared basis"),
    ]


RULES_HEAD = """
[rule_set]
name = "r"
version = "1"
source = "test"
[precheck]
max_data_gap_s = 30
[uncertainty_pct]
draft_survey = 0.5
"""


BAD_RULES = [
    BadInput("tolerance rules file", "fixed band without a limit", 'band = "fixed", no limit_pct nor limit_permille',
             "band 'fixed' needs exactly one of limit_pct or limit_permille (got neither)"),
    BadInput("tolerance rules file", "fixed band with two limits", 'band = "fixed", limit_pct = 0.3, limit_permille = 3',
             "band 'fixed' needs exactly one of limit_pct or limit_permille (got limit_pct, limit_permille)"),
    BadInput("tolerance rules file", "comparing with the declaration as a method", 'compare = ["declared", "meters"]',
             "Input should be 'any', 'meters', 'shore_tanks', 'ship_figure', 'draft_survey' or 'belt_scale'; got 'declared'"),
    BadInput("tolerance rules file", "negative limit", "limit_pct = -1", "Input should be greater than 0; got -1"),
    BadInput("tolerance rules file", "wider band without the method's uncertainty", 'compare = ["draft_survey", "belt_scale"], band = "wider" (no uncertainty_pct.belt_scale)',
             "band 'wider' needs uncertainty_pct.belt_scale (the method's expanded uncertainty, k = 2)"),
    BadInput("tolerance rules file", "two rules of one name and one pair", 'two [[rules]] name = "a", compare = ["meters", "shore_tanks"]',
             "rule name 'a' is already used by rules[0]"),
    BadInput("tolerance rules file", "unknown band and an unknown key", 'band = "gauss", extra = 1', "Input should be 'fixed', 'uncertainty' or 'wider'; got 'gauss'"),
]
# (the [[rules]] of the file, every (key path, problem) the error lists in order, CASE standing for the case's message)
_RULE_EDITS: list[tuple[str, list[tuple[str, str | None]]]] = [
    ('[[rules]]\nname = "a"\ncompare = ["meters", "shore_tanks"]\nband = "fixed"\nsource = "s"\n', [("rules[0]", CASE)]),
    ('[[rules]]\nname = "a"\ncompare = ["meters", "shore_tanks"]\nlimit_pct = 0.3\nlimit_permille = 3\nband = "fixed"\nsource = "s"\n', [("rules[0]", CASE)]),
    ('[[rules]]\nname = "a"\ncompare = ["declared", "meters"]\nlimit_pct = 0.3\nband = "fixed"\nsource = "s"\n', [("rules[0].compare[0]", CASE)]),
    ('[[rules]]\nname = "a"\ncompare = ["meters", "shore_tanks"]\nlimit_pct = -1\nband = "fixed"\nsource = "s"\n', [("rules[0].limit_pct", CASE)]),
    ('[[rules]]\nname = "a"\ncompare = ["draft_survey", "belt_scale"]\nlimit_pct = 0.5\nband = "wider"\nsource = "s"\n', [("rules[0].band", CASE)]),
    ('[[rules]]\nname = "a"\ncompare = ["meters", "shore_tanks"]\nlimit_pct = 0.3\nband = "fixed"\nsource = "s"\n'
     '[[rules]]\nname = "a"\ncompare = ["meters", "shore_tanks"]\nlimit_pct = 0.5\nband = "fixed"\nsource = "s"\n',
     [("rules[1].name", CASE), ("rules[1].compare", "['meters', 'shore_tanks'] is already compared by rules[0]")]),
    ('[[rules]]\nname = "a"\ncompare = ["meters", "shore_tanks"]\nlimit_pct = 0.3\nband = "gauss"\nsource = "s"\nextra = 1\n',
     [("rules[0].band", CASE), ("rules[0].extra", "unknown key (check the spelling against docs/shipments.md)")]),
]


@pytest.mark.parametrize(("case", "edit"), list(zip(BAD_RULES, _RULE_EDITS, strict=True)), ids=ids(BAD_RULES))
def test_bad_rule_files_name_file_and_key_path(tmp_path: Path, case: BadInput, edit: tuple[str, list[tuple[str, str | None]]]):
    rules, expected = edit
    problems = _problems(case, expected)
    path = write(tmp_path, "tolerances.toml", RULES_HEAD + rules)
    with pytest.raises(InputError) as error:
        load_rule_set(path)
    assert error.value.problems == problems  # type: ignore[attr-defined]
    assert str(error.value).startswith(f"{path}: {problems[0][0]}: ")


def test_rule_file_missing_sections(tmp_path: Path):
    with pytest.raises(InputError) as error:
        load_rule_set(write(tmp_path, "t.toml", '[rule_set]\nname = "r"\nsource = "s"\n'))
    assert error.value.problems == [  # type: ignore[attr-defined]
        ("rule_set.version", "required key is missing"), ("precheck", "required key is missing"), ("rules", "required key is missing"),
    ]


def test_liquid_reconciliation_with_the_example_rules():
    rules = load_rule_set(RULES)
    # meters 900.210, shore tanks 898.900, ship 902.4/1.0021 = 900.5089312443868, declared 900.000 t in air
    figures = {"meters": 900.210, "shore_tanks": 898.900, "ship_figure": 902.4 / 1.0021}
    result = reconcile(figures, 900.0, rules, ["meters", "shore_tanks", "ship_figure"])
    table = {(c.first, c.second): c for c in result.comparisons}
    assert list(table) == [("meters", "shore_tanks"), ("meters", "ship_figure"), ("meters", "declared"),
                           ("shore_tanks", "declared"), ("ship_figure", "declared")]
    pair = table["meters", "shore_tanks"]
    # 900.210 − 898.900 = 1.310 t; 1.310 / 898.900 × 100 = 0.14573367449105573 % ≤ 0.3 %
    assert pair.difference == pytest.approx(1.31, abs=1e-9)
    assert pair.difference_pct == pytest.approx(1.31 / 898.9 * 100, rel=1e-9) and pair.within
    assert (pair.rule.name, pair.rule.value, pair.rule.limit_pct, pair.rule.version) == ("meters-vs-shore-tanks", "0.3 %", 0.3, "2026.1")
    ship = table["meters", "ship_figure"]
    # 900.210 − 900.5089… = −0.2989… t; / 900.5089… = −0.0331989… % ≤ 0.5 %
    assert ship.difference_pct == pytest.approx((900.21 - 902.4 / 1.0021) / (902.4 / 1.0021) * 100, rel=1e-9)
    short = table["meters", "declared"]
    # short-weight 5 ‰ = 0.5 %, one-sided: +0.0233 % over is fine
    assert (short.rule.name, short.rule.value, short.rule.limit_pct, short.rule.sense) == ("short-weight", "5 ‰", 0.5, "short")
    assert result.verdict == "verified" and result.not_compared == ()


def test_ore_reconciliation_discrepancy_and_uncertainty_band():
    rules = load_rule_set(RULES)
    # draft survey 88,300 t, belt scale 88,850 t, declared 88,800 t
    result = reconcile({"draft_survey": 88_300.0, "belt_scale": 88_850.0}, 88_800.0, rules, ["draft_survey", "belt_scale"])
    table = {(c.first, c.second): c for c in result.comparisons}
    pair = table["draft_survey", "belt_scale"]
    # −550 t; −550 / 88,850 × 100 = −0.6190208216094541 %; limit = max(0.5, √(0.5² + 0.25²) = 0.5590…) → outside
    assert pair.difference == -550.0
    assert pair.difference_pct == pytest.approx(-550 / 88_850 * 100, rel=1e-12)
    assert pair.rule.limit_pct == pytest.approx(0.5590169943749475, rel=1e-12) and pair.rule.uncertainty_pct == (0.5, 0.25)
    assert pair.within is False
    survey = table["draft_survey", "declared"]
    # −500 t; −500 / 88,800 × 100 = −0.5630630630630631 % short, beyond 5 ‰ → outside
    assert survey.difference_pct == pytest.approx(-0.5630630630630631, rel=1e-12) and not survey.within
    scale = table["belt_scale", "declared"]
    assert scale.difference_pct == pytest.approx(50 / 88_800 * 100, rel=1e-12) and scale.within
    assert result.verdict == "discrepancy"
    # a missing figure of a method the shipment uses is reported, not silently skipped
    partial = reconcile({"draft_survey": 88_700.0}, 88_800.0, rules, ["draft_survey", "belt_scale"])
    assert ("draft_survey", "belt_scale", "no belt_scale figure (rule draft-survey-vs-belt-scale)") in partial.not_compared


BAD_INPUTS = [*BAD_SHIPMENTS, *BAD_CALLS, *BAD_RULES]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
