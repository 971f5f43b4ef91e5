"""Fixtures of the yard tests: a site key and a real signed SQLite ledger holding the honest scenario."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from yard_scenario import record_honest

from bulkdaq.yard.ledger import YardLedger


@pytest.fixture
def site_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def yard_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "yard.sqlite"


@pytest.fixture
def honest(yard_path: Path, site_key: Ed25519PrivateKey) -> Iterator[YardLedger]:
    with YardLedger(yard_path, site_key) as ledger:
        record_honest(ledger)
        yield ledger
