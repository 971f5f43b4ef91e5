"""`bulkdaq survey draft`: the real console script, run as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "surveys" / "evership.json"
BULKDAQ = Path(sys.executable).parent / "bulkdaq"

REQUIRED_SURVEY_KEYS = {
    "mean_fwd_m", "mean_mid_m", "mean_aft_m", "length_between_marks_m", "true_trim_m", "quarter_mean_m",
    "displacement_t", "tpc_t_cm", "lcf_m", "first_trim_correction_t", "second_trim_correction_t",
    "list_correction_t", "density_correction_t", "deductibles_t", "net_displacement_t",
}


def bulkdaq(*args: str) -> subprocess.CompletedProcess[str]:
    # rich wraps the error line at the console width (80 when piped); a wide COLUMNS keeps the one-line
    # error on one line, as a person at a terminal sees it (main.py's error console is the lead's)
    environment = {**os.environ, "COLUMNS": "500"}
    return subprocess.run([str(BULKDAQ), *args], capture_output=True, text=True, timeout=120, cwd=REPO, env=environment)


def test_json_output_has_the_contract_keys_and_the_reference_cargo():
    run = bulkdaq("survey", "draft", str(EXAMPLE), "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert set(result["surveys"]) == {"initial", "draft_check", "final"}
    for figures in result["surveys"].values():
        assert REQUIRED_SURVEY_KEYS <= set(figures)
    assert result["cargo_t"] == pytest.approx(88760.28, abs=0.01)
    assert result["constant_t"] == pytest.approx(350.52, abs=0.01)
    assert result["rounding"] == "workbook"
    assert result["surveys"]["initial"]["quarter_mean_m"] == 6.4317
    assert result["surveys"]["initial"]["lcf_m"] == -7.7066  # midship, aft positive
    assert result["surveys"]["draft_check"]["first_trim_correction_t"] == 27.8
    assert [w["code"] for w in result["warnings"]] == ["bill_of_lading"]
    assert result["warnings"][0]["message"].startswith("cargo 88,760.280 t differs from the bill of lading 88,000.000 t")


def test_tables_show_every_figure_and_the_cargo(tmp_path):
    report = tmp_path / "survey.html"
    run = bulkdaq("survey", "draft", str(EXAMPLE), "--report", str(report))
    assert run.returncode == 0, run.stderr
    out = run.stdout
    for text in ("Initial 初始", "Draft check", "Final 最终", "Length between marks", "214.0450", "Corrected aft draft",
                 "7.3805", "45,926.920", "-439.400", "Net displacement", "14,987.520", "103,747.800",
                 "Cargo loaded 装货重量", "88,760.280 t", "350.520 t", "Bill of lading"):
        assert text in out, text
    assert report.exists()
    page = report.read_text(encoding="utf-8")
    for text in ("水尺计重", "首吃水平均", "中吃水平均", "尾吃水平均", "纵倾校正", "港水密度校正", "扣除量", "净排水量",
                 "装货重量", "EVER SHIP", "88,760.280 t", "45,425.200", "workbook", "hog 中拱"):
        assert text in page, text


def test_unece_rounding_prints_three_decimals(tmp_path):
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    document["rounding"] = "unece-3dp"
    path = tmp_path / "unece.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    run = bulkdaq("survey", "draft", str(path))
    assert run.returncode == 0, run.stderr
    assert "6.432 " in run.stdout and "14,989.970" in run.stdout


def test_bad_file_is_one_line_with_file_field_and_exit_code_2(tmp_path):
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    document["surveys"]["initial"]["marks_m"]["fwd_port"] = "5.69 m"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    run = bulkdaq("survey", "draft", str(path), "--json")
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert f"{path}: surveys.initial.marks_m.fwd_port: expected a number in metres written as a JSON number, not text, got \"5.69 m\" (remove the quotes)" in lines[0]
    assert "Traceback" not in run.stderr


def test_mean_draft_outside_the_table_is_one_line(tmp_path):
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    document["vessel"]["hydrostatics"] = document["vessel"]["hydrostatics"][:6]  # up to 6.24 m
    path = tmp_path / "short.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    run = bulkdaq("survey", "draft", str(path))
    assert run.returncode == 2
    assert "vessel.hydrostatics: survey 'initial': mean draft 6.4317 m is outside the hydrostatic table, which covers 5.73 m to 6.24 m" in run.stderr


def test_missing_file_is_one_line(tmp_path):
    run = bulkdaq("survey", "draft", str(tmp_path / "nothing.json"))
    assert run.returncode == 2
    assert "nothing.json: (file): cannot read the file" in run.stderr


def test_report_escapes_text_and_marks_surveyor_readings():
    from datetime import datetime, timezone

    from bulkdaq.inputs.survey_file import parse_survey_document
    from dashboards.reports.survey_report import render_report

    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    document["vessel"]["name"] = "<script>alert(1)</script> & co"
    initial = document["surveys"]["initial"]
    initial["details"] = {"date": "2019-12-03 14:00"}
    initial["list_tpc_t_cm"] = {"port": 75.9, "stbd": 75.7}  # 6 × 0.02 × 0.2 = 0.024 t
    initial["table_readings"] = {
        "rows": [{"draft_m": 6.43, "displacement_t": 45914, "tpc_t_cm": 75.8, "lcf_m": -7.71},
                 {"draft_m": 6.44, "displacement_t": 45990, "tpc_t_cm": 75.8, "lcf_m": -7.69}],
        "mtc_plus_t_m_cm": 1102.468, "mtc_minus_t_m_cm": 1061.168,
    }
    initial["deductibles"][0] = {"kind": "ballast", "name": "DB1P", "volume_m3": 1374.73, "density_t_m3": 1.025}
    job = parse_survey_document(document, "job.json")
    page = render_report(job, job.compute(), generated=datetime(2024, 1, 2, 3, 4, tzinfo=timezone.utc))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert page.count("surveyor table readings 检验员查表值") == 1
    assert "2019-12-03 14:00" in page and "2024-01-02 03:04 UTC" in page
    assert "on midships 在船中" in page and "0.540 m aft 后" in page
    # list correction applied in the initial survey, not in the others
    assert ">0.024<" in page and "not applied 未校正" in page
    # the ballast tank given by volume is itemised with its volume, density and weight (1374.73 × 1.025)
    assert "DB1P" in page and "1,374.730" in page and "1.0250" in page and "1,409.098" in page
