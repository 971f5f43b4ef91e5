"""Shared fixtures: a real influxd (Debian's influxdb) on a free loopback port for the whole session, a private
PostgreSQL cluster likewise, a customs office with three terminals in it, and the yard ledger's recording clock."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import LocalInfluxd
from bulkdaq.store.local_postgres import LocalPostgres
from ledger_clock import LedgerClock
from office_terminals import Office, Terminal, make_office, make_terminals

_database_numbers = itertools.count()
_office_database_numbers = itertools.count()


@pytest.fixture(scope="session")
def influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalInfluxd]:
    server = LocalInfluxd(tmp_path_factory.mktemp("influxd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def influx_db(influxd: LocalInfluxd) -> Iterator[InfluxReader]:
    """A fresh database on the session's influxd, as a reader (its `.database` names it)."""
    reader = InfluxReader(influxd.url, f"test_{next(_database_numbers)}")
    reader.create_database()
    yield reader
    reader.query(f'DROP DATABASE "{reader.database}"')
    reader.close()



@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> type[LedgerClock]:
    """Set `clock.current` to choose when the yard ledger records its next entries (bulkdaq/yard/ledger.py)."""
    monkeypatch.setattr("bulkdaq.yard.ledger.datetime", LedgerClock)
    monkeypatch.setattr(LedgerClock, "current", datetime(2026, 4, 1, tzinfo=timezone.utc))
    return LedgerClock


@pytest.fixture(scope="session")
def postgres_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres]:
    """One private PostgreSQL cluster (Debian's postgresql) for the whole session, thrown away at its end
    (as root it lives in its own temporary folder, see bulkdaq/store/local_postgres.py)."""
    cluster = LocalPostgres(tmp_path_factory.mktemp("postgres"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def office_database(postgres_cluster: LocalPostgres) -> str:
    """A fresh database in the session's cluster, owned by the superuser; its superuser SQLAlchemy URL."""
    name = f"office_{next(_office_database_numbers)}"
    postgres_cluster.create_database(name)
    return postgres_cluster.url(name)


@pytest.fixture
def office(postgres_cluster: LocalPostgres, office_database: str) -> Office:
    """A customs office's registry in a fresh database, with an officers' role (tests/office_terminals.py)."""
    return make_office(postgres_cluster, office_database)


@pytest.fixture
def terminals(tmp_path: Path, office: Office) -> dict[str, Terminal]:
    """Three terminals pushing to `office`, each with its site key, registry and role (tests/office_terminals.py)."""
    return make_terminals(tmp_path, office)
