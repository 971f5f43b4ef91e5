"""The one capped backoff with jitter, for every retry: a collector reconnecting to a device or a server,
the InfluxDB writer retrying a batch.

The n-th wait is ``first_s × 2ⁿ``, capped at ``cap_s``, then drawn uniformly between half of it and all
of it ("equal jitter"). Collectors that lost the same server at the same moment so do not come back in
step, and no wait is ever longer than the cap. A success resets the sequence.
"""

from __future__ import annotations

import random

JITTER = 0.5
"""Each wait is drawn from [(1 − JITTER) × w, w] for the capped exponential wait w."""


class Backoff:
    """Capped exponential backoff with jitter.

    Parameters
    ----------
    first_s : float
        The first wait [s] (before jitter).
    cap_s : float
        No wait is longer [s].
    rng : random.Random, optional
        Source of the jitter (a seeded one makes the waits repeatable).
    """

    def __init__(self, first_s: float, cap_s: float, *, rng: random.Random | None = None) -> None:
        if first_s <= 0 or cap_s <= 0:
            raise ValueError(f"backoff waits must be > 0 s, got first {first_s!r} and cap {cap_s!r}")
        self.first_s = first_s
        self.cap_s = cap_s
        self._rng = rng or random.Random()
        self._wait = min(first_s, cap_s)

    def next_delay(self) -> float:
        """The wait [s] before the next attempt; the one after it is twice as long, up to the cap."""
        wait = self._wait
        self._wait = min(wait * 2, self.cap_s)
        return wait * (1.0 - JITTER * self._rng.random())

    def reset(self) -> None:
        """After a success: the next failure waits `first_s` again."""
        self._wait = min(self.first_s, self.cap_s)


__all__ = ["JITTER", "Backoff"]
