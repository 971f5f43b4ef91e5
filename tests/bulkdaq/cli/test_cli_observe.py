"""`bulkdaq survey observe` and `bulkdaq survey draft --observed`: the real console script, run as a subprocess
on observation files written by the simulated drone, and on the plant's draft feed in a real influxd."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bulkdaq.cli.main import app
from bulkdaq.inputs.observation_file import MARKS, load_observation_file
from bulkdaq.inputs.survey_file import load_survey_file
from bulkdaq.observations.observed_survey import observed_survey
from bulkdaq.observations.session import ObservationSession, session_from_file
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.influx_writer import InfluxWriter
from bulkdaq.store.line_protocol import Point
from bulkdaq.wording import glossary
from bulkdaq.wording.observation_statement import density_line, mark_row, uncertainty_lines, verdict_line
from simulators.draft_observer import DroneSession, fly_drone, fly_preset, write_observation_csv, write_observation_file
from simulators.vessel_at_berth import EXAMPLE_JOB_FILE, capesize_loading_scenario
from site_files import write_site

REPO = Path(__file__).resolve().parents[3]
JOB = REPO / EXAMPLE_JOB_FILE
BULKDAQ = Path(sys.executable).parent / "bulkdaq"
SCENARIO = capesize_loading_scenario()
VESSEL = SCENARIO.vessel.name
OBSERVER = "UAV-09, pilot Chen Jing"


def bulkdaq(*args: str | Path) -> subprocess.CompletedProcess[str]:
    # a wide COLUMNS keeps rich's tables and the one-line error unwrapped, as on a wide terminal
    environment = {**os.environ, "COLUMNS": "500"}
    return subprocess.run([str(BULKDAQ), *map(str, args)], capture_output=True, text=True, timeout=120, cwd=REPO, env=environment)


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The same command in process (typer's CliRunner on bulkdaq's app): much faster than the console script,
    for the runs that end in exit code 0 or 1; an exception other than the exit is raised, not hidden."""
    result = CliRunner().invoke(app, list(map(str, args)), env={"COLUMNS": "500"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(list(map(str, args)), result.exit_code, result.stdout, result.stderr)


def one_line_error(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@dataclass(frozen=True)
class Files:
    folder: Path
    initial: Path
    final: Path
    final_csv: Path
    rough: Path
    skipped: Path
    initial_drone: DroneSession
    final_drone: DroneSession

    def session(self, path: Path, **given: str) -> ObservationSession:
        """The session of a file, in process, as the CLI builds it (to compute the texts it must print)."""
        return session_from_file(load_observation_file(path, **given))


def draft_text(session: ObservationSession, mark: str) -> str:
    """The observed draft of `mark` as every output writes it (``6.721 m``)."""
    return row_of(session, mark)[3]


def row_of(session: ObservationSession, mark: str) -> tuple[str, ...]:
    return mark_row(mark, session.as_document()["marks"][mark])


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    folder = tmp_path_factory.mktemp("observations")
    initial_drone = fly_drone(SCENARIO, "initial", seed=7)
    final_drone = fly_drone(SCENARIO, "final", seed=7)
    final_csv = write_observation_csv(folder / "final.csv", final_drone)
    # the observer column left empty: the observer comes from --observer
    rows = list(csv.reader(final_csv.read_text(encoding="utf-8").splitlines()))
    final_csv.write_text("\n".join(",".join(row[:5] + [""] if i else row) for i, row in enumerate(rows)) + "\n", encoding="utf-8")
    return Files(
        folder=folder,
        initial=write_observation_file(folder / "initial.json", initial_drone),
        final=write_observation_file(folder / "final.json", final_drone),
        final_csv=final_csv,
        rough=write_observation_file(folder / "rough.json", fly_preset(SCENARIO, "rough", "initial", seed=7)),
        skipped=write_observation_file(folder / "skipped.json", fly_preset(SCENARIO, "skipped", "initial", seed=7)),
        initial_drone=initial_drone,
        final_drone=final_drone,
    )


# -- bulkdaq survey observe FILE ----------------------------------------------------------------------


def test_observe_a_fit_session_prints_each_mark_and_exits_0(files):
    run = bulkdaq("survey", "observe", files.initial)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    out = run.stdout
    session = files.session(files.initial)
    assert "Draft observation 水尺观测 — Initial 初始, drone 无人机, MV SIMULATED CAPE" in out
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert len(rows) == 6
    for line, mark in zip(rows, MARKS, strict=True):
        cells = row_of(session, mark)
        # mark, samples, pairs, observed draft, spread, u, frames, status: in this order on the mark's line
        assert [cell.strip() for cell in line.strip("│").split("│")] == list(cells)
        assert cells[3] == f"{session.marks[mark].draft_m:.3f} m"
    # the caption names the file and its hash (rich may wrap it at the table's width)
    assert f"{files.initial} · SHA-256 {session.sha256}" in " ".join(out.split())
    assert f"Dock water density (samples) 港水密度（取样）: {density_line(session.as_document())}" in out
    assert "1.0236 t/m³ from 3 samples" in out  # seed 7's hydrometer samples
    assert out.rstrip().endswith(verdict_line(session.as_document())) and out.rstrip().endswith("figure 可作为数据")


def test_observe_a_rough_session_exits_1_with_each_reason(files):
    run = cli("survey", "observe", files.rough)
    assert run.returncode == 1, run.stderr
    out = run.stdout
    session = files.session(files.rough)
    assert "PRELIMINARY reading, not a figure 初步读数，不作为数据" in out
    for mark in MARKS:
        spread = session.marks[mark].reading.spread_m
        assert f"• mark {mark}: spread {spread:.3f} m above the limit 0.500 m (rough sea)" in out
        assert draft_text(session, mark) in out


def test_observe_json_is_the_session(files):
    run = cli("survey", "observe", files.final, "--json")
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    session = files.session(files.final)
    assert document["status"] == "figure" and document["reasons"] == [] and document["missing"] == []
    assert (document["survey"], document["vessel"], document["source"]) == ("final", VESSEL, "drone")
    assert document["sha256"] == session.sha256
    assert list(document["marks"]) == list(MARKS)
    for mark in MARKS:
        figures = document["marks"][mark]
        assert figures["draft_m"] == session.marks[mark].draft_m  # full precision
        assert figures["u_m"] == session.marks[mark].u_m
        assert figures["samples"] == figures["frames"] == 450
        assert figures["status"] == "figure"
        assert abs(figures["draft_m"] - files.final_drone.truth.marks_m[mark]) <= 3 * figures["u_m"]
    assert document["dock_density"]["samples"] == 3

    rough = cli("survey", "observe", files.rough, "--json")
    assert rough.returncode == 1
    rough_document = json.loads(rough.stdout)
    assert rough_document["status"] == "preliminary reading, not a figure"
    assert len(rough_document["reasons"]) == 6 and all(reason.endswith("(rough sea)") for reason in rough_document["reasons"])


def test_observe_a_csv_file_with_its_metadata_on_the_command_line(files):
    run = cli(
        "survey", "observe", files.final_csv, "--survey", "final", "--vessel", VESSEL, "--source", "camera", "--observer", OBSERVER, "--json"
    )
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert (document["survey"], document["vessel"], document["source"]) == ("final", VESSEL, "camera")
    assert document["origin"] == str(files.final_csv)
    from_json = files.session(files.final)
    for mark in MARKS:
        assert document["marks"][mark]["observers"] == [OBSERVER]
        assert document["marks"][mark]["draft_m"] == from_json.marks[mark].draft_m
        assert document["marks"][mark]["frames"] == 450
    assert document["dock_density"] is None and document["list_deg"] is None

    # without the vessel and the source a CSV file is refused, naming both
    line = one_line_error(bulkdaq("survey", "observe", files.final_csv, "--survey", "final"))
    assert line.startswith(f"error: {files.final_csv}: vessel: required: a CSV observation file holds the readings only")
    assert "source: required" in line


def test_observe_a_bad_file_is_one_line_with_exit_code_2(files):
    document = json.loads(files.initial.read_text(encoding="utf-8"))
    document["readings"][3]["draft_m"] = "6.7"
    bad = files.folder / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    line = one_line_error(bulkdaq("survey", "observe", bad))
    assert line == (
        f'error: {bad}: readings[3].draft_m: expected a draft in metres, above 0 and at most 30, got "6.7" (text: write the number without quotes)'
    )

    line = one_line_error(bulkdaq("survey", "observe", files.folder / "nothing.json"))
    assert f"{files.folder / 'nothing.json'}: (file):" in line

    line = one_line_error(bulkdaq("survey", "observe"))
    assert line == "error: command line: FILE, --site: give an observation file or --site (the plant's draft feed), one of them"


def test_observe_with_a_policy_file(files):
    strict = files.folder / "strict.toml"
    strict.write_text("[draft_observation]\nmin_pairs = 12\n", encoding="utf-8")
    session = files.session(files.initial)
    run = cli("survey", "observe", files.initial, "--policy", strict)
    assert run.returncode == 1, run.stderr
    for mark in MARKS:
        pairs = session.marks[mark].reading.pairs
        assert pairs < 12
        assert f"• mark {mark}: {pairs} crest/trough pairs, fewer than the 12 required" in run.stdout

    bad = files.folder / "bad_policy.toml"
    bad.write_text('[draft_observation]\nmin_pairs = "6"\n', encoding="utf-8")
    line = one_line_error(bulkdaq("survey", "observe", files.initial, "--policy", bad))
    assert line.startswith(f"error: {bad}: draft_observation.min_pairs: ")


# -- bulkdaq survey draft JOB --observed ----------------------------------------------------------------


def test_draft_with_observed_marks_json(files):
    run = bulkdaq("survey", "draft", JOB, "--observed", files.initial, "--observed", files.final, "--json")
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["status"] == "figure" and document["preliminary_reasons"] == []
    assert set(document["observations"]) == {"initial", "final"}
    assert document["observations"]["final"]["sha256"] == files.session(files.final).sha256
    uncertainty = document["uncertainty"]
    u = uncertainty["u_cargo_t"]
    assert u > 0
    assert uncertainty["expanded_uncertainty_t"] == pytest.approx(2 * u)
    true_cargo = files.final_drone.truth.cargo_t - files.initial_drone.truth.cargo_t
    assert true_cargo == 165_000.0
    assert abs(document["cargo_t"] - true_cargo) <= 3 * u
    assert uncertainty["cargo_t"] == pytest.approx(document["cargo_t"], abs=1e-6)
    # the surveys computed are those of the observed marks, rounded to the mm as the form prints them
    final = files.session(files.final)
    assert document["surveys"]["final"]["mean_fwd_m"] == pytest.approx(
        (round(final.marks["fwd_port"].draft_m, 3) + round(final.marks["fwd_stbd"].draft_m, 3)) / 2, abs=1e-9
    )
    # the same figures as in process
    expected = observed_survey(load_survey_file(JOB), [files.session(files.initial), final])
    assert document["cargo_t"] == expected.result.cargo_t
    assert u == expected.uncertainty.u_cargo_t


def test_draft_with_observed_marks_tables_and_report(files, tmp_path):
    report = tmp_path / "survey.html"
    run = cli("survey", "draft", JOB, "--observed", files.initial, "--observed", files.final, "--report", report)
    assert run.returncode == 0, run.stderr
    sessions = [files.session(files.initial), files.session(files.final)]
    observed = observed_survey(load_survey_file(JOB), sessions)
    page = report.read_text(encoding="utf-8")
    out = run.stdout
    assert f"report written to {report}" in out
    assert "Observations behind each mark" in page and "各水尺观测依据" in page
    assert "Uncertainty of the cargo figure" in page and "货物重量不确定度" in page
    assert "Expanded uncertainty U (k = 2, about 95 %)" in page
    for session in sessions:
        assert f" — {glossary.both(glossary.SURVEYS[session.survey])}, drone 无人机, MV SIMULATED CAPE</h2>" in page
        assert f"{Path(session.origin).name} · SHA-256 {session.sha256}" in page
        assert f"{session.origin} · SHA-256 {session.sha256}" in " ".join(out.split())
        for mark in MARKS:
            draft = draft_text(session, mark)
            assert f">{draft}<" in page, (session.survey, mark, draft)
            assert draft in out
    for english, _, text in uncertainty_lines(observed.uncertainty.as_document()):
        assert text.replace("±", "").strip().split(" ")[0] in page
        assert f"{english} " in out and text in out
    assert "PRELIMINARY" not in page


def test_draft_with_a_named_survey_json_file(files):
    run = cli("survey", "draft", JOB, "--observed", f"initial={files.initial}", "--observed", f"final={files.final}", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["status"] == "figure"
    # a name that is not the file's survey is refused, naming both
    line = one_line_error(bulkdaq("survey", "draft", JOB, "--observed", f"final={files.initial}", "--json"))
    assert str(files.initial) in line and "initial" in line and "final" in line


def test_draft_with_a_named_survey_csv_file(files, tmp_path):
    final_csv = write_observation_csv(tmp_path / "final.csv", files.final_drone)  # every row names its observer
    # the vessel comes from the job file; without --source a CSV file says what is missing
    line = one_line_error(bulkdaq("survey", "draft", JOB, "--observed", files.initial, "--observed", f"final={final_csv}", "--json"))
    assert str(final_csv) in line and "source" in line
    run = bulkdaq("survey", "draft", JOB, "--observed", files.initial, "--observed", f"final={final_csv}", "--source", "drone", "--json")
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["status"] == "figure"
    assert document["observations"]["final"]["origin"] == str(final_csv)
    assert document["observations"]["final"]["vessel"] == VESSEL


def test_draft_with_a_rough_session_is_refused_unless_preliminary_is_allowed(files, tmp_path):
    line = one_line_error(bulkdaq("survey", "draft", JOB, "--observed", files.rough, "--observed", files.final))
    assert line.startswith("error: survey 'initial': a preliminary reading, not a figure: mark fwd_port: spread")
    assert "(rough sea)" in line

    report = tmp_path / "preliminary.html"
    run = cli("survey", "draft", JOB, "--observed", files.rough, "--observed", files.final, "--allow-preliminary", "--json", "--report", report)
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["status"] == "preliminary"
    reasons = document["preliminary_reasons"]
    assert len(reasons) == 6
    assert all(reason.startswith("survey initial: mark ") and reason.endswith("(rough sea)") for reason in reasons)
    page = report.read_text(encoding="utf-8")
    assert "PRELIMINARY reading, not a figure" in page
    assert page.count("(rough sea)") == 6


def test_draft_with_a_mark_not_observed_names_it(files):
    line = one_line_error(bulkdaq("survey", "draft", JOB, "--observed", files.skipped, "--observed", files.final, "--allow-preliminary"))
    assert line == f"error: survey 'initial': mark mid_stbd not observed ({files.skipped}); a survey needs all six marks"


def test_draft_with_two_sessions_of_one_survey(files):
    line = one_line_error(bulkdaq("survey", "draft", JOB, "--observed", files.initial, "--observed", files.rough, "--allow-preliminary"))
    assert line == f"error: {files.rough}: survey: survey 'initial' is already observed by {files.initial}; give one session per survey"


# -- bulkdaq survey observe --site: the plant's draft feed ---------------------------------------------


def store_feed(reader: InfluxReader, drone: DroneSession, quarantine: Path) -> None:
    """Each frame of `drone` as a good point of the ``draft`` measurement; a bad point between frames."""
    points = []
    for recording in drone.recordings:
        for i, t in enumerate(recording.times_s):
            at = round(SCENARIO.utc(float(t)).timestamp() * 1000)
            good = {f"{recording.mark}_m": float(recording.drafts_m[i]), contract.QUALITY_FIELD: "good"}
            points.append(Point(contract.DRAFT.name, {contract.DRAFT.asset_tag: VESSEL}, good, at))
            if i % 30 == 0:
                bad = {f"{recording.mark}_m": 0.5, contract.QUALITY_FIELD: "bad"}
                points.append(Point(contract.DRAFT.name, {contract.DRAFT.asset_tag: VESSEL}, bad, at + 100))

    async def write() -> None:
        writer = InfluxWriter(reader.url, reader.database, quarantine_dir=quarantine)
        try:
            await writer.write([point.to_line() for point in points])
        finally:
            await writer.aclose()

    asyncio.run(write())


def test_observe_the_draft_feed_of_a_site(files, influx_db, tmp_path):
    store_feed(influx_db, files.initial_drone, tmp_path / "quarantine")
    site = write_site(tmp_path, "", url=influx_db.url, database=influx_db.database)
    truth = files.initial_drone.truth
    start = (SCENARIO.utc(truth.start_s) - timedelta(seconds=5)).isoformat().replace("+00:00", "Z")
    end = (SCENARIO.utc(truth.end_s) + timedelta(seconds=5)).astimezone(timezone(timedelta(hours=8))).isoformat()  # local time, +08:00
    assert end.endswith("+08:00")
    window = ("--site", site, "--vessel", VESSEL, "--survey", "initial", "--from", start, "--to", end)

    run = bulkdaq("survey", "observe", *window)
    assert run.returncode == 0, run.stderr
    from_file = files.session(files.initial)
    assert "Draft observation 水尺观测 — Initial 初始, draft sensor 吃水传感器, MV SIMULATED CAPE" in run.stdout
    assert f"InfluxDB draft feed, vessel {VESSEL}" in run.stdout
    for mark in MARKS:
        assert draft_text(from_file, mark) in run.stdout
    assert run.stdout.rstrip().endswith("figure 可作为数据")

    document = json.loads(cli("survey", "observe", *window, "--json").stdout)
    assert document["source"] == "sensor" and document["status"] == "figure" and document["sha256"] == ""
    for mark in MARKS:
        assert document["marks"][mark]["draft_m"] == pytest.approx(from_file.marks[mark].draft_m, abs=1e-9)
        assert document["marks"][mark]["samples"] == 450 and document["marks"][mark]["frames"] == 0

    # a window with nothing in it
    empty = ("--from", "2026-11-30T00:00:00Z", "--to", "2026-11-30T01:00:00Z")
    line = one_line_error(bulkdaq("survey", "observe", "--site", site, "--vessel", VESSEL, "--survey", "initial", *empty))
    assert f"no good draft reading of vessel {VESSEL!r} in the window" in line

    # the feed needs its window and its survey
    line = one_line_error(bulkdaq("survey", "observe", "--site", site, "--vessel", VESSEL, "--from", start))
    assert line == "error: command line: --survey, --to: required to read the draft feed (--site)"
    line = one_line_error(bulkdaq("survey", "observe", "--site", site, "--vessel", VESSEL, "--survey", "initial", "--from", "2026-12-01T02:00:00", "--to", end))
    assert "--from" in line and "has no time zone" in line
