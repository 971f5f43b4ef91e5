"""Integrity events: what a reading says that a plausible number would hide. Both collectors use it.

Fed every good reading of an asset (a meter, a belt scale), the watch reports, as `event` points:

* ``totalizer_rollover`` / ``totalizer_reset`` — the total went backwards; a roll-over when the old
  value was near the top of the totalizer's span and the new one near zero, otherwise a reset. Only a
  collector that knows the span gives one (the Modbus collector derives it from the register width and
  scale, `collectors/modbus/integrity.py`); a totalizer without a span (an OPC UA Double) has no
  roll-over, so any drop is a reset;
* ``totalizer_jump`` — the total advanced more than the reported rate allows over the interval;
* ``frozen`` — the total did not move for longer than a limit while flow was reported (counted from the
  later of its last change and the moment the rate last turned from no flow to flow, so a belt that
  restarts after a stop is not frozen because its rate is read before its total's first step);
* ``meter_factor_change`` — the meter factor changed (a batch must not straddle it);
* ``clock_jump`` — the device's own clock moved against the reading's time by more than a limit;
* ``comms_gap`` — the device was unreachable and came back (reported by the collector itself).

Events never change the readings: the values are stored as read, and the event says what is wrong.
An event about one field (a totalizer, the meter factor, the device clock) names it in the `field` tag,
so two events of one poll (a flow-computer reset zeroes the mass and the volume totals together) are two
points in InfluxDB, not one overwriting the other. `event_point` is the one builder of those points.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bulkdaq.config.integrity_limits import IntegrityLimits
from bulkdaq.store import contract
from bulkdaq.store.line_protocol import Point

TOTALIZERS = {"mass_total_kg": "flow_rate_kg_h", "volume_total_m3": "volume_flow_m3_h", "total_t": "rate_t_h"}
"""Each totalizer field and the rate field (per hour, in the totalizer's unit) its jump and frozen checks use."""
WATCHED_MEASUREMENTS = frozenset({contract.METER.name, contract.SCALE.name})
"""The measurements whose assets carry totalizers: meters (mass, volume) and belt scales (`total_t`)."""


@dataclass(frozen=True)
class IntegrityEvent:
    asset: str
    kind: str
    message: str
    old: str
    new: str
    time_ms: int
    field: str | None = None  # the field the event is about; None for the whole device (comms_gap)


def event_point(site: str, event: IntegrityEvent) -> Point:
    """The `event` point of `event`: tagged with the site, the asset, the kind and (if any) the field."""
    tags = {contract.SITE_TAG: site, contract.EVENT.asset_tag: event.asset, contract.EVENT_KIND_TAG: event.kind}
    if event.field is not None:
        tags[contract.EVENT_FIELD_TAG] = event.field
    return Point(contract.EVENT.name, tags, {"message": event.message, "old": event.old, "new": event.new}, event.time_ms)


@dataclass(slots=True)
class _TotalState:
    value: float
    time_ms: int
    rate_per_h: float | None
    last_change_ms: int
    flowing_since_ms: int | None  # when the rate last turned positive (None: no flow reported now)
    frozen_reported: bool = False


@dataclass
class _AssetState:
    totals: dict[str, _TotalState] = field(default_factory=dict)
    meter_factor: float | None = None
    clock_offset_s: float | None = None


class IntegrityWatch:
    """Checks the readings of one source's assets, reading after reading.

    `spans` maps (asset, totalizer field) to the value at which that totalizer wraps (a Modbus register's
    span); a totalizer without one cannot roll over, so any decrease of it is a reset.
    """

    def __init__(self, limits: IntegrityLimits, spans: Mapping[tuple[str, str], float] | None = None) -> None:
        self.limits = limits
        self._spans: dict[tuple[str, str], float] = dict(spans or {})
        self._assets: dict[str, _AssetState] = {}

    def observe(self, asset: str, fields: Mapping[str, float | int], time_ms: int) -> list[IntegrityEvent]:
        """Check one good reading of `asset` (its fields as stored) taken at `time_ms`."""
        state = self._assets.setdefault(asset, _AssetState())
        events: list[IntegrityEvent] = []
        for total_field, rate_field in TOTALIZERS.items():
            if total_field in fields:
                rate = fields.get(rate_field)
                events += self._total(asset, state, total_field, float(fields[total_field]), None if rate is None else float(rate), time_ms)
        if "meter_factor" in fields:
            factor = float(fields["meter_factor"])
            if state.meter_factor is not None and factor != state.meter_factor:
                events.append(IntegrityEvent(
                    asset, "meter_factor_change", f"meter factor changed from {state.meter_factor!r} to {factor!r}",
                    repr(state.meter_factor), repr(factor), time_ms, "meter_factor",
                ))
            state.meter_factor = factor
        if "device_clock_s" in fields:
            offset = float(fields["device_clock_s"]) - time_ms / 1000
            if state.clock_offset_s is not None and abs(offset - state.clock_offset_s) > self.limits.clock_jump_s:
                jump = offset - state.clock_offset_s
                events.append(IntegrityEvent(
                    asset, "clock_jump", f"device clock jumped {jump:+.3f} s against the collector clock",
                    f"{state.clock_offset_s:+.3f}", f"{offset:+.3f}", time_ms, "device_clock_s",
                ))
            state.clock_offset_s = offset
        return events

    def _total(self, asset: str, state: _AssetState, name: str, value: float, rate_per_h: float | None, time_ms: int) -> list[IntegrityEvent]:
        previous = state.totals.get(name)
        if previous is None:
            state.totals[name] = _TotalState(value, time_ms, rate_per_h, time_ms, time_ms if rate_per_h is not None and rate_per_h > 0 else None)
            return []
        events: list[IntegrityEvent] = []
        if value < previous.value:
            old, new = repr(previous.value), repr(value)
            span = self._spans.get((asset, name))
            rolled = span is not None and previous.value > 0.9 * span and value < 0.1 * span
            kind = "totalizer_rollover" if rolled else "totalizer_reset"
            why = f"wrapped at the register span {span!r}" if rolled else "went backwards (reset)"
            events.append(IntegrityEvent(asset, kind, f"{name} {why}: {old} then {new}", old, new, time_ms, name))
        elif value != previous.value:
            # Measured from the last change, so a device that froze and then caught up is not a jump.
            hours = (time_ms - previous.last_change_ms) / 3_600_000
            rates = [r for r in (previous.rate_per_h, rate_per_h) if r is not None]
            if rates and hours > 0:
                allowed = max(rates) * hours * (1 + self.limits.jump_margin) + self.limits.jump_allowance
                if value - previous.value > allowed:
                    events.append(IntegrityEvent(
                        asset, "totalizer_jump",
                        f"{name} advanced {value - previous.value!r} in {hours * 3600:.3f} s; the flow rate allows at most {allowed!r}",
                        repr(previous.value), repr(value), time_ms, name,
                    ))
        if rate_per_h is None or rate_per_h <= 0:
            previous.flowing_since_ms = None
        elif previous.flowing_since_ms is None:
            previous.flowing_since_ms = time_ms
        if value != previous.value:
            previous.last_change_ms = time_ms
            previous.frozen_reported = False
        elif previous.flowing_since_ms is not None and not previous.frozen_reported:
            still_ms = time_ms - max(previous.last_change_ms, previous.flowing_since_ms)
            if still_ms >= self.limits.frozen_after_s * 1000:
                events.append(IntegrityEvent(
                    asset, "frozen",
                    f"{name} has not moved for {still_ms / 1000:.1f} s while the flow rate reads {rate_per_h!r}",
                    repr(previous.value), repr(value), time_ms, name,
                ))
                previous.frozen_reported = True
        previous.value, previous.time_ms, previous.rate_per_h = value, time_ms, rate_per_h
        return events


__all__ = [
    "TOTALIZERS",
    "WATCHED_MEASUREMENTS",
    "IntegrityEvent",
    "IntegrityWatch",
    "event_point",
]
