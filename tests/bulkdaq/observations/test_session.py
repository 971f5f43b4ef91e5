"""Observation sessions from real observation files written by the simulated drone: each mark's reading
against the simulator's ground truth, the verdict of a good and of each kind of bad session, and the
policy file that sets the limits."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

from bad_inputs import BadInput, ids
from bulkdaq.config.observation_policy import DEFAULT_POLICY, ObservationPolicy, load_observation_policy
from bulkdaq.errors import BulkdaqError, InputError
from bulkdaq.inputs.observation_file import MARKS, load_observation_file
from bulkdaq.observations.session import ObservationRefused, ObservationSession, session_from_file
from calculators.survey.inputs import MarkReadings
from simulators.draft_observer import DroneParams, DroneSession, fly_drone, fly_preset, write_observation_csv, write_observation_file
from simulators.vessel_at_berth import capesize_loading_scenario

SCENARIO = capesize_loading_scenario()
VESSEL = SCENARIO.vessel.name
FIGURE = "figure"
PRELIMINARY = "preliminary reading, not a figure"


def session_of(drone: DroneSession, path: Path, policy: ObservationPolicy = DEFAULT_POLICY) -> ObservationSession:
    """The session of `drone` through a real observation file at `path`."""
    return session_from_file(load_observation_file(write_observation_file(path, drone)), policy)


def test_the_policy_defaults_are_the_documented_ones():
    # the tests below lean on these; a change of a default must be a deliberate one
    assert DEFAULT_POLICY.hysteresis_m == 0.03
    assert DEFAULT_POLICY.min_pairs == 6
    assert DEFAULT_POLICY.resolution_m == 0.01
    assert DEFAULT_POLICY.max_spread_m == 0.5
    assert DEFAULT_POLICY.max_list_deg == 0.5


def test_a_drone_file_gives_six_marks_within_their_uncertainty_of_the_truth(tmp_path):
    drone = fly_drone(SCENARIO, "final", seed=7)
    path = tmp_path / "final.json"
    session = session_of(drone, path)

    assert (session.survey, session.vessel, session.source) == ("final", VESSEL, "drone")
    assert session.origin == str(path)
    assert session.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert session.status == FIGURE and session.fit and session.reasons == ()
    assert session.missing == ()
    assert list(session.marks) == list(MARKS)
    assert session.list_deg == drone.document["list_deg"]
    assert 0 < session.span_min < DEFAULT_POLICY.max_session_span_min

    for mark in MARKS:
        observation = session.marks[mark]
        recording = drone.recording(mark)
        truth = drone.truth.marks_m[mark]
        assert abs(observation.draft_m - truth) <= 3 * observation.u_m, (mark, observation.draft_m, truth, observation.u_m)
        # the uncertainty is never below the reading floor resolution/√12 of the policy
        assert observation.u_m >= DEFAULT_POLICY.resolution_m / math.sqrt(12) - 1e-15
        assert observation.reading.fit and observation.reading.status == FIGURE
        assert observation.reading.pairs >= DEFAULT_POLICY.min_pairs
        assert observation.count == recording.times_s.size == DroneParams().frames == 450
        # every sample was read off a frame: each frame is named with its hash, in time order
        frames = [(r["frame"], r["frame_sha256"]) for r in drone.document["readings"] if r["mark"] == mark]
        assert len(observation.frames) == observation.count
        assert list(observation.frames) == frames
        assert observation.first == SCENARIO.utc(float(recording.times_s[0]))
        assert observation.last == SCENARIO.utc(float(recording.times_s[-1]))
        assert observation.observers == (drone.document["observer"],)

    # the dock water density from the three hydrometer samples
    density = session.density
    assert density is not None and density.fit
    samples = [s["density_t_m3"] for s in drone.document["density_samples"]]
    assert density.count == len(samples) == 3
    assert density.density_t_m3 == pytest.approx(float(np.mean(samples)), abs=1e-12)
    assert abs(density.density_t_m3 - drone.truth.dock_density_t_m3) <= 3 * density.u_t_m3
    assert len(session.density_samples) == 3

    # the marks for the calculator are the session's observed drafts
    readings = session.mark_readings()
    assert isinstance(readings, MarkReadings)
    assert {mark: getattr(readings, mark) for mark in MARKS} == {mark: session.marks[mark].draft_m for mark in MARKS}
    assert session.mark_uncertainties() == {mark: session.marks[mark].u_m for mark in MARKS}

    # the JSON form states the same, and is valid JSON (no NaN)
    document = json.loads(json.dumps(session.as_document(), allow_nan=False))
    assert document["status"] == FIGURE and document["reasons"] == [] and document["missing"] == []
    assert document["sha256"] == session.sha256
    assert document["marks"]["fwd_port"]["samples"] == 450 and document["marks"]["fwd_port"]["frames"] == 450
    assert document["marks"]["aft_stbd"]["draft_m"] == session.marks["aft_stbd"].draft_m
    assert document["dock_density"]["samples"] == 3
    assert document["policy"]["hysteresis_m"] == 0.03


@pytest.mark.parametrize("survey", ["initial", "final"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_every_mark_of_a_calm_session_is_within_3u_of_the_truth(tmp_path, survey, seed):
    drone = fly_drone(SCENARIO, survey, seed=seed)
    session = session_of(drone, tmp_path / f"{survey}.json")
    assert session.fit, session.reasons
    for mark in MARKS:
        observation = session.marks[mark]
        assert abs(observation.draft_m - drone.truth.marks_m[mark]) <= 3 * observation.u_m
    assert session.density is not None
    assert abs(session.density.density_t_m3 - drone.truth.dock_density_t_m3) <= 3 * session.density.u_t_m3


def test_the_csv_of_the_same_readings_gives_the_same_marks(tmp_path):
    drone = fly_drone(SCENARIO, "initial", seed=7)
    from_json = session_of(drone, tmp_path / "initial.json")
    path = write_observation_csv(tmp_path / "initial.csv", drone)
    from_csv = session_from_file(load_observation_file(path, survey="initial", vessel=VESSEL, source="drone"))
    assert from_csv.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() != from_json.sha256
    assert from_csv.fit
    for mark in MARKS:
        assert from_csv.marks[mark].draft_m == from_json.marks[mark].draft_m
        assert from_csv.marks[mark].u_m == from_json.marks[mark].u_m
        assert len(from_csv.marks[mark].frames) == 450
    # a CSV holds no list and no density samples
    assert from_csv.list_deg is None and from_csv.density is None and from_csv.density_samples == ()


def test_a_rough_sea_is_a_preliminary_reading_naming_every_mark(tmp_path):
    session = session_of(fly_preset(SCENARIO, "rough", "initial", seed=7), tmp_path / "rough.json")
    assert session.status == PRELIMINARY and not session.fit
    assert len(session.reasons) == 6
    for mark in MARKS:
        spread = session.marks[mark].reading.spread_m
        assert spread > DEFAULT_POLICY.max_spread_m
        assert f"mark {mark}: spread {spread:.3f} m above the limit 0.500 m (rough sea)" in session.reasons
    with pytest.raises(ObservationRefused, match="survey 'initial': a preliminary reading, not a figure: mark fwd_port: spread .* \\(rough sea\\)"):
        session.mark_readings()
    # allowed as a preliminary reading, the marks are its observed drafts
    readings = session.mark_readings(allow_preliminary=True)
    assert readings.mid_port == session.marks["mid_port"].draft_m


def test_a_listed_vessel_is_a_preliminary_reading_for_its_list(tmp_path):
    drone = fly_preset(SCENARIO, "listed", "final", seed=7)
    session = session_of(drone, tmp_path / "listed.json")
    assert drone.document["list_deg"] == pytest.approx(1.0, abs=0.15)
    assert session.list_deg == drone.document["list_deg"]
    assert session.status == PRELIMINARY
    # each mark read well: the list is the only reason
    assert all(observation.reading.fit for observation in session.marks.values())
    assert session.reasons == (f"list {abs(drone.document['list_deg']):.2f}° above the limit 0.50°",)
    with pytest.raises(ObservationRefused, match="list 1.0\\d° above the limit 0.50°"):
        session.mark_readings()


def test_a_short_recording_has_too_few_wave_pairs(tmp_path):
    session = session_of(fly_preset(SCENARIO, "short", "initial", seed=7), tmp_path / "short.json")
    assert session.status == PRELIMINARY
    for mark in MARKS:
        pairs = session.marks[mark].reading.pairs
        assert pairs < 6
        assert f"mark {mark}: {pairs} crest/trough pairs, fewer than the 6 required" in session.reasons
    assert len(session.reasons) == 6


def test_a_skipped_mark_is_listed_and_refused_even_as_a_preliminary_reading(tmp_path):
    path = tmp_path / "skipped.json"
    session = session_of(fly_preset(SCENARIO, "skipped", "initial", seed=7), path)
    assert session.missing == ("mid_stbd",)
    assert "mid_stbd" not in session.marks and len(session.marks) == 5
    assert all(observation.reading.fit for observation in session.marks.values())
    assert session.reasons == ("mark mid_stbd: not observed",)
    assert session.status == PRELIMINARY
    for allow in (False, True):
        with pytest.raises(ObservationRefused) as refused:
            session.mark_readings(allow_preliminary=allow)
        message = str(refused.value)
        assert message == f"survey 'initial': mark mid_stbd not observed ({path}); a survey needs all six marks"


def test_a_mark_with_too_few_samples_names_the_file(tmp_path):
    drone = fly_drone(SCENARIO, "initial", seed=1)
    document = dict(drone.document)
    kept, seen = [], 0
    for reading in document["readings"]:
        if reading["mark"] == "fwd_port":
            seen += 1
            if seen > 2:
                continue
        kept.append(reading)
    document["readings"] = kept
    path = write_observation_file(tmp_path / "two.json", document)
    observations = load_observation_file(path)  # the file itself is valid: two readings of a mark
    assert len(observations.readings_of("fwd_port")) == 2
    with pytest.raises(BulkdaqError, match="mark fwd_port: 2 samples; at least 3 are needed") as refused:
        session_from_file(observations)
    assert str(path) in str(refused.value)


# -- the policy file ----------------------------------------------------------------------------------


def seven_pair_session(tmp_path: Path, policy: ObservationPolicy) -> ObservationSession:
    """A 66 s recording of each mark: seven wave pairs at most marks (seed 7)."""
    drone = fly_drone(SCENARIO, "initial", seed=7, drone=DroneParams(recording_s=66.0))
    return session_of(drone, tmp_path / "seven.json", policy)


def test_a_policy_file_sets_the_pairs_a_figure_needs(tmp_path):
    default = seven_pair_session(tmp_path, DEFAULT_POLICY)
    pairs = {mark: observation.reading.pairs for mark, observation in default.marks.items()}
    assert min(pairs.values()) == 7 and default.fit  # seven pairs make a figure at the default six

    path = tmp_path / "policy.toml"
    path.write_text("[draft_observation]\nmin_pairs = 8\n", encoding="utf-8")
    policy = load_observation_policy(path)
    assert policy.min_pairs == 8
    assert policy.model_dump() == {**DEFAULT_POLICY.model_dump(), "min_pairs": 8}

    stricter = seven_pair_session(tmp_path, policy)
    assert stricter.status == PRELIMINARY
    short = [mark for mark in MARKS if pairs[mark] < 8]
    assert short and len(short) < 6
    assert stricter.reasons == tuple(f"mark {mark}: 7 crest/trough pairs, fewer than the 8 required" for mark in short)
    assert stricter.policy.min_pairs == 8
    # the means do not depend on the verdict
    assert all(stricter.marks[mark].draft_m == default.marks[mark].draft_m for mark in MARKS)


def test_a_toml_file_without_the_table_gives_the_defaults(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('[site]\nname = "x"\n', encoding="utf-8")
    assert load_observation_policy(path) == DEFAULT_POLICY


# The input as given is the line under [draft_observation]; the key is what the line sets.
BAD_INPUTS = [
    BadInput("observation policy file", "pairs written as text", 'min_pairs = "6"', "valid integer"),
    BadInput("observation policy file", "negative hysteresis", "hysteresis_m = -1", "greater than or equal to 0"),
    BadInput("observation policy file", "hysteresis of minus one centimetre", "hysteresis_m = -0.01", "greater than or equal to 0"),
    BadInput("observation policy file", "resolution of nan", "resolution_m = nan", "finite number"),
    BadInput("observation policy file", "list limit of inf", "max_list_deg = inf", "finite number"),
    BadInput("observation policy file", "zero pairs", "min_pairs = 0", "greater than or equal to 1"),
    BadInput("observation policy file", "fractional pairs", "min_pairs = 6.5", "integer"),
    BadInput("observation policy file", "unknown key", "bogus_m = 1", "unknown key"),
]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""


@pytest.mark.parametrize("case", BAD_INPUTS, ids=ids(BAD_INPUTS))
def test_a_bad_policy_value_names_the_file_and_the_key(tmp_path, case):
    line, problem = case.given, case.expected_message_part
    key = line.split(" = ")[0]
    path = tmp_path / "policy.toml"
    path.write_text(f"[draft_observation]\n{line}\n", encoding="utf-8")
    with pytest.raises(InputError) as refused:
        load_observation_policy(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: draft_observation.{key}: "), message
    assert problem in message
    assert "\n" not in message


def test_a_policy_file_that_is_not_toml_names_the_file(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("[draft_observation\nmin_pairs = 8\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"^{path}: \\(syntax\\): not valid TOML"):
        load_observation_policy(path)
