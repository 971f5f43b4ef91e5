"""A Coriolis mass flowmeter on a loading line, served over Modbus TCP.

Its register map, byte order and word order come from the same site configuration the collector
reads (one `[[modbus.devices]]` entry), so a test can serve "swapped words" and check the collector
decodes them, or from an independent device profile taken from a manufacturer's manual
(`simulators/device_profiles/`), so a site file's register map can be checked against it. Totals are
non-resettable and follow a `LoadingProfile` in closed form; the registers a client reads are the
device's state at that moment, and `reported()` decodes the same registers for the ground truth.

Rates and totals run on one clock, the collector's: a scenario that runs `speedup` × real time moves
the totals `speedup` × faster than the scenario's rate per real hour, so the rate registers report the
scenario rate × `speedup`, the flow a client actually observes (total increase per real hour), as a real
meter's rate matches the pace of its totals. The totalizer-jump check of a collector then holds with its
default margin; at `speedup = 1` the rates are the scenario's own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bulkdaq.config.site_file import ModbusDevice
from simulators.loading_profile import LoadingProfile
from simulators.register_map_device import RegisterMapDevice
from simulators.scenario_clock import ScenarioClock
from simulators.setup_error import SetupError

FLOWMETER_FIELDS = frozenset(
    {
        "mass_total_kg",
        "volume_total_m3",
        "flow_rate_kg_h",
        "volume_flow_m3_h",
        "density_kg_m3",
        "temperature_c",
        "pressure_kpa",
        "meter_factor",
        "status",
        "device_clock_s",
    }
)


@dataclass(frozen=True)
class MeterRun:
    """What flows through one meter: its loading and the product's line conditions."""

    profile: LoadingProfile
    density_kg_m3: float = 800.0
    temperature_c: float = 25.0
    pressure_flowing_kpa: float = 450.0
    pressure_idle_kpa: float = 120.0
    meter_factor: float = 1.0
    initial_mass_total_kg: float = 52_314_706.281
    initial_volume_total_m3: float = 65_391.172

    def state(self, t: float, speedup: float = 1.0) -> dict[str, float]:
        """Every flowmeter field at scenario time `t` [s], in the contract's units.

        Rates are per hour of a clock running `speedup` times slower than the scenario (the real time a
        collector measures when the scenario runs `speedup` × real time): the pace at which the totals move.
        """
        delivered = self.profile.delivered_kg(t)
        rate = self.profile.rate_kg_h(t)
        flowing = rate > 0
        return {
            "mass_total_kg": _exact_sum(self.initial_mass_total_kg, delivered),
            "volume_total_m3": _exact_sum(self.initial_volume_total_m3, delivered / self.density_kg_m3),
            "flow_rate_kg_h": rate * speedup,
            "volume_flow_m3_h": rate * speedup / self.density_kg_m3,
            "density_kg_m3": self.density_kg_m3,
            # A slow swing of the line temperature, so dashboards show a live value.
            "temperature_c": self.temperature_c + 0.4 * math.sin(t / 1800.0),
            "pressure_kpa": self.pressure_flowing_kpa if flowing else self.pressure_idle_kpa,
            "meter_factor": self.meter_factor,
            "status": 0,
        }


def _exact_sum(a: float, b: float) -> float:
    """a + b rounded once from the exact decimal sum, so a total of 65391.172 m³ plus 562.5 m³ reads
    65953.672, as a real register counting whole millilitres would, not 65953.671999…."""
    return float(Decimal(repr(a)) + Decimal(repr(b)))


class FlowmeterSimulator(RegisterMapDevice):
    """One Modbus device whose `meter` points are served from the meter runs' states.

    Faults a test can inject while it runs (each the way a real meter or flow computer misbehaves):
    `reset_totalizer`, `jump_totalizer`, `set_meter_factor`, `jump_clock`, `freeze` / `unfreeze`; and on
    the server (`ModbusDeviceServer`): exception codes, delays, garbage frames, dropped connections.
    Every image served can be kept (`record_served`, `served`; simulators/register_map_device.py) so a test can
    prove no stored good value was invented.
    """

    def __init__(self, device: ModbusDevice, runs: Mapping[str, MeterRun], clock: ScenarioClock) -> None:
        super().__init__(device, clock)
        self.runs = dict(runs)
        for index, point in enumerate(device.points):
            where = f"device {device.name!r} points[{index}] ({point.name!r})"
            if point.measurement != "meter" or point.field not in FLOWMETER_FIELDS:
                raise SetupError(f"{where}: a flowmeter serves meter fields {sorted(FLOWMETER_FIELDS)}, not {point.measurement}/{point.field}")
            if point.asset not in self.runs:
                raise SetupError(f"{where}: no meter run given for meter {point.asset!r}")
        self._offsets: dict[tuple[str, str], float] = {}
        self._meter_factors: dict[str, float] = {}
        self._clock_offset_s = 0.0

    # --- fault injection -----------------------------------------------------------------------
    def reset_totalizer(self, asset: str, field: str = "mass_total_kg") -> None:
        """The totalizer restarts from zero (a reset a technician or a power fault can cause)."""
        self._offsets[(asset, field)] = self._offsets.get((asset, field), 0.0) - self._state(asset)[field]

    def jump_totalizer(self, asset: str, amount: float, field: str = "mass_total_kg") -> None:
        """The totalizer leaps by `amount` without flow (a corrupted or hand-edited register)."""
        self._offsets[(asset, field)] = self._offsets.get((asset, field), 0.0) + amount

    def set_meter_factor(self, asset: str, factor: float) -> None:
        self._meter_factors[asset] = factor

    def jump_clock(self, seconds: float) -> None:
        """The device's own clock jumps (NTP step, battery-backed clock reset)."""
        self._clock_offset_s += seconds

    # --- state -----------------------------------------------------------------------------------
    def _state(self, asset: str, t: float | None = None) -> dict[str, float]:
        t = self.clock.seconds() if t is None else t
        state = self.runs[asset].state(t, self.clock.speedup)  # rates per real hour, as the totals move
        for (offset_asset, field), offset in self._offsets.items():
            if offset_asset == asset:
                state[field] = _exact_sum(state[field], offset)
        if asset in self._meter_factors:
            state["meter_factor"] = self._meter_factors[asset]
        state["device_clock_s"] = time.time() + self._clock_offset_s
        return state

    @classmethod
    def for_loading(
        cls,
        device: ModbusDevice,
        clock: ScenarioClock,
        profile: LoadingProfile,
        *,
        density_kg_m3: float = 800.0,
        temperature_c: float = 25.0,
    ) -> FlowmeterSimulator:
        """Every meter on `device` loads with the same `profile` and product."""
        assets = dict.fromkeys(point.asset for point in device.points)
        runs = {asset: MeterRun(profile, density_kg_m3=density_kg_m3, temperature_c=temperature_c) for asset in assets}
        return cls(device, runs, clock)

    def asset_states(self, t: float) -> dict[str, dict[str, float]]:
        return {asset: self._state(asset, t) for asset in self.runs}


__all__ = [
    "FLOWMETER_FIELDS",
    "FlowmeterSimulator",
    "MeterRun",
]
