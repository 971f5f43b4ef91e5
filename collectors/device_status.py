"""What the live status line shows for one device or server, the same for every collector."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DeviceStatus:
    """What the live status line shows for one device."""

    name: str
    connected: bool = False
    polls: int = 0
    errors: int = 0
    last_poll_ms: float = 0.0
    last_error: str | None = None
    last_good_time: float | None = None


__all__ = ["DeviceStatus"]
