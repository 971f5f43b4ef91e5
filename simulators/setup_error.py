"""The error a simulator raises when it is asked for what it cannot simulate."""

from __future__ import annotations

from bulkdaq.errors import BulkdaqError


class SetupError(BulkdaqError, ValueError):
    """A simulator asked for what it cannot simulate: a speed-up or a loading that is not positive, a register
    map that is not a flowmeter's, a plant nobody could connect to."""


__all__ = ["SetupError"]
