"""The registry and the site go together (issue 18): set $BULKDAQ_SITE once and every shipment command
uses the site's `[shipments] registry` and publishes its state to the clearance board, with no flag to
remember; --registry and --site still win."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bulkdaq.cli import shipment as shipment_cli
from bulkdaq.store.influx_reader import InfluxReader
from site_files import write_site

REPO = Path(__file__).resolve().parents[3]
SHIPMENT = REPO / "examples" / "shipments" / "ore-import.toml"
SID = "IMP-2026-0522"

app = typer.Typer()
shipment_cli.register(app)
runner = CliRunner()


def _site(tmp_path: Path, influx_db: InfluxReader, registry: Path) -> Path:
    return write_site(tmp_path, f'\n[shipments]\nregistry = "{registry}"\n', url=influx_db.url, database=influx_db.database)


def test_bulkdaq_site_gives_the_registry_and_the_board(tmp_path: Path, influx_db: InfluxReader, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = tmp_path / "site-registry" / "shipments.sqlite"
    site = _site(tmp_path, influx_db, registry)
    monkeypatch.setenv("BULKDAQ_SITE", str(site))
    monkeypatch.setenv("BULKDAQ_ACTOR", "officer Wang")
    monkeypatch.delenv("BULKDAQ_REGISTRY", raising=False)
    monkeypatch.chdir(tmp_path)

    result = runner.invoke(app, ["shipment", "declare", str(SHIPMENT)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert registry.exists() and not (tmp_path / "var").exists()  # the site's registry, not var/shipments.sqlite

    states = influx_db.query(f"SELECT state FROM clearance WHERE shipment = '{SID}'")
    assert [row["state"] for row in states[0].rows()] == ["declared"]  # published with no --site

    listed = runner.invoke(app, ["shipment", "list"])
    assert listed.exit_code == 0, (listed.output, listed.exception)
    assert str(registry) in " ".join(listed.output.split()) and SID in listed.output

    other = tmp_path / "other.sqlite"
    explicit = runner.invoke(app, ["shipment", "list", "--registry", str(other)])
    assert str(other) in str(explicit.exception)  # --registry wins (and a reading command creates none)
    assert not other.exists()
