"""What the terminal's control system knows, as a function of scenario time: the plant's ground truth.

Shore tank T-101 feeds the loading line the flowmeters measure: its volume drops by exactly the mass the
`LoadingProfile` delivers divided by the product density, the pump runs and the line valve is open
while the profile pumps, and the vessel's draft marks sink as its cargo grows (a constant tonnes-per-
centimetre immersion). A belt scale follows its own (dry-bulk) profile. Every value is closed form in
the scenario time, so a test knows what the collector must have stored.

The draft marks are still water unless the model is given `DraftWaves`: then each mark's tag is its
still-water draft (`still_water_drafts`, the ground truth) plus the wave motion at that mark, from the
berth simulator's sea (`simulators.vessel_at_berth.Sea`: heave and pitch, each mark its own phase, the
phases drawn once from a seed), so the values stay a pure function of the scenario time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from simulators.loading_profile import LoadingProfile
from simulators.vessel_at_berth import MARKS, Sea, SeaState, SimulatedVessel, WaveComponent

TagKind = Literal["double", "boolean"]
PLANT_NAMESPACE_URI = "urn:bulkdaq:plant"  # the namespace of the plant's tags (not the server's application URI)
DRAFT_TAGS: dict[str, str] = {
    "fwd_port": "DraftFwdPort", "fwd_stbd": "DraftFwdStbd", "mid_port": "DraftMidPort",
    "mid_stbd": "DraftMidStbd", "aft_port": "DraftAftPort", "aft_stbd": "DraftAftStbd",
}
"""Each draft mark (in the order of `simulators.vessel_at_berth.MARKS`) and the last part of its tag."""


@dataclass(frozen=True)
class PlantTag:
    """One variable of the DCS: where it sits in the address space and what it holds."""

    identifier: str  # string node id in the plant namespace, e.g. "T-101.Level"
    path: tuple[str, ...]  # browse path below Objects, e.g. ("Plant", "Tanks", "T-101", "Level")
    kind: TagKind = "double"
    unit: str = ""

    @property
    def browse_path(self) -> str:
        return "/".join(self.path)


@dataclass(frozen=True)
class ShoreTank:
    """A vertical cylindrical shore tank with a linear strapping table (m³ per metre of innage)."""

    name: str = "T-101"
    initial_tov_m3: float = 30_000.0
    m3_per_m: float = 1_500.0
    density_kg_m3: float = 800.0
    temperature_c: float = 24.0
    free_water_m: float = 0.045
    high_level_m: float = 19.0
    low_level_m: float = 1.0


@dataclass(frozen=True)
class Vessel:
    """The ship being loaded: light drafts, trim and tonnes per centimetre immersion."""

    name: str = "MT-NORDIC-STAR"
    initial_mean_draft_m: float = 6.20
    initial_trim_m: float = 1.10  # aft deeper than forward
    tpc_t_per_cm: float = 52.0
    lbp_m: float = 174.0  # length between perpendiculars and breadth [m] (an MR tanker: 52 t/cm ≈ 1.025·LBP·B·0.9/100)
    breadth_m: float = 32.2  # only the waves use them: where each mark stands

    def hull(self) -> SimulatedVessel:
        """Her geometry as the berth simulator's sea wants it: LBP, breadth and the marks' positions (its defaults,
        fwd 4.5 m aft of the FP, mid 0.8 m aft of midships, aft 8.2 m forward of the AP); nothing else of it is used."""
        return SimulatedVessel(name=self.name, lbp_m=self.lbp_m, breadth_m=self.breadth_m)


PLANT_SWELL = SeaState(components=(WaveComponent(0.10, 8.0, 45.0),))
"""One swell of 0.10 m at 8 s (scenario time), travelling 45° from the bow towards port (from the starboard
quarter): 0.2 m crest to trough at midships, about 0.29 m at the ends (heave and pitch, the sea's default
pitch gain 0.5), well above the observation policy's 0.03 m hysteresis and below its 0.5 m spread limit."""


@dataclass(frozen=True)
class DraftWaves:
    """Waves on the vessel's draft marks: a sea state (scenario seconds) and the seed its phases are drawn from."""

    sea: SeaState = PLANT_SWELL
    seed: int = 0

    @classmethod
    def swell(cls, amplitude_m: float = 0.10, period_s: float = 8.0, heading_deg: float = 45.0, seed: int = 0) -> DraftWaves:
        """One regular swell of `amplitude_m` [m, at midships] and `period_s` [s, scenario time]."""
        return cls(SeaState(components=(WaveComponent(amplitude_m, period_s, heading_deg),)), seed)

    def realise(self) -> Sea:
        """The sea with its phases fixed: the same seed gives the same waves."""
        return self.sea.realise(np.random.default_rng(self.seed))


@dataclass(frozen=True)
class PlantModel:
    """The terminal's state at any scenario time: tank, pump, valve, loading arm, belt scale, drafts."""

    profile: LoadingProfile
    tank: ShoreTank = ShoreTank()
    vessel: Vessel = Vessel()
    scale_profile: LoadingProfile | None = None
    scale_initial_total_t: float = 1_204_331.25
    pump: str = "P-101"
    valve: str = "XV-101"
    arm: str = "LA-1"
    scale: str = "BS-1"
    valve_lead_s: float = 30.0  # the line valve opens before pumping starts and closes after it stops
    waves: DraftWaves | None = None  # None: the draft marks are still water (every value as before waves existed)
    tags: tuple[PlantTag, ...] = field(init=False)
    _sea: Sea | None = field(init=False, repr=False, compare=False)
    _hull: SimulatedVessel | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", tuple(self._tags()))
        object.__setattr__(self, "_sea", None if self.waves is None else self.waves.realise())
        object.__setattr__(self, "_hull", None if self.waves is None else self.vessel.hull())

    def _tags(self) -> list[PlantTag]:
        t, v = self.tank.name, self.vessel.name
        return [
            PlantTag(f"{t}.Level", ("Plant", "Tanks", t, "Level"), unit="m"),
            PlantTag(f"{t}.TOV", ("Plant", "Tanks", t, "TOV"), unit="m3"),
            PlantTag(f"{t}.Temperature", ("Plant", "Tanks", t, "Temperature"), unit="degC"),
            PlantTag(f"{t}.Density", ("Plant", "Tanks", t, "Density"), unit="kg/m3"),
            PlantTag(f"{t}.FreeWater", ("Plant", "Tanks", t, "FreeWater"), unit="m"),
            PlantTag(f"{t}.FreeWaterVolume", ("Plant", "Tanks", t, "FreeWaterVolume"), unit="m3"),
            PlantTag(f"{t}.HighLevelAlarm", ("Plant", "Tanks", t, "HighLevelAlarm"), kind="boolean"),
            PlantTag(f"{t}.LowLevelAlarm", ("Plant", "Tanks", t, "LowLevelAlarm"), kind="boolean"),
            PlantTag(f"{self.pump}.Running", ("Plant", "Pumps", self.pump, "Running"), kind="boolean"),
            PlantTag(f"{self.pump}.Speed", ("Plant", "Pumps", self.pump, "Speed"), unit="%"),
            PlantTag(f"{self.valve}.Open", ("Plant", "Valves", self.valve, "Open"), kind="boolean"),
            PlantTag(f"{self.arm}.Connected", ("Plant", "LoadingArms", self.arm, "Connected"), kind="boolean"),
            PlantTag(f"{self.arm}.ESD", ("Plant", "LoadingArms", self.arm, "ESD"), kind="boolean"),
            PlantTag(f"{self.scale}.Total", ("Plant", "BeltScales", self.scale, "Total"), unit="t"),
            PlantTag(f"{self.scale}.Rate", ("Plant", "BeltScales", self.scale, "Rate"), unit="t/h"),
            *(PlantTag(f"{v}.{name}", ("Plant", "Vessel", v, name), unit="m") for name in DRAFT_TAGS.values()),
        ]

    def draft_identifier(self, mark: str) -> str:
        """The tag of a draft mark: ``fwd_port`` → ``MT-NORDIC-STAR.DraftFwdPort``."""
        return f"{self.vessel.name}.{DRAFT_TAGS[mark]}"

    def still_water_drafts(self, t: float) -> dict[str, float]:
        """Each mark's still-water draft at scenario time `t` [m], by mark (``fwd_port`` …): the ground truth
        that the draft tags carry without waves and that their mean over whole wave periods must give."""
        vessel = self.vessel
        delivered_kg = self.profile.delivered_kg(t)
        loaded_fraction = delivered_kg / self.profile.target_mass_kg
        mean_draft = vessel.initial_mean_draft_m + delivered_kg / 1000.0 / (vessel.tpc_t_per_cm * 100.0)
        trim = vessel.initial_trim_m * (1.0 - 0.8 * loaded_fraction)  # the chief mate trims her by the head as she loads
        fwd, aft = mean_draft - trim / 2, mean_draft + trim / 2
        return {"fwd_port": fwd, "fwd_stbd": fwd, "mid_port": mean_draft, "mid_stbd": mean_draft, "aft_port": aft, "aft_stbd": aft}

    def wave_motion(self, t: float) -> dict[str, float]:
        """What the waves add to each mark's still-water draft at scenario time `t` [m], by mark (0 without waves)."""
        if self._sea is None or self._hull is None:
            return dict.fromkeys(MARKS, 0.0)
        return {mark: float(self._sea.motion(self._hull, mark, t)) for mark in MARKS}

    def tov_m3(self, t: float) -> float:
        """Tank T-101's total observed volume at scenario time `t` [m³]: what it held minus what was pumped."""
        return self.tank.initial_tov_m3 - self.profile.delivered_kg(t) / self.tank.density_kg_m3

    def values(self, t: float) -> dict[str, float | bool]:
        """Every tag's value at scenario time `t` [s], by identifier."""
        tank = self.tank
        rate_kg_h = self.profile.rate_kg_h(t)
        tov = self.tov_m3(t)
        level = tov / tank.m3_per_m
        pumping_window = self.profile.start_s - self.valve_lead_s < t < self.profile.end_s + self.valve_lead_s
        scale_total = self.scale_initial_total_t
        scale_rate = 0.0
        if self.scale_profile is not None:
            scale_total += self.scale_profile.delivered_kg(t) / 1000.0
            scale_rate = self.scale_profile.rate_kg_h(t) / 1000.0
        drafts = self.still_water_drafts(t)
        if self._sea is not None:
            motion = self.wave_motion(t)
            drafts = {mark: still + motion[mark] for mark, still in drafts.items()}
        return {
            f"{tank.name}.Level": level,
            f"{tank.name}.TOV": tov,
            f"{tank.name}.Temperature": tank.temperature_c + 0.2 * math.sin(t / 3600.0),
            f"{tank.name}.Density": tank.density_kg_m3,
            f"{tank.name}.FreeWater": tank.free_water_m,
            f"{tank.name}.FreeWaterVolume": tank.free_water_m * tank.m3_per_m,
            f"{tank.name}.HighLevelAlarm": level >= tank.high_level_m,
            f"{tank.name}.LowLevelAlarm": level <= tank.low_level_m,
            f"{self.pump}.Running": rate_kg_h > 0,
            f"{self.pump}.Speed": 100.0 * rate_kg_h / self.profile.peak_rate_kg_h,
            f"{self.valve}.Open": pumping_window,
            f"{self.arm}.Connected": True,
            f"{self.arm}.ESD": False,
            f"{self.scale}.Total": scale_total,
            f"{self.scale}.Rate": scale_rate,
            **{self.draft_identifier(mark): draft for mark, draft in drafts.items()},
        }


__all__ = [
    "DRAFT_TAGS",
    "PLANT_NAMESPACE_URI",
    "PLANT_SWELL",
    "DraftWaves",
    "PlantModel",
    "PlantTag",
    "ShoreTank",
    "TagKind",
    "Vessel",
]
