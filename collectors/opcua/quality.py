"""Quality of an OPC UA value from its StatusCode (OPC 10000-4 §7.39).

The two top bits give the severity: 00 Good, 01 Uncertain, 10/11 Bad. The low 16 bits may carry info
bits; when the InfoType is DataValue (bit 10), bit 7 says the server's monitored-item queue overflowed
and discarded values before this one, the only way a server tells a client it lost notifications.
"""

from __future__ import annotations

from asyncua import ua

from bulkdaq.store.contract import Quality

SEVERITY_MASK = 0xC000_0000
SEVERITY_UNCERTAIN = 0x4000_0000
CODE_MASK = 0xFFFF_0000
INFO_TYPE_DATAVALUE = 0x0400
OVERFLOW_BIT = 0x0080


def quality_of(status: int) -> Quality:
    """Good, uncertain or bad, from the severity bits of `status`."""
    severity = status & SEVERITY_MASK
    if severity == 0:
        return Quality.GOOD
    if severity == SEVERITY_UNCERTAIN:
        return Quality.UNCERTAIN
    return Quality.BAD


def server_queue_overflowed(status: int) -> bool:
    """True when the server says it discarded values of this item before this one (queue overflow)."""
    return bool(status & INFO_TYPE_DATAVALUE) and bool(status & OVERFLOW_BIT)


def status_name(status: int) -> str:
    """The StatusCode's symbolic name with its hex value, e.g. ``BadSensorFailure (0x808B0000)``."""
    code = status & CODE_MASK
    try:
        name = ua.StatusCode(code).name  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
    except Exception:  # a vendor-specific code that asyncua does not know
        name = "Unknown"
    return f"{name} (0x{status:08X})"


def describe(status: int) -> str | None:
    """Why a value is not plainly good, for `quality_reason`; None when there is nothing to say."""
    parts = []
    if quality_of(status) is not Quality.GOOD:
        parts.append(status_name(status))
    if server_queue_overflowed(status):
        parts.append("server queue overflowed: values before this one were discarded by the server")
    return "; ".join(parts) or None


__all__ = [
    "CODE_MASK",
    "INFO_TYPE_DATAVALUE",
    "OVERFLOW_BIT",
    "SEVERITY_MASK",
    "SEVERITY_UNCERTAIN",
    "describe",
    "quality_of",
    "server_queue_overflowed",
    "status_name",
]
