"""A drone reading a vessel's draft marks, and the draft observation file it hands over (issue 16).

The drone (:class:`DroneParams`, :func:`fly_drone`) visits the marks one by one — fwd_port, mid_port,
aft_port, aft_stbd, mid_stbd, fwd_stbd — with a flight leg between them, and records a video of each
(90 s at 5 Hz by default). Each frame gives a reading: the observed draft (still-water draft of
:mod:`simulators.vessel_at_berth` + waves + roll) plus Gaussian reading noise (σ 5 mm), rounded to the
image reader's resolution (1 mm; the survey calculator applies its own 1 cm reading floor). Three
dock-water hydrometer samples go with it (σ 0.0003 t/m³, read to 0.0001 t/m³).

The simulator has no images: a reading's ``frame`` names the video and the second in it
(``initial-fwd_port.mp4#t=12.400``) and its ``frame_sha256`` is the SHA-256 of a deterministic stand-in
for the frame's content — the bytes of the frame reference and the seed — so the field has the shape a
real one has and the same seed gives the same hashes.

The observation file (``format`` ``bulkdaq-draft-observation/1``; read by bulkdaq/inputs/observation_file.py)::

    {"format": "bulkdaq-draft-observation/1", "vessel": …, "survey": "initial", "source": "drone",
     "observer": …, "list_deg": 0.1,
     "readings": [{"time": "2026-12-01T02:15:00.000Z", "mark": "fwd_port", "draft_m": 13.834,
                   "frame": "initial-fwd_port.mp4#t=0.000", "frame_sha256": "<64 hex>"}, …],
     "density_samples": [{"time": "…Z", "density_t_m3": 1.0231, "place": "fwd port, 1 m below surface",
                          "observer": …}]}

and its CSV variant (readings only): ``time,mark,draft_m,frame,frame_sha256,observer``. The truth
(still-water marks, displacement, cargo) never goes into the file: :func:`fly_drone` returns it beside
the document (:class:`ObservationTruth`) for the tests.

Random draws: one ``numpy.random.SeedSequence`` of the seed and the survey's name is split into
independent streams for the sea's phases, the reading noise and the hydrometer, so the same seed gives
the same session, changing the drone (a skipped mark, a shorter recording) leaves the sea as it was, and
the initial and final sessions flown with one seed are independent of each other.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from calculators.survey.inputs import MarkReadings
from calculators.survey.rounding import round_half_away_from_zero
from simulators.setup_error import SetupError
from simulators.vessel_at_berth import (
    CALM_SEA,
    MARKS,
    ROUGH_SEA,
    BerthScenario,
    SeaState,
    iso_utc,
    net_displacement_t,
    survey_of_marks,
    with_list,
)

FloatArray = npt.NDArray[np.float64]

OBSERVATION_FORMAT = "bulkdaq-draft-observation/1"
DRONE_ORDER: tuple[str, ...] = ("fwd_port", "mid_port", "aft_port", "aft_stbd", "mid_stbd", "fwd_stbd")
"""The order a drone flies round the ship: down the port side, round the stern, up the starboard side."""
CSV_HEADER: tuple[str, ...] = ("time", "mark", "draft_m", "frame", "frame_sha256", "observer")
SOURCES: tuple[str, ...] = ("drone", "camera", "sensor", "boat")


@dataclass(frozen=True)
class DroneParams:
    """How the drone flies and reads.

    Attributes
    ----------
    recording_s : float
        Length of each mark's video [s] (90 s: eleven 8 s swell periods).
    frame_rate_hz : float
        Frames read per second [Hz].
    noise_sigma_m : float
        Standard deviation of the image reader's error on one frame [m] (Gaussian, independent frames).
    resolution_m : float
        What the reader reports to [m] (1 mm; the calculator's 1 cm floor is applied when averaging).
    speed_m_s, settle_s : float
        Flight speed between marks [m/s] and hover time before a recording starts [s]; a leg lasts
        settle + distance/speed, the distance along the hull (round the stern or bow across the breadth).
    order : tuple of str
        The marks in the order visited.
    skip_marks : tuple of str
        Marks the drone does not record (a bad session): no readings, the flight goes on.
    observer : str
        Who observes (the file's default observer).
    source : str
        drone | camera | sensor | boat.
    density_samples : int
        Hydrometer samples of the dock water [-], taken along the port side every `density_interval_s` [s]
        from the start of the session.
    density_sigma_t_m3, density_resolution_t_m3 : float
        Hydrometer error (Gaussian) and reading resolution [t/m³].
    sample_depth_m : float
        Depth below the surface the samples are drawn from [m].
    density_observer : str
    inclinometer_resolution_deg : float
        The ship's inclinometer, written as the file's `list_deg` [°, positive to starboard], reads to this.
    """

    recording_s: float = 90.0
    frame_rate_hz: float = 5.0
    noise_sigma_m: float = 0.005
    resolution_m: float = 0.001
    speed_m_s: float = 4.0
    settle_s: float = 10.0
    order: tuple[str, ...] = DRONE_ORDER
    skip_marks: tuple[str, ...] = ()
    observer: str = "drone SIM-UAV-1 (simulated)"
    source: str = "drone"
    density_samples: int = 3
    density_interval_s: float = 120.0
    density_sigma_t_m3: float = 0.0003
    density_resolution_t_m3: float = 0.0001
    sample_depth_m: float = 1.0
    density_observer: str = "hydrometer, deck officer (simulated)"
    inclinometer_resolution_deg: float = 0.1

    def __post_init__(self) -> None:
        if not (self.recording_s > 0 and self.frame_rate_hz > 0 and self.speed_m_s > 0):
            raise SetupError("recording length, frame rate and speed must be > 0")
        if self.noise_sigma_m < 0 or self.density_sigma_t_m3 < 0 or not self.resolution_m > 0:
            raise SetupError("noise must be ≥ 0 and the resolution > 0")
        unknown = sorted(set(self.order) - set(MARKS)) + sorted(set(self.skip_marks) - set(MARKS))
        if unknown:
            raise SetupError(f"unknown marks {', '.join(unknown)}; expected {', '.join(MARKS)}")
        if self.source not in SOURCES:
            raise SetupError(f"source {self.source!r}: expected one of {', '.join(SOURCES)}")

    @property
    def frames(self) -> int:
        """Frames per recording [-]."""
        return max(1, int(round(self.recording_s * self.frame_rate_hz)))


@dataclass(frozen=True)
class MarkRecording:
    """One mark's video as read: what went into the file, with the truth beside it.

    times_s [s, scenario clock]; drafts_m [m] as written (noise added, rounded); still_water_m [m] the
    true still-water draft at each frame; wave_m [m] the wave and roll motion at each frame; video the
    file name; still_water_mean_m [m] the mean of still_water_m (the value a reading of the series should find).
    """

    mark: str
    video: str
    times_s: FloatArray
    drafts_m: FloatArray
    still_water_m: FloatArray
    wave_m: FloatArray

    @property
    def still_water_mean_m(self) -> float:
        return float(np.mean(self.still_water_m))


@dataclass(frozen=True)
class ObservationTruth:
    """The ground truth of a session (the sidecar; never written into the observation file).

    survey, seed; start_s, end_s [s] the session on the scenario clock; marks_m: per mark recorded, the
    mean true still-water draft over its recording [m]; marks_at_middle: the six true marks at the
    session's middle [m]; at the middle: cargo_t, net_displacement_t (lightship + constant + cargo),
    displacement_t (net + deductibles, in dock water), deductibles_t, constant_t [t],
    dock_density_t_m3 [t/m³], list_deg [°, positive to starboard], trim_m, deflection_m [m].
    """

    survey: str
    seed: int
    start_s: float
    end_s: float
    marks_m: Mapping[str, float]
    marks_at_middle: MarkReadings
    cargo_t: float
    net_displacement_t: float
    displacement_t: float
    deductibles_t: float
    constant_t: float
    dock_density_t_m3: float
    list_deg: float
    trim_m: float
    deflection_m: float


@dataclass(frozen=True)
class DroneSession:
    """A simulated observation session: the file's document, the recordings and the truth."""

    document: dict[str, Any]
    recordings: tuple[MarkRecording, ...]
    truth: ObservationTruth
    sea: SeaState = field(default=CALM_SEA)

    def recording(self, mark: str) -> MarkRecording:
        """The recording of `mark` (SetupError when the drone skipped it)."""
        for recording in self.recordings:
            if recording.mark == mark:
                return recording
        raise SetupError(f"mark {mark} was not recorded in this session")

    def text(self) -> str:
        """The observation file as JSON text."""
        return observation_file_text(self.document)


def _decimals(step: float) -> int:
    exponent = Decimal(repr(step)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _quantise(values: FloatArray, step: float) -> FloatArray:
    """Round to a multiple of `step`, then to its decimals, so the JSON shows 13.834 and not 13.834000000000001."""
    decimals = _decimals(step)
    return np.array([round_half_away_from_zero(round_half_away_from_zero(v / step, 0) * step, decimals) for v in values])


def frame_sha256(frame: str, seed: int) -> str:
    """SHA-256 hex of the stand-in for a frame's content: the frame reference and the seed (there are no images)."""
    return hashlib.sha256(f"{frame}\nseed={seed}".encode()).hexdigest()


def _along_hull_m(scenario: BerthScenario, a: str, b: str) -> float:
    """Flight distance between two marks [m]: along the side, or round the end across the breadth."""
    (xa, ya), (xb, yb) = scenario.vessel.mark_xy(a), scenario.vessel.mark_xy(b)
    if ya == yb:
        return abs(xa - xb)
    end = scenario.vessel.lbp_m / 2.0 if xa + xb > 0 else -scenario.vessel.lbp_m / 2.0
    return abs(end - xa) + abs(ya - yb) + abs(end - xb)


def fly_drone(
    scenario: BerthScenario,
    survey: str = "initial",
    *,
    seed: int = 0,
    start_s: float | None = None,
    sea: SeaState = CALM_SEA,
    drone: DroneParams = DroneParams(),
    list_deg: float | None = None,
) -> DroneSession:
    """Fly one observation session round the ship and read its marks.

    Parameters
    ----------
    scenario : BerthScenario
        The vessel and its loading or discharge (the ground truth).
    survey : str
        The survey of the job file the session observes ('initial' or 'final').
    seed : int
        Seeds every random draw (sea phases, reading noise, hydrometer), each from its own stream, with
        the survey's name mixed in (the initial and final sessions of one seed are independent).
    start_s : float, optional
        Scenario second the session starts [s]; default the scenario's time of `survey`.
    sea : SeaState
        Waves and roll (CALM_SEA, ROUGH_SEA, FLAT_SEA or your own).
    drone : DroneParams
    list_deg : float, optional
        A static list [°, positive to starboard] replacing the scenario's during the session (the 1° list
        of a bad session); the truth then has it too.

    Returns
    -------
    DroneSession
        ``document``: the observation file; ``recordings``: each mark's series with its truth;
        ``truth``: the session's ground truth.
    """
    if start_s is None:
        start_s = scenario.survey_time_s(survey)
    if list_deg is not None:
        scenario = replace(scenario, initial=with_list(scenario.initial, list_deg), final=with_list(scenario.final, list_deg))
    # The survey's name is mixed into the seed: the initial and final sessions of one job flown with the
    # same seed are independent (shared draws would make their errors cancel in the cargo).
    sea_stream, noise_stream, density_stream = np.random.SeedSequence([seed, zlib.crc32(survey.encode())]).spawn(3)
    realised = sea.realise(np.random.default_rng(sea_stream))
    noise_rng = np.random.default_rng(noise_stream)
    density_rng = np.random.default_rng(density_stream)

    # Times are kept in whole milliseconds of the scenario clock, so the file's times are the samples' times.
    start_ms = int(round(start_s * 1000.0))
    frame_ms = np.array([int(round(k * 1000.0 / drone.frame_rate_hz)) for k in range(drone.frames)], dtype=np.int64)
    clock_ms = start_ms
    previous: str | None = None
    recordings = []
    readings: list[dict[str, Any]] = []
    for mark in drone.order:
        if previous is not None:
            clock_ms += int(round(1000.0 * (drone.settle_s + _along_hull_m(scenario, previous, mark) / drone.speed_m_s)))
        previous = mark
        recording_start_ms = clock_ms
        clock_ms += int(frame_ms[-1]) + int(round(1000.0 / drone.frame_rate_hz))
        if mark in drone.skip_marks:
            continue
        times = (recording_start_ms + frame_ms) / 1000.0
        still = scenario.still_water(mark, times)
        wave = realised.motion(scenario.vessel, mark, times)
        noise = noise_rng.normal(0.0, drone.noise_sigma_m, times.size) if drone.noise_sigma_m else np.zeros(times.size)
        drafts = _quantise(still + wave + noise, drone.resolution_m)
        video = f"{survey}-{mark}.mp4"
        recordings.append(MarkRecording(mark, video, times, drafts, still, wave))
        for offset_ms, t_ms, draft in zip(frame_ms, recording_start_ms + frame_ms, drafts, strict=True):
            frame = f"{video}#t={offset_ms / 1000.0:.3f}"
            readings.append(
                {
                    "time": iso_utc(scenario.utc(int(t_ms) / 1000.0)),
                    "mark": mark,
                    "draft_m": float(draft),
                    "frame": frame,
                    "frame_sha256": frame_sha256(frame, seed),
                }
            )
    end_s = clock_ms / 1000.0

    samples = []
    for i in range(drone.density_samples):
        t = start_s + i * drone.density_interval_s
        truth_density = scenario.state_at(t).dock_density_t_m3
        drawn = truth_density + density_rng.normal(0.0, drone.density_sigma_t_m3)
        station = ("fwd", "mid", "aft")[i % 3]
        samples.append(
            {
                "time": iso_utc(scenario.utc(round(t, 3))),
                "density_t_m3": float(_quantise(np.array([drawn]), drone.density_resolution_t_m3)[0]),
                "place": f"{station} port, {drone.sample_depth_m:g} m below surface",
                "observer": drone.density_observer,
            }
        )

    middle = 0.5 * (start_s + end_s)
    state = scenario.state_at(middle)
    marks = scenario.marks_at(middle)
    # the inclinometer at the session's middle, signed as the file's list (positive to starboard)
    inclinometer = round_half_away_from_zero(
        round_half_away_from_zero(state.list_deg / drone.inclinometer_resolution_deg, 0) * drone.inclinometer_resolution_deg,
        _decimals(drone.inclinometer_resolution_deg),
    )
    document: dict[str, Any] = {
        "format": OBSERVATION_FORMAT,
        "vessel": scenario.vessel.name,
        "survey": survey,
        "source": drone.source,
        "observer": drone.observer,
        "list_deg": inclinometer,
        "readings": readings,
        "density_samples": samples,
    }
    truth = ObservationTruth(
        survey=survey,
        seed=seed,
        start_s=float(start_s),
        end_s=end_s,
        marks_m={r.mark: r.still_water_mean_m for r in recordings},
        marks_at_middle=marks,
        cargo_t=state.cargo_t,
        net_displacement_t=net_displacement_t(scenario.vessel, state),
        displacement_t=survey_of_marks(scenario.vessel, state, marks).displacement_density_corrected_t,
        deductibles_t=state.deductibles_t,
        constant_t=state.constant_t,
        dock_density_t_m3=state.dock_density_t_m3,
        list_deg=state.list_deg,
        trim_m=state.trim_m,
        deflection_m=state.deflection_m,
    )
    return DroneSession(document, tuple(recordings), truth, sea)


def observation_file_text(document: Mapping[str, Any]) -> str:
    """The observation file as JSON text: the header keys one per line, each reading and sample on one line."""
    lines = ["{"]
    keys = list(document)
    for index, key in enumerate(keys):
        value = document[key]
        comma = "," if index < len(keys) - 1 else ""
        if isinstance(value, list):
            if not value:
                lines.append(f"  {json.dumps(key)}: []{comma}")
                continue
            lines.append(f"  {json.dumps(key)}: [")
            lines.extend(f"    {json.dumps(item, ensure_ascii=False)}{',' if i < len(value) - 1 else ''}" for i, item in enumerate(value))
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def observation_csv_text(document: Mapping[str, Any]) -> str:
    """The readings as CSV (header ``time,mark,draft_m,frame,frame_sha256,observer``); the observer of a
    reading is its own or else the file's."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for reading in document["readings"]:
        writer.writerow(
            [
                reading["time"],
                reading["mark"],
                f"{reading['draft_m']}",
                reading["frame"],
                reading["frame_sha256"],
                reading.get("observer", document.get("observer", "")),
            ]
        )
    return buffer.getvalue()


def write_observation_file(path: str | Path, session: DroneSession | Mapping[str, Any]) -> Path:
    """Write the observation file (JSON) of `session` (or of a document) to `path`; returns the path."""
    document = session.document if isinstance(session, DroneSession) else session
    target = Path(path)
    target.write_text(observation_file_text(document), encoding="utf-8")
    return target


def write_observation_csv(path: str | Path, session: DroneSession | Mapping[str, Any]) -> Path:
    """Write the readings of `session` (or of a document) as CSV to `path`; returns the path."""
    document = session.document if isinstance(session, DroneSession) else session
    target = Path(path)
    target.write_text(observation_csv_text(document), encoding="utf-8")
    return target


@dataclass(frozen=True)
class SessionPreset:
    """A named kind of session for tests and the CLI: the sea, the drone and an optional list [°]."""

    sea: SeaState = CALM_SEA
    drone: DroneParams = DroneParams()
    list_deg: float | None = None
    description: str = ""


SESSION_PRESETS: Mapping[str, SessionPreset] = {
    "calm": SessionPreset(description="swell 0.05 m at 8 s, wind sea 0.02 m at 3.1 s; 90 s a mark at 5 Hz"),
    "rough": SessionPreset(sea=ROUGH_SEA, description="swell 0.4 m at 9 s, wind sea 0.1 m, roll 0.3°: a rough sea"),
    "listed": SessionPreset(list_deg=1.0, description="a static list of 1° to starboard (beyond the Code's ½°)"),
    "skipped": SessionPreset(drone=DroneParams(skip_marks=("mid_stbd",)), description="the drone skips mid_stbd"),
    "short": SessionPreset(drone=DroneParams(recording_s=36.0), description="36 s a mark: fewer than six swell periods"),
}


def fly_preset(scenario: BerthScenario, preset: str, survey: str = "initial", *, seed: int = 0, start_s: float | None = None) -> DroneSession:
    """:func:`fly_drone` with one of the `SESSION_PRESETS` ('calm', 'rough', 'listed', 'skipped', 'short')."""
    if preset not in SESSION_PRESETS:
        raise SetupError(f"unknown session preset {preset!r}; expected one of {', '.join(SESSION_PRESETS)}")
    chosen = SESSION_PRESETS[preset]
    return fly_drone(scenario, survey, seed=seed, start_s=start_s, sea=chosen.sea, drone=chosen.drone, list_deg=chosen.list_deg)


__all__ = [
    "CSV_HEADER",
    "DRONE_ORDER",
    "OBSERVATION_FORMAT",
    "SESSION_PRESETS",
    "SOURCES",
    "DroneParams",
    "DroneSession",
    "MarkRecording",
    "ObservationTruth",
    "SessionPreset",
    "fly_drone",
    "fly_preset",
    "frame_sha256",
    "observation_csv_text",
    "observation_file_text",
    "write_observation_csv",
    "write_observation_file",
]
