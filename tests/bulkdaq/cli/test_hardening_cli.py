"""Hardening of `bulkdaq shipment …`, `bulkdaq certificate` and `bulkdaq evidence export` (issue 14), run as a
person runs them: output paths never come from data, reading commands never create a registry, a file
that is not a registry and a site path that is a folder are one line and exit 2, `recheck` follows the
lifecycle, and a step refused because InfluxDB is down leaves nothing half done."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bulkdaq.shipments.registry as registry_module
from bad_inputs import BadInput, ids
from bulkdaq.cli.main import app
from bulkdaq.errors import InputError
from bulkdaq.shipments.lifecycle import TransitionRefused
from bulkdaq.shipments.model import load_shipment
from bulkdaq.shipments.registry import RegistryUnavailable, ShipmentRegistry
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import LocalInfluxd
from officers import OFFICER_ID, registered_key_file

REPO = Path(__file__).resolve().parents[3]
ORE = REPO / "examples" / "shipments" / "ore-import.toml"
ORE_FIGURES = REPO / "examples" / "shipments" / "ore-import.figures.toml"
RULES = REPO / "examples" / "tolerances.toml"
SID = "IMP-2026-0522"
runner = CliRunner()


def bulkdaq(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`bulkdaq …` in a process of its own, as a person runs it (the console entry point's error handling)."""
    environment = {**os.environ, "COLUMNS": "250", "BULKDAQ_ACTOR": "officer Wang", **(env or {})}
    environment.pop("BULKDAQ_REGISTRY", None)
    return subprocess.run([sys.executable, "-m", "bulkdaq.cli.main", *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=environment)


def one_line_error(result: subprocess.CompletedProcess[str], *, logged: str | None = None) -> str:
    """The error's one line (exit 2, no traceback). Before it, only lines of the `logged` kind may stand (the
    InfluxDB writer logs each retry while a step waits for a server that does not answer)."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    *before, last = result.stderr.rstrip("\n").split("\n")
    assert last.startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    assert all(logged is not None and line.startswith(logged) for line in before), result.stderr
    return last.removeprefix("error: ")


def invoke(*args: str):  # noqa: ANN201 (typer's Result)
    return runner.invoke(app, list(args), env={"BULKDAQ_ACTOR": "officer Wang", "COLUMNS": "250"})


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def reconciled(registry: Path) -> None:
    """The ore import, declared and taken to verified (no meters: no site needed)."""
    ok("shipment", "declare", str(ORE), "--registry", str(registry))
    ok("shipment", "start", SID, "--registry", str(registry))
    ok("shipment", "complete", SID, "--registry", str(registry))
    ok("shipment", "measure", SID, str(ORE_FIGURES), "--registry", str(registry))
    ok("shipment", "reconcile", SID, "--rules", str(RULES), "--registry", str(registry))


# -- (6) reading commands never create --------------------------------------------------------------

READING_COMMANDS = [
    ("shipment", "list"),
    ("shipment", "show", SID),
    ("certificate", SID, "--out", "report.html"),
    ("shipment", "start", SID),
    ("shipment", "recheck", SID, "--reason", "r"),
    ("evidence", "export", "bundle.json", "--site", str(REPO / "examples" / "site.toml"), "--shipment", SID),
]


@pytest.mark.parametrize("command", READING_COMMANDS, ids=[" ".join(c[:2]) for c in READING_COMMANDS])
def test_no_command_but_declare_creates_a_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]) -> None:
    monkeypatch.chdir(tmp_path)
    registry = tmp_path / "newdir" / "x.sqlite"
    result = invoke(*command, "--registry", str(registry))
    assert isinstance(result.exception, RegistryUnavailable), result.output
    assert str(result.exception).startswith(f"{registry}: no shipment registry there (reading creates none)")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no folder, no file, no report, no bundle


def test_shipment_list_of_a_new_path_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    message = one_line_error(bulkdaq("shipment", "list", "--registry", "newdir/x.sqlite", cwd=tmp_path))
    assert message.startswith("newdir/x.sqlite: no shipment registry there (reading creates none); give the registry with --registry")
    assert list(tmp_path.iterdir()) == []
    ok("shipment", "declare", str(ORE), "--registry", str(tmp_path / "newdir" / "x.sqlite"))  # declaring creates it
    assert "IMP-2026-0522" in bulkdaq("shipment", "list", "--registry", "newdir/x.sqlite", cwd=tmp_path).stdout


# -- (4) a registry that is not one, a site that is a folder: one line, exit 2 ------------------------

CLI_CASES = [
    BadInput("command line", "registry that is the site file", "--registry site.toml", "site.toml: not a shipment registry: cannot read it as SQLite (file is not a database)"),
    BadInput("command line", "registry that is a folder", "--registry var", "var: is a folder; the shipment registry is one SQLite file (e.g. var/shipments.sqlite)"),
    BadInput("command line", "registry that is the collector's spool", "--registry spool.sqlite",
             "spool.sqlite: not a shipment registry (its tables: reading_batch, source_seen, spool_state; a registry has the tables events, evidence, shipments)"),
    BadInput("command line", "site path that is a folder", "--site var", "var: (file): is a folder; expected a file"),
]


def _case_files(folder: Path) -> None:
    import asyncio

    from bulkdaq.store.spool import DurableSpool

    (folder / "site.toml").write_text((REPO / "examples" / "site.toml").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "var").mkdir()
    spool = DurableSpool(folder / "spool.sqlite")
    asyncio.run(spool.close())
    for leftover in ("spool.sqlite-wal", "spool.sqlite-shm"):
        (folder / leftover).unlink(missing_ok=True)


@pytest.mark.parametrize("case", CLI_CASES, ids=ids(CLI_CASES))
def test_a_path_that_is_not_what_the_option_names_is_one_line_and_exit_2(tmp_path: Path, case: BadInput) -> None:
    _case_files(tmp_path)
    before = {p.name: (p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()}
    option, value = case.given.split(" ")
    registry = ["--registry", value] if option == "--registry" else ["--registry", "shipments.sqlite"]
    site = ["--site", value] if option == "--site" else []
    for command in (["shipment", "list"], ["shipment", "declare", str(ORE), *site], ["shipment", "start", SID, *site]):
        if option == "--site" and command[1] == "list":
            continue
        message = one_line_error(bulkdaq(*command, *registry, cwd=tmp_path))
        assert message.startswith(case.expected_message_part), message
    assert {p.name: (p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()} == before  # nothing written


def test_collect_with_a_site_path_that_is_a_folder_is_one_line(tmp_path: Path) -> None:
    message = one_line_error(bulkdaq("collect", str(tmp_path), cwd=tmp_path))
    assert message.startswith(f"{tmp_path}: (file): is a folder")


# -- (1) output paths never come from data -----------------------------------------------------------

def test_the_certificate_of_a_safe_id_goes_to_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = tmp_path / "shipments.sqlite"
    reconciled(registry)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    out = ok("certificate", SID, "--registry", str(registry))
    assert "written to certificate-IMP-2026-0522.html" in out
    assert [p.name for p in work.iterdir()] == ["certificate-IMP-2026-0522.html"]


def test_an_id_declared_before_the_rule_never_becomes_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`bulkdaq certificate ID` with an id like `/../../../x` used to write outside the working folder
    (certificate-/../../../x.html: two folders above it here)."""
    old_id = "/../../../escaped"
    registry = tmp_path / "shipments.sqlite"
    with monkeypatch.context() as previous_version:  # the registry as the previous version wrote it
        previous_version.setattr(registry_module, "is_safe_shipment_id", lambda _id: True)
        with ShipmentRegistry(registry) as opened:
            opened.declare(load_shipment(ORE).model_copy(update={"id": old_id}), "officer Wang")
    for step in (("start",), ("complete",), ("measure", str(ORE_FIGURES)), ("reconcile", "--rules", str(RULES))):
        ok("shipment", step[0], old_id, *step[1:], "--registry", str(registry))
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    result = invoke("certificate", old_id, "--registry", str(registry))
    assert isinstance(result.exception, InputError)
    assert str(result.exception) == ("command line: --out: shipment id '/../../../escaped' is not a safe file name (declared before ids had to be); "
                                     "name the report's file with --out FILE.html")
    assert [p for p in tmp_path.rglob("*") if "escaped" in p.name or p.name.startswith("certificate-")] == []
    assert list(work.iterdir()) == []
    listed = ok("shipment", "list", "--registry", str(registry))
    assert "/../../../escaped" in listed and "verified" in listed  # the old shipment reads as before
    out = ok("certificate", old_id, "--registry", str(registry), "--out", "report.html")
    assert "written to report.html" in out and [p.name for p in work.iterdir()] == ["report.html"]


def test_declaring_an_unsafe_id_from_a_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(ORE.read_text(encoding="utf-8").replace('id = "IMP-2026-0522"', 'id = "../../x"', 1), encoding="utf-8")
    message = one_line_error(bulkdaq("shipment", "declare", str(bad), "--registry", "r.sqlite", cwd=tmp_path))
    assert message.startswith(f"{bad}: id: expected a safe name")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


# -- (7) recheck follows the lifecycle ----------------------------------------------------------------

def test_recheck_of_a_declared_shipment_is_refused(tmp_path: Path) -> None:
    registry = tmp_path / "shipments.sqlite"
    ok("shipment", "declare", str(ORE), "--registry", str(registry))
    message = one_line_error(bulkdaq("shipment", "recheck", SID, "--reason", "all good", "--registry", str(registry), cwd=tmp_path))
    assert message == "shipment IMP-2026-0522 is 'declared', not 'blocked': recheck goes to 'precheck' only from 'blocked' (allowed from 'declared': precheck)"
    shown = invoke("shipment", "show", SID, "--registry", str(registry))
    assert "state declared" in shown.output
    # Blocked (the belt scale's certificate has run out by 2027), then recheck and start again.
    assert "precheck → blocked" in ok("shipment", "start", SID, "--at", "2027-01-05T08:00:00Z", "--registry", str(registry))
    assert "blocked → precheck" in ok("shipment", "recheck", SID, "--reason", "scale verified again", "--registry", str(registry))
    assert "precheck → loading" in ok("shipment", "start", SID, "--at", "2026-06-01T08:00:00Z", "--registry", str(registry))
    refused = invoke("shipment", "recheck", SID, "--reason", "again", "--registry", str(registry)).exception
    assert isinstance(refused, TransitionRefused) and "is 'loading', not 'blocked'" in str(refused)


# -- (5) a step is all or nothing ----------------------------------------------------------------------

def test_start_with_influxdb_stopped_records_nothing_and_can_be_run_again(tmp_path: Path) -> None:
    influx = LocalInfluxd(tmp_path / "influxd")
    influx.start()
    try:
        with InfluxReader(influx.url, "board") as reader:
            reader.create_database()
        site = tmp_path / "site.toml"
        site.write_text(f'[site]\nname = "demo-terminal"\n\n[influxdb]\nurl = "{influx.url}"\ndatabase = "board"\ntimeout_s = 0.5\n', encoding="utf-8")
        registry = tmp_path / "shipments.sqlite"
        assert "→ declared" in bulkdaq("shipment", "declare", str(ORE), "--site", str(site), "--registry", str(registry), cwd=tmp_path).stdout
        influx.stop()
        message = one_line_error(bulkdaq("shipment", "start", SID, "--site", str(site), "--registry", str(registry), cwd=tmp_path),
                                 logged="InfluxDB write of 1 lines failed (ConnectError")
        assert message.startswith(f"InfluxDB at {influx.url} did not store the clearance state within 1 s")
        assert message.endswith("nothing was recorded: shipment IMP-2026-0522 is still 'declared'. Run shipment start again once InfluxDB answers")
        influx.start()
        again = bulkdaq("shipment", "start", SID, "--site", str(site), "--registry", str(registry), cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert "declared → precheck" in again.stdout and "precheck → loading" in again.stdout
        with InfluxReader(influx.url, "board") as reader:
            assert reader.query(f"SELECT last(state) FROM clearance WHERE shipment = '{SID}'")[0].values[0][1] == "loading"
    finally:
        influx.stop()


# -- what a person wrote is printed as written ------------------------------------------------------------

def test_errors_and_reasons_are_printed_as_written_not_as_markup_or_emoji(tmp_path: Path) -> None:
    """A fingerprint's ":CD:" used to print as a picture of a CD, and "[bold]" vanished into styling."""
    bad = tmp_path / "bad.toml"
    bad.write_text(ORE.read_text(encoding="utf-8").replace('id = "IMP-2026-0522"', 'id = "[bold]:cd:"', 1), encoding="utf-8")
    message = one_line_error(bulkdaq("shipment", "declare", str(bad), "--registry", "r.sqlite", cwd=tmp_path))
    assert message.endswith("got '[bold]:cd:'")
    registry = tmp_path / "shipments.sqlite"
    reconciled(registry)
    key = registered_key_file(registry, tmp_path / "keys" / "officer", name="[bold]王 :cd:")
    certified = bulkdaq("officer", "certify", SID, "--key", str(key), "--reason", "[red]AB:CD:EF[/] checked :cd:", "--registry", str(registry), cwd=tmp_path)
    assert certified.returncode == 0, certified.stderr
    assert "verified → certified  ([red]AB:CD:EF[/] checked :cd:)" in certified.stdout
    assert f"signed by officer {OFFICER_ID} [bold]王 :cd: (key " in certified.stdout
    shown = bulkdaq("shipment", "show", SID, "--registry", str(registry), cwd=tmp_path)
    assert "[red]AB:CD:EF[/] checked :cd:" in shown.stdout


# -- a file to write that cannot be one ---------------------------------------------------------------------

OUTPUT_CASES = [
    BadInput("command line", "report file that is a folder", "certificate IMP-2026-0522 --out var", "command line: --out: var is a folder; name the file to write"),
    BadInput("command line", "report file below a file", "certificate IMP-2026-0522 --out blocker/report.html",
             "command line: --out: cannot write blocker/report.html: blocker is a file, not a folder"),
    BadInput("command line", "bundle file that is a folder", "evidence export var --shipment IMP-2026-0522", "command line: OUTPUT: var is a folder; name the file to write"),
    BadInput("command line", "bundle file in a folder that is not there", "evidence export nowhere/bundle.json --shipment IMP-2026-0522",
             "command line: OUTPUT: cannot write nowhere/bundle.json: the folder nowhere does not exist"),
    BadInput("command line", "heads file that is a folder", "evidence heads var --influx http://127.0.0.1:9 --database d --site-name s",
             "command line: OUTPUT: var is a folder; name the file to write"),
]


@pytest.mark.parametrize("case", OUTPUT_CASES, ids=ids(OUTPUT_CASES))
def test_a_file_to_write_that_cannot_be_one_is_refused_before_anything_is_done(tmp_path: Path, case: BadInput) -> None:
    registry = tmp_path / "shipments.sqlite"
    reconciled(registry)
    (tmp_path / "var").mkdir()
    (tmp_path / "blocker").write_text("a file", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    site = ["--site", str(REPO / "examples" / "site.toml")] if case.given.startswith("evidence export") else []
    message = one_line_error(bulkdaq(*case.given.split(" "), *site, "--registry", str(registry), cwd=tmp_path)
                             if not case.given.startswith("evidence heads") else bulkdaq(*case.given.split(" "), cwd=tmp_path))
    assert message == case.expected_message_part
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_the_report_may_go_to_a_new_folder(tmp_path: Path) -> None:
    registry = tmp_path / "shipments.sqlite"
    reconciled(registry)
    written = bulkdaq("certificate", SID, "--out", "var/reports/report.html", "--registry", str(registry), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "var" / "reports" / "report.html").is_file()


BAD_INPUTS = [*CLI_CASES, *OUTPUT_CASES]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""


def test_dashboards_build_refuses_a_password_in_the_influxdb_url(tmp_path: Path) -> None:
    """The datasource file is copied to every Grafana host: a password in --influx-url must not reach it."""
    result = runner.invoke(app, ["dashboards", "build", str(tmp_path / "out"), "--influx-url", "http://grafana:s3cret@influx:8086"])
    assert isinstance(result.exception, InputError)  # the CLI's main prints it in one line, exit 2
    assert str(result.exception) == "command line: --influx-url: the URL holds a password (user:password@host); give --username and --password-env instead"
    assert "s3cret" not in result.output
    assert not (tmp_path / "out").exists()
