"""`bulkdaq shipment …` and `bulkdaq certificate` through typer's runner: the ore import from declaration
to release (a discrepancy investigated and resolved), refusals, and the certificate's figures and labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bulkdaq.cli import officer as officer_cli
from bulkdaq.cli import shipment as shipment_cli
from bulkdaq.errors import InputError
from bulkdaq.evidence.chain import fingerprint
from bulkdaq.office.officer_key import load_officer_key
from bulkdaq.shipments.lifecycle import TransitionRefused
from bulkdaq.shipments.registry import ShipmentRegistry
from dashboards.reports.measurement_report import NotReconciled, certificate_data, render_certificate
from officers import OFFICER_ID, registered_key_file

REPO = Path(__file__).resolve().parents[3]
SHIPMENTS = REPO / "examples" / "shipments"
RULES = REPO / "examples" / "tolerances.toml"

app = typer.Typer()
shipment_cli.register(app)  # until bulkdaq/cli/main.py calls shipment.register(app)
app.add_typer(officer_cli.officer_app, name="officer")
runner = CliRunner()

# Belt scale 89,300.0 t against the draft survey's 88,760.28 t: −539.72 t.
DISCREPANT_FIGURES = """
[[figures]]
method = "draft_survey"
value = 88760.28
basis = "t_air"
source = "draft survey EVER SHIP"
details = [["Net displacement, initial", 99713.612, "t"], ["Net displacement, final", 10953.332, "t"]]

[[figures]]
method = "belt_scale"
value = 89300.0
basis = "t_air"
source = "belt scale BS-3"
"""


def run(registry: Path, *args: str):  # noqa: ANN201
    return runner.invoke(app, [*args, "--registry", str(registry)])


def ok(registry: Path, *args: str) -> str:
    result = run(registry, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_ore_import_from_declaration_to_release_through_a_discrepancy(tmp_path: Path):
    registry = tmp_path / "shipments.sqlite"
    figures = tmp_path / "figures.toml"
    figures.write_text(DISCREPANT_FIGURES, encoding="utf-8")
    sid = "IMP-2026-0522"
    assert "→ declared" in ok(registry, "shipment", "declare", str(SHIPMENTS / "ore-import.toml"), "--actor", "officer Wang")
    out = ok(registry, "shipment", "start", sid, "--actor", "officer Wang")
    assert "declared → precheck" in out and "precheck → loading" in out
    assert "loading → complete" in ok(registry, "shipment", "complete", sid, "--actor", "terminal")
    assert "complete → measured" in ok(registry, "shipment", "measure", sid, str(figures), "--actor", "surveyor Chen")
    out = ok(registry, "shipment", "reconcile", sid, "--rules", str(RULES), "--actor", "officer Wang")
    assert "measured → reconciled" in out and "reconciled → discrepancy" in out
    with ShipmentRegistry(registry) as opened:
        events = opened.events(sid)
        reason = events[-1].reason
    # −539.72 / 89,300 × 100 = −0.6043897… %; limit max(0.5, √(0.5² + 0.25²) = 0.5590…) → outside
    # the limit applied, as the report prints it: the wider of 0.5 % and the RSS of both uncertainties
    assert reason == "outside: draft_survey vs belt_scale -0.604 % (limit 0.559 %, draft-survey-vs-belt-scale)"

    key = registered_key_file(registry, tmp_path / "keys" / "officer-wang", name="officer Wang")  # the officer's own key, registered
    officer = f"{OFFICER_ID} officer Wang"
    with pytest.raises(TransitionRefused, match=r"is 'discrepancy'; it cannot go to 'certified' \(allowed from 'discrepancy': investigating\)"):
        raise run(registry, "officer", "certify", sid, "--key", str(key), "--reason", "skip").exception  # type: ignore[misc]
    note = tmp_path / "belt-scale-calibration.txt"
    note.write_text("BS-3 span check after discharge: +0.61 % error; belt figure set aside.", encoding="utf-8")
    ok(registry, "officer", "investigate", sid, "--key", str(key), "--reason", "belt scale and draft survey differ by 0.60 %")
    ok(registry, "officer", "resolve", sid, "--key", str(key), "--reason", "belt scale out of calibration; draft survey accepted", "--evidence", str(note))
    ok(registry, "officer", "certify", sid, "--key", str(key), "--reason", "weight determined by draft survey")
    ok(registry, "officer", "release", sid, "--key", str(key), "--reason", "duties paid")

    shown = json.loads(ok(registry, "shipment", "show", sid, "--json"))
    assert shown["state"] == "released" and shown["history"] == "intact"
    assert [e["to"] for e in shown["events"]] == [
        "declared", "precheck", "loading", "complete", "measured", "reconciled", "discrepancy", "investigating", "resolved", "certified", "released",
    ]
    resolved = shown["events"][8]
    assert resolved["actor"] == officer and len(resolved["evidence"]) == 1
    signer = fingerprint(load_officer_key(key, None).public_key())
    assert [(e["actor"], e.get("signer")) for e in shown["events"][7:]] == [(officer, signer)] * 4
    assert shown["reconciliation"]["verdict"] == "discrepancy"
    assert "released" in ok(registry, "shipment", "list")

    certificate = tmp_path / "cert.html"
    written = ok(registry, "certificate", sid, "--out", str(certificate), "--site", str(REPO / "examples" / "site.toml"))
    assert "measurement report IMP-2026-0522-11-" in written and "final" in written
    page = certificate.read_text(encoding="utf-8")
    for label in ("码头计量报告（供海关核查）", "放行", "申报", "实测", "核对", "差异", "水尺计重", "皮带秤", "超差", "已放行", "最终"):
        assert label in page, label
    assert "重量鉴定证书</h1>" not in page and "临时" not in page.split("<body>")[1].split("</h1>")[0]
    for figure in ("88,800.000 t", "88,760.280 t", "89,300.000 t", "-539.720 t", "-0.604 %", "-0.045 %", "99,713.612",
                   "0.559 %", "draft-survey-vs-belt-scale", "customs-example 2026.1", "belt scale out of calibration", "Asia/Shanghai"):
        assert figure in page, figure
    with ShipmentRegistry(registry) as opened:
        assert opened.events(sid)[-1].hash in page


def test_refusals_and_bad_input(tmp_path: Path):
    registry = tmp_path / "shipments.sqlite"
    ok(registry, "shipment", "declare", str(SHIPMENTS / "ore-import.toml"), "--actor", "officer Wang")
    sid = "IMP-2026-0522"
    refused = run(registry, "shipment", "reconcile", sid, "--rules", str(RULES), "--actor", "x").exception
    assert isinstance(refused, TransitionRefused)
    assert str(refused) == "shipment IMP-2026-0522 is 'declared'; it cannot go to 'reconciled' (allowed from 'declared': precheck)"
    again = run(registry, "shipment", "declare", str(SHIPMENTS / "ore-import.toml"), "--actor", "x").exception
    assert "already declared" in str(again)
    assert isinstance(run(registry, "certificate", sid).exception, NotReconciled)
    bad = tmp_path / "bad.toml"
    bad.write_text(SHIPMENTS.joinpath("ore-import.toml").read_text().replace('basis = "t_air"', 'basis = "m3_15C"'), encoding="utf-8")
    error = run(registry, "shipment", "declare", str(bad), "--actor", "x").exception
    assert isinstance(error, InputError) and error.problems == [  # type: ignore[attr-defined]
        ("methods[0]", "draft_survey weighs the cargo; it cannot confirm a quantity declared in m3_15C"),
        ("methods[1]", "belt_scale weighs the cargo; it cannot confirm a quantity declared in m3_15C"),
    ]
    # a missing method figure is refused at measurement, naming it
    ok(registry, "shipment", "start", sid, "--actor", "x")
    ok(registry, "shipment", "complete", sid, "--actor", "x")
    partial = tmp_path / "partial.toml"
    partial.write_text(DISCREPANT_FIGURES.split("[[figures]]\nmethod = \"belt_scale\"")[0], encoding="utf-8")
    missing = run(registry, "shipment", "measure", sid, str(partial), "--actor", "x").exception
    assert str(missing) == "shipment IMP-2026-0522 needs a figure for every method; missing: belt_scale (give them in a figures file)"
    # the rule set named by the shipment must be the one given
    ok(registry, "shipment", "measure", sid, str(SHIPMENTS / "ore-import.figures.toml"), "--actor", "x")
    other = tmp_path / "other.toml"
    other.write_text(RULES.read_text().replace('name = "customs-example"', 'name = "other"'), encoding="utf-8")
    wrong = run(registry, "shipment", "reconcile", sid, "--rules", str(other), "--actor", "x").exception
    assert isinstance(wrong, InputError) and str(wrong) == f"{other}: rule_set.name: is 'other', but shipment IMP-2026-0522 names the rule set 'customs-example'"
    out = ok(registry, "shipment", "reconcile", sid, "--rules", str(RULES), "--actor", "x")
    assert "reconciled → verified" in out


def test_certificate_of_the_verified_example(tmp_path: Path):
    registry = tmp_path / "shipments.sqlite"
    sid = "IMP-2026-0522"
    ok(registry, "shipment", "declare", str(SHIPMENTS / "ore-import.toml"), "--actor", "x")
    ok(registry, "shipment", "start", sid, "--actor", "x")
    ok(registry, "shipment", "complete", sid, "--actor", "x")
    ok(registry, "shipment", "measure", sid, str(SHIPMENTS / "ore-import.figures.toml"), "--actor", "x")
    ok(registry, "shipment", "reconcile", sid, "--rules", str(RULES), "--actor", "x")
    with ShipmentRegistry(registry) as opened:
        data = certificate_data(opened, sid)
    assert data.verdict == "verified" and data.state == "verified"
    page = render_certificate(data)
    # draft 88,798.4 vs belt 88,912.4: −114.0 t, −114.0/88,912.4 × 100 = −0.12822… % → −0.128 %
    assert "-114.000 t" in page and "-0.128 %" in page and "within 符合" in page and "OUTSIDE" not in page
    assert "验证通过" in page and "not yet released 尚未放行" in page and "PROVISIONAL" in page
    assert page.count("<script") == 0
