"""Hardening of the shipment registry and workflow (issue 14): shipment ids are safe names and an id
declared before that rule still reads; a step is all or nothing with a real influxd stopped in the middle;
`recheck` only from blocked; a file that is not a registry is refused, never written to."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

import bulkdaq.shipments.registry as registry_module
from bad_inputs import BadInput, ids
from bulkdaq.config.site_file import load_site
from bulkdaq.errors import InputError
from bulkdaq.evidence.canonical_json import canonical_json, sha256_hex
from bulkdaq.shipments.lifecycle import TransitionRefused
from bulkdaq.shipments.model import load_figures, load_shipment
from bulkdaq.shipments.registry import RegistryUnavailable, ShipmentRegistry, UnsafeShipmentId
from bulkdaq.shipments.tolerance_rules import load_rule_set
from bulkdaq.shipments.workflow import (
    StepNotRecorded,
    complete_loading,
    declare_shipment,
    recheck,
    reconcile_shipment,
    record_figures,
    start_loading,
)
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import LocalInfluxd
from bulkdaq.store.spool import DurableSpool

REPO = Path(__file__).resolve().parents[3]
ORE = REPO / "examples" / "shipments" / "ore-import.toml"
ORE_FIGURES = REPO / "examples" / "shipments" / "ore-import.figures.toml"
RULES = REPO / "examples" / "tolerances.toml"
AT = datetime(2026, 5, 22, 8, 0, tzinfo=timezone.utc)

SAFE_NAME = "id: expected a safe name: 1–120 letters, digits, '-', '_' or '.', beginning with a letter or digit, no '..'"
ID_CASES = [
    BadInput("shipment file", "shipment id climbing out of the folder", 'id = "../../etc/cron.d/bulkdaq"', SAFE_NAME),
    BadInput("shipment file", "shipment id that is an absolute path", 'id = "/tmp/EXP-1"', SAFE_NAME),
    BadInput("shipment file", "shipment id with a slash", 'id = "EXP/2026/0417"', SAFE_NAME),
    BadInput("shipment file", "shipment id that is two dots", 'id = ".."', SAFE_NAME),
    BadInput("shipment file", "shipment id with two dots inside", 'id = "EXP..0417"', SAFE_NAME),
    BadInput("shipment file", "shipment id beginning with a dot", 'id = ".EXP-0417"', SAFE_NAME),
    BadInput("shipment file", "shipment id with a colon", 'id = "C:EXP-0417"', SAFE_NAME),
    BadInput("shipment file", "shipment id with a backslash", 'id = "EXP\\\\0417"', SAFE_NAME),
    BadInput("shipment file", "shipment id with a space", 'id = "EXP 0417"', SAFE_NAME),
    BadInput("shipment file", "shipment id longer than 120 characters", f'id = "{"E" * 121}"', SAFE_NAME),
]


@pytest.mark.parametrize("case", ID_CASES, ids=ids(ID_CASES))
def test_a_shipment_id_that_is_not_a_safe_name_is_refused_naming_file_and_key(tmp_path: Path, case: BadInput) -> None:
    path = tmp_path / "shipment.toml"
    path.write_text(ORE.read_text(encoding="utf-8").replace('id = "IMP-2026-0522"', case.given, 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_shipment(path)
    assert str(caught.value).startswith(f"{path}: {case.expected_message_part}")
    assert [field for field, _ in caught.value.problems] == ["id"]  # type: ignore[attr-defined]  # one problem, the safe-name rule's


def test_safe_ids_are_accepted(tmp_path: Path) -> None:
    for good in ("EXP-2026-0417", "imp_2026.05", "7", "A" * 120):
        path = tmp_path / "shipment.toml"
        path.write_text(ORE.read_text(encoding="utf-8").replace('id = "IMP-2026-0522"', f'id = "{good}"', 1), encoding="utf-8")
        assert load_shipment(path).id == good


def test_the_registry_refuses_to_declare_an_unsafe_id_made_in_code(tmp_path: Path) -> None:
    shipment = load_shipment(ORE).model_copy(update={"id": "../escape"})  # model_copy does not validate
    with ShipmentRegistry(tmp_path / "r.sqlite") as registry:
        with pytest.raises(UnsafeShipmentId, match=r"shipment id '\.\./escape': expected a safe name"):
            registry.declare(shipment, "officer Wang")
        assert registry.ids() == []


def test_a_shipment_declared_before_the_rule_still_reads_and_moves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry written by the previous version (which let `/` and `..` through) keeps working: the
    shipment reads, verifies and goes through its lifecycle; only building a path from its id is refused
    (tests/bulkdaq/cli/test_hardening_cli.py shows `certificate` asking for --out)."""
    old_id = "IMP/../../2026-0522"
    path = tmp_path / "old.sqlite"
    with monkeypatch.context() as previous_version:
        previous_version.setattr(registry_module, "is_safe_shipment_id", lambda _id: True)
        with ShipmentRegistry(path) as registry:
            registry.declare(load_shipment(ORE).model_copy(update={"id": old_id}), "officer Wang", at=AT)
    with ShipmentRegistry(path, create=False) as registry:
        assert registry.ids() == [old_id] and registry.shipment(old_id).id == old_id
        start_loading(registry, old_id, "officer Wang", None, AT)
        complete_loading(registry, old_id, "terminal", None, None, AT)
        shipment = registry.shipment(old_id)
        record_figures(registry, old_id, "surveyor Chen", load_figures(ORE_FIGURES, shipment))
        result, _ = reconcile_shipment(registry, old_id, "officer Wang", load_rule_set(RULES))
        assert result.state == "verified"
        registry.verify_history(old_id)


def test_recheck_goes_to_precheck_only_from_blocked(tmp_path: Path) -> None:
    with ShipmentRegistry(tmp_path / "r.sqlite") as registry:
        shipment = load_shipment(ORE)
        registry.declare(shipment, "officer Wang", at=AT)
        with pytest.raises(TransitionRefused) as refused:
            recheck(registry, shipment.id, "officer Wang", "meter proved again")
        assert str(refused.value) == (
            "shipment IMP-2026-0522 is 'declared', not 'blocked': recheck goes to 'precheck' only from 'blocked' "
            "(allowed from 'declared': precheck)"
        )
        assert registry.state(shipment.id) == "declared" and len(registry.events(shipment.id)) == 1
        # The belt scale's certificate runs out on 2026-12-31: a start in 2027 blocks, then recheck is right.
        blocked = start_loading(registry, shipment.id, "officer Wang", None, datetime(2027, 1, 5, tzinfo=timezone.utc))
        assert blocked.state == "blocked"
        assert recheck(registry, shipment.id, "officer Wang", "scale verified again").state == "precheck"
        with pytest.raises(TransitionRefused, match=r"is 'precheck', not 'blocked': recheck goes to 'precheck' only from 'blocked' \(allowed from 'precheck': loading, blocked\)"):
            recheck(registry, shipment.id, "officer Wang", "twice")


def _site_file(folder: Path, influx: LocalInfluxd, database: str) -> Path:
    path = folder / "site.toml"
    path.write_text(
        f'[site]\nname = "demo-terminal"\n\n[influxdb]\nurl = "{influx.url}"\ndatabase = "{database}"\ntimeout_s = 0.5\n'
        f'quarantine_dir = "{folder / "quarantine"}"\n\n[spool]\npath = "{folder / "spool.sqlite"}"\n',
        encoding="utf-8",
    )
    return path


def _board_state(influx: LocalInfluxd, database: str, shipment_id: str) -> str:
    with InfluxReader(influx.url, database) as reader:
        return reader.query(f"SELECT last(state) FROM clearance WHERE shipment = '{shipment_id}'")[0].values[0][1]


def test_a_step_is_all_or_nothing_when_influxdb_is_down(tmp_path: Path) -> None:
    """With its own influxd, stopped between steps: `start` (two events) and `reconcile` (two events) fail
    whole, the registry stays where it was, and the same step succeeds once InfluxDB is back."""
    influx = LocalInfluxd(tmp_path / "influxd")
    influx.start()
    try:
        with InfluxReader(influx.url, "clearance") as reader:
            reader.create_database()
        site = load_site(_site_file(tmp_path, influx, "clearance"))
        shipment = load_shipment(ORE)
        with ShipmentRegistry(tmp_path / "shipments.sqlite") as registry:
            declare_shipment(registry, shipment, "officer Wang", "declared", site, at=AT)
            assert _board_state(influx, "clearance", shipment.id) == "declared"

            influx.stop()
            with pytest.raises(StepNotRecorded) as undone:
                start_loading(registry, shipment.id, "officer Wang", site, AT)
            message = str(undone.value)
            assert message.startswith(f"InfluxDB at {influx.url} did not store the clearance state within 1 s (ConnectError")
            assert message.endswith("nothing was recorded: shipment IMP-2026-0522 is still 'declared'. Run shipment start again once InfluxDB answers")
            assert registry.state(shipment.id) == "declared" and len(registry.events(shipment.id)) == 1

            influx.start()
            started = start_loading(registry, shipment.id, "officer Wang", site, AT)
            assert [e.to_state for e in started.events] == ["precheck", "loading"]
            assert [e.number for e in registry.events(shipment.id)] == [1, 2, 3]  # nothing half-written before
            assert _board_state(influx, "clearance", shipment.id) == "loading"
            complete_loading(registry, shipment.id, "terminal", site, None, AT)
            record_figures(registry, shipment.id, "surveyor Chen", load_figures(ORE_FIGURES, shipment), site)

            influx.stop()
            with pytest.raises(StepNotRecorded, match=r"is still 'measured'\. Run shipment reconcile again"):
                reconcile_shipment(registry, shipment.id, "officer Wang", load_rule_set(RULES), site)
            assert registry.state(shipment.id) == "measured"
            assert registry.latest_evidence(shipment.id, "reconciliation") is None

            influx.start()
            result, _ = reconcile_shipment(registry, shipment.id, "officer Wang", load_rule_set(RULES), site)
            assert [e.to_state for e in result.events] == ["reconciled", "verified"]
            assert _board_state(influx, "clearance", shipment.id) == "verified"
            registry.verify_history(shipment.id)
    finally:
        influx.stop()


def test_a_declaration_is_not_recorded_when_influxdb_does_not_take_it(tmp_path: Path) -> None:
    influx = LocalInfluxd(tmp_path / "influxd")  # never started: nothing answers on its port
    site = load_site(_site_file(tmp_path, influx, "clearance"))
    with ShipmentRegistry(tmp_path / "shipments.sqlite") as registry:
        with pytest.raises(StepNotRecorded, match=r"nothing was recorded: shipment IMP-2026-0522 is not declared"):
            declare_shipment(registry, load_shipment(ORE), "officer Wang", "declared", site, at=AT)
        assert registry.ids() == []


def _spool(path: Path) -> None:
    spool = DurableSpool(path)
    asyncio.run(spool.close())


REGISTRY_CASES = [
    BadInput("registry", "registry that is a text file", "the site file (TOML)", "not a shipment registry: cannot read it as SQLite (file is not a database)"),
    BadInput("registry", "registry that is a folder", "a folder", "is a folder; the shipment registry is one SQLite file"),
    BadInput("registry", "registry that is another program's SQLite database", "the collector's spool", "not a shipment registry (its tables: "),
    BadInput("registry", "empty file as a registry to read", "a file of 0 bytes", "not a shipment registry (an empty database;"),
    BadInput("registry", "registry that does not exist, to read", "var/new/shipments.sqlite", "no shipment registry there (reading creates none)"),
]


def _make(case: BadInput, folder: Path) -> Path:
    path = folder / "registry"
    if case.given == "a folder":
        path.mkdir()
    elif case.given == "the collector's spool":
        _spool(path)
    elif case.given == "a file of 0 bytes":
        path.write_bytes(b"")
    elif case.given.startswith("the site file"):
        path.write_text('[site]\nname = "demo-terminal"\n', encoding="utf-8")
    else:
        path = folder / "var" / "new" / "shipments.sqlite"
    return path


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("case", REGISTRY_CASES, ids=ids(REGISTRY_CASES))
def test_a_file_that_is_not_a_registry_is_refused_and_left_as_it_was(tmp_path: Path, case: BadInput) -> None:
    path = _make(case, tmp_path)
    before = _snapshot(tmp_path)
    with pytest.raises(RegistryUnavailable) as refused:
        ShipmentRegistry(path, create=False)
    assert str(refused.value).startswith(f"{path}: ") and case.expected_message_part in str(refused.value)
    if case.given != "a file of 0 bytes" and "does not exist" not in case.what:
        # Even a writing command (declare, which may create a new registry) refuses an existing non-registry.
        with pytest.raises(RegistryUnavailable, match="not a shipment registry|is a folder"):
            ShipmentRegistry(path, create=True)
    assert _snapshot(tmp_path) == before  # nothing created, nothing written


def _format_1_registry(path: Path) -> None:
    """A registry file as the first format wrote it: one declared shipment 'A', no per-shipment numbers."""
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE shipments (id TEXT PRIMARY KEY, declaration_hash TEXT NOT NULL, declared_at TEXT NOT NULL);"
        "CREATE TABLE evidence (hash TEXT PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL);"
        "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, shipment TEXT NOT NULL REFERENCES shipments(id), time TEXT NOT NULL,"
        " from_state TEXT, to_state TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL, evidence TEXT NOT NULL, previous_hash TEXT, hash TEXT NOT NULL);"
    )
    document = load_shipment(ORE).model_copy(update={"id": "A"}).as_document()
    digest = sha256_hex(document)
    db.execute("INSERT INTO evidence VALUES (?, 'declaration', ?)", (digest, canonical_json(document).decode()))
    db.execute("INSERT INTO shipments VALUES ('A', ?, '2026-04-11T08:00:00.000Z')", (digest,))
    fields = {"seq": 1, "shipment": "A", "time": "2026-04-11T08:00:00.000Z", "from": None, "to": "declared", "actor": "officer Li",
              "reason": "r", "evidence": [digest], "previous_hash": None}
    db.execute("INSERT INTO events VALUES (1, 'A', '2026-04-11T08:00:00.000Z', NULL, 'declared', 'officer Li', 'r', ?, NULL, ?)",
               (f'["{digest}"]', sha256_hex(fields)))
    db.commit()
    db.close()


def test_a_format_1_registry_is_read_without_being_changed(tmp_path: Path) -> None:
    """Reading an old registry writes nothing to it: its format is brought up to date by the first write."""
    path = tmp_path / "old.sqlite"
    _format_1_registry(path)
    before = path.read_bytes()
    with ShipmentRegistry(path, create=False) as registry:
        assert [e.number for e in registry.events("A")] == [1] and registry.key_fingerprint is None
        registry.verify_history("A")
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["old.sqlite"]
    with ShipmentRegistry(path, create=False) as registry:
        registry.transition("A", "precheck", "officer Li", "precheck")
        assert [(e.number, e.format) for e in registry.events("A")] == [(1, 1), (2, 2)]
        registry.verify_history("A")


BAD_INPUTS = [*ID_CASES, *REGISTRY_CASES]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
