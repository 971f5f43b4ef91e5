"""What collectors hand their readings to: the `ReadingSink` interface.

Collectors know only `submit`, `depth` and `lag_s`; the durable spool (`bulkdaq/spool.py`) implements
it, and its forwarder drains it into InfluxDB.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bulkdaq.line_protocol import Point


class ReadingSink(Protocol):
    """Where collectors put readings. `submit` returns once the readings are safely accepted."""

    async def submit(self, points: Sequence[Point]) -> None: ...

    @property
    def depth(self) -> int: ...

    @property
    def lag_s(self) -> float: ...
