"""What an observation must not get away with (issue 16, reviewed as an attacker would): one picture
standing behind many numbers, a series squeezed in time, a list the file does not state, the final survey
observed before the initial one, a cargo smaller than its own uncertainty, a feed window that ends before
it starts. Each is refused or makes the reading preliminary, with a message naming the file and the mark."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bulkdaq.cli.survey import survey_app
from bulkdaq.errors import InputError
from bulkdaq.inputs.observation_file import load_observation_file
from bulkdaq.inputs.survey_file import load_survey_file
from bulkdaq.observations.observed_survey import observed_survey
from bulkdaq.observations.session import ObservationRefused, session_from_file
from bulkdaq.shipments.method_figures import FigureRefused, draft_survey_figure
from bulkdaq.shipments.model import shipment_from_data
from simulators.draft_observer import fly_drone, write_observation_file
from simulators.vessel_at_berth import EXAMPLE_JOB_FILE, capesize_loading_scenario

REPO = Path(__file__).resolve().parents[3]
JOB_FILE = REPO / EXAMPLE_JOB_FILE
SCENARIO = capesize_loading_scenario()
runner = CliRunner()


def _document(survey: str = "initial", seed: int = 3) -> dict:
    return copy.deepcopy(fly_drone(SCENARIO, survey, seed=seed).document)


def _write(tmp_path: Path, document: dict, name: str) -> Path:
    return write_observation_file(tmp_path / name, document)


def test_one_frame_cannot_stand_behind_many_numbers(tmp_path: Path) -> None:
    document = _document()
    first = document["readings"][0]
    for reading in document["readings"][1:4]:  # three more readings cite the first one's picture
        reading["frame"], reading["frame_sha256"] = first["frame"], first["frame_sha256"]
    path = _write(tmp_path, document, "reused.json")
    with pytest.raises(InputError) as refused:
        load_observation_file(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: readings[1].frame_sha256: is also the hash of readings[0] (frame {first['frame']!r} at ")
    assert "one frame is one picture at one instant" in message


def test_one_hash_for_two_frame_names_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["readings"][5]["frame_sha256"] = document["readings"][0]["frame_sha256"]
    path = _write(tmp_path, document, "renamed.json")
    with pytest.raises(InputError, match=r"readings\[5\]\.frame_sha256: is also the hash of readings\[0\]"):
        load_observation_file(path)


def test_a_series_squeezed_in_time_is_not_a_figure(tmp_path: Path) -> None:
    """2,700 readings a microsecond apart: the waves would last microseconds and the marks no time at all."""
    document = _document()
    start = datetime.fromisoformat(document["readings"][0]["time"].replace("Z", "+00:00"))
    for i, reading in enumerate(document["readings"]):
        reading["time"] = (start + timedelta(microseconds=i)).isoformat()
    session = session_from_file(load_observation_file(_write(tmp_path, document, "squeezed.json")))
    assert session.status != "figure"
    assert any(reason.startswith("mark fwd_port: observed for 0.0 s, less than the 20 s required") for reason in session.reasons)
    assert any("mean wave period" in reason and "shorter than the 1 s a wave a ship follows lasts at least" in reason for reason in session.reasons)


def test_a_list_the_file_does_not_state_is_found_from_the_midship_marks(tmp_path: Path) -> None:
    """No list_deg in the file, but the starboard midship mark reads 0.60 m deeper: about 0.66° on a 45 m beam."""
    document = _document()
    document.pop("list_deg", None)
    for reading in document["readings"]:
        if reading["mark"] == "mid_stbd":
            reading["draft_m"] = round(reading["draft_m"] + 0.60, 3)
    session = session_from_file(load_observation_file(_write(tmp_path, document, "listed.json")))
    assert session.fit  # nothing in the file itself says so …
    final = session_from_file(load_observation_file(_write(tmp_path, _document("final"), "final.json")))
    job = load_survey_file(JOB_FILE)
    with pytest.raises(ObservationRefused) as refused:  # … but the survey sees it
        observed_survey(job, [session, final])
    port, stbd = session.marks["mid_port"].draft_m, session.marks["mid_stbd"].draft_m
    angle = math.degrees(math.atan((stbd - port) / 45.0))
    assert str(refused.value) == (
        f"survey 'initial': a preliminary reading, not a figure: the midship marks imply a list of {angle:.2f}° to starboard "
        f"(port {port:.3f} m, starboard {stbd:.3f} m, breadth 45 m), above the limit 0.50°"
    )
    assert 0.6 < angle < 0.7
    preliminary = observed_survey(job, [session, final], allow_preliminary=True)
    assert preliminary.preliminary and any("imply a list" in reason for reason in preliminary.reasons)


def test_the_final_survey_cannot_be_observed_before_the_initial_one(tmp_path: Path) -> None:
    initial = _document("initial")
    final = _document("final")
    early = datetime.fromisoformat(initial["readings"][0]["time"].replace("Z", "+00:00")) - timedelta(hours=2)
    first = datetime.fromisoformat(final["readings"][0]["time"].replace("Z", "+00:00"))
    for reading in final["readings"]:
        reading["time"] = (early + (datetime.fromisoformat(reading["time"].replace("Z", "+00:00")) - first)).isoformat()
    for sample in final.get("density_samples", []):
        sample["time"] = early.isoformat()
    sessions = [session_from_file(load_observation_file(_write(tmp_path, d, f"{d['survey']}.json"))) for d in (initial, final)]
    with pytest.raises(InputError) as refused:
        observed_survey(load_survey_file(JOB_FILE), sessions)
    assert f"{tmp_path / 'final.json'}: readings: survey 'final' was observed from " in str(refused.value)
    assert "before survey 'initial' ended" in str(refused.value)


def test_a_cargo_smaller_than_its_uncertainty_is_no_figure(tmp_path: Path) -> None:
    """The 'final' observation is the initial one an hour later, 2 mm deeper: a cargo of about 20 t, less than
    what the dock densities alone leave uncertain."""
    initial = _document("initial", seed=3)
    again = _document("initial", seed=3)
    again["survey"] = "final"
    shift = timedelta(hours=1)
    for reading in again["readings"]:
        reading["time"] = (datetime.fromisoformat(reading["time"].replace("Z", "+00:00")) + shift).isoformat()
        reading["draft_m"] = round(reading["draft_m"] + 0.002, 3)
        reading["frame"] = reading["frame"].replace("initial", "final")
        reading["frame_sha256"] = hashlib.sha256(reading["frame"].encode()).hexdigest()
    for sample in again.get("density_samples", []):
        sample["time"] = (datetime.fromisoformat(sample["time"].replace("Z", "+00:00")) + shift).isoformat()
    job = json.loads(JOB_FILE.read_text(encoding="utf-8"))
    job["surveys"]["final"]["deductibles"] = job["surveys"]["initial"]["deductibles"]
    job_path = tmp_path / "job.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    survey_job = load_survey_file(job_path)
    sessions = [session_from_file(load_observation_file(_write(tmp_path, d, f"{d['survey']}.json"))) for d in (initial, again)]
    observed = observed_survey(survey_job, sessions)
    assert observed.result.cargo_weight_t is not None and observed.result.cargo_weight_t < observed.uncertainty.expanded_t()
    shipment = shipment_from_data(
        {
            "id": "EXP-TINY", "declaration": "D", "bill_of_lading": "B", "direction": "export", "product": "ore", "site": "s",
            "methods": ["draft_survey"], "tolerance_rules": "r", "voyage": "1", "imo_number": "9745017", "port": "p", "berth": "b",
            "declared": {"quantity": 10.0, "basis": "t_air"}, "assets": {"vessel": SCENARIO.vessel.name},
        },
        "tiny.toml",
        require_call=True,
    )
    with pytest.raises(FigureRefused, match=r"is not larger than its expanded uncertainty .* from the observed marks alone: no figure can be stated"):
        draft_survey_figure(survey_job, shipment, observed)


def test_a_frame_of_one_survey_cannot_be_read_again_for_another(tmp_path: Path) -> None:
    initial = _document("initial", seed=3)
    final = _document("final", seed=3)
    final["readings"][7]["frame"], final["readings"][7]["frame_sha256"] = initial["readings"][0]["frame"], initial["readings"][0]["frame_sha256"]
    sessions = [session_from_file(load_observation_file(_write(tmp_path, d, f"{d['survey']}.json"))) for d in (initial, final)]
    with pytest.raises(InputError) as refused:
        observed_survey(load_survey_file(JOB_FILE), sessions)
    message = str(refused.value)
    assert message.startswith(f"{tmp_path / 'final.json'}: readings[7].frame_sha256: the frame {initial['readings'][0]['frame']!r} is also behind a reading of ")
    assert message.endswith("initial.json; one picture cannot be read for two surveys")


def test_a_feed_window_that_ends_before_it_starts_is_refused(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[site]\nname = "berth-1"\n[influxdb]\nurl = "http://127.0.0.1:9"\ndatabase = "bulkdaq"\n', encoding="utf-8")
    app = typer.Typer()
    app.add_typer(survey_app, name="survey")
    result = runner.invoke(app, [
        "survey", "observe", "--site", str(site), "--vessel", "MV-X", "--survey", "initial",
        "--from", "2026-12-01T10:00:00Z", "--to", "2026-12-01T09:00:00Z",
    ])
    assert str(result.exception) == (
        "command line: --from, --to: the window must start before it ends: 2026-12-01T10:00:00Z is not before 2026-12-01T09:00:00Z"
    )
