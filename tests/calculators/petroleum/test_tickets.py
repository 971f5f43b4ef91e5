"""Meter, Coriolis and shore-tank tickets; the bunker worksheet chain; ticket files and their errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from bad_inputs import BadInput, ids
from bulkdaq.errors import InputError
from bulkdaq.inputs.ticket_files import coriolis_ticket_from_file, meter_ticket_from_file, tank_ticket_from_file
from calculators.petroleum import volume_correction
from calculators.petroleum.coriolis_ticket import coriolis_ticket
from calculators.petroleum.measurement_policy import MeasurementPolicy
from calculators.petroleum.meter_ticket import flow_weighted_average, meter_ticket
from calculators.petroleum.strapping_table import InvalidStrappingTable, OutsideStrappingTable, StrappingTable
from calculators.petroleum.tank_ticket import FloatingRoof, ShellCorrection, shell_correction_factor, shell_temperature, tank_ticket
from calculators.totalizer import TotalizerWentBackwards
from reference_cases import reference_case

REPO = Path(__file__).resolve().parents[3]
CHAIN = reference_case("QTY-BUNKER-WORKSHEET-VLSFO")
EXAMPLES = REPO / "examples" / "tickets"

POLICY_1980 = MeasurementPolicy("1980", "15C", "standard")
POLICY_2004 = MeasurementPolicy("2004", "15C", "standard")


# -- the bunker worksheet (Table 54B, 4 dp → GSV 0.001 m³ → Table 56 → MT in air 0.001 t) ----------------


def _bunker_tank(tov: float, temp_c: float, rho15: float):
    return tank_ticket(POLICY_1980, tov, 0.0, temp_c, rho15, 0.0, shell=None, floating_roof=None)


TANK_ROWS = [r for r in CHAIN["cases"] if "TOV_m3" in r["inputs"]]


@pytest.mark.parametrize("row", TANK_ROWS, ids=[f"TOV{r['inputs']['TOV_m3']}@{r['inputs']['temp_C']}" for r in TANK_ROWS])
def test_bunker_worksheet_rows(row):
    inputs, expected = row["inputs"], row["expected"]
    ticket = _bunker_tank(inputs["TOV_m3"], inputs["temp_C"], inputs["density15"] * 1000.0)
    tolerance = CHAIN["tolerance"]
    assert ticket["ctl"] == expected["VCF"]
    assert abs(ticket["gsv_m3"] - expected["GSV_m3"]) <= tolerance["m3"]
    assert ticket["wcf"] == expected["WCF"]
    assert abs(ticket["weight_in_air_t"] - expected["MT_air"]) <= tolerance["t"]
    assert ticket.group == "fuel_oils (Table 54B)"


def test_bunker_worksheet_total_of_eight_tanks():
    total_case = next(r for r in CHAIN["cases"] if "tanks" in r["inputs"])
    rho15 = total_case["inputs"]["density15"] * 1000.0
    total = sum(_bunker_tank(t["TOV_m3"], t["temp_C"], rho15)["weight_in_air_t"] for t in total_case["inputs"]["tanks"])
    assert abs(round(total, 3) - total_case["expected"]["total_MT_air_worksheet"]) <= total_case["tolerance"]["t"]


def test_bunker_chain_case_count():
    assert len(CHAIN["cases"]) == 5


# -- meter ticket ----------------------------------------------------------------------------------------


def test_meter_ticket_chain_and_rounding():
    ticket = meter_ticket(POLICY_2004, 48213.457, 52208.902, 1.0012, 28.0, 400.0, 800.0, 0.2)
    factors = volume_correction.ctpl_at_base(800.0, 28.0, 400.0, "15C")
    assert ticket["iv_m3"] == 3995.445
    assert ticket["ctl"] == factors.ctl == 0.98787
    assert ticket["cpl"] == factors.cpl == 1.00037
    assert ticket["ccf"] == round(0.98787 * 1.00037 * 1.0012, 5)
    assert ticket["gsv_m3"] == round(3995.445 * ticket["ccf"], 3)
    assert ticket["csw"] == 0.998
    assert ticket["nsv_m3"] == round(ticket["gsv_m3"] * 0.998, 3)
    assert ticket["mass_t"] == round(ticket["nsv_m3"] * 0.8, 3)
    assert ticket["wcf"] == 0.7989
    assert ticket["weight_in_air_t"] == round(ticket["nsv_m3"] * 0.7989, 3)
    decimals = {f.key: f.decimals for f in ticket.figures}
    assert decimals["ctl"] == decimals["ccf"] == 5 and decimals["gsv_m3"] == 3 and decimals["meter_factor"] is None
    record = ticket.as_dict()
    assert record["policy"]["edition"] == "2004" and record["policy"]["base"] == "15C"
    assert "API MPMS 11.1-2004" in record["policy"]["method"]


def test_meter_ticket_1980_rounds_factors_to_four_decimals():
    ticket = meter_ticket(POLICY_1980, 0.0, 1000.0, 1.0, 35.0, 0.0, 953.4, 0.0)
    assert ticket["ctl"] == 0.9856 and ticket["cpl"] == 1.0 and ticket["ccf"] == 0.9856
    assert ticket["gsv_m3"] == 985.6


def test_meter_ticket_at_60f_uses_equivalent_density_for_weight_in_air():
    policy = MeasurementPolicy("2004", "60F", "standard")
    ticket = meter_ticket(policy, 0.0, 1000.0, 1.0, 15.0, 0.0, 850.0, 0.0)
    rho15 = float(policy.density_at_15c(850.0))
    assert 850.0 < rho15 < 851.0  # 15 °C is colder than 60 °F (15.56 °C): the liquid is denser
    assert ticket["mass_t"] == round(ticket["nsv_m3"] * 0.85, 3)
    assert ticket["weight_in_air_t"] == round(ticket["mass_t"] * (1 - 1.1 / rho15), 3)


def test_meter_ticket_rollover_and_reset():
    ticket = meter_ticket(POLICY_2004, 999_990.0, 10.0, 1.0, 15.0, 0.0, 850.0, 0.0, rollover_at_m3=1_000_000.0)
    assert ticket["iv_m3"] == 20.0
    with pytest.raises(TotalizerWentBackwards, match="opening 5000.0, closing 100.0"):
        meter_ticket(POLICY_2004, 5000.0, 100.0, 1.0, 15.0, 0.0, 850.0, 0.0)


def test_unrounded_policy_keeps_full_precision():
    ticket = meter_ticket(MeasurementPolicy("2004", "15C", "unrounded"), 0.0, 1000.0, 1.0012, 28.0, 400.0, 800.0, 0.0)
    factors = volume_correction.ctpl_at_base(800.0, 28.0, 400.0, "15C", rounded=False)
    assert ticket["ctl"] == pytest.approx(float(factors.ctl), abs=1e-15)
    assert ticket["gsv_m3"] == pytest.approx(1000.0 * factors.ctl * factors.cpl * 1.0012, rel=1e-14)
    assert all(f.decimals is None for f in ticket.figures)


def test_flow_weighted_average():
    assert flow_weighted_average([20.0, 30.0], [100.0, 300.0]) == 27.5
    with pytest.raises(ValueError, match="no quantity flowed"):
        flow_weighted_average([20.0], [0.0])
    with pytest.raises(ValueError, match="negative"):
        flow_weighted_average([20.0, 21.0], [10.0, -1.0])


# -- Coriolis ------------------------------------------------------------------------------------------


def test_coriolis_ticket_mass_is_not_volume_corrected_and_density_check_flags():
    args = dict(
        opening_kg=1_000_000.0, closing_kg=3_500_000.0, mass_meter_factor=1.0003, base_density_kgm3=800.0,
        temperature_c=28.0, pressure_kpa=400.0, sediment_water_percent=0.0, density_band_kgm3=0.5,
    )
    factors = volume_correction.ctpl_at_base(800.0, 28.0, 400.0, "15C")
    expected_line = 800.0 * factors.ctpl
    good = coriolis_ticket(POLICY_2004, line_density_kgm3=expected_line + 0.3, **args)
    assert good["gross_mass_t"] == round(2_500_000.0 * 1.0003 / 1000.0, 3) == 2500.75
    assert good["gsv_m3"] == round(2500.75 / 0.8, 3)
    assert good["weight_in_air_t"] == round(2500.75 * (1 - 1.1 / 800.0), 3)
    assert good["expected_line_density_kgm3"] == pytest.approx(expected_line, abs=1e-9)
    assert good.flags == ()
    bad = coriolis_ticket(POLICY_2004, line_density_kgm3=expected_line - 0.6, **args)
    assert len(bad.flags) == 1 and "density cross-check failed" in bad.flags[0] and "±0.5 kg/m³" in bad.flags[0]


# -- tank ------------------------------------------------------------------------------------------------


def test_strapping_table_interpolates_and_never_extrapolates():
    table = StrappingTable([0.0, 1.0, 2.0], [0.0, 1000.0, 2100.0])
    assert table.volume_at(1.5) == 1550.0
    assert list(table.volume_at([0.0, 0.5, 2.0])) == [0.0, 500.0, 2100.0]
    with pytest.raises(OutsideStrappingTable, match=r"level 2.001 m is outside the strapping table 0 … 2 m"):
        table.volume_at(2.001)
    with pytest.raises(OutsideStrappingTable):
        table.volume_at(-0.01)
    with pytest.raises(InvalidStrappingTable, match="row 2: level 1 m does not increase") as error:
        StrappingTable([0.0, 1.0, 1.0], [0.0, 1.0, 2.0])
    assert error.value.row == 2
    with pytest.raises(InvalidStrappingTable, match="row 1: volume"):
        StrappingTable([0.0, 1.0], [5.0, 4.0])


def test_shell_correction():
    assert shell_temperature(30.0, 22.0, insulated=False) == 29.0
    assert shell_temperature(30.0, 22.0, insulated=True) == 30.0
    a, dt = 1.12e-5, 14.0
    assert shell_correction_factor(29.0, 15.0, a) == pytest.approx(1 + 2 * a * dt + a * a * dt * dt, abs=1e-16)


def test_tank_ticket_full_chain():
    shell = ShellCorrection(insulated=False, table_base_temperature_c=15.0, expansion_coefficient_per_c=1.12e-5, ambient_temperature_c=24.0)
    roof = FloatingRoof(mass_kg=42500.0, table_includes_roof=False)
    ticket = tank_ticket(POLICY_2004, 14488.57, 99.484, 31.4, 861.5, 0.25, shell, roof, commodity="crude")
    ts = (7 * 31.4 + 24.0) / 8
    ctsh = round(shell_correction_factor(ts, 15.0, 1.12e-5), 5)
    ctl = float(volume_correction.ctpl_at_base(861.5, 31.4, 0.0, "15C", "crude").ctl)
    fra = round(-42500.0 / (861.5 * ctl), 3)
    gov = round((14488.57 - 99.484) * ctsh + fra, 3)
    gsv = round(gov * ctl, 3)
    nsv = round(gsv * 0.9975, 3)
    assert (ticket["ctsh"], ticket["ctl"], ticket["fra_m3"]) == (ctsh, ctl, fra)
    assert (ticket["gov_m3"], ticket["gsv_m3"], ticket["nsv_m3"]) == (gov, gsv, nsv)
    assert ticket["tcv_m3"] == round(gsv + 99.484, 3)
    assert ticket["weight_in_air_t"] == round(nsv * 0.8604, 3)
    roofed = tank_ticket(POLICY_2004, 14488.57, 99.484, 31.4, 861.5, 0.25, shell, FloatingRoof(42500.0, True), "crude")
    assert roofed["fra_m3"] == 0.0


# -- ticket files --------------------------------------------------------------------------------------


def test_example_files_compute():
    meter = meter_ticket_from_file(EXAMPLES / "meter.json")
    assert meter["iv_m3"] == 3995.445 and meter.group == "jet_fuels"
    coriolis = coriolis_ticket_from_file(EXAMPLES / "coriolis.json")
    assert coriolis.flags == () and coriolis.group == "fuel_oils"
    tank = tank_ticket_from_file(EXAMPLES / "tank.json")
    table = StrappingTable(*zip(*json.loads((EXAMPLES / "tank.json").read_text())["strapping_table"]["rows"], strict=False))
    assert tank["tov_m3"] == round(float(table.volume_at(12.345)), 3)
    assert tank["free_water_m3"] == round(float(table.volume_at(0.085)), 3)


def _write(tmp_path: Path, kind: str, change) -> Path:
    data = json.loads((EXAMPLES / f"{kind}.json").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    change(data)
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


READERS = {"meter": meter_ticket_from_file, "coriolis": coriolis_ticket_from_file, "tank": tank_ticket_from_file}


def _del(*keys):
    def change(d):
        for k in keys[:-1]:
            d = d[k]
        del d[keys[-1]]
    return change


def _set(value, *keys):
    def change(d):
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value
    return change


BAD_FILES = [
    BadInput("ticket file", "meter ticket without its meter factor", "no meter_factor", "required key is missing"),
    BadInput("ticket file", "meter ticket without its edition", "policy without edition", "required key is missing"),
    BadInput("ticket file", "meter ticket temperature in degC", 'temperature.unit = "degC"', "'C' or 'F'"),
    BadInput("ticket file", "meter ticket pressure in psig", 'pressure.unit = "psig"', "'kPa', 'bar' or 'psi'"),
    BadInput("ticket file", "meter ticket base density in g/cm3", 'base_density.unit = "g/cm3"', "'kg/m3', 'api' or 'rd'"),
    BadInput("ticket file", "meter ticket API gravity at a 15 °C base", 'base_density.unit = "api" (policy.base "15C")', "60 °F quantity"),
    BadInput("ticket file", "meter ticket base density below gasolines", "base_density.value = 600.0", "gasolines range 610.6"),
    BadInput("ticket file", "meter ticket base density above fuel oils", "base_density.value = 1200.0", "fuel_oils range"),
    BadInput("ticket file", "meter totalizer going backwards", "totalizer.closing = 100.0 (below the opening)", "totalizer went backwards"),
    BadInput("ticket file", "meter ticket temperature of 160 °C", "temperature.value = 160.0", "-50 … 150 °C"),
    BadInput("ticket file", "meter ticket temperature as text", 'temperature.value = "28"', "valid number"),
    BadInput("ticket file", "meter factor of zero", "meter_factor = 0.0", "greater than 0"),
    BadInput("ticket file", "sediment and water of 100 percent", "sediment_water_percent = 100.0", "less than 100"),
    BadInput("ticket file", "meter ticket with an unknown key", "extra_key = 1", "unknown key"),
    BadInput("ticket file", "meter ticket 1980 tables at a 20 °C base", 'policy = { edition = "1980", base = "20C", … }', "15C only"),
    BadInput("ticket file", "meter ticket unknown commodity", 'commodity = "diesel"', "'refined', 'crude' or 'lube'"),
    BadInput("ticket file", "meter ticket that says it is a tank ticket", 'ticket = "tank"', "expected \"meter\""),
    BadInput("ticket file", "Coriolis ticket without its density check band", "no density_check_band", "required key is missing"),
    BadInput("ticket file", "Coriolis totalizer going backwards", "mass_totalizer.closing = 10.0 (below the opening)", "totalizer went backwards"),
    BadInput("ticket file", "Coriolis line density in API gravity", 'line.density.unit = "api"', "kg/m3"),
    BadInput("ticket file", "Coriolis line pressure of 20000 kPa", "line.pressure.value = 20000.0", "10342"),
    BadInput("ticket file", "tank innage above the strapping table", "innage.value = 18.5 (table 0 … 18 m)", "outside the strapping table 0 … 18 m"),
    BadInput("ticket file", "tank strapping table level going down", "strapping_table.rows = [[0.0, 0.0], [1.0, 10.0], [0.5, 20.0]]", "does not increase"),
    BadInput("ticket file", "tank ticket without innage nor ullage", "no innage", "exactly one of innage"),
    BadInput("ticket file", "tank shell without ambient temperature", "shell without ambient_temperature", "ambient_temperature"),
    BadInput("ticket file", "tank shell without insulated", "shell without insulated", "required key is missing"),
    BadInput("ticket file", "tank shell written as yes", 'shell = "yes"', "Input should be 'none'"),
    BadInput("ticket file", "tank base density below crude oil", "base_density.value = 500.0", "crude_oil range"),
    BadInput("ticket file", "tank free water by level and by volume", 'free_water = { level = {value = 0.1, unit = "m"}, volume = {value = 1.0, unit = "m3"} }',
             "exactly one"),
]
"""Bad ticket files: the example of the kind with one change (tests/bad_inputs.py: the table of docs/reliability.md)."""
# (kind, change to the example, key path named)
_FILE_EDITS = [
    ("meter", _del("meter_factor"), "meter_factor"),
    ("meter", _del("policy", "edition"), "policy.edition"),
    ("meter", _set("degC", "temperature", "unit"), "temperature.unit"),
    ("meter", _set("psig", "pressure", "unit"), "pressure.unit"),
    ("meter", _set("g/cm3", "base_density", "unit"), "base_density.unit"),
    ("meter", _set("api", "base_density", "unit"), "base_density.unit"),
    ("meter", _set(600.0, "base_density", "value"), "base_density.value"),
    ("meter", _set(1200.0, "base_density", "value"), "base_density.value"),
    ("meter", _set(100.0, "totalizer", "closing"), "totalizer.closing"),
    ("meter", _set(160.0, "temperature", "value"), "temperature.value"),
    ("meter", _set("28", "temperature", "value"), "temperature.value"),
    ("meter", _set(0.0, "meter_factor"), "meter_factor"),
    ("meter", _set(100.0, "sediment_water_percent"), "sediment_water_percent"),
    ("meter", _set(1, "extra_key"), "extra_key"),
    ("meter", lambda d: d["policy"].update(edition="1980", base="20C"), "policy"),
    ("meter", _set("diesel", "commodity"), "commodity"),
    ("meter", _set("tank", "ticket"), "ticket"),
    ("coriolis", _del("density_check_band"), "density_check_band"),
    ("coriolis", _set(10.0, "mass_totalizer", "closing"), "mass_totalizer.closing"),
    ("coriolis", _set("api", "line", "density", "unit"), "line.density.unit"),
    ("coriolis", _set(20000.0, "line", "pressure", "value"), "line.pressure.value"),
    ("tank", _set(18.5, "innage", "value"), "innage.value"),
    ("tank", _set([[0.0, 0.0], [1.0, 10.0], [0.5, 20.0]], "strapping_table", "rows"), "strapping_table.rows[2]"),
    ("tank", _del("innage"), "(top level)"),
    ("tank", _del("shell", "ambient_temperature"), "shell"),
    ("tank", _del("shell", "insulated"), "shell.insulated"),
    ("tank", _set("yes", "shell"), "shell"),
    ("tank", _set(500.0, "base_density", "value"), "base_density.value"),
    ("tank", _set({"level": {"value": 0.1, "unit": "m"}, "volume": {"value": 1.0, "unit": "m3"}}, "free_water"), "free_water"),
]


@pytest.mark.parametrize(("case", "edit"), list(zip(BAD_FILES, _FILE_EDITS, strict=True)), ids=ids(BAD_FILES))
def test_bad_ticket_files_name_the_field(tmp_path, case, edit):
    kind, change, field = edit
    words = case.expected_message_part
    path = _write(tmp_path, kind, change)
    with pytest.raises(InputError) as error:
        READERS[kind](path)
    assert error.value.field == field
    assert words in error.value.problem
    assert str(error.value).startswith(f"{path}: {field}: ")


def test_meter_file_at_60f_with_api_gravity(tmp_path):
    def change(d):
        d["policy"]["base"] = "60F"
        d["base_density"] = {"value": 45.0, "unit": "api"}
    ticket = meter_ticket_from_file(_write(tmp_path, "meter", change))
    rho60 = float(volume_correction.density_from_api(45.0))
    expected = volume_correction.ctpl_at_base(rho60, 28.0, 400.0, "60F")
    assert ticket["base_density_kgm3"] == rho60
    assert (ticket["ctl"], ticket["cpl"]) == (expected.ctl, expected.cpl)


def test_meter_file_with_flow_samples(tmp_path):
    def change(d):
        del d["temperature"], d["pressure"]
        d["flow_samples"] = {"quantity_unit": "m3", "temperature_unit": "F", "pressure_unit": "bar",
                             "rows": [[1000.0, 80.6, 4.0], [3000.0, 84.2, 3.8]]}
    ticket = meter_ticket_from_file(_write(tmp_path, "meter", change))
    assert ticket["temperature_c"] == pytest.approx((27.0 * 1000 + 29.0 * 3000) / 4000, abs=1e-12)
    assert ticket["pressure_kpa"] == pytest.approx((400.0 * 1000 + 380.0 * 3000) / 4000, abs=1e-9)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        meter_ticket_from_file(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"ticket": "meter",', encoding="utf-8")
    with pytest.raises(InputError) as error:
        meter_ticket_from_file(broken)
    assert error.value.field == "(syntax)" and "not valid JSON" in error.value.problem


BAD_INPUTS = BAD_FILES
"""Every bad input this module tries in a list (tests/bad_inputs.py: the table of docs/reliability.md)."""
