"""The shipment registry on PostgreSQL (a customs office's) and on SQLite through the one code path:
the same steps give the same history; concurrent writers neither fork a chain nor move a shipment twice
from one state; the schema is Alembic's and an office database behind the code is refused to all but
its owner. Everything runs against a private PostgreSQL cluster (tests/conftest.py)."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from bulkdaq.evidence.chain import fingerprint, public_pem
from bulkdaq.shipments.lifecycle import TransitionRefused
from bulkdaq.shipments.model import Shipment, load_shipment, shipment_from_data
from bulkdaq.shipments.registry import HistoryAltered, ShipmentExists, ShipmentRegistry
from bulkdaq.shipments.registry_database import (
    RegistryDatabase,
    RegistryUnavailable,
    WriteRefused,
    _alembic_config,
    migrate_registry,
    newest_revision,
)
from bulkdaq.store.local_postgres import LocalPostgres
from officers import registered_officer

REPO = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
TO_VERIFIED = ("precheck", "loading", "complete", "measured", "reconciled", "verified")


def shipment(number: int) -> Shipment:
    document = load_shipment(REPO / "examples" / "demo" / "jet-fuel-export.toml").as_document()
    document["id"] = f"EXP-2026-{number:04d}"
    return shipment_from_data(document, "test")


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    if request.param == "sqlite":
        return tmp_path / "shipments.sqlite"
    url: str = request.getfixturevalue("office_database")
    migrate_registry(url)
    return url


def walk(registry: ShipmentRegistry, number: int, states: tuple[str, ...] = TO_VERIFIED) -> str:
    declared = shipment(number)
    registry.declare(declared, "terminal", at=T0)
    for minute, state in enumerate(states, start=1):
        registry.transition(declared.id, state, "terminal", state, at=T0 + timedelta(minutes=minute))
    return declared.id


def test_both_backends_record_the_same_history_hash_for_hash(tmp_path: Path, office_database: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    key = Ed25519PrivateKey.generate()
    migrate_registry(office_database)
    histories = []
    for location in (tmp_path / "r.sqlite", office_database):
        with ShipmentRegistry(location, signing_key=key) as registry:
            shipment_id = walk(registry, 1)
            registry.verify_history(shipment_id)
            histories.append([(e.number, e.to_state, e.hash, e.signature) for e in registry.events(shipment_id)])
            assert registry.key_fingerprint is not None and registry.shipment(shipment_id).id == shipment_id
    assert histories[0] == histories[1] and len(histories[0]) == 7


def test_an_officer_step_is_signed_by_the_officer_on_either_backend(location: str | Path) -> None:
    with ShipmentRegistry(location) as registry:
        shipment_id = walk(registry, 2)
        officer = registered_officer(registry)
        event = registry.transition(shipment_id, "certified", "ignored", "within tolerance", officer_key=officer)
        assert (event.format, event.actor, event.signer) == (3, "4401-0231 王 officer Wang", fingerprint(officer.public_key()))
        registry.verify_history(shipment_id)
        read_back = registry.events(shipment_id)[-1]
        assert read_back == event.__class__(**{**event.__dict__, "row": read_back.row})


def test_two_officers_certifying_at_once_move_the_shipment_once(location: str | Path) -> None:
    with ShipmentRegistry(location) as setup:
        shipment_id = walk(setup, 3)
        first = registered_officer(setup, "4401-0001", "甲")
        second = registered_officer(setup, "4401-0002", "乙")
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def certify(key: object) -> None:
        with ShipmentRegistry(location, create=False) as registry:
            start.wait()
            try:
                registry.transition(shipment_id, "certified", "", "certify", officer_key=key)  # type: ignore[arg-type]
                outcomes.append("recorded")
            except TransitionRefused as refused:
                outcomes.append(f"refused from {refused.current}")

    threads = [threading.Thread(target=certify, args=(key,)) for key in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["recorded", "refused from certified"]
    with ShipmentRegistry(location, create=False) as registry:
        assert [e.to_state for e in registry.events(shipment_id)][-2:] == ["verified", "certified"]
        registry.verify_history(shipment_id)


def test_many_writers_of_different_shipments_and_one_contested_id(location: str | Path) -> None:
    with ShipmentRegistry(location):
        pass
    errors: list[BaseException] = []
    contested: list[str] = []

    def writer(number: int) -> None:
        try:
            with ShipmentRegistry(location, create=False) as registry:
                walk(registry, number)
                try:
                    registry.declare(shipment(999), "terminal", at=T0)
                    contested.append("declared")
                except ShipmentExists:
                    contested.append("exists")
        except BaseException as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(10, 16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(contested) == ["declared"] + ["exists"] * 5
    with ShipmentRegistry(location, create=False) as registry:
        assert len(registry.ids()) == 7
        for shipment_id in registry.ids():
            registry.verify_history(shipment_id)
            assert [e.number for e in registry.events(shipment_id)] == list(range(1, len(registry.events(shipment_id)) + 1))


def test_the_schema_is_alembics_and_an_office_behind_the_code_is_refused(postgres_cluster: LocalPostgres, office_database: str) -> None:
    database = RegistryDatabase(office_database, owner_migrating=True)
    with database.engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "r0001")  # the office as an older bulkdaq left it
    database.dispose()
    name = sa.make_url(office_database).database
    postgres_cluster.create_role(f"{name}_app", "app-secret")
    postgres_cluster.execute(f'GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO "{name}_app"', database=name or "")
    app = ShipmentRegistry(postgres_cluster.url(name or "", f"{name}_app", "app-secret"), create=False)
    with pytest.raises(RegistryUnavailable, match=f"schema is at revision r0001, this bulkdaq writes {newest_revision()}; its owner runs `bulkdaq office migrate`"):
        app.declare(shipment(4), "terminal")
    app.close()
    assert migrate_registry(office_database) == newest_revision() == "r0008"
    assert migrate_registry(office_database) == "r0008"  # idempotent


def test_a_registry_written_before_migrations_were_kept_is_brought_up_by_its_first_write(tmp_path: Path) -> None:
    """A SQLite registry of format 2 as bulkdaq wrote it before Alembic (no alembic_version): opened as it is,
    migrated by the first write, its old history still verifying."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "old.sqlite"
    with ShipmentRegistry(path, signing_key=key) as registry:
        shipment_id = walk(registry, 5, TO_VERIFIED[:2])
    with sqlite3.connect(path) as db:  # take it back to the old file: no migrations table, no office columns or tables
        db.execute("DROP TABLE alembic_version")
        for table in ("officers", "site_keys", "chain_heads", "bundle_manifests", "push_conflicts", "officer_revocations", "yard_heads"):
            db.execute(f"DROP TABLE {table}")
        db.execute("DROP INDEX events_numbered")
        db.execute("DROP TRIGGER events_chained")
        db.execute("ALTER TABLE events DROP COLUMN signer")
        db.execute("ALTER TABLE events DROP COLUMN recorded_at")
        db.execute("ALTER TABLE events DROP COLUMN site")
        db.execute("ALTER TABLE shipments DROP COLUMN site")
    with ShipmentRegistry(path, signing_key=key, create=False) as registry:
        assert registry.database.revision() is None
        registry.verify_history(shipment_id)  # read as it is
        registry.transition(shipment_id, "complete", "terminal", "loaded")
        assert registry.database.revision() == "r0008"
        registry.verify_history(shipment_id)
        assert len(registry.events(shipment_id)) == 4
    assert public_pem(key.public_key())


def test_a_decision_recorded_before_officers_signed_still_verifies_and_says_so(tmp_path: Path) -> None:
    """A registry of before this change holds `certified` signed by the site key (format 2): it verifies as
    the site's step, the decision record says what it is, and the office does not take it as an officer's."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bulkdaq.office.decision_record import decision_record
    key = Ed25519PrivateKey.generate()
    with ShipmentRegistry(tmp_path / "old.sqlite", signing_key=key) as registry:
        shipment_id = walk(registry, 6)
        with registry.database.writing(shipment_id) as db:  # as the code before officers' keys recorded it
            registry._append(db, shipment_id, "verified", "certified", "officer Wang", "weight determined", [], T0 + timedelta(hours=1))
        registry.verify_history(shipment_id)
        last = decision_record(registry, shipment_id)[-1]
    assert (last.to_state, last.key_fingerprint) == ("certified", fingerprint(key.public_key()))
    assert last.decided_by == "site demo-terminal for officer Wang (recorded before officers signed their own decisions)"


def test_a_revoked_officer_key_signs_nothing_more_and_a_back_dated_decision_is_named(location: str | Path) -> None:
    from bulkdaq.office.officers import registered_officers, revoke_officer
    from bulkdaq.shipments.registry import OfficerNotRegistered
    with ShipmentRegistry(location) as registry:
        shipment_id = walk(registry, 7)
        officer = registered_officer(registry)
        registry.transition(shipment_id, "certified", "", "within tolerance", officer_key=officer)
        revoked = revoke_officer(registry, "4401-0231", "key lost with a laptop", "registry admin")
        assert revoked == fingerprint(officer.public_key()) and registered_officers(registry)[0].revoked_at is not None
        with pytest.raises(OfficerNotRegistered, match=r"officer 4401-0231 王 officer Wang's key .* was revoked at .* \(key lost with a laptop\)"):
            registry.transition(shipment_id, "released", "", "duties paid", officer_key=officer)
        registry.verify_history(shipment_id)  # the decision taken before the revocation stands
        with pytest.raises(ValueError, match="was revoked already"):
            revoke_officer(registry, "4401-0231", "again", "registry admin")
        # whoever holds the stolen key and the database writes a release dated before the revocation: an office's
        # database refuses any event naming a revoked key; a terminal's SQLite file records the moment it was written,
        # and verification names the decision recorded after the revocation
        def back_dated() -> None:
            with registry.database.writing(shipment_id) as db:
                registry._append(db, shipment_id, "certified", "released", "4401-0231 王 officer Wang", "released", [], T0 + timedelta(hours=2),
                                 officer_key=officer, signer=revoked)

        if registry.database.dialect == "postgresql":
            with pytest.raises(WriteRefused, match=rf"is signed with officer key {revoked}, which is revoked"):
                back_dated()
        else:
            back_dated()
            with pytest.raises(HistoryAltered, match=rf"event #9 of {shipment_id} \(certified → released\) was recorded at .*, after officer key "
                                                      rf"{revoked} was revoked at .* \(key lost with a laptop\)"):
                registry.verify_history(shipment_id)


def test_roles_granted_before_revocations_existed_can_read_them_after_the_migration(postgres_cluster: LocalPostgres, office_database: str) -> None:
    database = RegistryDatabase(office_database, owner_migrating=True)
    with database.engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "r0002")
    database.dispose()
    name = sa.make_url(office_database).database or ""
    role = f"{name}_officers"
    postgres_cluster.create_role(role, "officers-secret")
    for statement in (  # what `office grant --officers` gave at r0002
        f'GRANT SELECT ON shipments, events, chain_heads, bundle_manifests, push_conflicts, evidence, site_keys, officers, signing_key, '
        f'alembic_version TO "{role}"',
        f'GRANT INSERT ON events, evidence TO "{role}"',
        f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
        *(f'CREATE POLICY "{role} all {table}" ON {table} TO "{role}" USING (true) WITH CHECK (true)'
          for table in ("shipments", "events", "chain_heads", "bundle_manifests", "push_conflicts")),
    ):
        postgres_cluster.execute(statement, database=name)
    migrate_registry(office_database)
    with ShipmentRegistry(office_database) as owner:
        shipment_id = walk(owner, 8)
        officer = registered_officer(owner)
    with ShipmentRegistry(postgres_cluster.url(name, f"{name}_officers", "officers-secret"), create=False) as officers:
        event = officers.transition(shipment_id, "certified", "", "within tolerance", officer_key=officer)
        assert event.actor == "4401-0231 王 officer Wang" and officers.officer_revocations() == {}
