"""Belt scales (belt weighers with an integrator) served over Modbus TCP: one device, one or more scales.

As the flowmeter (`simulators/flowmeter.py`), the register map comes from the site file's own
`[[modbus.devices]]` entry and is encoded with the collector's codec (`collectors/modbus/point_codec.py`);
the simulator serves `scale` points only (`total_t`, `rate_t_h`). What passes over each belt is a
`BeltFlow` in closed form (a `LoadingProfile` for a feeder, the sum of the feeders for a product belt), so
the mass truly carried at any scenario time is ground truth, not a sum of steps.

What the scale *reports* may differ from the truth by a drift: from a scenario time on, its integrator
counts `pct` % more (or less) than passes (a belt scale out of calibration, e.g. +1.5 % on a class 0.5
scale whose in-service MPE is 0.5 %). The reported rate drifts with it, so the scale's own rate and total
stay consistent, as a real integrator's are (both come from the same load cell and belt speed).

Rates and totals run on one clock, the collector's: a scenario run `speedup` × faster than real time
reports `speedup` × the scenario's rate, the pace at which the totals move per real hour (as the
flowmeter does), so a collector's totalizer-jump check holds with its default margin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from bulkdaq.config.site_file import ModbusDevice
from simulators.loading_profile import LoadingProfile
from simulators.register_map_device import RegisterMapDevice
from simulators.scenario_clock import ScenarioClock
from simulators.setup_error import SetupError

BELT_SCALE_FIELDS = frozenset({"total_t", "rate_t_h"})


class BeltFlow(Protocol):
    """What passes over a belt: its rate and the mass carried since the scenario began, in closed form."""

    def rate_t_h(self, t: float) -> float:
        """Rate at scenario time `t` [t per scenario hour]."""
        ...

    def carried_t(self, t: float) -> float:
        """Mass carried from scenario time 0 to `t` [t]."""
        ...


@dataclass(frozen=True)
class ProfileFlow:
    """A belt fed by a trapezoid `LoadingProfile` (its masses in kg, as the flowmeter's)."""

    profile: LoadingProfile

    def rate_t_h(self, t: float) -> float:
        return self.profile.rate_kg_h(t) / 1000.0

    def carried_t(self, t: float) -> float:
        return self.profile.delivered_kg(t) / 1000.0


@dataclass(frozen=True)
class Drift:
    """From scenario time `from_s` [s] on, the scale counts `pct` [%] more than passes (less when negative)."""

    pct: float
    from_s: float = 0.0

    def __post_init__(self) -> None:
        if not -50.0 < self.pct < 50.0:
            raise SetupError(f"a drift of {self.pct} % is no belt scale's: give a percentage between -50 and 50")


@dataclass(frozen=True)
class BeltFeed:
    """One scale's belt: the flow over it, the total its integrator started from, and its drift if any."""

    flow: BeltFlow
    initial_total_t: float = 12_345.678
    drift: Drift | None = None

    def carried_t(self, t: float) -> float:
        """Ground truth: the mass that passed over the belt from scenario time 0 to `t` [t]."""
        return self.flow.carried_t(t)

    def counted_t(self, t: float) -> float:
        """What the integrator counted of it from 0 to `t` [t]: the truth, plus the drift after it began."""
        carried = self.flow.carried_t(t)
        if self.drift is None or t <= self.drift.from_s:
            return carried
        return carried + self.drift.pct / 100.0 * (carried - self.flow.carried_t(self.drift.from_s))

    def state(self, t: float, speedup: float = 1.0) -> dict[str, float]:
        """Both fields at scenario time `t`: the total [t] and the rate per real hour [t/h] (scenario rate × speedup)."""
        rate = self.flow.rate_t_h(t)
        if self.drift is not None and t > self.drift.from_s:
            rate *= 1.0 + self.drift.pct / 100.0
        return {"total_t": _exact_sum(self.initial_total_t, self.counted_t(t)), "rate_t_h": rate * speedup}


def _exact_sum(a: float, b: float) -> float:
    """a + b rounded once from the exact decimal sum (12345.678 t + 600 t reads 12945.678, as an integrator shows it)."""
    return float(Decimal(repr(a)) + Decimal(repr(b)))


class BeltScaleSimulator(RegisterMapDevice):
    """One Modbus device serving the `scale` points of one or more belt scales from their feeds.

    Faults a test can inject while it runs: `reset_totalizer`, `jump_totalizer`, `freeze` / `unfreeze`; and
    on the server (`ModbusDeviceServer`): exception codes, delays, garbage frames, dropped connections.
    """

    def __init__(self, device: ModbusDevice, feeds: Mapping[str, BeltFeed], clock: ScenarioClock) -> None:
        super().__init__(device, clock)
        self.feeds = dict(feeds)
        for index, point in enumerate(device.points):
            where = f"device {device.name!r} points[{index}] ({point.name!r})"
            if point.measurement != "scale" or point.field not in BELT_SCALE_FIELDS:
                raise SetupError(f"{where}: a belt scale serves scale fields {sorted(BELT_SCALE_FIELDS)}, not {point.measurement}/{point.field}")
            if point.asset not in self.feeds:
                raise SetupError(f"{where}: no belt feed given for scale {point.asset!r}")
        self._offsets: dict[str, float] = {}

    @property
    def scales(self) -> list[str]:
        """The scales this device carries, in the order of its points."""
        return list(dict.fromkeys(point.asset for point in self.device.points))

    # --- fault injection -----------------------------------------------------------------------
    def reset_totalizer(self, scale: str) -> None:
        """The integrator's total restarts from zero (a technician's reset, a power fault)."""
        self._offsets[scale] = self._offsets.get(scale, 0.0) - self.state(scale)["total_t"]

    def jump_totalizer(self, scale: str, amount_t: float) -> None:
        """The total leaps by `amount_t` [t] without material on the belt."""
        self._offsets[scale] = self._offsets.get(scale, 0.0) + amount_t

    # --- state and ground truth ---------------------------------------------------------------
    def state(self, scale: str, t: float | None = None) -> dict[str, float]:
        """Both fields of `scale` at scenario time `t` (now if not given), faults included."""
        t = self.clock.seconds() if t is None else t
        state = self.feeds[scale].state(t, self.clock.speedup)
        if scale in self._offsets:
            state["total_t"] = _exact_sum(state["total_t"], self._offsets[scale])
        return state

    def asset_states(self, t: float) -> dict[str, dict[str, float]]:
        return {scale: self.state(scale, t) for scale in self.feeds}

    def carried_t(self, scale: str, t: float) -> float:
        """Ground truth: mass that passed over `scale`'s belt from scenario time 0 to `t` [t]."""
        return self.feeds[scale].carried_t(t)

    def counted_t(self, scale: str, t: float) -> float:
        """What `scale` counted from scenario time 0 to `t` [t] (drift included, injected faults not)."""
        return self.feeds[scale].counted_t(t)


__all__ = [
    "BELT_SCALE_FIELDS",
    "BeltFeed",
    "BeltFlow",
    "BeltScaleSimulator",
    "Drift",
    "ProfileFlow",
]
