"""What a shipment's signed history keeps of an observed draft survey: every observation session with
every reading behind the marks (time, mark, draft, frame and the frame's SHA-256), the limits applied,
each mark's reading and the verdict, so an officer can ask for the frame behind any number and check it
against a history the terminal cannot rewrite unseen (docs/evidence.md)."""

from __future__ import annotations

from typing import Any

from bulkdaq.observations.observed_survey import ObservedSurvey
from bulkdaq.observations.session import ObservationSession

DRAFT_OBSERVATIONS = "draft_observations"
"""The evidence kind of the observations behind a draft survey in the shipment registry."""


def session_evidence(session: ObservationSession) -> dict[str, Any]:
    """One session as evidence: its summary (``as_document``) and every reading of its file."""
    return {
        **session.as_document(),
        "readings": [
            {
                "time": reading.time.isoformat(),  # as read, to the microsecond
                "mark": reading.mark,
                "draft_m": reading.draft_m,
                "frame": reading.frame,
                "frame_sha256": reading.frame_sha256,
                "observer": reading.observer,
            }
            for reading in session.readings
        ],
        "density_samples": [
            {"time": s.time.isoformat(), "density_t_m3": s.density_t_m3, "place": s.place, "observer": s.observer}
            for s in session.density_samples
        ],
    }


def observation_evidence(observed: ObservedSurvey) -> dict[str, Any]:
    """The observations behind an observed survey and the cargo's uncertainty, as one evidence body."""
    return {
        "survey_job": {"source": observed.job.source, "sha256": observed.job.sha256},
        "status": "preliminary" if observed.preliminary else "figure",
        # a list, not an object: canonical JSON sorts keys, and the sessions keep the job's survey order
        "sessions": [session_evidence(session) for session in observed.sessions.values()],
        "uncertainty": observed.uncertainty.as_document(),
    }


__all__ = ["DRAFT_OBSERVATIONS", "observation_evidence", "session_evidence"]
