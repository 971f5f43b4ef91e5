"""A customs office and its terminals for the tests (tests/test_office_end_to_end.py, tests/test_office_attacks.py):
the office's registry migrated in a database of the session's private PostgreSQL cluster, with an officers'
role; three terminals, each with its own folder, site key, SQLite registry, evidence spool and PostgreSQL role.
The `office` and `terminals` fixtures (tests/conftest.py) build them with `make_office` and `make_terminals`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bulkdaq.evidence.canonical_json import canonical_json, sha256_hex
from bulkdaq.evidence.chain import EvidenceLedger, create_site_key, load_private_key
from bulkdaq.office.intake import register_site_key, site_intake
from bulkdaq.office.outbox import TerminalOutbox
from bulkdaq.office.pusher import OfficePusher
from bulkdaq.office.roles import grant_office, grant_terminal
from bulkdaq.shipments.model import Shipment, load_shipment, shipment_from_data
from bulkdaq.shipments.registry import Event, ShipmentRegistry, _event_fields, _iso
from bulkdaq.shipments.registry_database import migrate_registry
from bulkdaq.store.line_protocol import Point
from bulkdaq.store.local_influxd import free_port
from bulkdaq.store.local_postgres import LocalPostgres
from bulkdaq.store.spool import DurableSpool
from officers import registered_officer

REPO = Path(__file__).resolve().parents[1]
SITES = ("ZJ-JET", "DL-ORE", "DL-OIL")
T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
TERMINAL_STEPS = ("precheck", "loading", "complete", "measured", "reconciled", "verified")


def shipment_of(site: str, number: int) -> Shipment:
    document = load_shipment(REPO / "examples" / "demo" / "jet-fuel-export.toml").as_document()
    document.update(id=f"{site}-2026-{number:04d}", site=site)
    return shipment_from_data(document, "test")


@dataclass
class Terminal:
    site: str
    folder: Path
    key: Ed25519PrivateKey
    registry: ShipmentRegistry
    role: str
    password: str

    @property
    def spool_path(self) -> Path:
        return self.folder / "spool.sqlite"

    def declare(self, number: int, steps: tuple[str, ...] = TERMINAL_STEPS) -> str:
        shipment = shipment_of(self.site, number)
        self.registry.declare(shipment, f"terminal {self.site}", at=T0)
        for minute, state in enumerate(steps, start=1):
            self.registry.transition(shipment.id, state, f"terminal {self.site}", f"{state} at {self.site}", at=T0 + timedelta(minutes=minute))
        return shipment.id

    def readings(self, count: int) -> None:
        """`count` evidence blocks in the terminal's spool, as its collector commits them."""
        async def commit() -> None:
            spool = DurableSpool(self.spool_path, ledger=EvidenceLedger(self.key))
            for i in range(count):
                await spool.submit([Point("meter", {"site": self.site, "meter": "FT-1"}, {"mass_total_kg": float(i), "quality": "good"},
                                          1_764_000_000_000 + i)])
            await spool.close()
        asyncio.run(commit())

    def site_file(self, office_registry: str, password_env: str, office_extra: str = "") -> Path:
        """The terminal's site file: its key, spool and registry, and an `[office]` section."""
        path = self.folder / "site.toml"
        path.write_text(f"""
[site]
name = "{self.site}"

[influxdb]
url = "http://127.0.0.1:{free_port()}"
database = "bulkdaq"

[spool]
path = "{self.spool_path}"

[evidence]
key_file = "{self.folder / 'site.key'}"

[shipments]
registry = "{self.folder / 'shipments.sqlite'}"

[office]
registry = "{office_registry}"
password_env = "{password_env}"
outbox = "{self.folder / 'outbox.sqlite'}"
{office_extra}""", encoding="utf-8")
        return path

    def pusher(self, office_url: str, outbox: str = "outbox.sqlite") -> OfficePusher:
        return OfficePusher(self.site, self.registry, TerminalOutbox(self.folder / outbox),
                            lambda: ShipmentRegistry(office_url, password=self.password, create=False), self.key, self.spool_path)


@dataclass
class Office:
    cluster: LocalPostgres
    database: str
    owner_url: str
    officer_url: str


def _role_url(cluster: LocalPostgres, database: str, role: str) -> str:
    return f"postgresql+psycopg://{role}@{cluster.host}:{cluster.port}/{database}"


def make_office(postgres_cluster: LocalPostgres, office_database: str) -> Office:
    """An office registry migrated in `office_database`, with an officers' role (the `office` fixture)."""
    database = sa.make_url(office_database).database
    assert database is not None
    migrate_registry(office_database)
    officer_role = f"{database}_officers"
    postgres_cluster.create_role(officer_role, "officer-secret")
    with ShipmentRegistry(office_database) as owner:
        grant_office(owner, officer_role)
    return Office(postgres_cluster, database, office_database, postgres_cluster.url(database, officer_role, "officer-secret"))


def make_terminals(tmp_path: Path, office: Office) -> dict[str, Terminal]:
    """Three terminals (SITES), each with its folder, site key, SQLite registry and a role at the office (the
    `terminals` fixture)."""
    made = {}
    for site in SITES:
        folder = tmp_path / site
        folder.mkdir()
        create_site_key(folder / "site.key", folder / "site.pub")
        key = load_private_key(folder / "site.key")
        role = f"{office.database}_{site.replace('-', '_').lower()}"
        office.cluster.create_role(role, f"{role}-secret")
        with ShipmentRegistry(office.owner_url) as owner:
            register_site_key(owner, site, key.public_key(), "office admin")
            grant_terminal(owner, role, site)
        made[site] = Terminal(site, folder, key, ShipmentRegistry(folder / "shipments.sqlite", signing_key=key), role, f"{role}-secret")
    return made


def terminal_url(office: Office, terminal: Terminal) -> str:
    return office.cluster.url(office.database, terminal.role, terminal.password)


def office_counts(office: Office) -> dict[str, int]:
    with ShipmentRegistry(office.owner_url) as owner:
        return {row.site: row.events for row in site_intake(owner)}


def registered_officer_at(office: Office) -> Ed25519PrivateKey:
    with ShipmentRegistry(office.owner_url) as owner:
        return registered_officer(owner)


def rewritten(event: Event, key: Ed25519PrivateKey, **changes: object) -> Event:
    """The event with `changes`, hashed and signed again with `key` (a terminal rewriting its own history)."""
    values = {**event.__dict__, **changes}
    fields = _event_fields(values["format"], values["number"], values["shipment"], _iso(values["time"]), values["from_state"],
                           values["to_state"], values["actor"], values["reason"], list(values["evidence"]), values["previous_hash"])
    values.update(hash=sha256_hex(fields), signature=key.sign(canonical_json(fields)).hex())
    return Event(**values)  # type: ignore[arg-type]


def bulkdaq(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bulkdaq.cli.main", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=120)
