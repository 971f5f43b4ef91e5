"""The terminal's measurement report for customs verification, read as an officer reads it.

Every figure at the decimals its policy gives and with its unit, never a raw float; the survey CLI and
the report give the same figure for the same survey file; a discharge is worked and labelled as one;
the ship's call, document number, uncertainties, air/vacuum, local time, key fingerprint and evidence hash
are on it; PROVISIONAL until release and not after. Registries, surveys and tickets are the real ones
(real SQLite registry with the site's Ed25519 key, the real survey file and calculators).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bulkdaq.app.demo_clearance import SurveyMismatch, check_survey_matches
from bulkdaq.config.site_file import load_site
from bulkdaq.errors import InputError
from bulkdaq.evidence.chain import create_site_key, fingerprint, load_private_key
from bulkdaq.inputs.survey_file import load_survey_file, parse_survey_document
from bulkdaq.shipments.method_figures import draft_survey_figure
from bulkdaq.shipments.model import MethodFigure, load_figures, load_shipment
from bulkdaq.shipments.registry import Evidence, ShipmentRegistry
from bulkdaq.shipments.tolerance_rules import load_rule_set
from bulkdaq.shipments.workflow import officer_step, reconcile_shipment, record_figures, start_loading
from bulkdaq.wording.figure_format import figure_text, number_text, percent_text
from calculators.petroleum.coriolis_ticket import coriolis_ticket
from dashboards.reports.measurement_report import certificate_data, render_certificate
from dashboards.reports.survey_report import render_report
from figure_checks import RECORDED, check_decimals, figure_problems, figures_with_units, page_text, raw_floats
from officers import OFFICER_ID, OFFICER_NAME, registered_officer

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
DISCHARGE = EXAMPLES / "surveys" / "evership-discharge.json"
LOADING = EXAMPLES / "surveys" / "evership.json"
RULES = load_rule_set(EXAMPLES / "tolerances.toml")
BULKDAQ = Path(sys.executable).parent / "bulkdaq"
ZONE = "Asia/Shanghai"
AT = datetime(2026, 5, 2, 6, 30, tzinfo=timezone.utc)
def bulkdaq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BULKDAQ), *args], capture_output=True, text=True, timeout=120, cwd=REPO, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def signed_registry(tmp_path: Path) -> tuple[ShipmentRegistry, str]:
    key = tmp_path / "site.key"
    fingerprint = create_site_key(key, key.with_suffix(".pub"))
    return ShipmentRegistry(tmp_path / "shipments.sqlite", signing_key=load_private_key(key)), fingerprint


def ore_import_reconciled(registry: ShipmentRegistry) -> str:
    """The demo's ore import: declared, discharged, weighed by the discharge survey and the belt scale, reconciled."""
    ore = load_shipment(EXAMPLES / "demo" / "ore-import.toml")
    registry.declare(ore, "officer Wang", "declared", at=AT)
    start_loading(registry, ore.id, "officer Wang", None, AT)
    registry.transition(ore.id, "complete", "terminal", "discharge complete", [Evidence("loading_window", {"end": AT.isoformat()})], at=AT)
    survey = draft_survey_figure(load_survey_file(DISCHARGE), ore)
    belt = MethodFigure(method="belt_scale", value=88_912.4, basis="t_air", source="belt scale BS-1 totalizer",
                        details=[("Opening total", 1_204_551.2, "t"), ("Closing total", 1_293_463.6, "t"), ("Delivered", 88_912.4, "t")])
    record_figures(registry, ore.id, "surveyor Chen", [survey, belt])
    reconcile_shipment(registry, ore.id, "officer Wang", RULES)
    return ore.id


def test_the_figure_path_rounds_half_away_from_zero_and_never_prints_float_noise():
    assert figure_text(14987.519999999997, "t", 3) == "14,987.520 t"
    assert figure_text(800.0000000000001, "kg/m3", 1) == "800.0 kg/m³"
    assert figure_text(24.987708851042694, "degC", 2) == "24.99 °C"
    assert number_text(2.675, 2) == "2.68"  # a written half rounds up, as on paper (binary 2.67499…)
    assert number_text(-0.0004, 3, signed=True) == "0.000"  # never −0.000
    assert number_text(-88_798.4, 3, signed=True) == "-88,798.400" and percent_text(1.21455, signed=True) == "+1.215 %"
    assert figure_text(0.98787, "-", 5) == "0.98787"  # dimensionless: no unit
    with pytest.raises(ValueError):
        number_text(float("nan"), 3)


def test_every_figure_of_the_ore_report_is_at_its_decimals_with_its_unit(tmp_path: Path):
    registry, _ = signed_registry(tmp_path)
    with registry:
        sid = ore_import_reconciled(registry)
        page = render_certificate(certificate_data(registry, sid, time_zone=ZONE))
    assert figure_problems(page) == []
    text = page_text(page, without=RECORDED)
    units = {unit for _, unit, _ in figures_with_units(text)}
    assert {"t", "%"} <= units
    # every figure cell is a grouped number with its decimals (units in the cell or the next column), or text
    cells = re.findall(r'<td class="figure">([^<]*)</td>', page)
    numbers = [cell for cell in cells if re.match(r"[+-]?\d", cell)]
    assert numbers and all(re.fullmatch(r"[+-]?\d{1,3}(,\d{3})*\.\d{3}( (t|%))?", cell) for cell in numbers), numbers


def test_meter_tickets_are_shown_at_the_tickets_decimals_not_as_floats(tmp_path: Path):
    """The flow-weighted conditions of a meter run are floats full of noise; the report shows the ticket."""
    jet = load_shipment(EXAMPLES / "shipments" / "jet-fuel-export.toml")
    policy = jet.metering.policy.policy()  # type: ignore[union-attr]
    runs = []
    for meter in jet.assets.meters:
        ticket = coriolis_ticket(policy, 52_314_706.281, 52_765_000.0, 1.0, 806.5, 800.0000000000001, 24.987708851042694, 441.5637251, 0.0, 3.0)
        runs.append({"meter": meter, "ticket": ticket.as_dict(), "quantity": ticket["weight_in_air_t"]})
    meters = MethodFigure(
        method="meters", value=sum(run["quantity"] for run in runs), basis="t_air", source="meter tickets",
        details=[(f"{run['meter']}: {figure['label']}", figure["value"], figure["unit"]) for run in runs for figure in run["ticket"]["figures"].values()],
    )
    registry, _ = signed_registry(tmp_path)
    with registry:
        registry.declare(jet, "officer Li", "declared", at=AT)
        registry.transition(jet.id, "precheck", "officer Li", "precheck", at=AT)
        registry.transition(jet.id, "loading", "officer Li", "loading window opened", [Evidence("loading_start", {"start": AT.isoformat()})], at=AT)
        document = {"meters": runs, "figure": meters.model_dump(mode="json")}
        registry.transition(jet.id, "complete", "terminal", "loading complete", [Evidence("meter_tickets", document)], at=AT)
        record_figures(registry, jet.id, "officer Li", load_figures(EXAMPLES / "shipments" / "jet-fuel-export.figures.toml", jet))
        reconcile_shipment(registry, jet.id, "officer Li", RULES)
        page = render_certificate(certificate_data(registry, jet.id, time_zone=ZONE))
    for noise in ("24.987708851042694", "800.0000000000001", "441.5637251", "e-0"):
        assert noise not in page
    assert figure_problems(page, prose=(policy.method(),)) == []
    text = page_text(page, without=RECORDED)
    for shown in ("24.99 °C", "441.6 kPa", "800.0 kg/m³", "52,314,706.281 kg", "450,293.719 kg", "0.99084", "1.0000", "0.6 kg/m³"):
        assert shown in text, shown
    # quantity in air and in vacuum, and NSV, summed over the runs' tickets
    assert "Weight in air 空气中重量 — Measured 实测" in text and "Mass in vacuum 真空中质量 — Measured 实测" in text
    vacuum = sum(run["ticket"]["figures"]["net_mass_t"]["value"] for run in runs)
    assert figure_text(vacuum, "t", 3) in text


def test_survey_cli_and_report_give_the_same_figure_for_the_same_file(tmp_path: Path):
    run = bulkdaq("survey", "draft", str(DISCHARGE))
    assert run.returncode == 0, run.stderr
    printed = re.search(r"Cargo discharged 卸货重量\s+([\d,]+\.\d{3} t)", run.stdout)
    assert printed is not None, run.stdout[-2000:]
    figure = printed.group(1)
    as_json = json.loads(bulkdaq("survey", "draft", str(DISCHARGE), "--json").stdout)
    registry, _ = signed_registry(tmp_path)
    with registry:
        sid = ore_import_reconciled(registry)
        data = certificate_data(registry, sid, time_zone=ZONE)
    survey = next(f for f in data.figures if f.method == "draft_survey")
    assert survey.value == as_json["cargo_weight_t"] == -as_json["cargo_t"]
    text = page_text(render_certificate(data))
    assert figure == "88,798.400 t"
    # the measured quantity, the draft survey's section heading and its cargo line all show the CLI's figure
    assert f"Draft survey 水尺计重 — Measured 实测 {figure}" in text
    assert f"Draft survey 水尺计重: {figure}" in text
    assert f"Cargo discharged 卸货重量 = net initial − net final (discharge 卸货) {figure.removesuffix(' t')} t" in text
    # the report names the file by its hash, the one the CLI read
    assert as_json["sha256"] in text and "evership-discharge.json" in text
    # the example figures file of the ore import cites the same survey with the same figure
    ore = load_shipment(EXAMPLES / "shipments" / "ore-import.toml")
    cited = next(f for f in load_figures(EXAMPLES / "shipments" / "ore-import.figures.toml", ore) if f.method == "draft_survey")
    assert figure_text(cited.value, "t", 3) == figure and "evership-discharge.json" in cited.source


def test_a_discharge_is_worked_and_labelled_as_a_discharge(tmp_path: Path):
    run = bulkdaq("survey", "draft", str(DISCHARGE), "--report", str(tmp_path / "report.html"))
    assert run.returncode == 0, run.stderr
    assert "(discharge 卸货)" in run.stdout and "Cargo discharged 卸货重量" in run.stdout and "装货" not in run.stdout
    report = page_text((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert "Draft survey report — discharge 水尺计重报告（卸货）" in report and "Operation 作业 discharge 卸货" in report
    assert "装货" not in report
    # the published survey stays a loading, labelled as one
    loading = bulkdaq("survey", "draft", str(LOADING))
    assert "Cargo loaded 装货重量" in loading.stdout and "88,760.280 t" in loading.stdout and "卸货" not in loading.stdout
    job = load_survey_file(DISCHARGE)
    result = job.compute()
    assert (job.operation, result.operation, result.cargo_from, result.cargo_to) == ("discharge", "discharge", "initial", "final")
    assert result.cargo_t is not None and result.cargo_t < 0 and result.cargo_weight_t == -result.cargo_t
    assert result.constant_survey == "final"  # the constant of a discharge comes from the light survey after it
    # the certificate of the import says discharge too
    registry, _ = signed_registry(tmp_path)
    with registry:
        sid = ore_import_reconciled(registry)
        text = page_text(render_certificate(certificate_data(registry, sid, time_zone=ZONE)))
    assert "import 进口 · discharge 卸货" in text and "装货" not in text


def test_the_discharge_file_is_honest_about_what_it_is():
    document = json.loads(DISCHARGE.read_text(encoding="utf-8"))
    published = json.loads(LOADING.read_text(encoding="utf-8"))
    assert document["operation"] == "discharge" and "NOT a survey of a real discharge" in document["job"]["illustrative"]
    # built from the published readings: the loaded draft check arrives, the light final leaves; the ship is the same
    assert document["vessel"] == published["vessel"]
    for mine, theirs in (("initial", "draft_check"), ("final", "final")):
        for key in ("marks_m", "mark_positions", "dock_density_t_m3", "deductibles"):
            assert document["surveys"][mine][key] == published["surveys"][theirs][key], (mine, key)
    # the published survey is kept exactly as published (a loading, initial → draft check)
    assert published["cargo"] == {"from": "initial", "to": "draft_check"} and "operation" not in published


def test_a_survey_that_contradicts_its_operation_or_its_shipment_is_refused():
    document = json.loads(DISCHARGE.read_text(encoding="utf-8"))
    with pytest.raises(InputError) as error:
        parse_survey_document({**document, "operation": "loading"}, "loading.json").compute()
    assert error.value.field == "operation"
    assert str(error.value).startswith("loading.json: operation: the job declares a loading, but net final 14949.400 t − net initial 103747.800 t = -88798.400 t is a discharge")
    with pytest.raises(InputError, match=r"bad.json: operation: expected one of 'loading', 'discharge', got \"unloading\""):
        parse_survey_document({**document, "operation": "unloading"}, "bad.json")
    ore = load_shipment(EXAMPLES / "demo" / "ore-import.toml")
    check_survey_matches(load_survey_file(DISCHARGE), ore)
    with pytest.raises(SurveyMismatch, match=r"operation is not declared, but DEMO-IMP-ORE is an import .needs 'discharge'.; .*bill_of_lading is None"
                       r".*cargo_description is 'coal in bulk', which does not name DEMO-IMP-ORE's product 'Iron ore fines'"):
        check_survey_matches(load_survey_file(LOADING), ore)


def test_the_report_has_what_a_weight_determination_needs(tmp_path: Path):
    registry, fingerprint = signed_registry(tmp_path)
    with registry:
        sid = ore_import_reconciled(registry)
        data = certificate_data(registry, sid, time_zone=ZONE)
        events = registry.events(sid)
    page = render_certificate(data, generated=AT)
    text = page_text(page)
    for shown in ("Voyage 航次 0902E", "IMO number IMO编号 IMO 9745017", "Port 港口 demo port (illustrative)", "Berth 泊位 ore berth 3",
                  "Vessel 船名 EVER SHIP", f"Document number 文件编号 {sid}-{events[-1].number:02d}-{events[-1].hash[:8].upper()}",
                  "Local time zone 当地时区 Asia/Shanghai (UTC+08:00)", "Issued 出具时间 2026-05-02 14:30:00 +08:00 (2026-05-02 06:30:00 UTC)",
                  fingerprint, events[-1].hash):
        assert shown in text, shown
    assert data.key_fingerprint == fingerprint
    # each method's expanded uncertainty, k = 2, from the rule set, with where it comes from
    assert "Expanded uncertainty U (k = 2)" in text
    assert "± 443.992 t (0.500 %) customs-example 2026.1: uncertainty_pct.draft_survey" in text  # 0.5 % of 88,798.400 t
    assert "± 222.281 t (0.250 %) customs-example 2026.1: uncertainty_pct.belt_scale" in text  # 0.25 % of 88,912.400 t
    # air and vacuum: the draft survey weighs in air; vacuum is not invented without the cargo's density
    assert "Weight in air 空气中重量 — Measured 实测 88,798.400 t" in text
    assert "Mass in vacuum 真空中质量 — Measured 实测 not determined 未测定" in text
    # the history: every event numbered 1, 2, 3 … with local time beside UTC and its signature
    rows = re.findall(r"<tr><td>(\d+)</td><td class=\"time\">([^<]+)</td><td class=\"time\">([^<]+)</td>.*?<td>(✓|—)</td></tr>", page)
    assert [int(r[0]) for r in rows] == list(range(1, len(events) + 1))
    assert all(r[1].endswith("+08:00") and r[3] == "✓" for r in rows)
    assert rows[0][1] == "2026-05-02 14:30:00 +08:00" and rows[0][2] == "2026-05-02 06:30:00"


def test_provisional_until_released_then_final(tmp_path: Path):
    registry, _ = signed_registry(tmp_path)
    with registry:
        sid = ore_import_reconciled(registry)
        before = render_certificate(certificate_data(registry, sid, time_zone=ZONE))
        officer = registered_officer(registry)  # the officer's own key signs the decisions
        officer_step(registry, sid, "certified", officer, "weight determined by draft survey")
        certified = render_certificate(certificate_data(registry, sid, time_zone=ZONE))
        officer_step(registry, sid, "released", officer, "duties paid")
        after = render_certificate(certificate_data(registry, sid, time_zone=ZONE))
    for page in (before, certified):
        assert "<title>PROVISIONAL 临时 — Terminal measurement report for customs verification" in page
        assert '<span class="status provisional">PROVISIONAL <span class="zh">临时</span></span>' in page
        assert "not yet released 尚未放行" in page_text(page)
    assert "PROVISIONAL" not in after and "临时" not in after
    assert '<span class="status final">FINAL <span class="zh">最终</span></span>' in after
    text = page_text(after)
    assert "the shipment has been released 货物已放行" in text and f"released 已放行 — #9, {OFFICER_ID} {OFFICER_NAME}" in text
    # the officer's decisions are marked signed with the officer's own key, its fingerprint named; the site's events as before
    signer = fingerprint(officer.public_key())
    rows = re.findall(r"<tr><td>(\d+)</td>.*?<td>([^<]+)</td><td class=\"reason\">[^<]*</td><td>(.*?)</td></tr>", after)
    assert rows[-2:] == [(n, f"{OFFICER_ID} {OFFICER_NAME}", f'✓ <span class="muted">officer key 关员密钥 {signer[:16]}…</span>') for n in ("8", "9")]
    assert all(cell == "✓" for _, _, cell in rows[:-2])
    assert f"{OFFICER_ID} {OFFICER_NAME}: {signer}" in text and "Every event marked ✓ without an officer key is signed (Ed25519) with the site key" in text
    # the title says what the document is, and that it is not the inspection body's certificate
    for page in (before, after):
        assert "<h1>Terminal measurement report for customs verification <span class=\"zh\">码头计量报告（供海关核查）</span></h1>" in page
        assert "不是检验机构出具的重量鉴定证书" in page and "重量鉴定证书</h1>" not in page


def test_site_time_zone_is_an_iana_name(tmp_path: Path):
    site = EXAMPLES / "site.toml"
    assert load_site(site).config.site.time_zone == "Asia/Shanghai"
    bad = tmp_path / "site.toml"
    bad.write_text(site.read_text(encoding="utf-8").replace('time_zone = "Asia/Shanghai"', 'time_zone = "Asia/Shangai"'), encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_site(bad)
    assert error.value.field == "site.time_zone"
    assert error.value.problem == "'Asia/Shangai' is not an IANA time zone name; write e.g. \"Asia/Shanghai\" or \"UTC\""
    # without a zone the report says so and shows UTC
    registry, _ = signed_registry(tmp_path)
    with registry:
        sid = ore_import_reconciled(registry)
        text = page_text(render_certificate(certificate_data(registry, sid), generated=AT))
    assert "not configured: times in UTC only ([site] time_zone)" in text and "2026-05-02 06:30:00 UTC" in text


def test_survey_report_figures_are_at_the_surveys_decimals():
    for path in (DISCHARGE, LOADING):
        job = load_survey_file(path)
        page = render_report(job, job.compute())
        assert raw_floats(page_text(page)) == []
        assert check_decimals(page_text(page, without=("muted",)), {"t": 3}) == []
        assert check_decimals(page_text(page, without=("warnings",)), {"%": 3}) == []
        assert "14,987.520" in page or "14,949.400" in page


def test_stored_ticket_table_prints_each_totalizer_at_its_registers_resolution():
    from decimal import Decimal

    from rich.console import Console

    from bulkdaq.cli.ticket import render_ticket, totalizer_decimals
    from bulkdaq.shipments.stored_totals import StoredTicket, TotalizerDelta
    from bulkdaq.store.influx_reader import Reading

    site = load_site(EXAMPLES / "site.toml")
    # FT-101: uint64 grams × 0.001 and millilitres × 0.000001; FT-102: float totals → the policy's 1 g / 1 L
    assert totalizer_decimals(site, "FT-101", "mass_total_kg", "kg") == 3
    assert totalizer_decimals(site, "FT-101", "volume_total_m3", "m³") == 6
    assert totalizer_decimals(site, "FT-102", "volume_total_m3", "m³") == 3
    assert totalizer_decimals(None, "FT-101", "mass_total_kg", "kg") == 3
    opening, closing = Reading(AT, 52_314_706.281000005), Reading(AT, 52_764_706.28099999)
    ticket = StoredTicket("demo-terminal", "FT-101", AT, AT, (TotalizerDelta("mass_total_kg", "mass", "kg", opening, closing, Decimal("450000.000")),))
    console = Console(width=200, record=True)
    console.print(render_ticket(ticket, site))
    text = console.export_text()
    assert "52,314,706.281" in text and "52,764,706.281" in text and "450,000.000" in text
    assert raw_floats(text) == [] and "000005" not in text
