"""A bulk carrier at berth whose draft marks follow its loading or discharge, with trim, list, hog/sag and
waves: the ground truth the drone and sensor draft observation chain (issue 16) is tested against.

* **The vessel** (:class:`SimulatedVessel`) is a synthetic Capesize (LBP 280 m, breadth 45 m) with a full
  hydrostatic table from 6 to 18.5 m every 0.02 m at 1.025 t/m³, built from one waterplane: its
  waterplane coefficient Cw(T) is a smooth quadratic, TPC = ρ·LBP·B·Cw/100, the displacement is the
  exact integral of the waterplane area (so TPC = (dΔ/dT)/100 on every row), MTC = ρ·I_L/(100·LBP) with
  the rough waterplane inertia I_L ≈ Cw²·LBP³·B/12 (GM_L ≈ BM_L), and the LCF a smooth curve moving aft
  with draft. It is not a real ship; it is consistent, which is what the tests need.
* **The ground truth** (:func:`true_marks`): a :class:`VesselState` (cargo, deductibles, constant, dock
  density, trim, list, hog/sag) gives the six still-water draft marks. The draft is found by inverting
  the survey calculator itself (``calculators.survey.draft_survey.survey_condition`` with ``NO_ROUNDING``):
  the mean draft is solved by bisection until the calculator, given the true marks, returns the state's
  net displacement (lightship + constant + cargo) to the last bits. So the ground truth displacement *is*
  what the calculator gives for the true still-water marks. This simulator tests the observation chain —
  waves, sampling, noise, averaging and the stated uncertainty — not the survey method, which is tested
  against published cases (tests/reference/draft_survey_cases.json).
* **The scenario** (:class:`BerthScenario`): between an initial and a final state, cargo is worked
  linearly over scenario time (or by a :class:`~simulators.loading_profile.LoadingProfile`'s rate
  profile); deductibles, trim, list, hog/sag and dock density move in step, and the marks follow.
* **The sea** (:class:`SeaState`, realised with a seeded generator into :class:`Sea`): the observed draft
  at a mark is its still-water draft plus a sum of wave components (a swell and a wind sea) — each mark
  its own phase, the fore and aft marks moving more than midships as the ship heaves and pitches — plus
  an optional slow roll adding to the list.

All times are scenario seconds (the time of :class:`~simulators.scenario_clock.ScenarioClock`), mapped to
UTC by the scenario's ``epoch``. Every random draw comes from a seeded ``numpy.random.Generator``.
``survey_job_text`` writes the scenario as a survey job file (examples/surveys/simulated-capesize.json).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from calculators.survey.draft_survey import survey_condition
from calculators.survey.hydrostatics import HydrostaticTable
from calculators.survey.inputs import (
    Deductible,
    MarkPosition,
    MarkPositions,
    MarkReadings,
    SurveyConditionInput,
    VesselParticulars,
)
from calculators.survey.result import ConditionResult
from calculators.survey.rounding import NO_ROUNDING, round_half_away_from_zero
from simulators.loading_profile import LoadingProfile
from simulators.setup_error import SetupError

FloatArray = npt.NDArray[np.float64]

MARKS: tuple[str, ...] = ("fwd_port", "fwd_stbd", "mid_port", "mid_stbd", "aft_port", "aft_stbd")
"""The six draft marks, in the order of :class:`~calculators.survey.inputs.MarkReadings`."""

GRAVITY_M_S2 = 9.80665
EXAMPLE_JOB_FILE = Path("examples") / "surveys" / "simulated-capesize.json"
"""Where the survey job file of :func:`capesize_loading_scenario` is kept, relative to the repository."""

# Decimals the table is written with: displacement to 0.1 t, TPC to 0.001 t/cm, LCF to 1 mm, MTC to
# 0.1 t·m/cm. A displacement step then agrees with 100 × mean TPC × step to ±0.1 t (its own rounding).
TABLE_DECIMALS: Mapping[str, int] = {"draft_m": 2, "displacement_t": 1, "tpc_t_cm": 3, "lcf_m": 3, "mtc_t_m_cm": 1}


# ---------------------------------------------------------------------------------------------------------
# The vessel


@dataclass(frozen=True)
class SimulatedVessel:
    """A synthetic but consistent bulk carrier: particulars, mark positions and its hydrostatic table.

    Attributes
    ----------
    name : str
    lbp_m, breadth_m : float
        Length between perpendiculars and moulded breadth [m].
    table_density_t_m3 : float
        Density the table is computed for [t/m³].
    draft_min_m, draft_max_m, row_step_m : float
        The table's first and last draft and its row interval [m] (0.02 m: the calculator warns above 0.2 m).
    cw : tuple of float
        Waterplane coefficient Cw(T) = cw[0] + cw[1]·T + cw[2]·T² [-, T in m]; it must grow with draft.
    lcf : tuple of float
        LCF(T) = lcf[0] + lcf[1]·(T − draft_min) + lcf[2]·(T − draft_min)² [m from midships, aft positive].
    lightship_t, declared_constant_t : float
        [t]
    mark_positions : MarkPositions
        Forward marks aft of the FP, midship marks aft of midships, aft marks forward of the AP [m].
    keel_plate_mm : float
        0: the table is on extreme draft, as the marks are read.
    """

    name: str = "MV SIMULATED CAPE"
    lbp_m: float = 280.0
    breadth_m: float = 45.0
    table_density_t_m3: float = 1.025
    draft_min_m: float = 6.0
    draft_max_m: float = 18.5
    row_step_m: float = 0.02
    cw: tuple[float, float, float] = (0.78, 0.011, -0.00022)
    lcf: tuple[float, float, float] = (-4.5, 0.62, -0.012)
    lightship_t: float = 23_850.0
    declared_constant_t: float = 420.0
    mark_positions: MarkPositions = MarkPositions(
        fwd=MarkPosition(4.5, "aft"), mid=MarkPosition(0.8, "aft"), aft=MarkPosition(8.2, "forward")
    )
    keel_plate_mm: float = 0.0

    def __post_init__(self) -> None:
        if not (0 < self.draft_min_m < self.draft_max_m and self.row_step_m > 0):
            raise SetupError(f"table drafts {self.draft_min_m}–{self.draft_max_m} m every {self.row_step_m} m do not form a table")
        steps = (self.draft_max_m - self.draft_min_m) / self.row_step_m
        if abs(steps - round(steps)) > 1e-9:
            raise SetupError(f"the row step {self.row_step_m} m does not divide {self.draft_min_m}–{self.draft_max_m} m")
        for draft in (0.0, self.draft_max_m):
            if not self._cw_slope(draft) > 0:
                raise SetupError("the waterplane coefficient must grow with draft over the table (TPC and MTC increasing)")

    def _cw(self, draft_m: float) -> float:
        c0, c1, c2 = self.cw
        return c0 + c1 * draft_m + c2 * draft_m * draft_m

    def _cw_slope(self, draft_m: float) -> float:
        return self.cw[1] + 2.0 * self.cw[2] * draft_m

    def tpc_t_cm(self, draft_m: float) -> float:
        """Tonnes per centimetre immersion at `draft_m` [t/cm]: ρ·A_w/100, A_w = LBP·B·Cw(T)."""
        return self.table_density_t_m3 * self.lbp_m * self.breadth_m * self._cw(draft_m) / 100.0

    def displacement_t(self, draft_m: float) -> float:
        """Displacement at the table density [t]: ρ·∫₀ᵀ A_w dz, in closed form, so that 100·TPC = dΔ/dT."""
        c0, c1, c2 = self.cw
        t = draft_m
        return self.table_density_t_m3 * self.lbp_m * self.breadth_m * (c0 * t + c1 * t * t / 2.0 + c2 * t**3 / 3.0)

    def lcf_m(self, draft_m: float) -> float:
        """Longitudinal centre of flotation [m from midships, aft positive]."""
        x = draft_m - self.draft_min_m
        return self.lcf[0] + self.lcf[1] * x + self.lcf[2] * x * x

    def mtc_t_m_cm(self, draft_m: float) -> float:
        """Moment to change trim 1 cm [t·m/cm]: ρ·I_L/(100·LBP), I_L ≈ Cw²·LBP³·B/12 (GM_L ≈ BM_L)."""
        inertia = self._cw(draft_m) ** 2 * self.lbp_m**3 * self.breadth_m / 12.0
        return self.table_density_t_m3 * inertia / (100.0 * self.lbp_m)

    def hydrostatic_rows(self) -> list[dict[str, float]]:
        """The table as the job file writes it: one row per `row_step_m`, rounded to `TABLE_DECIMALS`."""
        rows = int(round((self.draft_max_m - self.draft_min_m) / self.row_step_m)) + 1
        table = []
        for i in range(rows):
            draft = round_half_away_from_zero(self.draft_min_m + i * self.row_step_m, TABLE_DECIMALS["draft_m"])
            exact = {
                "draft_m": draft,
                "displacement_t": self.displacement_t(draft),
                "tpc_t_cm": self.tpc_t_cm(draft),
                "lcf_m": self.lcf_m(draft),
                "mtc_t_m_cm": self.mtc_t_m_cm(draft),
            }
            table.append({key: round_half_away_from_zero(value, TABLE_DECIMALS[key]) for key, value in exact.items()})
        return table

    @functools.cached_property
    def table(self) -> HydrostaticTable:
        """The calculator's table of the rounded rows: exactly what the job file's reader builds."""
        rows = self.hydrostatic_rows()
        return HydrostaticTable(
            np.array([row["draft_m"] for row in rows]),
            np.array([row["displacement_t"] for row in rows]),
            np.array([row["tpc_t_cm"] for row in rows]),
            np.array([row["lcf_m"] for row in rows]),
            np.array([row["mtc_t_m_cm"] for row in rows]),
        )

    @property
    def particulars(self) -> VesselParticulars:
        """What the survey calculator needs of the ship."""
        return VesselParticulars(
            lbp_m=self.lbp_m,
            table_density_t_m3=self.table_density_t_m3,
            keel_plate_mm=self.keel_plate_mm,
            lightship_t=self.lightship_t,
            declared_constant_t=self.declared_constant_t,
            breadth_m=self.breadth_m,
        )

    def mark_xy(self, mark: str) -> tuple[float, float]:
        """Where a mark stands [m]: x forward of midships, y to port (+B/2 port, −B/2 starboard)."""
        if mark not in MARKS:
            raise SetupError(f"unknown mark {mark!r}; expected one of {', '.join(MARKS)}")
        station, side = mark.split("_")
        position = getattr(self.mark_positions, station)
        base = {"fwd": self.lbp_m / 2.0, "mid": 0.0, "aft": -self.lbp_m / 2.0}[station]
        return base + position.offset_m, self.breadth_m / 2.0 if side == "port" else -self.breadth_m / 2.0


# ---------------------------------------------------------------------------------------------------------
# The state and its true marks


@dataclass(frozen=True)
class VesselState:
    """What is on board and how the ship floats at one moment.

    Attributes
    ----------
    cargo_t : float
        Cargo on board [t].
    deductibles : tuple of Deductible
        Ballast, fresh water, fuels, lube, others, each by weight [t].
    constant_t : float
        The ship's constant (stores, crew, sediment) [t]; lightship + constant + cargo is the net displacement.
    dock_density_t_m3 : float
        Density of the water she floats in [t/m³].
    trim_m : float
        True trim at the perpendiculars, aft − forward [m], positive by the stern.
    list_deg : float
        Static list [°], positive to starboard (starboard marks deeper), negative to port — the sign of
        the observation file's `list_deg` (docs/draft_observation.md).
    deflection_m : float
        Hog/sag [m]: the midship draft's departure from the straight line through the forward and aft
        marks; positive sag (midships deeper), negative hog — the calculator's own deflection.
    """

    cargo_t: float
    deductibles: tuple[Deductible, ...]
    constant_t: float
    dock_density_t_m3: float
    trim_m: float = 0.0
    list_deg: float = 0.0
    deflection_m: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "deductibles", tuple(self.deductibles))
        if any(item.weight_t is None for item in self.deductibles):
            raise SetupError("a simulated deductible is given by weight [t]")
        if not 0.9 < self.dock_density_t_m3 < 1.1:
            raise SetupError(f"dock density {self.dock_density_t_m3!r} t/m³ is not a water density")

    @property
    def deductibles_t(self) -> float:
        """Total deductibles [t]."""
        return math.fsum(float(item.weight_t or 0.0) for item in self.deductibles)


def net_displacement_t(vessel: SimulatedVessel, state: VesselState) -> float:
    """The state's net displacement: lightship + constant + cargo [t]."""
    return vessel.lightship_t + state.constant_t + state.cargo_t


def marks_for_mean_draft(vessel: SimulatedVessel, state: VesselState, mean_draft_m: float) -> MarkReadings:
    """The six still-water marks of a ship floating at `mean_draft_m` with the state's trim, list and hog/sag.

    Parameters
    ----------
    vessel : SimulatedVessel
    state : VesselState
        Its trim [m], list [°] and deflection [m] are used.
    mean_draft_m : float
        Mean of the drafts at the perpendiculars on the centreline [m].

    Returns
    -------
    MarkReadings
        [m]. The forward and aft marks lie on the straight keel line d(x) = T − trim·x/LBP (x forward of
        midships), so the calculator's perpendicular corrections give back exactly the state's trim; the
        midship mark lies `deflection_m` off that line (the calculator's hog/sag). A list to starboard
        puts the starboard marks (B/2)·tan(list) deeper and the port marks as much shallower, so port and
        starboard differ by B·tan(list) and their mean is the centreline draft.
    """
    heel = vessel.breadth_m / 2.0 * math.tan(math.radians(state.list_deg))
    drafts = {}
    for station in ("fwd", "mid", "aft"):
        x, _ = vessel.mark_xy(f"{station}_port")
        centre = mean_draft_m - state.trim_m * x / vessel.lbp_m + (state.deflection_m if station == "mid" else 0.0)
        drafts[f"{station}_port"] = centre - heel
        drafts[f"{station}_stbd"] = centre + heel
    return MarkReadings(**drafts)


def survey_input(vessel: SimulatedVessel, state: VesselState, marks: MarkReadings, name: str = "simulated") -> SurveyConditionInput:
    """The calculator's input for one survey of `state` read at `marks` (no list TPCs: no list correction)."""
    return SurveyConditionInput(
        name=name,
        marks=marks,
        positions=vessel.mark_positions,
        dock_density_t_m3=state.dock_density_t_m3,
        deductibles=state.deductibles,
    )


def survey_of_marks(vessel: SimulatedVessel, state: VesselState, marks: MarkReadings, name: str = "simulated") -> ConditionResult:
    """The survey calculator (``NO_ROUNDING``, quarter mean) on `marks` with the state's density and deductibles."""
    return survey_condition(survey_input(vessel, state, marks, name), vessel.particulars, vessel.table, NO_ROUNDING)


@functools.lru_cache(maxsize=512)
def true_marks(vessel: SimulatedVessel, state: VesselState) -> MarkReadings:
    """The six true still-water draft marks of `state` [m]: the survey calculator, inverted.

    The mean draft is solved by bisection (down to adjacent floating-point numbers) so that
    :func:`survey_of_marks` on the marks of :func:`marks_for_mean_draft` gives the state's net
    displacement; the result differs from it by the displacement of one unit in the last place of the
    draft, ~1e-11 t. The calculator itself is the definition of the truth here: this simulator tests
    the observation of the marks, not the survey method (tested against published cases).

    Raises
    ------
    SetupError
        The state's displacement needs a mean draft whose table look-ups (± 0.5 m for MTC) fall
        outside the table.
    """
    target = net_displacement_t(vessel, state)
    # The calculator enters the table at the quarter mean T + ¾·deflection and reads MTC 0.5 m either side.
    low = vessel.draft_min_m + 0.5 - 0.75 * state.deflection_m
    high = vessel.draft_max_m - 0.5 - 0.75 * state.deflection_m

    def excess(mean_draft: float) -> float:
        return survey_of_marks(vessel, state, marks_for_mean_draft(vessel, state, mean_draft)).net_displacement_t - target

    lo_excess, hi_excess = excess(low), excess(high)
    if not lo_excess <= 0.0 <= hi_excess:
        raise SetupError(
            f"net displacement {target:,.1f} t lies outside what {vessel.name}'s table gives with trim {state.trim_m} m "
            f"and deflection {state.deflection_m} m ({lo_excess + target:,.1f} to {hi_excess + target:,.1f} t)"
        )
    for _ in range(200):  # ~60 halvings reach adjacent floats over a 12 m interval
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        value = excess(middle)
        if value == 0.0:
            low = high = middle
            break
        if value < 0.0:
            low, lo_excess = middle, value
        else:
            high, hi_excess = middle, value
    best = low if abs(lo_excess) <= abs(hi_excess) else high
    return marks_for_mean_draft(vessel, state, best)


def mark_value(marks: MarkReadings, mark: str) -> float:
    """One mark of `marks` by name ('fwd_port' …) [m]."""
    if mark not in MARKS:
        raise SetupError(f"unknown mark {mark!r}; expected one of {', '.join(MARKS)}")
    return float(getattr(marks, mark))


# ---------------------------------------------------------------------------------------------------------
# The scenario: a loading or a discharge on the scenario clock


def _blend(a: float, b: float, fraction: float) -> float:
    # exact at both ends, so a state before or after cargo work is the initial or final state to the bit
    if fraction <= 0.0:
        return a
    if fraction >= 1.0:
        return b
    return a + (b - a) * fraction


def blend_states(initial: VesselState, final: VesselState, fraction: float) -> VesselState:
    """The state `fraction` (0…1) of the way from `initial` to `final`, every quantity linearly.

    Deductibles are matched by position and must have the same kind and name in both states.
    """
    if len(initial.deductibles) != len(final.deductibles) or any(
        (a.kind, a.name) != (b.kind, b.name) for a, b in zip(initial.deductibles, final.deductibles, strict=False)
    ):
        raise SetupError("the initial and final states must list the same deductibles (kind and name) in the same order")
    if fraction <= 0.0:
        return initial
    if fraction >= 1.0:
        return final
    return VesselState(
        cargo_t=_blend(initial.cargo_t, final.cargo_t, fraction),
        deductibles=tuple(
            Deductible(a.kind, a.name, weight_t=_blend(float(a.weight_t or 0.0), float(b.weight_t or 0.0), fraction))
            for a, b in zip(initial.deductibles, final.deductibles, strict=True)
        ),
        constant_t=_blend(initial.constant_t, final.constant_t, fraction),
        dock_density_t_m3=_blend(initial.dock_density_t_m3, final.dock_density_t_m3, fraction),
        trim_m=_blend(initial.trim_m, final.trim_m, fraction),
        list_deg=_blend(initial.list_deg, final.list_deg, fraction),
        deflection_m=_blend(initial.deflection_m, final.deflection_m, fraction),
    )


@dataclass(frozen=True)
class BerthScenario:
    """A vessel at berth between two states: cargo worked from `cargo_start_s` to `cargo_end_s`.

    Attributes
    ----------
    vessel : SimulatedVessel
    initial, final : VesselState
        Before and after cargo work.
    operation : {'loading', 'discharge'}
    cargo_start_s, cargo_end_s : float
        Scenario seconds when cargo work starts and ends [s].
    initial_survey_s, final_survey_s : float
        Scenario seconds of the initial and final draft surveys [s] (before and after cargo work).
    epoch : datetime
        UTC time of scenario second 0.
    profile : LoadingProfile, optional
        When given, the cargo follows its delivered fraction (ramps, steady rate) instead of a straight
        line; its own start and end then replace `cargo_start_s` and `cargo_end_s`.
    truth_step_s : float
        During cargo work the still-water marks of a series are inverted every `truth_step_s` [s] and
        interpolated between (the draft is linear in the cargo to well under 0.1 mm over such a step).
    """

    vessel: SimulatedVessel
    initial: VesselState
    final: VesselState
    operation: Literal["loading", "discharge"] = "loading"
    cargo_start_s: float = 3_600.0
    cargo_end_s: float = 79_200.0
    initial_survey_s: float = 900.0
    final_survey_s: float = 81_000.0
    epoch: datetime = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    profile: LoadingProfile | None = None
    truth_step_s: float = 30.0

    def __post_init__(self) -> None:
        start, end = self.cargo_window_s
        if not self.initial_survey_s <= start < end <= self.final_survey_s:
            raise SetupError("the scenario must run: initial survey ≤ cargo start < cargo end ≤ final survey")
        if self.epoch.tzinfo is None or self.epoch.utcoffset() != timedelta(0):
            raise SetupError("the scenario epoch must be a UTC datetime")
        gained = self.final.cargo_t - self.initial.cargo_t
        if (self.operation == "loading") != (gained > 0):
            raise SetupError(f"a {self.operation} from {self.initial.cargo_t} t to {self.final.cargo_t} t of cargo")
        blend_states(self.initial, self.final, 0.5)  # same deductibles in both states

    @property
    def cargo_window_s(self) -> tuple[float, float]:
        """Scenario seconds when cargo work starts and ends [s]."""
        if self.profile is not None:
            return self.profile.start_s, self.profile.end_s
        return self.cargo_start_s, self.cargo_end_s

    def progress(self, t: float) -> float:
        """Fraction of the cargo worked at scenario time `t` [s] (0 before, 1 after)."""
        if self.profile is not None:
            return self.profile.delivered_kg(t) / self.profile.target_mass_kg
        start, end = self.cargo_window_s
        return min(max((t - start) / (end - start), 0.0), 1.0)

    def state_at(self, t: float) -> VesselState:
        """The vessel's state at scenario time `t` [s]."""
        return blend_states(self.initial, self.final, self.progress(t))

    def marks_at(self, t: float) -> MarkReadings:
        """The true still-water marks at scenario time `t` [s] (exact inversion, cached per state)."""
        return true_marks(self.vessel, self.state_at(t))

    def survey_time_s(self, survey: str) -> float:
        """Scenario time of the survey 'initial' or 'final' [s]."""
        times = {"initial": self.initial_survey_s, "final": self.final_survey_s}
        if survey not in times:
            raise SetupError(f"unknown survey {survey!r}; the scenario has 'initial' and 'final'")
        return times[survey]

    def utc(self, t: float) -> datetime:
        """The UTC time of scenario second `t`."""
        return self.epoch + timedelta(seconds=t)

    def still_water(self, mark: str, times_s: npt.ArrayLike) -> FloatArray:
        """The true still-water draft of `mark` at each scenario time [m].

        Exact (one inversion) when the state does not change over the times; during cargo work the
        inversions every `truth_step_s` are interpolated linearly.
        """
        times = np.asarray(times_s, dtype=np.float64)
        if times.size == 0:
            return np.zeros(0)
        first, last = float(times.min()), float(times.max())
        if self.progress(first) == self.progress(last):  # no cargo work during the times (progress is monotone)
            return np.full(times.shape, mark_value(self.marks_at(first), mark))
        knots = np.linspace(first, last, max(2, int(math.ceil((last - first) / self.truth_step_s)) + 1))
        values = np.array([mark_value(self.marks_at(float(k)), mark) for k in knots])
        interpolated: FloatArray = np.interp(times, knots, values)
        return interpolated


# ---------------------------------------------------------------------------------------------------------
# The sea


@dataclass(frozen=True)
class WaveComponent:
    """One regular wave train as the ship feels it.

    amplitude_m [m] at midships (heave); period_s [s]; heading_deg [°]: the direction the waves travel,
    from the ship's bow towards port (0 travelling forward along the ship, 90 from starboard to port).
    """

    amplitude_m: float
    period_s: float
    heading_deg: float = 45.0

    def __post_init__(self) -> None:
        if self.amplitude_m < 0 or not self.period_s > 0:
            raise SetupError(f"a wave needs an amplitude ≥ 0 m and a period > 0 s, got {self.amplitude_m} m, {self.period_s} s")


@dataclass(frozen=True)
class SeaState:
    """The waves and roll at the berth; :meth:`realise` draws their phases.

    Attributes
    ----------
    components : tuple of WaveComponent
        Default: a swell of 0.05 m at 8 s and a wind sea of 0.02 m at 3.1 s.
    pitch_gain : float
        How much more the end marks move than midships: a mark at x from midships moves
        (1 + pitch_gain·|x|/(LBP/2)) × the component's amplitude [-] (heave plus pitch).
    roll_amplitude_deg, roll_period_s : float
        A slow roll [°, s] adding (B/2)·tan(roll) to the starboard marks and taking it from the port ones
        (the list's sign); 0 by default (a moored ship barely rolls).
    """

    components: tuple[WaveComponent, ...] = (WaveComponent(0.05, 8.0, 45.0), WaveComponent(0.02, 3.1, 100.0))
    pitch_gain: float = 0.5
    roll_amplitude_deg: float = 0.0
    roll_period_s: float = 14.0

    def realise(self, rng: np.random.Generator) -> Sea:
        """This sea with its phases drawn from `rng` (uniform on [0, 2π)): one component phase each and the roll's."""
        phases = tuple(float(p) for p in rng.uniform(0.0, 2.0 * math.pi, len(self.components)))
        return Sea(self, phases, float(rng.uniform(0.0, 2.0 * math.pi)))

    @property
    def longest_period_s(self) -> float:
        """The longest wave period [s] (0 for a flat calm)."""
        return max((c.period_s for c in self.components), default=0.0)


CALM_SEA = SeaState()
"""A swell of 0.05 m at 8 s and a wind sea of 0.02 m at 3.1 s."""
FLAT_SEA = SeaState(components=())
"""No waves at all: the observed draft is the still-water draft."""
ROUGH_SEA = SeaState(components=(WaveComponent(0.40, 9.0, 45.0), WaveComponent(0.10, 4.2, 100.0)), roll_amplitude_deg=0.3, roll_period_s=16.0)
"""A rough sea: 0.4 m swell at 9 s (spread ≥ 0.8 m, beyond wave_mean's 0.5 m limit), wind sea, slow roll."""


@dataclass(frozen=True)
class Sea:
    """A realised sea: the wave motion at any mark and time. Phases [rad]."""

    state: SeaState
    phases: tuple[float, ...]
    roll_phase: float = 0.0

    def motion(self, vessel: SimulatedVessel, mark: str, times_s: npt.ArrayLike) -> FloatArray:
        """Wave and roll motion of the water against `mark` at the scenario times [m], to add to the still-water draft.

        Each component reaches each mark with its own phase (deep-water wave number k = ω²/g along its
        heading), so port and starboard, forward and aft move out of step; the end marks move more.
        """
        t = np.asarray(times_s, dtype=np.float64)
        x, y = vessel.mark_xy(mark)
        gain = 1.0 + self.state.pitch_gain * abs(x) / (vessel.lbp_m / 2.0)
        total = np.zeros(t.shape)
        for component, phase in zip(self.state.components, self.phases, strict=True):
            omega = 2.0 * math.pi / component.period_s
            k = omega * omega / GRAVITY_M_S2
            heading = math.radians(component.heading_deg)
            along = k * (x * math.cos(heading) + y * math.sin(heading))
            total += component.amplitude_m * gain * np.cos(omega * t - along + phase)
        if self.state.roll_amplitude_deg:
            roll = np.radians(self.state.roll_amplitude_deg) * np.sin(2.0 * math.pi * t / self.state.roll_period_s + self.roll_phase)
            total -= np.sign(y) * vessel.breadth_m / 2.0 * np.tan(roll)  # y > 0 is port: a roll to starboard lifts it
        return total


# ---------------------------------------------------------------------------------------------------------
# The example: a Capesize loading iron ore, and its survey job file


def _deductibles(ballast: float, fuel: float, diesel: float, fresh: float, lube: float) -> tuple[Deductible, ...]:
    return (
        Deductible("ballast", "ballast (all tanks, sounded)", weight_t=ballast),
        Deductible("fuel_oil", "fuel oil", weight_t=fuel),
        Deductible("diesel_oil", "diesel oil", weight_t=diesel),
        Deductible("fresh_water", "fresh water", weight_t=fresh),
        Deductible("lube_oil", "lube oil", weight_t=lube),
    )


def capesize_loading_scenario() -> BerthScenario:
    """The example scenario: a Capesize arrives in ballast and loads 165,000 t of ore in 21 h, deballasting.

    Initial (in ballast): trim 3.2 m by the stern, hogged 0.08 m, list 0.1° to port (−0.1), dock water
    1.0235 t/m³. Final (loaded): trim 0.35 m by the stern, sagged 0.06 m, list 0.15° to starboard, 1.0225 t/m³.
    Constant 412.6 t (declared 420 t).
    """
    vessel = SimulatedVessel()
    initial = VesselState(
        cargo_t=0.0,
        deductibles=_deductibles(58_420.0, 2_850.0, 180.0, 310.0, 45.0),
        constant_t=412.6,
        dock_density_t_m3=1.0235,
        trim_m=3.2,
        list_deg=-0.1,
        deflection_m=-0.08,
    )
    final = VesselState(
        cargo_t=165_000.0,
        deductibles=_deductibles(1_250.0, 2_830.0, 176.0, 285.0, 45.0),
        constant_t=412.6,
        dock_density_t_m3=1.0225,
        trim_m=0.35,
        list_deg=0.15,
        deflection_m=0.06,
    )
    return BerthScenario(vessel, initial, final, "loading")


def iso_utc(moment: datetime) -> str:
    """A UTC datetime as ISO 8601 with milliseconds and 'Z' (2026-12-01T02:15:00.000Z)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _position(position: MarkPosition) -> dict[str, Any]:
    return {"distance_m": position.distance_m, "side": position.side}


def survey_job_document(scenario: BerthScenario) -> dict[str, Any]:
    """The scenario as a survey job (docs/draft_survey.md): the vessel with its full table, and the surveys
    'initial' and 'final' whose `marks_m` are the true still-water marks at the survey times, to full
    precision, so that the job computed with rounding 'none' gives the scenario's cargo and constant."""
    vessel = scenario.vessel
    surveys = {}
    for name in ("initial", "final"):
        t = scenario.survey_time_s(name)
        state = scenario.state_at(t)
        marks = scenario.marks_at(t)
        surveys[name] = {
            "marks_m": {mark: mark_value(marks, mark) for mark in MARKS},
            "mark_positions": {
                "fwd": _position(vessel.mark_positions.fwd),
                "mid": _position(vessel.mark_positions.mid),
                "aft": _position(vessel.mark_positions.aft),
            },
            "dock_density_t_m3": state.dock_density_t_m3,
            "deductibles": [{"kind": item.kind, "name": item.name, "t": item.weight_t} for item in state.deductibles],
            "details": {
                "time": iso_utc(scenario.utc(t)),
                "scenario_s": f"{t:g}",
                "true_cargo_t": f"{state.cargo_t:.3f}",
                "true_list_deg": f"{state.list_deg:+.2f} (positive to starboard)",
            },
        }
    cargo = abs(scenario.final.cargo_t - scenario.initial.cargo_t)
    return {
        "job": {
            "reference": "SIM-CAPESIZE-LOADING",
            "cargo_description": "iron ore in bulk (simulated)",
            "port": "simulated berth",
            "date": scenario.epoch.strftime("%Y-%m-%d"),
            "source": "simulators/vessel_at_berth.py capesize_loading_scenario(); regenerate with `bulkdaq simulate vessel`",
            "note": (
                f"simulated: a synthetic Capesize, not a real ship. marks_m are the scenario's true still-water "
                f"marks (full precision, no waves), found by inverting the survey calculator, so with rounding "
                f"'none' this job gives the true {scenario.operation} of {cargo:,.0f} t and constant "
                f"{scenario.initial.constant_t:g} t. Observed marks come from `bulkdaq simulate drone`."
            ),
        },
        "vessel": {
            "name": vessel.name,
            "lbp_m": vessel.lbp_m,
            "breadth_m": vessel.breadth_m,
            "table_density_t_m3": vessel.table_density_t_m3,
            "keel_plate_mm": vessel.keel_plate_mm,
            "lightship_t": vessel.lightship_t,
            "declared_constant_t": vessel.declared_constant_t,
            "lcf_convention": "midship_aft_positive",
            "hydrostatics": vessel.hydrostatic_rows(),
        },
        "rounding": "none",
        "mean_method": "quarter_mean",
        "operation": scenario.operation,
        "cargo": {"from": "initial", "to": "final"},
        "surveys": surveys,
    }


def _json_lines(value: Any, indent: int) -> str:
    """JSON with objects broken over lines, except that the objects of a list of objects (the table's
    rows, the deductibles) take one line each, as the other job files are written."""
    pad = " " * indent
    if isinstance(value, dict) and len(value) <= 2 and not any(isinstance(item, (dict, list)) for item in value.values()):
        return pad + json.dumps(value, ensure_ascii=False)  # a mark position, the cargo's surveys: one line
    if isinstance(value, dict) and value:
        items = [f'{pad}  {json.dumps(key, ensure_ascii=False)}: {_json_lines(item, indent + 2).lstrip()}' for key, item in value.items()]
        return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        rows = [pad + "  " + json.dumps(item, ensure_ascii=False) for item in value]
        return pad + "[\n" + ",\n".join(rows) + "\n" + pad + "]"
    return pad + json.dumps(value, ensure_ascii=False)


def survey_job_text(scenario: BerthScenario | None = None) -> str:
    """The survey job file of `scenario` (default :func:`capesize_loading_scenario`) as text, byte for byte."""
    return _json_lines(survey_job_document(scenario or capesize_loading_scenario()), 0) + "\n"


def write_survey_job(path: str | Path, scenario: BerthScenario | None = None) -> Path:
    """Write the survey job file of `scenario` to `path`; returns the path."""
    target = Path(path)
    target.write_text(survey_job_text(scenario), encoding="utf-8")
    return target


def with_list(state: VesselState, list_deg: float) -> VesselState:
    """`state` with another static list [°, positive to starboard] (the 1° list of the bad-session tests)."""
    return replace(state, list_deg=list_deg)


def scenario_with(scenario: BerthScenario, **changes: Any) -> BerthScenario:
    """`scenario` with some fields replaced (dataclasses.replace, validated again)."""
    return replace(scenario, **changes)


__all__ = [
    "CALM_SEA",
    "EXAMPLE_JOB_FILE",
    "FLAT_SEA",
    "MARKS",
    "ROUGH_SEA",
    "TABLE_DECIMALS",
    "BerthScenario",
    "Sea",
    "SeaState",
    "SimulatedVessel",
    "VesselState",
    "WaveComponent",
    "blend_states",
    "capesize_loading_scenario",
    "iso_utc",
    "marks_for_mean_draft",
    "mark_value",
    "net_displacement_t",
    "scenario_with",
    "survey_input",
    "survey_job_document",
    "survey_job_text",
    "survey_of_marks",
    "true_marks",
    "with_list",
    "write_survey_job",
]
