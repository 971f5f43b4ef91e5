"""The survey job file's pydantic models: the strict base, the documented keys, and which problem is reported
when a file has several (the first in the order the file is read, as one InputError)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from bulkdaq.config.strict_model import StrictModel
from bulkdaq.errors import InputError
from bulkdaq.inputs import survey_file
from bulkdaq.inputs.survey_file import parse_survey_document

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "surveys" / "evership.json"


@pytest.fixture
def document() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def error_for(document: object) -> InputError:
    with pytest.raises(InputError) as raised:
        parse_survey_document(document, "job.json")
    return raised.value


def keys(model: type) -> tuple[str, ...]:
    return tuple(field.alias or name for name, field in model.model_fields.items())


@pytest.mark.parametrize(
    "model, documented",
    [
        (survey_file._Document, survey_file.TOP_KEYS),
        (survey_file._Vessel, survey_file.VESSEL_KEYS),
        (survey_file._Row, survey_file.ROW_KEYS),
        (survey_file._Survey, survey_file.SURVEY_KEYS),
        (survey_file._Deductible, survey_file.DEDUCTIBLE_KEYS),
        (survey_file._Marks, survey_file.MARK_KEYS),
    ],
)
def test_the_models_are_strict_and_know_the_documented_keys(model, documented):
    assert issubclass(model, StrictModel)
    assert sorted(keys(model)) == sorted(documented)


def test_the_first_problem_in_reading_order_is_the_one_reported(document):
    document["rounding"] = "nope"
    document["surveys"]["initial"]["marks_m"]["fwd_port"] = 300
    error = error_for(document)
    assert error.field == "rounding"
    assert str(error).count("\n") == 0


def test_a_survey_problem_is_reported_before_the_job_details(document):
    document["job"] = {"port": [1]}
    document["surveys"]["final"]["dock_density_t_m3"] = 1025
    assert error_for(document).field == "surveys.final.dock_density_t_m3"


def test_a_bad_deductible_kind_is_reported_before_two_weights(document):
    document["surveys"]["initial"]["deductibles"][0] = {"kind": "cargo", "t": 1, "volume_m3": 2, "density_t_m3": 1.0}
    error = error_for(document)
    assert error.field == "surveys.initial.deductibles[0].kind"


def test_a_missing_volume_is_reported_before_a_bad_density(document):
    document["surveys"]["initial"]["deductibles"][0] = {"kind": "ballast", "density_t_m3": 1025}
    error = error_for(document)
    assert (error.field, error.problem) == ("surveys.initial.deductibles[0].volume_m3", "missing (required)")


def test_mark_distances_are_checked_against_the_vessel_of_the_same_file(document):
    changed = copy.deepcopy(document)
    changed["vessel"]["lbp_m"] = 40.0
    changed["surveys"]["initial"]["mark_positions"]["aft"]["distance_m"] = 10.5
    error = error_for(changed)
    assert error.field == "surveys.initial.mark_positions.aft.distance_m"
    assert "outside the plausible range 0 to 10 metres" in error.problem


def test_survey_names_and_detail_keys_are_kept_as_written_in_key_paths(document):
    document["surveys"]["light[1]"] = document["surveys"].pop("final")
    document["surveys"]["light[1]"]["details"] = {"function-after": {}}
    error = error_for(document)
    assert error.field == "surveys.light[1].details.function-after"
