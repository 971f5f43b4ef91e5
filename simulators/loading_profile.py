"""The flow profile of a loading: ramp up, steady rate, ramp down (a trapezoid), with exact integrals.

The delivered quantity at any scenario time is computed in closed form, so the simulator's totals are
ground truth, not the sum of many small steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.setup_error import SetupError


@dataclass(frozen=True)
class LoadingProfile:
    """A loading of `target_mass_kg` at `peak_rate_kg_h`, pumping from `start_s` (scenario seconds)."""

    target_mass_kg: float
    peak_rate_kg_h: float
    ramp_up_s: float = 600.0
    ramp_down_s: float = 600.0
    start_s: float = 0.0

    def __post_init__(self) -> None:
        if self.target_mass_kg <= 0 or self.peak_rate_kg_h <= 0:
            raise SetupError("target mass and peak rate must be > 0")
        if self.ramp_up_s < 0 or self.ramp_down_s < 0:
            raise SetupError("ramps must be ≥ 0 s")
        if self.steady_s < 0:
            raise SetupError(
                f"{self.target_mass_kg} kg cannot be loaded with ramps of {self.ramp_up_s} s and "
                f"{self.ramp_down_s} s at {self.peak_rate_kg_h} kg/h: shorten the ramps or lower the rate"
            )

    @property
    def _peak_kg_s(self) -> float:
        return self.peak_rate_kg_h / 3600.0

    @property
    def steady_s(self) -> float:
        return self.target_mass_kg / self._peak_kg_s - (self.ramp_up_s + self.ramp_down_s) / 2

    @property
    def end_s(self) -> float:
        """Scenario time at which pumping stops."""
        return self.start_s + self.ramp_up_s + self.steady_s + self.ramp_down_s

    def rate_kg_h(self, t: float) -> float:
        """Mass flow rate at scenario time `t` [kg/h]."""
        x = t - self.start_s
        up, steady, down = self.ramp_up_s, self.steady_s, self.ramp_down_s
        if x <= 0 or x >= up + steady + down:
            return 0.0
        if x < up:
            return self.peak_rate_kg_h * x / up
        if x <= up + steady:
            return self.peak_rate_kg_h
        return self.peak_rate_kg_h * (up + steady + down - x) / down

    def delivered_kg(self, t: float) -> float:
        """Mass delivered from the start of pumping to scenario time `t` [kg]."""
        x = t - self.start_s
        up, steady, down = self.ramp_up_s, self.steady_s, self.ramp_down_s
        peak = self._peak_kg_s
        if x <= 0:
            return 0.0
        if x >= up + steady + down:
            return self.target_mass_kg
        if x < up:
            return peak * x * x / (2 * up)
        if x <= up + steady:
            return peak * (up / 2 + (x - up))
        remaining = up + steady + down - x
        return self.target_mass_kg - peak * remaining * remaining / (2 * down)


__all__ = [
    "LoadingProfile",
]
