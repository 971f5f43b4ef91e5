"""A customs office over three terminals (issue 19, docs/office.md): one PostgreSQL registry in a private
cluster, three terminals each with its own SQLite registry, site key, evidence spool and outbox, pushing
with their own database roles; officers deciding at the office with their own keys.

Every path a push can take is exercised against the real database: first delivery, an office that does
not answer, a push sent twice (a lost outbox), a replayed old event, a rewritten event and chain head, a
forged event, another site's shipment, and the command line (`bulkdaq office …`, `bulkdaq officer …`).
Counts are asserted exactly: nothing lost, nothing counted twice.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bulkdaq.office.decision_record import decision_record
from bulkdaq.office.intake import PushRefused, conflicts, receive_events, receive_heads, receive_manifest, site_intake
from bulkdaq.office.outbox import TerminalOutbox
from bulkdaq.office.pusher import OfficePusher
from bulkdaq.shipments.registry import HistoryAltered, ShipmentRegistry
from bulkdaq.shipments.registry_database import RegistryUnavailable, WriteRefused, migrate_registry
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import free_port
from office_terminals import (
    REPO,
    SITES,
    T0,
    TERMINAL_STEPS,
    Office,
    Terminal,
    _role_url,
    bulkdaq,
    office_counts,
    registered_officer_at,
    rewritten,
    terminal_url,
)
from officers import registered_officer


def test_three_terminals_push_concurrently_and_an_officer_decides_at_the_office(office: Office, terminals: dict[str, Terminal]) -> None:
    declared = {site: [terminal.declare(n) for n in (1, 2)] for site, terminal in terminals.items()}
    for terminal in terminals.values():
        terminal.readings(3)
    reports = {}

    def push(site: str) -> None:
        pusher = terminals[site].pusher(terminal_url(office, terminals[site]))
        pusher.take_head()
        reports[site] = pusher.push_once()
        pusher.close()

    threads = [threading.Thread(target=push, args=(site,)) for site in SITES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for site in SITES:
        report = reports[site]
        assert report.unreachable is None and report.held == {}
        assert (report.events.accepted, report.events.duplicates, report.heads.accepted, report.queued) == (14, 0, 1, 0)
    assert office_counts(office) == {"DL-OIL": 14, "DL-ORE": 14, "ZJ-JET": 14}

    with ShipmentRegistry(office.officer_url) as at_office:
        assert sorted(at_office.ids()) == sorted(i for ids in declared.values() for i in ids)
        officer = registered_officer_at(office)
        shipment_id = declared["DL-ORE"][0]
        certified = at_office.transition(shipment_id, "certified", "", "weight determined by draft survey", officer_key=officer)
        assert (certified.number, certified.actor, certified.format) == (8, "4401-0231 王 officer Wang", 3)
        steps = decision_record(at_office, shipment_id)
    assert [(s.number, s.to_state, s.decided_by) for s in steps[-2:]] == [
        (7, "verified", "site DL-ORE"), (8, "certified", "officer 4401-0231 王 officer Wang")]
    assert steps[-1].key_fingerprint == certified.signer and steps[0].evidence[0].kind == "declaration"
    # the terminal's events arrived as the terminal signed them: the office's copy is the terminal's, hash for hash
    assert [e.hash for e in ShipmentRegistry(office.owner_url).events(shipment_id)[:7]] == [e.hash for e in terminals["DL-ORE"].registry.events(shipment_id)]


def test_an_office_that_does_not_answer_loses_nothing_and_counts_nothing_twice(office: Office, terminals: dict[str, Terminal]) -> None:
    terminal = terminals["ZJ-JET"]
    first = terminal.declare(1)
    terminal.readings(2)
    dead = f"postgresql+psycopg://{terminal.role}@127.0.0.1:{free_port()}/{office.database}"
    outage = OfficePusher(terminal.site, terminal.registry, TerminalOutbox(terminal.folder / "outbox.sqlite"),
                          lambda: ShipmentRegistry(dead, password=terminal.password, create=False), terminal.key, terminal.spool_path)
    outage.take_head()
    report = outage.push_once()
    assert report.unreachable is not None and "cannot reach the office registry" in report.unreachable
    assert report.queued == 1 and report.events.accepted == 0
    # the terminal goes on while the office is away: a second shipment, more readings, another head
    second = terminal.declare(2, TERMINAL_STEPS[:3])
    terminal.readings(2)
    outage.take_head()
    assert outage.push_once().queued == 2
    outage.close()

    back = terminal.pusher(terminal_url(office, terminal))
    report = back.push_once()
    back.close()
    assert report.unreachable is None
    assert (report.events.accepted, report.events.duplicates, report.heads.accepted, report.queued) == (7 + 4, 0, 2, 0)
    with ShipmentRegistry(office.owner_url) as owner:
        assert [len(owner.events(i)) for i in (first, second)] == [7, 4]
        held = site_intake(owner)
    zj = next(row for row in held if row.site == "ZJ-JET")
    assert (zj.events, zj.heads, zj.last_head_seq, zj.conflicts) == (11, 2, 4, 0)


def test_a_push_sent_twice_and_a_replayed_old_event_are_counted_once(office: Office, terminals: dict[str, Terminal]) -> None:
    terminal = terminals["DL-OIL"]
    shipment_id = terminal.declare(1)
    terminal.readings(1)
    pusher = terminal.pusher(terminal_url(office, terminal))
    pusher.take_head()
    assert pusher.push_once().events.accepted == 7
    pusher.close()
    # the outbox is lost (a disk replaced): everything is pushed again, and the office holds it once
    again = terminal.pusher(terminal_url(office, terminal), outbox="new-outbox.sqlite")
    again.take_head()
    report = again.push_once()
    again.close()
    assert (report.events.accepted, report.events.duplicates, report.heads.accepted, report.heads.duplicates) == (0, 7, 0, 1)
    # an old event replayed on its own (by the terminal or by anyone holding the role): a duplicate, nothing more
    with ShipmentRegistry(terminal_url(office, terminal), create=False) as as_terminal:
        old = terminal.registry.events(shipment_id)[1]
        outcome = receive_events(as_terminal, terminal.site, [old], {})
    assert (outcome.accepted, outcome.duplicates, outcome.conflicts) == (0, 1, [])
    assert office_counts(office)["DL-OIL"] == 7


def test_a_rewritten_history_is_kept_as_a_conflict_and_holds_only_that_shipment(office: Office, terminals: dict[str, Terminal]) -> None:
    terminal = terminals["DL-ORE"]
    rewritten_id = terminal.declare(1, TERMINAL_STEPS[:4])
    other_id = terminal.declare(2, TERMINAL_STEPS[:2])
    pusher = terminal.pusher(terminal_url(office, terminal))
    assert pusher.push_once().events.accepted == 5 + 3
    pusher.close()
    # the terminal's administrator rewrites event #3 of the first shipment behind SQLite's triggers, signs it
    # again with the site key, and pushes everything again from a fresh outbox; the other shipment moves on
    events = terminal.registry.events(rewritten_id)
    forged = rewritten(events[2], terminal.key, reason="loading started an hour later")
    with sqlite3.connect(terminal.folder / "shipments.sqlite") as db:
        db.execute("DROP TRIGGER events_no_update")
        db.execute("UPDATE events SET reason = ?, hash = ?, signature = ? WHERE shipment = ? AND number = 3",
                   (forged.reason, forged.hash, forged.signature, rewritten_id))
    terminal.registry.transition(other_id, "complete", "terminal DL-ORE", "loaded")
    again = terminal.pusher(terminal_url(office, terminal), outbox="after-rewrite.sqlite")
    report = again.push_once()
    again.close()
    assert (report.events.accepted, report.events.duplicates) == (1, 2 + 3)  # #1 #2 of the first, #1–#3 of the other; #4 of the other
    assert list(report.held) == [rewritten_id]
    assert f"event #3 of {rewritten_id}: the office holds {events[2].hash}, the push offered {forged.hash}" in report.held[rewritten_id]
    with ShipmentRegistry(office.owner_url) as owner:
        kept = conflicts(owner, "DL-ORE")
        assert [(c["what"], c["held_hash"], c["offered_hash"]) for c in kept] == [(f"event #3 of {rewritten_id}", events[2].hash, forged.hash)]
        assert kept[0]["offered"]["reason"] == "loading started an hour later"
        assert owner.events(rewritten_id)[2].hash == events[2].hash  # the office's copy is unchanged
        owner.verify_history(rewritten_id)
    # a rewritten chain head (same block number, another hash) is a conflict too
    from bulkdaq.evidence.heads import sign_head
    with ShipmentRegistry(terminal_url(office, terminal), create=False) as as_terminal:
        receive_heads(as_terminal, terminal.site, [sign_head(terminal.key, terminal.site, 9, "a" * 64, 1_764_000_000_000)])
        outcome = receive_heads(as_terminal, terminal.site, [sign_head(terminal.key, terminal.site, 9, "b" * 64, 1_764_000_060_000)])
    assert outcome.accepted == 0 and "chain head #9 of DL-ORE: the office holds " + "a" * 64 in outcome.conflicts[0]
    pusher.close()


def test_forged_and_foreign_pushes_are_refused_and_nothing_is_stored(office: Office, terminals: dict[str, Terminal]) -> None:
    zj, dl = terminals["ZJ-JET"], terminals["DL-ORE"]
    shipment_id = zj.declare(1, ())
    events = zj.registry.events(shipment_id)
    documents = {d: zj.registry.evidence(d) for d in events[0].evidence}
    with ShipmentRegistry(terminal_url(office, zj), create=False) as as_zj:
        # signed by a key that is not the site's
        forged = rewritten(events[0], Ed25519PrivateKey.generate())
        with pytest.raises(PushRefused, match="signature is not the site key's"):
            receive_events(as_zj, "ZJ-JET", [forged], documents)
        # the events cite a document the push does not carry
        with pytest.raises(PushRefused, match=f"cites evidence {events[0].evidence[0]}, which the push does not carry"):
            receive_events(as_zj, "ZJ-JET", events, {})
        # an event that does not follow the one held (#2 before #1)
        zj.registry.transition(shipment_id, "precheck", "t", "precheck")
        with pytest.raises(PushRefused, match="arrives before the office holds the shipment's declaration"):
            receive_events(as_zj, "ZJ-JET", zj.registry.events(shipment_id)[1:], {})
        # pushing under another site's name: the role may not, and the site key would not match either
        with pytest.raises(PushRefused, match="signature is not the site key's"):
            receive_events(as_zj, "DL-ORE", events, documents)
    # a bundle manifest: stored once with the site's signature, refused when altered or signed by another key
    from bulkdaq.evidence.bundle import sign_manifest
    manifest = {"format": "bulkdaq-manifest/test", "site": "ZJ-JET", "shipment": shipment_id, "blocks": {"count": 3}}
    with ShipmentRegistry(terminal_url(office, zj), create=False) as as_zj:
        assert receive_manifest(as_zj, "ZJ-JET", manifest, sign_manifest(zj.key, manifest)).accepted == 1
        assert receive_manifest(as_zj, "ZJ-JET", manifest, sign_manifest(zj.key, manifest)).duplicates == 1
        with pytest.raises(PushRefused, match="the bundle manifest is not signed by the site's registered key"):
            receive_manifest(as_zj, "ZJ-JET", {**manifest, "blocks": {"count": 2}}, sign_manifest(zj.key, manifest))
        with pytest.raises(PushRefused, match="the bundle manifest is not signed"):
            receive_manifest(as_zj, "ZJ-JET", manifest, sign_manifest(Ed25519PrivateKey.generate(), manifest))
    # DL-ORE's role pushing ZJ-JET's shipment: its declaration names another site
    with ShipmentRegistry(terminal_url(office, dl), create=False) as as_dl:
        with pytest.raises(PushRefused):
            receive_events(as_dl, "DL-ORE", events, documents)
    assert sum(office_counts(office).values()) == 0
    # a terminal's history with an officer's decision signed by the site key (as before officers had keys):
    # everything before it is taken, the decision itself is not
    legacy_id = dl.declare(7)
    with dl.registry.database.writing(legacy_id) as db:
        dl.registry._append(db, legacy_id, "verified", "certified", "officer Wang", "certified at the terminal", [], T0 + timedelta(hours=1))
    pusher = dl.pusher(terminal_url(office, dl))
    report = pusher.push_once()
    pusher.close()
    assert report.events.accepted == 7 and list(report.held) == [legacy_id]
    assert "event #8 of DL-ORE-2026-0007 is an officer's decision signed by the site, not by an officer" in report.held[legacy_id]


def test_a_terminal_role_sees_and_writes_only_its_own_site(office: Office, terminals: dict[str, Terminal]) -> None:
    zj, dl = terminals["ZJ-JET"], terminals["DL-ORE"]
    for terminal in (zj, dl):
        terminal.declare(1, ())
        pusher = terminal.pusher(terminal_url(office, terminal))
        assert pusher.push_once().events.accepted == 1
        pusher.close()
    with ShipmentRegistry(terminal_url(office, zj), create=False) as as_zj:
        assert as_zj.ids() == ["ZJ-JET-2026-0001"]
        with pytest.raises(WriteRefused, match="permission denied for table events"), as_zj.database.writing() as db:
            db.execute(sa.text("UPDATE events SET reason = 'changed'"))
        with pytest.raises(WriteRefused, match="row-level security"), as_zj.database.writing() as db:
            db.execute(sa.text("INSERT INTO chain_heads (site, seq, hash, time_ms, signature, received_at) "
                               "VALUES ('DL-ORE', 1, 'x', 0, 'x', 'now')"))
    # the schema is its owner's: a terminal's role cannot create it (PostgreSQL 15: no CREATE on public for others)
    office.cluster.create_database(f"{office.database}_empty")
    with pytest.raises(RegistryUnavailable, match="its owner runs `bulkdaq office migrate`"):
        migrate_registry(office.cluster.url(f"{office.database}_empty", zj.role, zj.password))
    with ShipmentRegistry(office.officer_url) as officers:
        assert sorted(officers.ids()) == ["DL-ORE-2026-0001", "ZJ-JET-2026-0001"]
        with pytest.raises(WriteRefused, match="permission denied for table events"), officers.database.writing() as db:
            db.execute(sa.text("DELETE FROM events"))
    # not even the owner changes history: the triggers refuse, and the office's verification would name it
    with ShipmentRegistry(office.owner_url) as owner:
        with pytest.raises(WriteRefused, match="events are append-only"), owner.database.writing() as db:
            db.execute(sa.text("UPDATE events SET reason = 'changed'"))
        with pytest.raises(sa.exc.DBAPIError, match="events are chained"), owner.database.writing() as db:
            db.execute(sa.text("INSERT INTO events (shipment, number, time, to_state, actor, reason, evidence, previous_hash, hash, signature) "
                               "VALUES ('ZJ-JET-2026-0001', 5, 't', 'released', 'x', 'x', '[]', 'x', 'x', '')"))


def test_an_officer_step_at_the_office_needs_a_registered_officer_and_names_the_officer(office: Office, terminals: dict[str, Terminal]) -> None:
    terminal = terminals["DL-OIL"]
    shipment_id = terminal.declare(1)
    pusher = terminal.pusher(terminal_url(office, terminal))
    pusher.push_once()
    pusher.close()
    from bulkdaq.shipments.registry import OfficerNotRegistered
    with ShipmentRegistry(office.officer_url) as at_office:
        with pytest.raises(OfficerNotRegistered, match="'certified' is an officer's decision"):
            at_office.transition(shipment_id, "certified", "someone", "ok")
        stranger = Ed25519PrivateKey.generate()
        with pytest.raises(OfficerNotRegistered, match="has no officer with key"):
            at_office.transition(shipment_id, "certified", "", "ok", officer_key=stranger)
        officer = registered_officer_at(office)
        at_office.transition(shipment_id, "certified", "", "ok", officer_key=officer)
        at_office.transition(shipment_id, "released", "", "duties paid", officer_key=officer)
        assert at_office.state(shipment_id) == "released"
    # an officer's step signed by another key than the one it names is caught by verification
    with ShipmentRegistry(office.owner_url) as owner:
        owner.verify_history(shipment_id)
        with owner.database.writing() as db:
            db.exec_driver_sql("ALTER TABLE events DISABLE TRIGGER events_append_only")
            db.execute(sa.text("UPDATE events SET reason = 'no duties' WHERE shipment = :id AND number = 9"), {"id": shipment_id})
            db.exec_driver_sql("ALTER TABLE events ENABLE TRIGGER events_append_only")
        with pytest.raises(HistoryAltered, match="event #9 .* does not match its hash"):
            decision_record(owner, shipment_id)


def test_the_command_line_pushes_reports_health_and_names_who_decided(tmp_path: Path, office: Office, terminals: dict[str, Terminal],
                                                                    influx_db: InfluxReader) -> None:
    terminal = terminals["ZJ-JET"]
    shipment_id = terminal.declare(1)
    terminal.readings(2)
    terminal.registry.close()
    site_file = terminal.site_file(_role_url(office.cluster, office.database, terminal.role), "ZJ_OFFICE_PASSWORD")
    # a bundle exported at the terminal queues its signed manifest for the office
    since = (datetime.now(timezone.utc) - timedelta(minutes=10)).isoformat()
    exported = bulkdaq("evidence", "export", str(tmp_path / "bundle.json"), "--site", str(site_file), "--from", since)
    assert exported.returncode == 0, exported.stderr
    assert f"manifest queued for the customs office in {terminal.folder / 'outbox.sqlite'}" in exported.stdout
    pushed = bulkdaq("office", "push", "--site", str(site_file), "--once", "--json", env={"ZJ_OFFICE_PASSWORD": terminal.password})
    assert pushed.returncode == 0, pushed.stderr
    report = json.loads(pushed.stdout)
    assert (report["events"]["accepted"], report["heads"]["accepted"], report["manifests"]["accepted"], report["queued"], report["held"]) == (7, 1, 1, 0, {})
    with ShipmentRegistry(office.owner_url) as owner, owner.database.reading() as db:
        held = json.loads(db.execute(sa.text("SELECT body FROM bundle_manifests WHERE site = 'ZJ-JET'")).scalar_one())
    assert held["manifest"] == json.loads((tmp_path / "bundle.json").read_text(encoding="utf-8"))["manifest"]
    # a wrong password: the office refuses the role, the push says so, exits 1, and keeps everything for the next try
    refused = bulkdaq("office", "push", "--site", str(site_file), "--once", "--json", env={"ZJ_OFFICE_PASSWORD": "wrong"})
    assert refused.returncode == 1 and "password authentication failed" in json.loads(refused.stdout)["unreachable"]
    unset = bulkdaq("office", "push", "--site", str(site_file), "--once")
    assert unset.returncode == 2 and "office.password_env: environment variable ZJ_OFFICE_PASSWORD is not set" in unset.stderr

    owner_password = office.cluster.superuser_password
    owner_url = _role_url(office.cluster, office.database, "postgres")
    status = bulkdaq("office", "status", "--registry", owner_url, "--json", env={"BULKDAQ_OFFICE_PASSWORD": owner_password})
    assert status.returncode == 0, status.stderr
    sites = {row["site"]: row for row in json.loads(status.stdout)["sites"]}
    assert sites.keys() == set(SITES)
    assert (sites["ZJ-JET"]["events"], sites["ZJ-JET"]["heads"], sites["ZJ-JET"]["last_head_seq"], sites["ZJ-JET"]["stale"]) == (7, 1, 2, False)
    assert sites["ZJ-JET"]["head_age_s"] < 60
    assert (sites["DL-ORE"]["last_head_seq"], sites["DL-ORE"]["stale"]) == (None, True)  # nothing ever arrived: flagged

    officer_key = tmp_path / "officer"
    made = bulkdaq("officer", "keygen", "--id", "4401-0999", "--name", "李伟", "--out", str(officer_key), "--no-passphrase")
    assert made.returncode == 0, made.stderr
    registered = bulkdaq("officer", "register", str(tmp_path / "officer.card.json"), "--registry", owner_url, "--actor", "registry admin",
                         env={"BULKDAQ_OFFICE_PASSWORD": owner_password})
    assert registered.returncode == 0, registered.stderr
    # the officers' role may not register an officer: only the owner may
    officers_role = f"{office.database}_officers"
    second = bulkdaq("officer", "keygen", "--id", "4401-0998", "--name", "张敏", "--out", str(tmp_path / "second"), "--no-passphrase")
    assert second.returncode == 0, second.stderr
    refused = bulkdaq("officer", "register", str(tmp_path / "second.card.json"), "--registry", _role_url(office.cluster, office.database, officers_role),
                      "--actor", "someone", env={"BULKDAQ_OFFICE_PASSWORD": "officer-secret"})
    assert refused.returncode == 2 and "the database refused the write (permission denied for table officers)" in refused.stderr
    # the office's own site file: the officers' role, and the central InfluxDB the board reads
    office_site = tmp_path / "office.toml"
    office_site.write_text(f"""
[site]
name = "customs-office"

[influxdb]
url = "{influx_db.url}"
database = "{influx_db.database}"

[office]
registry = "{_role_url(office.cluster, office.database, officers_role)}"
password_env = "OFFICERS_PASSWORD"
""", encoding="utf-8")
    certified = bulkdaq("officer", "certify", shipment_id, "--key", str(tmp_path / "officer.key"), "--reason", "figures within tolerance",
                        "--site", str(office_site), env={"OFFICERS_PASSWORD": "officer-secret"})
    assert certified.returncode == 0, certified.stderr
    assert "signed by officer 4401-0999 李伟" in certified.stdout
    published = influx_db.query(f'SELECT last("state") FROM "clearance" WHERE "shipment" = \'{shipment_id}\' GROUP BY "site"')
    assert [(series.tags["site"], series.values[0][1]) for series in published] == [("ZJ-JET", "certified")]
    verified = bulkdaq("office", "verify", shipment_id, "--registry", owner_url, "--json", env={"BULKDAQ_OFFICE_PASSWORD": owner_password})
    assert verified.returncode == 0, verified.stderr
    steps = json.loads(verified.stdout)["steps"]
    assert [(s["number"], s["to"], s["decided_by"]) for s in steps][-2:] == [(7, "verified", "site ZJ-JET"), (8, "certified", "officer 4401-0999 李伟")]
    assert [e["kind"] for e in steps[0]["evidence"]] == ["declaration"]
    wrong = bulkdaq("office", "verify", "NO-SUCH", "--registry", owner_url, env={"BULKDAQ_OFFICE_PASSWORD": owner_password})
    assert wrong.returncode == 2 and "no shipment 'NO-SUCH'" in wrong.stderr


def _wait_for(condition: Callable[[], bool], log: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not reached within {timeout_s} s; the pusher said:\n{log.read_text(encoding='utf-8')}")


def test_the_running_pusher_rides_out_an_office_outage_and_a_kill(tmp_path: Path, office: Office, terminals: dict[str, Terminal]) -> None:
    """`bulkdaq office push` as a process: the office's address answers nothing at first (the proxy in front
    of it is down), the pusher retries; the proxy comes up and everything arrives; the pusher is killed with
    SIGKILL, the terminal goes on, a new pusher delivers the rest. Each event arrives once."""
    terminal = terminals["DL-OIL"]
    first = terminal.declare(1)
    terminal.readings(2)
    terminal.registry.close()
    proxy_port = free_port()
    site_file = terminal.site_file(f"postgresql://{terminal.role}@127.0.0.1:{proxy_port}/{office.database}", "DL_OFFICE_PASSWORD",
                                   "push_interval_s = 0.3\nmax_retry_delay_s = 1\n")
    env = {**os.environ, "DL_OFFICE_PASSWORD": terminal.password}
    command = [sys.executable, "-m", "bulkdaq.cli.main", "office", "push", "--site", str(site_file)]
    log = tmp_path / "pusher.log"
    pusher = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    proxy = None
    try:
        time.sleep(2.0)  # several cycles against an office that does not answer
        assert office_counts(office)["DL-OIL"] == 0
        proxy = subprocess.Popen([shutil.which("socat") or "socat", f"TCP-LISTEN:{proxy_port},bind=127.0.0.1,reuseaddr,fork",
                                  f"TCP:127.0.0.1:{office.cluster.port}"])
        _wait_for(lambda: office_counts(office)["DL-OIL"] == 7, log)
        with ShipmentRegistry(office.owner_url) as owner:
            _wait_for(lambda: next(r for r in site_intake(owner) if r.site == "DL-OIL").heads == 1, log)
        pusher.send_signal(signal.SIGKILL)
        pusher.wait(timeout=10)
        output = log.read_text(encoding="utf-8")
        assert "office not reached" in output and "pushed 7 events" in output
        # the terminal goes on without a pusher: a second shipment, more readings
        with ShipmentRegistry(terminal.folder / "shipments.sqlite", signing_key=terminal.key, create=False) as local:
            terminal.registry = local
            second = terminal.declare(2, TERMINAL_STEPS[:3])
        terminal.readings(1)
        pusher = subprocess.Popen(command, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
        _wait_for(lambda: office_counts(office)["DL-OIL"] == 11, log)
        with ShipmentRegistry(office.owner_url) as owner:
            _wait_for(lambda: next(r for r in site_intake(owner) if r.site == "DL-OIL").heads == 2, log)
            assert [len(owner.events(i)) for i in (first, second)] == [7, 4]
            assert next(r for r in site_intake(owner) if r.site == "DL-OIL").conflicts == 0
    finally:
        pusher.send_signal(signal.SIGTERM)
        pusher.wait(timeout=10)
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=10)
    assert pusher.returncode == 0  # SIGTERM: it stops between cycles


def test_the_officers_decisions_come_back_to_the_terminal_with_their_officer(office: Office, terminals: dict[str, Terminal]) -> None:
    """An officer certifies and releases at the office; the terminal's next push brings both decisions into
    its own registry, whose history then verifies with the officer's key (the card registered at the
    terminal as the office registered it), and pushes nothing twice. A terminal that knows the service
    number with another key does not take them, and says why."""
    from bulkdaq.office.decision_pull import PULLED_BY
    from bulkdaq.office.officers import registered_officers
    zj, dl = terminals["ZJ-JET"], terminals["DL-ORE"]
    shipment_id = zj.declare(1)
    other_id = dl.declare(1)
    for terminal in (zj, dl):
        pusher = terminal.pusher(terminal_url(office, terminal))
        assert pusher.push_once().events.accepted == 7
        pusher.close()
    officer = registered_officer_at(office)
    with ShipmentRegistry(office.officer_url) as at_office:
        at_office.transition(shipment_id, "certified", "", "weight determined", officer_key=officer)
        released = at_office.transition(shipment_id, "released", "", "duties paid", officer_key=officer)
        at_office.transition(other_id, "certified", "", "weight determined", officer_key=officer)

    pusher = zj.pusher(terminal_url(office, zj))
    report = pusher.push_once()
    again = pusher.push_once()
    pusher.close()
    assert (report.decisions_pulled, report.pull_refused, report.held) == (2, {}, {})
    assert (again.decisions_pulled, again.events.accepted, again.events.duplicates) == (0, 0, 2)  # the pulled two, confirmed, not re-sent
    assert zj.registry.state(shipment_id) == "released" and zj.registry.events(shipment_id)[-1].hash == released.hash
    zj.registry.verify_history(shipment_id)
    assert [(o.officer_id, o.registered_by) for o in registered_officers(zj.registry)] == [("4401-0231", PULLED_BY)]

    # DL-ORE's registry already knows 4401-0231 with another key: it takes nothing and names why
    registered_officer(dl.registry)
    pusher = dl.pusher(terminal_url(office, dl))
    report = pusher.push_once()
    pusher.close()
    assert report.decisions_pulled == 0 and list(report.pull_refused) == [other_id]
    assert "4401-0231" in report.pull_refused[other_id] and "refused" in report.pull_refused[other_id]
    assert dl.registry.state(other_id) == "verified"


def test_the_yard_ledgers_heads_reach_the_office_and_a_rewritten_ledger_contradicts_them(office: Office, terminals: dict[str, Terminal],
                                                                                          tmp_path: Path) -> None:
    """A bonded yard's ledger rewritten with the site key itself was caught only against a head kept outside the
    yard (session 5). The terminal now pushes its yard ledger's signed heads; the office keeps them (the
    NUMBER:HASH `office status` prints is what `yard verify --head` takes); a ledger rewritten after a head
    left contradicts it (a conflict)."""
    from bulkdaq.inputs.lot_file import read_inbound_lot
    from bulkdaq.office.intake import yard_heads
    from bulkdaq.yard.ledger import YardLedger
    lots = REPO / "examples" / "yard" / "lots"
    dl = terminals["DL-ORE"]
    ledger_path = dl.folder / "yard.sqlite"
    with YardLedger(ledger_path, dl.key) as ledger:
        ledger.lot_entered(read_inbound_lot(lots / "L-PILBARA-01.json"), "yard clerk", T0)
        second = ledger.lot_entered(read_inbound_lot(lots / "L-BRAZIL-07.json"), "yard clerk", T0 + timedelta(days=1))
    pusher = OfficePusher(dl.site, dl.registry, TerminalOutbox(dl.folder / "outbox.sqlite"),
                          lambda: ShipmentRegistry(terminal_url(office, dl), create=False), dl.key, None, ledger_path)
    pusher.take_head()
    report = pusher.push_once()
    pusher.close()
    assert (report.heads.accepted, report.unreachable) == (1, None)
    with ShipmentRegistry(office.owner_url) as owner:
        held = yard_heads(owner, "DL-ORE")
        intake = next(row for row in site_intake(owner) if row.site == "DL-ORE")
    assert [(h.seq, h.hash) for h in held] == [(2, second.hash)] and (intake.last_yard_head_seq, intake.last_yard_head_hash) == (2, second.hash)

    # the yard rewrites its ledger with its own key (the same two lots, the second entered a day later)
    rewritten_path = tmp_path / "rewritten.sqlite"
    with YardLedger(rewritten_path, dl.key) as ledger:
        ledger.lot_entered(read_inbound_lot(lots / "L-PILBARA-01.json"), "yard clerk", T0)
        forged = ledger.lot_entered(read_inbound_lot(lots / "L-BRAZIL-07.json"), "yard clerk", T0 + timedelta(days=2))
    assert forged.hash != second.hash
    rewriter = OfficePusher(dl.site, dl.registry, TerminalOutbox(dl.folder / "outbox-2.sqlite"),
                            lambda: ShipmentRegistry(terminal_url(office, dl), create=False), dl.key, None, rewritten_path)
    rewriter.take_head()
    report = rewriter.push_once()
    rewriter.close()
    assert report.heads.accepted == 0 and list(report.held) == ["queue"]
    assert f"yard ledger head #2 of DL-ORE: the office holds {second.hash}, the push offered {forged.hash}" in report.held["queue"]
    with ShipmentRegistry(office.owner_url) as owner:
        assert [c["confirmed"] for c in conflicts(owner, "DL-ORE")] == [True]
