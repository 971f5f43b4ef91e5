"""`bulkdaq vcf` and `bulkdaq ticket meter|coriolis|tank`, run as a user runs them (the installed script)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bad_inputs import BadInput, ids
from calculators.petroleum import vcf_1980, volume_correction
from reference_cases import petroleum_cases

REPO = Path(__file__).resolve().parents[3]
BULKDAQ = Path(sys.executable).parent / "bulkdaq"
EXAMPLES = REPO / "examples" / "tickets"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BULKDAQ), *args], capture_output=True, text=True, cwd=REPO, timeout=60)


def one_line(text: str) -> str:
    """The error console may wrap long lines; compare the words."""
    return " ".join(text.split())


VCF_ARGS = ["--density", "800", "--density-unit", "kg/m3", "--temperature", "28", "--temperature-unit", "C",
            "--pressure", "400", "--pressure-unit", "kPa", "--base", "15C", "--edition", "2004"]


def test_vcf_json_issue_example():
    result = run("vcf", *VCF_ARGS, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    expected = volume_correction.ctpl_at_base(800.0, 28.0, 400.0, "15C")
    assert (out["ctl"], out["cpl"], out["ctpl"]) == (expected.ctl, expected.cpl, expected.ctpl)
    assert (out["group"], out["edition"], out["base"]) == ("jet_fuels", "2004", "15C")
    assert out["decimals"] == 5


def test_vcf_table_output():
    result = run("vcf", *VCF_ARGS)
    assert result.returncode == 0, result.stderr
    assert "0.98787" in result.stdout and "jet_fuels" in result.stdout


@pytest.mark.parametrize("case", petroleum_cases("api_11_1_2004_60F"), ids=lambda c: c["id"])
def test_vcf_reproduces_the_api_examples_at_60f(case):
    inputs, expected = case["inputs"], case["expected"]
    if "api60" in inputs:
        density, unit = inputs["api60"], "api"
    elif "relative_density_60" in inputs:
        density, unit = inputs["relative_density_60"], "rd"
    else:
        density, unit = inputs["density_kgm3_60"], "kg/m3"
    group = "crude" if inputs["commodity_group"] == "crude_oil" else "refined"
    result = run("vcf", "--density", repr(density), "--density-unit", unit, "--temperature", repr(inputs["temperature_F"]),
                 "--temperature-unit", "F", "--pressure", repr(inputs["pressure_psig"]), "--pressure-unit", "psi",
                 "--base", "60F", "--edition", "2004", "--group", group, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["ctpl"] == expected["CTPL_rounded_5dp"]
    assert out["group"] == inputs["commodity_group"]
    # °F → °C → °F and psi → kPa → psi round trips cost ~1e-13; the file's tolerance is 1e-10.
    assert abs(out["ctl_unrounded"] - expected["CTL_unrounded"]) <= case["tolerance"]["CTL_unrounded"]
    assert abs(out["cpl_unrounded"] - expected["CPL_unrounded"]) <= case["tolerance"]["CPL_unrounded"]
    assert abs(out["alpha60_per_f"] - expected["alpha60_perF"]) <= case["tolerance"]["alpha60_perF"]
    assert abs(out["rho_star_kgm3"] - expected["rho_star_kgm3"]) <= case["tolerance"]["rho_star_kgm3"]


def test_vcf_1980_table_54b():
    result = run("vcf", "--density", "953.4", "--density-unit", "kg/m3", "--temperature", "35", "--temperature-unit", "C",
                 "--pressure", "0", "--pressure-unit", "kPa", "--base", "15C", "--edition", "1980", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["ctl"], out["cpl"], out["ctpl"], out["table"], out["group"]) == (0.9856, 1.0, 0.9856, "54B", "fuel_oils")
    assert out["ctl"] == vcf_1980.vcf_table_54(953.4, 35.0).vcf


BAD_INPUTS = [
    BadInput("command line", "vcf temperature of 200 °C", "vcf … --temperature 200 --temperature-unit C", "-50 … 150 °C"),
    BadInput("command line", "vcf density past fuel oils", "vcf --density 1300 --density-unit kg/m3 …", "outside the fuel_oils range"),
    BadInput("command line", "vcf API gravity at a 15 °C base", "vcf --density 45 --density-unit api … --base 15C", "60 °F quantity"),
    BadInput("command line", "vcf 1980 tables at 60 °F", "vcf … --base 60F --edition 1980", "15 °C only"),
    BadInput("command line", "vcf pressure of 2000 psi", "vcf … --pressure 2000 --pressure-unit psi", "0 … 10342"),
]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
# (changes to VCF_ARGS, the option the error names)
_VCF_EDITS = [
    ({"--temperature": "200"}, "--temperature"),
    ({"--density": "1300"}, "--density"),
    ({"--density-unit": "api", "--density": "45"}, "--density-unit"),
    ({"--edition": "1980", "--base": "60F"}, "--edition"),
    ({"--pressure": "2000", "--pressure-unit": "psi"}, "--pressure"),
]


@pytest.mark.parametrize(("case", "edit"), list(zip(BAD_INPUTS, _VCF_EDITS, strict=True)), ids=ids(BAD_INPUTS))
def test_vcf_bad_values_name_the_option(case, edit):
    changes, option = edit
    words = case.expected_message_part
    args = list(VCF_ARGS)
    for key, value in changes.items():
        args[args.index(key) + 1] = value
    result = run("vcf", *args)
    assert result.returncode == 2
    message = one_line(result.stderr)
    assert f"error: command line: {option}:" in message and words in message
    assert "Traceback" not in result.stderr


def test_vcf_unknown_unit_is_a_usage_error():
    args = list(VCF_ARGS)
    args[args.index("--density-unit") + 1] = "g/cm3"
    result = run("vcf", *args)
    assert result.returncode == 2 and "g/cm3" in result.stderr


@pytest.mark.parametrize("kind", ["meter", "coriolis", "tank"])
def test_ticket_files_json(kind):
    result = run("ticket", kind, str(EXAMPLES / f"{kind}.json"), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["kind"] == kind
    assert out["policy"]["edition"] == "2004" and out["policy"]["base"] == "15C" and "method" in out["policy"]
    for key in ("gsv_m3", "nsv_m3", "weight_in_air_t"):
        assert set(out["figures"][key]) == {"label", "value", "unit", "decimals"}
    assert out["asset"] == {"meter": "FT-101", "coriolis": "FT-201", "tank": "TK-12"}[kind]


def test_ticket_meter_table():
    result = run("ticket", "meter", str(EXAMPLES / "meter.json"))
    assert result.returncode == 0, result.stderr
    text = one_line(result.stdout)
    assert "3,995.445" in text and "0.98787" in text and "API MPMS 11.1-2004" in text


def test_ticket_file_errors_name_the_field(tmp_path):
    data = json.loads((EXAMPLES / "meter.json").read_text(encoding="utf-8"))
    data["totalizer"]["closing"] = 100.0
    bad = tmp_path / "reset.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = run("ticket", "meter", str(bad))
    assert result.returncode == 2
    message = one_line(result.stderr)
    assert f"{bad}: totalizer.closing: totalizer went backwards" in message

    data = json.loads((EXAMPLES / "tank.json").read_text(encoding="utf-8"))
    data["liquid_temperature"]["unit"] = "K"
    bad = tmp_path / "kelvin.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = run("ticket", "tank", str(bad))
    assert result.returncode == 2
    assert "liquid_temperature.unit: Input should be 'C' or 'F'" in one_line(result.stderr)
