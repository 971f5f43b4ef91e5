"""From observation sessions to the draft survey: each observed survey's marks (and dock-water density, when
sampled) replace the job file's, the survey is computed by the UN/ECE calculator as any other, and the
mark uncertainties are propagated to the cargo figure (JCGM 100, first order; checked against JCGM 101
Monte Carlo in the tests)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bulkdaq.config.observation_policy import DEFAULT_POLICY, ObservationPolicy
from bulkdaq.errors import InputError
from bulkdaq.inputs.observation_file import MARKS
from bulkdaq.inputs.survey_file import SurveyJob
from bulkdaq.observations.session import ObservationRefused, ObservationSession
from calculators.survey.inputs import MarkReadings
from calculators.survey.result import DraftSurveyResult
from calculators.survey.rounding import INPUT_DECIMALS, round_half_away_from_zero
from calculators.survey.survey_uncertainty import SurveyUncertainty, survey_uncertainty


@dataclass(frozen=True)
class ObservedSurvey:
    """A draft survey whose marks were observed.

    job : the survey job with the observed marks (and sampled densities) in place of the file's.
    sessions : the observation session of each observed survey, by survey name.
    result : the survey as the calculator gives it.
    uncertainty : the cargo figure's standard uncertainty and its contributions.
    reasons : why the figure is only preliminary (empty when every session is fit).
    """

    job: SurveyJob
    sessions: Mapping[str, ObservationSession]
    result: DraftSurveyResult
    uncertainty: SurveyUncertainty
    reasons: tuple[str, ...]

    @property
    def preliminary(self) -> bool:
        return bool(self.reasons)


def _matched_sessions(job: SurveyJob, sessions: Sequence[ObservationSession]) -> dict[str, ObservationSession]:
    names = [condition.name for condition in job.conditions]
    by_survey: dict[str, ObservationSession] = {}
    for session in sessions:
        if session.survey not in names:
            raise InputError(session.origin, "survey", f"observes survey {session.survey!r}, which the job {job.source} does not have (it has {', '.join(names)})")
        if session.survey in by_survey:
            raise InputError(session.origin, "survey", f"survey {session.survey!r} is already observed by {by_survey[session.survey].origin}; give one session per survey")
        if job.vessel_name and session.vessel and session.vessel.casefold() != job.vessel_name.casefold():
            raise InputError(session.origin, "vessel", f"observes vessel {session.vessel!r}, but the job {job.source} is of {job.vessel_name!r}")
        by_survey[session.survey] = session
    by_file: dict[str, ObservationSession] = {}
    by_frame: dict[str, ObservationSession] = {}
    for session in sessions:
        if session.sha256 and by_file.setdefault(session.sha256, session) is not session:
            raise InputError(session.origin, "(file)", f"is the same observation as {by_file[session.sha256].origin} (same SHA-256); each survey is observed on its own")
        for reading in session.readings:
            if reading.frame_sha256 is not None and by_frame.setdefault(reading.frame_sha256, session) is not session:
                raise InputError(
                    session.origin, f"readings[{reading.index}].frame_sha256",
                    f"the frame {reading.frame!r} is also behind a reading of {by_frame[reading.frame_sha256].origin}; "
                    "one picture cannot be read for two surveys",
                )
    ordered = {name: by_survey[name] for name in names if name in by_survey}  # in the job's order
    cargo_from, cargo_to = by_survey.get(job.cargo_from), by_survey.get(job.cargo_to)
    if cargo_from is not None and cargo_to is not None and cargo_from.marks and cargo_to.marks:
        before = max(o.last for o in cargo_from.marks.values())
        after = min(o.first for o in cargo_to.marks.values())
        if not before < after:
            raise InputError(
                cargo_to.origin, "readings",
                f"survey {job.cargo_to!r} was observed from {after.isoformat()}, before survey {job.cargo_from!r} ended "
                f"({before.isoformat()}, {cargo_from.origin}); the cargo is worked between the two",
            )
    return ordered


def _implied_list(session: ObservationSession, breadth_m: float | None, policy: ObservationPolicy) -> list[str]:
    """The list the observed midship marks imply, against the limit: tan(list) = (starboard − port) / breadth."""
    port, stbd = session.marks.get("mid_port"), session.marks.get("mid_stbd")
    if breadth_m is None or port is None or stbd is None:
        return []
    angle = math.degrees(math.atan((stbd.draft_m - port.draft_m) / breadth_m))
    if abs(angle) <= policy.max_list_deg:
        return []
    side = "starboard" if angle > 0 else "port"
    return [
        f"the midship marks imply a list of {abs(angle):.2f}° to {side} (port {port.draft_m:.3f} m, starboard {stbd.draft_m:.3f} m, "
        f"breadth {breadth_m:g} m), above the limit {policy.max_list_deg:.2f}°"
    ]


def observed_survey(
    job: SurveyJob,
    sessions: Sequence[ObservationSession],
    policy: ObservationPolicy = DEFAULT_POLICY,
    *,
    allow_preliminary: bool = False,
) -> ObservedSurvey:
    """The survey of `job` with the marks of `sessions`, its cargo and the cargo's uncertainty.

    A survey without a session keeps the job file's marks, read by hand, with the policy's
    ``hand_read_u_m`` per mark; a dock-water density without samples gets ``hand_density_u_t_m3``.

    Raises
    ------
    InputError
        A session of a survey the job does not have, two sessions of one survey, another vessel.
    ObservationRefused
        A mark not observed; a preliminary session unless `allow_preliminary`.
    """
    by_survey = _matched_sessions(job, sessions)
    conditions = []
    mark_u: dict[str, dict[str, float]] = {}
    density_u: dict[str, float] = {}
    implied: dict[str, list[str]] = {}  # the list each observed survey's midship marks imply, beyond the limit
    for condition in job.conditions:
        session = by_survey.get(condition.name)
        if session is None:
            conditions.append(condition)
            mark_u[condition.name] = {mark: policy.hand_read_u_m for mark in MARKS}
            density_u[condition.name] = policy.hand_density_u_t_m3
            continue
        # The observed means enter the survey as the form prints them (mm, 0.0001 t/m³), so the paper
        # reproduces the cargo; the rounding (u = 0.29 mm) is far inside each mark's uncertainty.
        observed = session.mark_readings(allow_preliminary=allow_preliminary)
        listed = _implied_list(session, job.vessel.breadth_m, policy)
        implied[condition.name] = listed
        if listed and not allow_preliminary:
            raise ObservationRefused(f"survey {condition.name!r}: a preliminary reading, not a figure: " + "; ".join(listed))
        marks = MarkReadings(**{mark: round_half_away_from_zero(getattr(observed, mark), INPUT_DECIMALS["m"]) for mark in MARKS})
        density = (
            condition.dock_density_t_m3
            if session.density is None
            else round_half_away_from_zero(session.density.density_t_m3, INPUT_DECIMALS["t/m³"])
        )
        conditions.append(dataclasses.replace(condition, marks=marks, dock_density_t_m3=density))
        mark_u[condition.name] = session.mark_uncertainties()
        density_u[condition.name] = policy.hand_density_u_t_m3 if session.density is None else session.density.u_t_m3
    observed_job = dataclasses.replace(job, conditions=tuple(conditions))
    result = observed_job.compute()
    uncertainty = survey_uncertainty(
        observed_job.vessel,
        observed_job.table,
        observed_job.conditions,
        mark_u,
        density_u,
        mean_method=observed_job.mean_method,  # type: ignore[arg-type]
        cargo_from=observed_job.cargo_from,
        cargo_to=observed_job.cargo_to,
    )
    reasons = tuple(
        f"survey {name}: {reason}"
        for name, session in by_survey.items()
        for reason in (*session.reasons, *implied[name])
    )
    return ObservedSurvey(observed_job, by_survey, result, uncertainty, reasons)


__all__ = ["ObservedSurvey", "observed_survey"]
