"""One clock for a whole scenario, running `speedup` times faster than real time.

Every simulator of a scenario reads the same clock, so meter totals, tank drop and ship drafts tell one
consistent story.
"""

from __future__ import annotations

import time

from simulators.setup_error import SetupError


class ScenarioClock:
    """Scenario seconds since `start()`, advancing `speedup` × real time (monotonic)."""

    def __init__(self, speedup: float = 1.0, *, running: bool = True) -> None:
        if speedup <= 0:
            raise SetupError(f"speedup must be > 0, got {speedup}")
        self.speedup = speedup
        self._started: float | None = time.monotonic() if running else None

    def start(self) -> None:
        """(Re)start the scenario at 0 s now."""
        self._started = time.monotonic()

    def seconds(self) -> float:
        """Scenario seconds; 0 while a clock created with running=False waits for start()."""
        return 0.0 if self._started is None else (time.monotonic() - self._started) * self.speedup


__all__ = [
    "ScenarioClock",
]
