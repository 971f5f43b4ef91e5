"""A draft observation session: one survey's marks (fore, mid, aft × port, starboard) observed over time,
each turned into its reading over whole wave periods with its uncertainty, the dock water's density from
its samples, and the verdict: a figure, or a preliminary reading and why.

A session comes from a drone or camera observation file (`bulkdaq/inputs/observation_file.py`) or from the
plant's draft feed in InfluxDB (`draft_feed.py`); both end in :func:`build_session`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import numpy.typing as npt

from bulkdaq.config.observation_policy import DEFAULT_POLICY, ObservationPolicy
from bulkdaq.errors import BulkdaqError, InputError
from bulkdaq.inputs.observation_file import MARKS, DensitySample, MarkReading, ObservationFile
from calculators.survey.dock_density import DockDensity, dock_density
from calculators.survey.inputs import MarkReadings
from calculators.survey.wave_mean import FIGURE, PRELIMINARY, WaveMean, WaveSeriesError, wave_mean


class ObservationRefused(BulkdaqError, ValueError):
    """A session that cannot give a survey its marks: a mark not observed, or a preliminary reading used
    as a figure. The message names the survey and the mark."""


@dataclass(frozen=True)
class MarkObservation:
    """One mark's observed series and its reading.

    reading : the wave mean, spread and uncertainty [m] (calculators.survey.wave_mean).
    count : samples observed [-]; first, last : the first and the last sample's time (UTC).
    frames : (frame, SHA-256) of every sample that came from an image, in time order.
    observers : who or what observed it.
    """

    mark: str
    reading: WaveMean
    count: int
    first: datetime
    last: datetime
    frames: tuple[tuple[str, str], ...] = ()
    observers: tuple[str, ...] = ()

    @property
    def draft_m(self) -> float:
        """The mark's observed draft [m]."""
        return self.reading.draft_m

    @property
    def u_m(self) -> float:
        """The standard uncertainty of the observed draft [m]."""
        return self.reading.u_m

    def as_document(self) -> dict[str, Any]:
        reading = self.reading
        return {
            "samples": self.count,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "draft_m": reading.draft_m,
            "pairs": reading.pairs,
            "calm": reading.calm,
            "spread_m": reading.spread_m,
            "u_m": reading.u_m,
            "u_type_a_m": reading.u_type_a_m,
            "u_resolution_m": reading.u_resolution_m,
            "period_means_m": list(reading.period_means_m),
            "status": reading.status,
            "reasons": list(reading.reasons),
            "frames": len(self.frames),
            "observers": list(self.observers),
        }


@dataclass(frozen=True)
class ObservationSession:
    """One survey's observation session and its verdict.

    ``reasons`` lists everything that makes it a preliminary reading rather than a figure: a mark's own
    reasons (too few wave periods, rough sea, too few samples per period), a mark not observed, a list
    above the limit, a session spread over too long a time, dock-water samples too few or too far apart.
    """

    survey: str
    vessel: str
    source: str
    origin: str
    sha256: str
    policy: ObservationPolicy
    marks: Mapping[str, MarkObservation]
    missing: tuple[str, ...]
    density: DockDensity | None
    list_deg: float | None
    span_min: float
    reasons: tuple[str, ...]
    density_samples: tuple[DensitySample, ...] = field(default=())
    readings: tuple[MarkReading, ...] = field(default=())
    """Every reading of an observation file (empty for the draft feed, whose readings are in InfluxDB)."""

    @property
    def fit(self) -> bool:
        return not self.reasons

    @property
    def status(self) -> str:
        """``"figure"`` when fit, else ``"preliminary reading, not a figure"``."""
        return FIGURE if self.fit else PRELIMINARY

    def mark_readings(self, *, allow_preliminary: bool = False) -> MarkReadings:
        """The six observed drafts for the survey calculator [m].

        Raises
        ------
        ObservationRefused
            A mark was not observed (always), or the session is preliminary and `allow_preliminary` is
            false; the message names the survey, the marks and the reasons.
        """
        if self.missing:
            raise ObservationRefused(
                f"survey {self.survey!r}: mark{'s' if len(self.missing) > 1 else ''} {', '.join(self.missing)} "
                f"not observed ({self.origin}); a survey needs all six marks"
            )
        if not self.fit and not allow_preliminary:
            raise ObservationRefused(f"survey {self.survey!r}: a preliminary reading, not a figure: " + "; ".join(self.reasons))
        return MarkReadings(**{mark: self.marks[mark].draft_m for mark in MARKS})

    def as_document(self) -> dict[str, Any]:
        """The session as JSON-ready data: every mark's figures at full precision, frames counted."""
        return {
            "survey": self.survey,
            "vessel": self.vessel,
            "source": self.source,
            "origin": self.origin,
            "sha256": self.sha256,
            "status": self.status,
            "reasons": list(self.reasons),
            "list_deg": self.list_deg,
            "span_min": self.span_min,
            "missing": list(self.missing),
            "marks": {mark: observation.as_document() for mark, observation in self.marks.items()},
            "dock_density": None if self.density is None else {
                "density_t_m3": self.density.density_t_m3,
                "samples": self.density.count,
                "spread_t_m3": self.density.spread_t_m3,
                "u_t_m3": self.density.u_t_m3,
                "reasons": list(self.density.reasons),
            },
            "policy": self.policy.model_dump(mode="json"),
        }

    def mark_uncertainties(self) -> dict[str, float]:
        """Each observed mark's standard uncertainty [m]."""
        return {mark: observation.u_m for mark, observation in self.marks.items()}


def _utc(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, tz=timezone.utc)


def _mark_observation(
    mark: str,
    epoch_s: npt.NDArray[np.float64],
    drafts_m: npt.NDArray[np.float64],
    policy: ObservationPolicy,
    readings: Sequence[MarkReading] = (),
) -> MarkObservation:
    reading = wave_mean(
        epoch_s - epoch_s[0],  # seconds from the first sample: no precision lost on epoch-sized times
        drafts_m,
        mark=mark,
        min_pairs=policy.min_pairs,
        resolution_m=policy.resolution_m,
        hysteresis_m=policy.hysteresis_m,
        max_spread_m=policy.max_spread_m,
        min_samples_per_period=policy.min_samples_per_period,
        min_record_s=policy.min_mark_record_s,
        min_wave_period_s=policy.min_wave_period_s,
    )
    frames = tuple((r.frame, r.frame_sha256) for r in readings if r.frame is not None and r.frame_sha256 is not None)
    observers = tuple(dict.fromkeys(r.observer for r in readings if r.observer))
    return MarkObservation(mark, reading, int(epoch_s.size), _utc(float(epoch_s[0])), _utc(float(epoch_s[-1])), frames, observers)


def build_session(
    series: Mapping[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]],
    *,
    survey: str,
    vessel: str,
    source: str,
    origin: str,
    sha256: str = "",
    policy: ObservationPolicy = DEFAULT_POLICY,
    list_deg: float | None = None,
    density_samples: Sequence[DensitySample] = (),
    readings: Sequence[MarkReading] = (),
) -> ObservationSession:
    """A session from each mark's series (epoch seconds, drafts [m]) and the dock-water samples.

    Marks absent from `series` are listed as missing. A mark whose series the wave calculator refuses
    (fewer than three samples, times not increasing) raises its error, naming the mark.
    """
    marks: dict[str, MarkObservation] = {}
    for mark in MARKS:
        if mark in series:
            times, drafts = series[mark]
            try:
                marks[mark] = _mark_observation(mark, times, drafts, policy, [r for r in readings if r.mark == mark])
            except WaveSeriesError as error:
                # several sessions may be read at once: say which file (or feed window) and survey
                raise InputError(origin, f"survey {survey}", str(error)) from None
    missing = tuple(mark for mark in MARKS if mark not in marks)

    reasons: list[str] = [reason for observation in marks.values() for reason in observation.reading.reasons]
    reasons += [f"mark {mark}: not observed" for mark in missing]
    if list_deg is not None and abs(list_deg) > policy.max_list_deg:
        reasons.append(f"list {abs(list_deg):.2f}° above the limit {policy.max_list_deg:.2f}°")
    span_min = 0.0
    if marks:
        first = min(o.first for o in marks.values())
        last = max(o.last for o in marks.values())
        span_min = (last - first).total_seconds() / 60.0
        if span_min > policy.max_session_span_min:
            reasons.append(
                f"the marks were observed over {span_min:.1f} min, more than the limit {policy.max_session_span_min:.1f} min "
                "(one survey's marks describe one floating condition)"
            )
    density = None
    if density_samples:
        density = dock_density(
            [s.epoch_s for s in density_samples],
            [s.density_t_m3 for s in density_samples],
            min_samples=policy.min_density_samples,
            max_spread_t_m3=policy.max_density_spread_t_m3,
        )
        reasons += [f"dock water: {reason}" for reason in density.reasons]
    return ObservationSession(
        survey=survey,
        vessel=vessel,
        source=source,
        origin=origin,
        sha256=sha256,
        policy=policy,
        marks=marks,
        missing=missing,
        density=density,
        list_deg=list_deg,
        span_min=span_min,
        reasons=tuple(reasons),
        density_samples=tuple(density_samples),
        readings=tuple(readings),
    )


def session_from_file(observations: ObservationFile, policy: ObservationPolicy = DEFAULT_POLICY) -> ObservationSession:
    """The session of a drone, camera, sensor or boat observation file."""
    return build_session(
        {mark: observations.series(mark) for mark in observations.marks()},
        survey=observations.survey,
        vessel=observations.vessel,
        source=observations.source,
        origin=observations.path,
        sha256=observations.sha256,
        policy=policy,
        list_deg=observations.list_deg,
        density_samples=observations.density_samples,
        readings=observations.readings,
    )


__all__ = [
    "MarkObservation",
    "ObservationRefused",
    "ObservationSession",
    "build_session",
    "session_from_file",
]
