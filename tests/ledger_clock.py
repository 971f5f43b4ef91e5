"""The yard ledger's recording clock in tests (the `clock` fixture of tests/conftest.py sets it)."""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo


class LedgerClock(datetime):
    """The yard ledger's clock in a test: `now()` is `current`, the moment the next entry is recorded."""

    current = datetime(2026, 4, 1, tzinfo=timezone.utc)

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:
        return cls.current
