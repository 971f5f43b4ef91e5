"""Shared fixtures: a real influxd (Debian's influxdb) on a free loopback port for the whole session, and the yard
ledger's recording clock."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import LocalInfluxd
from ledger_clock import LedgerClock

_database_numbers = itertools.count()


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
