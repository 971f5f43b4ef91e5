"""Draft observation files (issue 16): good JSON and CSV files read to the right values, and every kind of
bad file refused with its file, key path, value and what was expected."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from bad_inputs import BadInput, ids
from bulkdaq.errors import InputError
from bulkdaq.inputs import observation_file
from bulkdaq.inputs.observation_file import (
    MARKS,
    MAX_PROBLEMS,
    OBSERVATION_FORMAT,
    SOURCES,
    DensitySample,
    MarkReading,
    ObservationFile,
    load_observation_file,
)

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = Path(__file__).resolve().parent / "observation_examples"
DRONE = EXAMPLES / "drone_initial.json"
SENSOR = EXAMPLES / "sensor_final.csv"
HEADER = "time,mark,draft_m,frame,frame_sha256,observer"
HASH = "ab" * 32
UTC = timezone.utc


@pytest.fixture
def document() -> dict[str, Any]:
    return json.loads(DRONE.read_text(encoding="utf-8"))


def write(tmp_path: Path, document: Any, name: str = "obs.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def refused(path: Path, **given: str) -> InputError:
    """The error of `path`, checked to name the file, to be one line and to list its problems."""
    with pytest.raises(InputError) as raised:
        load_observation_file(path, **given)
    error = raised.value
    assert error.source == str(path)
    assert str(error).startswith(f"{path}: {error.field}: ")
    assert "\n" not in str(error)
    return error


def problems(error: InputError) -> dict[str, str]:
    """Key path → problem of every problem the error lists."""
    return dict(getattr(error, "problems", [(error.field, error.problem)]))


# ---------------------------------------------------------------------------------------------------
# Good files


def test_the_json_example_is_read_with_its_values():
    observed = load_observation_file(DRONE)
    assert isinstance(observed, ObservationFile)
    assert observed.path == str(DRONE)
    assert observed.sha256 == hashlib.sha256(DRONE.read_bytes()).hexdigest()
    assert (observed.format, observed.vessel, observed.survey, observed.source) == (OBSERVATION_FORMAT, "EVER SHIP", "initial", "drone")
    assert observed.observer == "UAV-07 (pilot Li Wei 李伟)"
    assert observed.list_deg == -0.25
    assert observed.marks() == ("fwd_port", "aft_stbd")


def test_readings_are_sorted_by_mark_then_time_in_utc_and_keep_their_index():
    observed = load_observation_file(DRONE)
    assert [(r.mark, r.index) for r in observed.readings] == [("fwd_port", 1), ("fwd_port", 0), ("fwd_port", 3), ("aft_stbd", 2)]
    first, second = observed.readings[:2]
    assert first == MarkReading(
        index=1,
        time=datetime(2026, 12, 1, 2, 15, tzinfo=UTC),
        epoch_s=datetime(2026, 12, 1, 2, 15, tzinfo=UTC).timestamp(),
        mark="fwd_port",
        draft_m=13.834,
        frame="initial-fwd_port.mp4#t=0.000",
        frame_sha256="0c4e7a2b9d1f3e5a7c9b1d3f5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e3a",
        observer="UAV-07 (pilot Li Wei 李伟)",
    )
    # +08:00 converted to UTC; the upper-case hash kept in lower case
    assert second.time == datetime(2026, 12, 1, 2, 15, 0, 500000, tzinfo=UTC) and second.time.tzinfo == UTC
    assert second.epoch_s == pytest.approx(first.epoch_s + 0.5, abs=1e-6)
    assert second.frame_sha256 == "5b1f0a3c9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"
    assert observed.readings[-1].observer == "UAV-08"  # its own observer


def test_series_gives_a_marks_times_and_drafts_and_empty_arrays_for_a_mark_not_observed():
    observed = load_observation_file(DRONE)
    times, drafts = observed.series("fwd_port")
    assert times.dtype == np.float64 and drafts.dtype == np.float64
    start = datetime(2026, 12, 1, 2, 15, tzinfo=UTC).timestamp()
    assert times - start == pytest.approx([0.0, 0.5, 1.0], abs=1e-6)
    assert drafts.tolist() == [13.834, 13.841, 13.829]
    assert [r.draft_m for r in observed.readings_of("fwd_port")] == [13.834, 13.841, 13.829]
    empty_times, empty_drafts = observed.series("mid_port")
    assert empty_times.size == 0 and empty_drafts.size == 0
    assert observed.readings_of("mid_port") == ()
    with pytest.raises(ValueError, match="unknown mark 'FP'"):
        observed.series("FP")


def test_density_samples_are_sorted_by_time_with_the_default_observer():
    observed = load_observation_file(DRONE)
    assert observed.density_samples == (
        DensitySample(1, datetime(2026, 12, 1, 2, 10, tzinfo=UTC), datetime(2026, 12, 1, 2, 10, tzinfo=UTC).timestamp(), 1.0231, "fwd port, 1 m below surface", "UAV-07 (pilot Li Wei 李伟)"),
        DensitySample(0, datetime(2026, 12, 1, 2, 40, tzinfo=UTC), datetime(2026, 12, 1, 2, 40, tzinfo=UTC).timestamp(), 1.0235, "aft stbd, 1 m below surface", "bosun Zhang"),
    )


def test_the_csv_example_is_read_with_the_callers_metadata():
    observed = load_observation_file(SENSOR, survey="final", vessel="EVER SHIP", source="sensor", observer="draft gauge DG-1")
    assert (observed.format, observed.vessel, observed.survey, observed.source, observed.observer) == (
        OBSERVATION_FORMAT, "EVER SHIP", "final", "sensor", "draft gauge DG-1",
    )
    assert observed.sha256 == hashlib.sha256(SENSOR.read_bytes()).hexdigest()
    assert observed.list_deg is None and observed.density_samples == ()
    assert observed.marks() == ("mid_port", "mid_stbd")
    assert [(r.mark, r.index, r.draft_m, r.observer, r.frame, r.frame_sha256) for r in observed.readings] == [
        ("mid_port", 0, 6.412, "draft gauge DG-1", None, None),
        ("mid_port", 2, 6.405, "draft gauge DG-1", None, None),  # the blank line is not a reading
        ("mid_stbd", 1, 6.391, "gauge MS-2", None, None),
    ]
    assert observed.readings[1].time == datetime(2026, 12, 3, 14, 0, 0, 250000, tzinfo=UTC)


def test_a_csv_file_with_a_byte_order_mark_and_every_observer_in_its_rows_needs_no_observer(tmp_path):
    path = tmp_path / "obs.csv"
    path.write_bytes(("\ufeff" + HEADER + f"\n2026-12-01T02:15:00Z,fwd_stbd,13.8,fwd.mp4#t=0,{HASH.upper()},UAV-07\n").encode("utf-8"))
    observed = load_observation_file(path, survey="initial", vessel="V", source="camera")
    assert observed.observer == "" and observed.readings[0].observer == "UAV-07"
    assert observed.readings[0].frame_sha256 == HASH


def test_the_examples_of_the_documentation_are_read(tmp_path):
    page = (REPO / "docs" / "draft_observation.md").read_text(encoding="utf-8")
    json_example = re.search(r"```json\n(.*?)```", page, re.DOTALL)
    csv_example = re.search(r"```\n(time,mark,.*?)```", page, re.DOTALL)
    assert json_example and csv_example
    observed = load_observation_file(write(tmp_path, json_example.group(1)))
    assert observed.readings[1].observer == "UAV-07, pilot Wang Fang" and observed.list_deg == 0.1
    from_csv = load_observation_file(write(tmp_path, csv_example.group(1), "obs.csv"), survey="initial", vessel="EVER SHIP", source="drone", observer="UAV-07")
    assert [r.draft_m for r in from_csv.readings] == [r.draft_m for r in observed.readings]


@pytest.mark.parametrize("source", ["sensor", "boat"])
def test_a_sensor_or_boat_reading_needs_no_frame(tmp_path, document, source):
    document["source"] = source
    for reading in document["readings"]:
        del reading["frame"], reading["frame_sha256"]
    assert load_observation_file(write(tmp_path, document)).readings[0].frame_sha256 is None


def test_the_caller_may_repeat_what_a_json_file_says_and_give_its_missing_observer(tmp_path, document):
    assert load_observation_file(DRONE, survey="initial", vessel="EVER SHIP", source="drone").survey == "initial"
    del document["observer"]
    observed = load_observation_file(write(tmp_path, document), observer="UAV-09")
    assert observed.observer == "UAV-09" and observed.readings[0].observer == "UAV-09"


def test_the_constants():
    assert MARKS == ("fwd_port", "fwd_stbd", "mid_port", "mid_stbd", "aft_port", "aft_stbd")
    assert SOURCES == ("drone", "camera", "sensor", "boat")
    assert OBSERVATION_FORMAT == "bulkdaq-draft-observation/1"


# ---------------------------------------------------------------------------------------------------
# Bad JSON files: (change to the example, key path, what the message must say)


def _set(*keys: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        node = document
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


def _drop(*keys: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        node = document
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return change


def _duplicate_reading(document: dict[str, Any]) -> None:
    # the same moment as readings[1] (02:15:00Z), written in another zone
    document["readings"].append(dict(document["readings"][1], time="2026-12-01T10:15:00+08:00"))


def _no_observer(document: dict[str, Any]) -> None:
    del document["observer"]


ROOM = "observation file"
# Each case's expected_message_part is one thing the message must say; the edit beside it holds the change to the
# example, the key path and the other things the message must say.
BAD_JSON = [
    BadInput(ROOM, "wrong format tag", 'format = "bulkdaq-draft-observation/2"', "understood"),
    BadInput(ROOM, "no format tag", "no format", OBSERVATION_FORMAT),
    BadInput(ROOM, "naive time", 'readings[0].time = "2026-12-01T10:15:00.500"', "no time zone"),
    BadInput(ROOM, "date without time", 'readings[0].time = "2026-12-01"', "date and time"),
    BadInput(ROOM, "time not ISO 8601", 'readings[0].time = "01/12/2026 10:15"', "ISO 8601"),
    BadInput(ROOM, "time as a number", "readings[0].time = 1796091300", "ISO 8601"),
    BadInput(ROOM, "draft as text", 'readings[0].draft_m = "13.2"', "without quotes"),
    BadInput(ROOM, "draft as bool", "readings[0].draft_m = true", "got true"),
    BadInput(ROOM, "draft null", "readings[0].draft_m = null", "got null"),
    BadInput(ROOM, "negative draft", "readings[0].draft_m = -1.5", "above 0"),
    BadInput(ROOM, "zero draft", "readings[0].draft_m = 0", "got 0 m"),
    BadInput(ROOM, "draft of 31 m", "readings[0].draft_m = 31", "at most 30"),
    BadInput(ROOM, "draft in cm", "readings[0].draft_m = 1383.4", "centimetres"),
    BadInput(ROOM, "hash too short", 'readings[0].frame_sha256 = "abab…a" (63 characters)', "63 characters"),
    BadInput(ROOM, "hash not hex", 'readings[0].frame_sha256 = "ggg…g" (64 characters)', "'g' is not hexadecimal"),
    BadInput(ROOM, "hash missing for a drone", "readings[2] without frame_sha256 (source drone)", "SHA-256"),
    BadInput(ROOM, "hash without its frame", "readings[0] without frame (frame_sha256 given)", "frame_sha256"),
    BadInput(ROOM, "frame too long", 'readings[0].frame = "fff…f" (501 characters)', "at most 500"),
    BadInput(ROOM, "frame with a tab", 'readings[0].frame = "a.mp4\\t#t=1"', "a tab at character 6"),
    BadInput(ROOM, "unknown mark", 'readings[0].mark = "FP"', "fwd_port, fwd_stbd, mid_port, mid_stbd, aft_port, aft_stbd"),
    BadInput(ROOM, "mark in capitals", 'readings[0].mark = "FWD_PORT"', "did you mean 'fwd_port'"),
    BadInput(ROOM, "unknown key of a reading", 'readings[3].colour = "red"', "time, mark, draft_m, frame, frame_sha256, observer"),
    BadInput(ROOM, "unknown key of the file", 'remarks = "calm"', "format, vessel, survey, source"),
    BadInput(ROOM, "duplicate reading", 'readings[4] = readings[1] with time "2026-12-01T10:15:00+08:00" (the same moment)', "same mark and time"),
    BadInput(ROOM, "newline in observer", 'observer = "Li\\nWei"', "a newline at character 3"),
    BadInput(ROOM, "newline in a reading's observer", 'readings[2].observer = "UAV\\r08"', "a carriage return"),
    BadInput(ROOM, "observer too long", 'observer = "xxx…x" (201 characters)', "at most 200"),
    BadInput(ROOM, "empty vessel", 'vessel = "  "', "empty"),
    BadInput(ROOM, "vessel missing", "no vessel", "ship's name"),
    BadInput(ROOM, "time missing", "readings[1] without time", "ISO 8601 with a time zone"),
    BadInput(ROOM, "density in kg/m3", "density_samples[0].density_t_m3 = 1023", "1.023 t/m³"),
    BadInput(ROOM, "density implausible", "density_samples[0].density_t_m3 = 1.1", "0.990 to 1.040"),
    BadInput(ROOM, "density place missing", "density_samples[1] without place", "where the sample was drawn"),
    BadInput(ROOM, "empty readings", "readings = []", "at least one reading"),
    BadInput(ROOM, "readings not a list", 'readings = {"fwd_port": 13.8}', "list of readings"),
    BadInput(ROOM, "reading not an object", "readings[1] = 13.8", "a reading as an object"),
    BadInput(ROOM, "list too large", "list_deg = 12.5", "-10 to 10"),
    BadInput(ROOM, "list as text", 'list_deg = "0.5"', "without quotes"),
    BadInput(ROOM, "survey name unsafe", 'survey = "../final"', "letters, digits, '_' and '-'"),
    BadInput(ROOM, "unknown source", 'source = "satellite"', "drone, camera, sensor, boat"),
    BadInput(ROOM, "no observer anywhere", "no observer, in the file or in readings[0], [1], [3]", "readings[0], readings[1], readings[3] and 1 more have none"),
]
# (change to the example, key path, the other things the message must say)
_JSON_EDITS: list[tuple[Callable[[dict[str, Any]], None], str, list[str]]] = [
    (_set("format", value="bulkdaq-draft-observation/2"), "format", ['"bulkdaq-draft-observation/2"', OBSERVATION_FORMAT]),
    (_drop("format"), "format", ["missing"]),
    (_set("readings", 0, "time", value="2026-12-01T10:15:00.500"), "readings[0].time", ['"2026-12-01T10:15:00.500"', "add Z", "+08:00"]),
    (_set("readings", 0, "time", value="2026-12-01"), "readings[0].time", ['"2026-12-01"']),
    (_set("readings", 0, "time", value="01/12/2026 10:15"), "readings[0].time", ['"01/12/2026 10:15"']),
    (_set("readings", 0, "time", value=1796091300), "readings[0].time", ["1796091300"]),
    (_set("readings", 0, "draft_m", value="13.2"), "readings[0].draft_m", ['"13.2"', "draft in metres"]),
    (_set("readings", 0, "draft_m", value=True), "readings[0].draft_m", ["draft in metres"]),
    (_set("readings", 0, "draft_m", value=None), "readings[0].draft_m", ["draft in metres"]),
    (_set("readings", 0, "draft_m", value=-1.5), "readings[0].draft_m", ["-1.5 m"]),
    (_set("readings", 0, "draft_m", value=0), "readings[0].draft_m", ["above 0"]),
    (_set("readings", 0, "draft_m", value=31), "readings[0].draft_m", ["31 m"]),
    (_set("readings", 0, "draft_m", value=1383.4), "readings[0].draft_m", ["1383.4 m", "at most 30"]),
    (_set("readings", 0, "frame_sha256", value="ab" * 31 + "a"), "readings[0].frame_sha256", ["64 hexadecimal"]),
    (_set("readings", 0, "frame_sha256", value="g" * 64), "readings[0].frame_sha256", ["64 hexadecimal"]),
    (_drop("readings", 2, "frame_sha256"), "readings[2].frame_sha256", ["missing", "drone", "evidence"]),
    (_drop("readings", 0, "frame"), "readings[0].frame", ["missing"]),
    (_set("readings", 0, "frame", value="f" * 501), "readings[0].frame", ["501 characters"]),
    (_set("readings", 0, "frame", value="a.mp4\t#t=1"), "readings[0].frame", ["control characters"]),
    (_set("readings", 0, "mark", value="FP"), "readings[0].mark", ['"FP"']),
    (_set("readings", 0, "mark", value="FWD_PORT"), "readings[0].mark", ['"FWD_PORT"']),
    (_set("readings", 3, "colour", value="red"), "readings[3].colour", ["unknown key"]),
    (_set("remarks", value="calm"), "remarks", ["unknown key"]),
    (_duplicate_reading, "readings[4]", ["readings[1]", "fwd_port", "2026-12-01T02:15:00Z"]),
    (_set("observer", value="Li\nWei"), "observer", ['"Li\\nWei"', "one line"]),
    (_set("readings", 2, "observer", value="UAV\r08"), "readings[2].observer", []),
    (_set("observer", value="x" * 201), "observer", ["201 characters"]),
    (_set("vessel", value="  "), "vessel", ['"  "']),
    (_drop("vessel"), "vessel", ["missing"]),
    (_drop("readings", 1, "time"), "readings[1].time", ["missing"]),
    (_set("density_samples", 0, "density_t_m3", value=1023), "density_samples[0].density_t_m3", ["got 1023", "kg/m³", "0.990 to 1.040"]),
    (_set("density_samples", 0, "density_t_m3", value=1.1), "density_samples[0].density_t_m3", ["got 1.1"]),
    (_drop("density_samples", 1, "place"), "density_samples[1].place", ["missing"]),
    (_set("readings", value=[]), "readings", ["empty list"]),
    (_set("readings", value={"fwd_port": 13.8}), "readings", ["an object"]),
    (_set("readings", 1, value=13.8), "readings[1]", ["13.8"]),
    (_set("list_deg", value=12.5), "list_deg", ["12.5°", "starboard"]),
    (_set("list_deg", value="0.5"), "list_deg", ['"0.5"']),
    (_set("survey", value="../final"), "survey", ['"../final"']),
    (_set("source", value="satellite"), "source", ['"satellite"']),
    (_no_observer, "observer", ["missing"]),
]


@pytest.mark.parametrize(("case", "edit"), list(zip(BAD_JSON, _JSON_EDITS, strict=True)), ids=ids(BAD_JSON))
def test_a_bad_json_file_is_refused_naming_the_key_path_and_what_was_expected(tmp_path, document, case, edit):
    change, field, says = edit
    change(document)
    found = problems(refused(write(tmp_path, document)))
    assert field in found, found
    for words in (case.expected_message_part, *says):
        assert words in found[field], (words, found[field])


BAD_LITERALS = [
    BadInput(ROOM, "NaN draft", '"draft_m": NaN', "got NaN (not a measured number)"),
    BadInput(ROOM, "Infinity draft", '"draft_m": Infinity', "got Infinity (not a measured number)"),
    BadInput(ROOM, "minus Infinity draft", '"draft_m": -Infinity', "got -Infinity (not a measured number)"),
    BadInput(ROOM, "draft beyond a float", '"draft_m": 1e400', "got Infinity (not a measured number)"),
    BadInput(ROOM, "draft integer of 400 digits", '"draft_m": 999…9 (400 digits)', "got an integer of 400 digits"),
]
_LITERALS = ["NaN", "Infinity", "-Infinity", "1e400", "9" * 400]


@pytest.mark.parametrize(("case", "literal"), list(zip(BAD_LITERALS, _LITERALS, strict=True)), ids=ids(BAD_LITERALS))
def test_nan_infinity_and_numbers_beyond_a_float_are_refused_at_their_key(tmp_path, case, literal):
    text = DRONE.read_text(encoding="utf-8").replace('"draft_m": 14.2', f'"draft_m": {literal}')
    error = refused(write(tmp_path, text))
    assert error.field == "readings[2].draft_m"
    assert case.expected_message_part in error.problem and "draft in metres" in error.problem


def test_a_number_of_thousands_of_digits_is_refused(tmp_path):
    error = refused(write(tmp_path, DRONE.read_text(encoding="utf-8").replace('"draft_m": 14.2', '"draft_m": ' + "9" * 5000)))
    assert error.field == "(top level)" and "thousands of digits" in error.problem


BAD_TIMES = [
    BadInput(ROOM, "time before year 1 in UTC", 'readings[0].time = "0001-01-01T00:00:00+01:00"', "out of the calendar in UTC"),
    BadInput(ROOM, "time after year 9999 in UTC", 'readings[0].time = "9999-12-31T23:59:59-01:00"', "out of the calendar in UTC"),
]
_TIMES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]


@pytest.mark.parametrize(("case", "time"), list(zip(BAD_TIMES, _TIMES, strict=True)), ids=ids(BAD_TIMES))
def test_a_time_outside_the_calendar_in_utc_is_refused(tmp_path, document, case, time):
    document["readings"][0]["time"] = time
    error = refused(write(tmp_path, document))
    assert error.field == "readings[0].time" and case.expected_message_part in error.problem


def test_a_bad_observer_given_with_a_json_file_says_it_was_given(tmp_path, document):
    del document["observer"]
    error = refused(write(tmp_path, document), observer="Li\nWei")
    assert error.field == "observer" and "a newline" in error.problem and "given with the file, not written in it" in error.problem


def test_a_survey_other_than_the_files_is_refused_naming_both(tmp_path):
    error = refused(DRONE, survey="final")
    assert (error.field, error.problem) == ("survey", 'the file observes survey "initial", but "final" was given with it')
    assert refused(DRONE, vessel="EVER GIVEN").field == "vessel"
    assert refused(DRONE, source="camera").field == "source"


def test_a_key_given_twice_in_one_object_is_refused(tmp_path):
    text = DRONE.read_text(encoding="utf-8").replace('"draft_m": 14.2,', '"draft_m": 14.2, "draft_m": 14.3,')
    found = problems(refused(write(tmp_path, text)))
    assert "given twice" in found["readings[2].draft_m"]


def test_a_document_that_is_not_an_object_is_refused(tmp_path):
    error = refused(write(tmp_path, [{"format": OBSERVATION_FORMAT}]))
    assert error.field == "(top level)" and "expected a JSON object" in error.problem and "got a list" in error.problem


def test_invalid_json_is_refused_with_line_and_column(tmp_path):
    error = refused(write(tmp_path, '{"format": "bulkdaq-draft-observation/1",\n  "vessel": }'))
    assert error.field == "(line 2, column 13)" and "not valid JSON" in error.problem


def test_every_problem_of_a_file_is_reported_at_once_up_to_the_cap(tmp_path, document):
    document["vessel"] = ""
    document["readings"][0]["draft_m"] = "13.841"
    document["readings"][3]["mark"] = "FP"
    _duplicate_reading(document)
    found = problems(refused(write(tmp_path, document)))
    assert list(found) == ["vessel", "readings[0].draft_m", "readings[3].mark", "readings[4]"]

    document = json.loads(DRONE.read_text(encoding="utf-8"))
    document["readings"] = [dict(document["readings"][1], draft_m=40.0 + i) for i in range(MAX_PROBLEMS + 5)]
    error = refused(write(tmp_path, document))
    listed = list(error.problems)  # type: ignore[attr-defined]
    assert len(listed) == MAX_PROBLEMS + 1
    assert listed[-1] == ("(more)", "5 more problems not listed")
    assert str(error).count("readings[") == MAX_PROBLEMS


def test_valid_readings_are_checked_against_each_other_beside_the_problems_of_others(tmp_path, document):
    document["readings"][0]["draft_m"] = "13.841"
    _duplicate_reading(document)
    found = problems(refused(write(tmp_path, document)))
    assert set(found) == {"readings[0].draft_m", "readings[4]"}


# ---------------------------------------------------------------------------------------------------
# Bad files


def test_a_missing_file(tmp_path):
    error = refused(tmp_path / "nowhere.json")
    assert (error.field, error.problem) == ("(file)", "no such file")


def test_a_directory(tmp_path):
    folder = tmp_path / "frames.json"
    folder.mkdir()
    error = refused(folder)
    assert error.field == "(file)" and "directory" in error.problem and ".json or .csv" in error.problem


BAD_NAMES = [
    BadInput(ROOM, "file named .txt", "obs.txt", "the suffix '.txt'"),
    BadInput(ROOM, "file name without a suffix", "obs", "no suffix"),
    BadInput(ROOM, "file named .json.bak", "obs.json.bak", "the suffix '.bak'"),
]


@pytest.mark.parametrize("case", BAD_NAMES, ids=ids(BAD_NAMES))
def test_an_unknown_suffix(tmp_path, case):
    path = tmp_path / case.given
    path.write_text(DRONE.read_text(encoding="utf-8"), encoding="utf-8")
    error = refused(path)
    assert error.field == "(file)" and error.problem.startswith(case.expected_message_part) and ".json" in error.problem and ".csv" in error.problem


def test_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "obs.json"
    path.write_bytes(DRONE.read_text(encoding="utf-8").encode("gb18030"))
    error = refused(path)
    assert error.field == "(file)" and "not UTF-8 text" in error.problem and "at byte" in error.problem


def test_a_file_too_large_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(observation_file, "MAX_FILE_BYTES", 1000)
    error = refused(DRONE)
    assert error.field == "(file)" and "MB" in error.problem and "up to 0.001 MB" in error.problem


# ---------------------------------------------------------------------------------------------------
# Bad CSV files

CSV_METADATA = {"survey": "initial", "vessel": "EVER SHIP", "source": "drone", "observer": "UAV-07"}
GOOD_ROW = f"2026-12-01T02:15:00Z,fwd_port,13.834,fwd.mp4#t=0,{HASH},"


def write_csv(tmp_path: Path, text: str) -> Path:
    return write(tmp_path, text, "obs.csv")


def test_a_csv_file_with_a_wrong_header(tmp_path):
    error = refused(write_csv(tmp_path, "time,mark,draft\n2026-12-01T02:15:00Z,fwd_port,13.8\n"), **CSV_METADATA)
    assert error.field == "(header)" and HEADER in error.problem and '"time,mark,draft"' in error.problem


def test_an_empty_csv_file(tmp_path):
    error = refused(write_csv(tmp_path, ""), **CSV_METADATA)
    assert error.field == "(header)" and "empty" in error.problem and HEADER in error.problem


def test_a_csv_file_with_only_the_header(tmp_path):
    error = refused(write_csv(tmp_path, HEADER + "\n"), **CSV_METADATA)
    assert error.field == "readings" and "at least one reading" in error.problem


def test_a_csv_file_without_its_metadata(tmp_path):
    found = problems(refused(write_csv(tmp_path, f"{HEADER}\n{GOOD_ROW}\n")))
    for key in ("vessel", "survey", "source"):
        assert "CSV" in found[key] and f"give the {key}" in found[key]
    assert "missing" in found["observer"]


def test_a_csv_file_with_a_bad_survey_given(tmp_path):
    error = refused(write_csv(tmp_path, f"{HEADER}\n{GOOD_ROW}\n"), **dict(CSV_METADATA, survey="final survey"))
    assert error.field == "survey" and '"final survey"' in error.problem and "given with the file, not written in it" in error.problem


# Each row is the input as given, "HASH" standing for the frame's 64 hexadecimal digits; the edit beside it holds
# the key path and the other things the message must say.
BAD_CSV_ROWS = [
    BadInput(ROOM, "CSV draft with a decimal comma", '2026-12-01T02:15:00Z,fwd_port,"13,834",fwd.mp4#t=0,HASH,', "plain decimal number"),
    BadInput(ROOM, "CSV draft nan", "2026-12-01T02:15:00Z,fwd_port,nan,fwd.mp4#t=0,HASH,", '"nan"'),
    BadInput(ROOM, "CSV draft empty", "2026-12-01T02:15:00Z,fwd_port,,fwd.mp4#t=0,HASH,", 'got ""'),
    BadInput(ROOM, "CSV time without a zone", "2026-12-01 02:15:00,fwd_port,13.8,fwd.mp4#t=0,HASH,", "no time zone"),
    BadInput(ROOM, "CSV drone reading without its frame", "2026-12-01T02:15:00Z,fwd_port,13.8,,,", "drone"),
    BadInput(ROOM, "CSV row of 5 cells", "2026-12-01T02:15:00Z,fwd_port,13.8,fwd.mp4#t=0,HASH", "expected 6 cells"),
    BadInput(ROOM, "CSV observer with a newline", '2026-12-01T02:15:00Z,fwd_port,13.8,fwd.mp4#t=0,HASH,"Li\nWei"', "a newline"),
]
_CSV_EDITS = [
    ("readings[0].draft_m", ['"13,834"', "(CSV line 2)"]),
    ("readings[0].draft_m", ["(CSV line 2)"]),
    ("readings[0].draft_m", ["draft in metres"]),
    ("readings[0].time", ["add Z"]),
    ("readings[0].frame_sha256", ["(CSV line 2)"]),
    ("readings[0]", ["got 5", "(CSV line 2)"]),
    ("readings[0].observer", []),
]


@pytest.mark.parametrize(("case", "edit"), list(zip(BAD_CSV_ROWS, _CSV_EDITS, strict=True)), ids=ids(BAD_CSV_ROWS))
def test_a_bad_csv_row_is_refused_naming_its_reading_and_line(tmp_path, case, edit):
    field, says = edit
    row = case.given.replace("HASH", HASH)
    found = problems(refused(write_csv(tmp_path, f"{HEADER}\n{row}\n"), **CSV_METADATA))
    assert field in found, found
    for words in (case.expected_message_part, *says):
        assert words in found[field], (words, found[field])


def test_a_duplicate_csv_reading_names_both_lines_index(tmp_path):
    found = problems(refused(write_csv(tmp_path, f"{HEADER}\n{GOOD_ROW}\n\n{GOOD_ROW}\n"), **CSV_METADATA))
    assert "readings[0] has the same mark and time" in found["readings[1]"] and "(CSV line 4)" in found["readings[1]"]


def test_invalid_csv_quoting_is_refused_with_the_line(tmp_path):
    error = refused(write_csv(tmp_path, f'{HEADER}\n2026-12-01T02:15:00Z,fwd_port,"13.8"x,,,\n'), **dict(CSV_METADATA, source="sensor"))
    assert error.field == "(CSV line 2)" and "not valid CSV" in error.problem


BAD_INPUTS = [*BAD_JSON, *BAD_LITERALS, *BAD_TIMES, *BAD_NAMES, *BAD_CSV_ROWS]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
