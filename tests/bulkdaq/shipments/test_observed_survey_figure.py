"""A draft survey measured from drone observations, through `bulkdaq shipment measure --survey --observed`:
the figure carries its own expanded uncertainty, reconciliation uses it instead of the rule set's
default, and every reading behind the marks (with its frame's SHA-256) is in the signed history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bulkdaq.cli import shipment as shipment_cli
from bulkdaq.inputs.observation_file import load_observation_file
from bulkdaq.inputs.survey_file import load_survey_file
from bulkdaq.observations.observation_evidence import DRAFT_OBSERVATIONS
from bulkdaq.observations.observed_survey import observed_survey
from bulkdaq.observations.session import session_from_file
from bulkdaq.shipments.registry import ShipmentRegistry
from bulkdaq.shipments.workflow import FIGURES, RECONCILIATION
from bulkdaq.wording.figure_format import number_text
from bulkdaq.wording.observation_statement import uncertainty_text
from dashboards.reports.measurement_report import certificate_data, render_certificate
from simulators.draft_observer import fly_drone, fly_preset, write_observation_csv, write_observation_file
from simulators.vessel_at_berth import capesize_loading_scenario

REPO = Path(__file__).resolve().parents[3]
JOB = REPO / "examples" / "surveys" / "simulated-capesize.json"
SID = "EXP-2026-0901"

SHIPMENT = f"""
id = "{SID}"
declaration = "CN-EXP-2026-0901"
bill_of_lading = "BL-ORE-0901"
direction = "export"
product = "Iron ore fines"
site = "demo-terminal"
methods = ["draft_survey", "belt_scale"]
tolerance_rules = "observed-example"
voyage = "0901E"
imo_number = "9745017"
port = "demo port (illustrative)"
berth = "ore berth 3"
[declared]
quantity = 165000.0
basis = "t_air"
[assets]
vessel = "MV SIMULATED CAPE"
scale = "BS-3"
"""

BELT_SCALE = """
[[figures]]
method = "belt_scale"
value = 165120.0
basis = "t_air"
source = "belt scale BS-3"
"""

# A pure uncertainty band: the limit is √(U_draft² + U_belt²), so the draft survey's own U decides it.
RULES = """
[rule_set]
name = "observed-example"
version = "1"
source = "test"
[precheck]
max_data_gap_s = 30.0
[uncertainty_pct]
draft_survey = 0.5
belt_scale = 0.25
[unpropagated_uncertainty_pct]
draft_survey = 0.3
[[rules]]
name = "draft-survey-vs-belt-scale"
compare = ["draft_survey", "belt_scale"]
band = "uncertainty"
source = "RSS of both methods' expanded uncertainties"
"""

app = typer.Typer()
shipment_cli.register(app)
runner = CliRunner()


def _invoke(registry: Path, *args: str):  # noqa: ANN202
    return runner.invoke(app, [*args, "--registry", str(registry)])


def _ok(registry: Path, *args: str) -> str:
    result = _invoke(registry, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


@pytest.fixture()
def measured_to_complete(tmp_path: Path) -> tuple[Path, Path]:
    registry = tmp_path / "shipments.sqlite"
    shipment = tmp_path / "export.toml"
    shipment.write_text(SHIPMENT, encoding="utf-8")
    _ok(registry, "shipment", "declare", str(shipment), "--actor", "officer Wang")
    _ok(registry, "shipment", "start", SID, "--actor", "terminal")
    _ok(registry, "shipment", "complete", SID, "--actor", "terminal")
    return tmp_path, registry


def _drone_files(folder: Path, seed: int = 11) -> tuple[Path, Path]:
    scenario = capesize_loading_scenario()
    initial, final = folder / "initial.json", folder / "final.json"
    write_observation_file(initial, fly_drone(scenario, "initial", seed=seed))
    write_observation_file(final, fly_drone(scenario, "final", seed=seed))
    return initial, final


def test_observed_survey_is_recorded_with_its_uncertainty_and_every_frame(measured_to_complete: tuple[Path, Path]):
    folder, registry = measured_to_complete
    initial, final = _drone_files(folder)
    belt = folder / "belt.toml"
    belt.write_text(BELT_SCALE, encoding="utf-8")
    rules = folder / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")

    out = _ok(registry, "shipment", "measure", SID, str(belt), "--survey", str(JOB), "--observed", str(initial), "--observed", str(final), "--actor", "surveyor Chen")
    assert "complete → measured" in out

    expected = observed_survey(load_survey_file(JOB), [session_from_file(load_observation_file(p)) for p in (initial, final)])
    expected_pct = 100 * expected.uncertainty.expanded_t() / expected.result.cargo_weight_t
    with ShipmentRegistry(registry) as opened:
        opened.verify_history(SID)
        figures = {f["method"]: f for f in opened.latest_evidence(SID, FIGURES)[1].body["figures"]}  # type: ignore[index]
        observations = opened.latest_evidence(SID, DRAFT_OBSERVATIONS)
        assert observations is not None
        event, evidence = observations
    survey = figures["draft_survey"]
    assert survey["value"] == pytest.approx(expected.result.cargo_weight_t, abs=1e-9)
    assert survey["uncertainty_pct"] == pytest.approx(expected_pct, rel=1e-12)
    assert 0.01 < survey["uncertainty_pct"] < 0.5  # tens of tonnes on 165,000 t
    assert figures["belt_scale"].get("uncertainty_pct") is None
    assert event.to_state == "measured"

    # every reading of both files, with its frame's hash, is in the signed event's evidence
    body = evidence.body
    assert body["status"] == "figure"
    assert [session["survey"] for session in body["sessions"]] == ["initial", "final"]
    for session, path in zip(body["sessions"], (initial, final), strict=True):
        file = load_observation_file(path)
        assert session["sha256"] == file.sha256
        assert len(session["readings"]) == len(file.readings) == 2700
        recorded = {(r["mark"], r["time"]): r["frame_sha256"] for r in session["readings"]}
        for reading in file.readings[::97]:
            assert recorded[(reading.mark, reading.time.isoformat())] == reading.frame_sha256

    # reconciliation: the draft survey's own U (marks and densities) with the rule set's 0.3 % for the rest of
    # the method (deductibles, tables) by root sum of squares; the belt scale's 0.25 % from the rule set
    _ok(registry, "shipment", "reconcile", SID, "--rules", str(rules), "--actor", "officer Wang")
    with ShipmentRegistry(registry) as opened:
        reconciliation = opened.latest_evidence(SID, RECONCILIATION)[1].body  # type: ignore[index]
    comparison = reconciliation["comparisons"][0]
    applied = (expected_pct**2 + 0.3**2) ** 0.5
    assert comparison["rule"]["uncertainty_pct"] == pytest.approx([applied, 0.25], rel=1e-12)
    assert comparison["rule"]["limit_pct"] == pytest.approx((applied**2 + 0.25**2) ** 0.5, rel=1e-9)

    # the measurement report lists the observations behind each mark from the signed history
    with ShipmentRegistry(registry) as opened:
        page = render_certificate(certificate_data(opened, SID))
    assert page.count("Observations behind each mark") == 2
    assert page.index("Initial 初始, drone") < page.index("Final 最终, drone")
    session = expected.sessions["final"]
    mid_port = session.marks["mid_port"]
    assert f"{number_text(mid_port.draft_m, 3)} m" in page
    assert f"{number_text(mid_port.u_m, 4)} m" in page
    assert f"SHA-256 {session.sha256}" in page
    assert f"± {number_text(expected.result.cargo_weight_t * applied / 100, 3)} t ({number_text(applied, 3)} %)" in page
    assert (
        f"√(own {number_text(expected_pct, 3)} %² + 0.300 %²): marks and dock density from the observations (GUM), "
        "the rest of the method from observed-example 1: unpropagated_uncertainty_pct.draft_survey"
    ) in page
    assert f"± {uncertainty_text(expected.uncertainty.expanded_t(), 't')} (" in page
    (folder / "certificate.html").write_text(page, encoding="utf-8")


def test_a_preliminary_observation_is_not_recorded_as_a_figure(measured_to_complete: tuple[Path, Path]):
    folder, registry = measured_to_complete
    scenario = capesize_loading_scenario()
    initial, rough = folder / "initial.json", folder / "rough.json"
    write_observation_file(initial, fly_drone(scenario, "initial", seed=3))
    write_observation_file(rough, fly_preset(scenario, "rough", "final", seed=3))
    belt = folder / "belt.toml"
    belt.write_text(BELT_SCALE, encoding="utf-8")
    result = _invoke(registry, "shipment", "measure", SID, str(belt), "--survey", str(JOB), "--observed", str(initial), "--observed", str(rough))
    assert result.exit_code != 0
    assert "preliminary reading, not a figure" in str(result.exception) and "rough sea" in str(result.exception)
    with ShipmentRegistry(registry) as opened:
        assert opened.state(SID) == "complete"  # nothing recorded


def test_a_survey_of_another_ship_is_refused(measured_to_complete: tuple[Path, Path]):
    folder, registry = measured_to_complete
    initial, final = _drone_files(folder)
    job = json.loads(JOB.read_text(encoding="utf-8"))
    job["vessel"]["name"] = "MV SOMEONE ELSE"
    other = folder / "other.json"
    other.write_text(json.dumps(job), encoding="utf-8")
    result = _invoke(registry, "shipment", "measure", SID, "--survey", str(other))
    assert str(result.exception) == f"{other}: the survey is of 'MV SOMEONE ELSE', but shipment {SID} loads 'MV SIMULATED CAPE' (assets.vessel)"
    with ShipmentRegistry(registry) as opened:
        assert opened.state(SID) == "complete"


def test_the_same_file_for_both_surveys_is_refused(measured_to_complete: tuple[Path, Path]):
    """A CSV file names no survey: given for both, the same readings would be the initial and the final marks."""
    folder, registry = measured_to_complete
    readings = write_observation_csv(folder / "readings.csv", fly_drone(capesize_loading_scenario(), "initial", seed=5))
    result = _invoke(
        registry, "shipment", "measure", SID, "--survey", str(JOB), "--source", "drone",
        "--observed", f"initial={readings}", "--observed", f"final={readings}",
    )
    assert str(result.exception) == f"{readings}: (file): is the same observation as {readings} (same SHA-256); each survey is observed on its own"
    with ShipmentRegistry(registry) as opened:
        assert opened.state(SID) == "complete"


def test_observations_need_their_survey_job(measured_to_complete: tuple[Path, Path]):
    folder, registry = measured_to_complete
    initial, _ = _drone_files(folder)
    result = _invoke(registry, "shipment", "measure", SID, "--observed", str(initial))
    assert result.exit_code != 0
    assert "--observed: observations are of a draft survey: give its job file with --survey" in str(result.exception)
