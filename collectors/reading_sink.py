"""What collectors hand their readings to: the `ReadingSink` interface.

Collectors know only `submit`, `depth` and `lag_s`; the durable spool (`bulkdaq/store/spool.py`)
implements it, and its forwarder (`bulkdaq/store/forwarder.py`) drains it into InfluxDB.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bulkdaq.store.line_protocol import Point


class ReadingSink(Protocol):
    """Where collectors put readings. `submit` returns once the readings are safely accepted; `source`
    names the device or server they come from (the spool keeps its last reading time, for restart gaps)."""

    async def submit(self, points: Sequence[Point], *, source: str | None = None) -> None: ...

    @property
    def depth(self) -> int: ...

    @property
    def lag_s(self) -> float: ...


__all__ = ["ReadingSink"]
