"""One clock for a whole scenario, running `speedup` times faster than real time.

Every simulator of a scenario reads the same clock, so meter totals, tank drop and ship drafts tell one
consistent story.
"""

from __future__ import annotations

import time


class ScenarioClock:
    """Scenario seconds since `start()`, advancing `speedup` × real time (monotonic)."""

    def __init__(self, speedup: float = 1.0) -> None:
        if speedup <= 0:
            raise ValueError(f"speedup must be > 0, got {speedup}")
        self.speedup = speedup
        self._started = time.monotonic()

    def start(self) -> None:
        self._started = time.monotonic()

    def seconds(self) -> float:
        return (time.monotonic() - self._started) * self.speedup
