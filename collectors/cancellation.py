"""Stopping a collector's loop even when a library swallowed the cancellation meant to stop it.

On Python 3.11, `asyncio.wait_for` returns the awaited result instead of raising `CancelledError` when
the cancellation arrives in the same loop iteration as the result. pymodbus and asyncua use `wait_for`
inside every request, so a device task cancelled while its answer comes in goes on polling, and the
collector that waits for it never finishes stopping (seen with 200 Modbus connections polled back to
back). The request is lost but the task still counts it (`Task.cancelling()`), so a loop that asks here
once per round stops within one round.
"""

from __future__ import annotations

import asyncio


def raise_if_cancel_requested(task: asyncio.Task | None = None) -> None:
    """Raise `asyncio.CancelledError` if `task` (default: the running task) has a cancellation pending that
    it did not see. A loop that runs often passes its own task, looked up once."""
    task = task or asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError("cancellation requested while a library call swallowed it")


__all__ = [
    "raise_if_cancel_requested",
]
