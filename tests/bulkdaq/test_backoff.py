"""The one capped backoff with jitter (bulkdaq/backoff.py): doubling waits, never past the cap, never
shorter than half of the capped wait, and back to the first wait after a success."""

from __future__ import annotations

import random

from bulkdaq.backoff import JITTER, Backoff


def test_waits_double_up_to_the_cap_with_jitter_below_each() -> None:
    backoff = Backoff(0.25, 5.0, rng=random.Random(7))
    nominal = [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    waits = [backoff.next_delay() for _ in nominal]
    for wait, expected in zip(waits, nominal, strict=False):
        assert (1 - JITTER) * expected <= wait <= expected
    assert len(set(waits)) == len(waits)  # jittered: no two the same


def test_reset_starts_again_from_the_first_wait() -> None:
    backoff = Backoff(0.5, 2.0, rng=random.Random(1))
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert 0.25 <= backoff.next_delay() <= 0.5


def test_a_cap_below_the_first_wait_caps_it() -> None:
    backoff = Backoff(1.0, 0.5)
    assert all(0.25 <= backoff.next_delay() <= 0.5 for _ in range(10))


def test_two_collectors_that_failed_together_do_not_retry_in_step() -> None:
    first, second = Backoff(0.25, 5.0, rng=random.Random(1)), Backoff(0.25, 5.0, rng=random.Random(2))
    assert [first.next_delay() for _ in range(6)] != [second.next_delay() for _ in range(6)]
