"""What the CLI prints reads well (issue 18, "The command line"): every figure through the figure format at its
decimals with its unit in the same cell (no unit column, no float noise), the basis in words ("t in air", never
``t_air``), `shipment list` naming the registry it read, never cutting an id, and with --json; the demo's
printed commands work when `bulkdaq` is not on PATH."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bulkdaq.app.demo_clearance import Outcome
from bulkdaq.cli import demo as demo_cli
from bulkdaq.cli.main import app
from bulkdaq.cli.ticket import render_ticket
from bulkdaq.shipments.model import load_shipment
from bulkdaq.shipments.stored_totals import StoredTicket, TotalizerDelta
from bulkdaq.store.influx_reader import Reading
from bulkdaq.wording.figure_format import basis_text

REPO = Path(__file__).resolve().parents[3]
SHIPMENTS = REPO / "examples" / "shipments"
runner = CliRunner()
LONG_ID = "IMP-2026-0522-" + "X" * 90  # a safe id of 104 characters, wider than the 80 columns rich assumes in a pipe


def _rendered(renderable: object, width: int = 160) -> str:
    console = Console(width=width, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    path = tmp_path / "shipments.sqlite"
    long_file = tmp_path / "long.toml"
    long_file.write_text((SHIPMENTS / "ore-import.toml").read_text(encoding="utf-8").replace('"IMP-2026-0522"', f'"{LONG_ID}"', 1), encoding="utf-8")
    for file in (SHIPMENTS / "jet-fuel-export.toml", long_file):
        _ok("shipment", "declare", str(file), "--registry", str(path), "--actor", "officer Wang")
    return path


def test_shipment_list_names_its_registry_and_never_cuts_an_id(registry: Path) -> None:
    out = _ok("shipment", "list", "--registry", str(registry))
    lines = out.splitlines()
    assert lines[0] == f"2 shipments in the registry {registry.absolute()}"
    row = next(line for line in lines if LONG_ID in line)  # whole, on one line, though the output is not a terminal
    assert "88,800.000 t in air" in row and "declared" in row
    assert any("EXP-2026-0417" in line and "900.000 t in air" in line for line in lines)
    assert "t_air" not in out and "…" not in out


def test_shipment_list_json(registry: Path) -> None:
    document = json.loads(_ok("shipment", "list", "--registry", str(registry), "--json"))
    assert document["registry"] == str(registry.absolute())
    assert [s["id"] for s in document["shipments"]] == ["EXP-2026-0417", LONG_ID]
    first = document["shipments"][0]
    assert first["declared"] == {"quantity": 900.0, "unit": "t", "basis": "t_air"}
    assert first["state"] == "declared" and first["direction"] == "export" and first["event"] == 1
    assert datetime.fromisoformat(first["since"]).tzinfo is not None


def test_shipment_show_writes_the_basis_in_words(registry: Path) -> None:
    out = _ok("shipment", "show", "EXP-2026-0417", "--registry", str(registry))
    assert "declared 900.000 t in air;" in " ".join(out.split())
    assert "t_air" not in out


def test_the_stored_ticket_puts_each_unit_in_its_figure_cell() -> None:
    t0, t1 = datetime(2026, 11, 22, 8, tzinfo=timezone.utc), datetime(2026, 11, 22, 9, tzinfo=timezone.utc)
    ticket = StoredTicket("terminal", "FT-102", t0, t1, (
        TotalizerDelta("mass_total_kg", "mass", "kg", Reading(t0, 1000.0), Reading(t1, 45_001_000.0), Decimal("45000000.0")),
        # FT-102's volume total: a float32 remainder plus an overflow counter, so its digits carry float noise.
        TotalizerDelta("volume_total_m3", "volume", "m³", Reading(t0, 10.0), Reading(t1, 56_260.33984375), Decimal("56250.33984375")),
    ))
    text = _rendered(render_ticket(ticket))
    header = next(line for line in text.splitlines() if "totalizer" in line)
    assert header.split("┃")[1:-1] == [" totalizer ", " reading   ", "             value ", " time (UTC)                    "]
    assert "45,000,000.000 kg" in text and "1,000.000 kg" in text
    assert "56,250.340 m³" in text and "56,260.340 m³" in text and "56250.3398" not in text
    assert "unit" not in text


def test_the_file_ticket_has_no_unit_column() -> None:
    out = _ok("ticket", "meter", str(REPO / "examples" / "tickets" / "meter.json"))
    header = next(line for line in out.splitlines() if "figure" in line and "value" in line)
    assert "unit" not in header
    assert any("Opening totalizer" in line and "48,213.457 m³" in line for line in out.splitlines())
    assert any("Weight in air = NSV x WCF" in line and "3,158.190 t" in line for line in out.splitlines())
    assert any(line.split("│")[1].strip() == "CTL" and "0.98787 " in line for line in out.splitlines() if "│" in line)


def test_the_demo_outcome_says_the_basis_in_words() -> None:
    shipment = load_shipment(REPO / "examples" / "demo" / "jet-fuel-export.toml")
    outcome = Outcome(shipment, "released", {"meters": 89_999.99999999, "shore_tanks": 89_950.4},
                      [("meters vs declared", 0.1112347, 0.3, True)], Path("var/demo/certificates/DEMO-EXP-JET.html"))
    text = " ".join(_rendered(demo_cli._outcome_table(outcome), width=200).split())
    assert "declared 89,900.000 t in air" in text
    assert "figures (t in air): meters 90,000.000 t, shore_tanks 89,950.400 t" in text
    assert "+0.111 %" in text and "0.300 %" in text
    assert "state: released · measurement report: var/demo/certificates/DEMO-EXP-JET.html" in text
    assert "t_air" not in text


def test_the_demo_prints_commands_that_work_without_bulkdaq_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    venv_bin = Path(sys.executable).parent
    bare_path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if Path(p).resolve() != venv_bin.resolve())
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PATH", bare_path)
    command = demo_cli.command_name()
    assert Path(command).resolve() == (venv_bin / "bulkdaq").resolve()
    if venv_bin.resolve().is_relative_to(REPO.resolve()):
        assert not Path(command).is_absolute()  # `.venv/bin/bulkdaq` from the repository, as `make demo` runs it
    hint = demo_cli.path_hint()
    assert hint is not None and f"source {Path(command).parent / 'activate'}" in hint and command in hint
    # The command as printed runs, from the folder the demo ran in, with bulkdaq not on PATH.
    done = subprocess.run([*command.split(" "), "--version"], cwd=REPO, env={**os.environ, "PATH": bare_path}, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("bulkdaq "), done

    monkeypatch.setenv("PATH", os.pathsep.join([str(venv_bin), bare_path]))
    assert demo_cli.command_name() == "bulkdaq"
    assert demo_cli.path_hint() is None


@pytest.mark.parametrize(("basis", "expected"), [
    ("t_air", "89,900.000 t in air"), ("t_vacuum", "89,900.000 t in vacuum"), ("m3_15C", "89,900.000 m³ at 15 °C"), ("m3_20C", "89,900.000 m³ at 20 °C"),
])
def test_a_declared_quantity_is_written_with_its_basis_in_words(basis: str, expected: str) -> None:
    assert basis_text(89_899.99999999, basis, 3) == expected
