"""When an observed draft reading is fit to be a survey's figure: the limits of a draft observation
session, as configuration with defaults (the ``[draft_observation]`` table of the site file, or of a
policy file given with ``--policy``).

A reading outside a limit is not refused as bad input: it is kept and shown as a *preliminary reading,
not a figure*, with the reason naming the mark and the value against its limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from bulkdaq.config.strict_model import StrictModel
from bulkdaq.config.validation import read_toml, validated

DOCS = "docs/draft_observation.md"

PositiveMetres = Annotated[float, Field(gt=0, le=5, allow_inf_nan=False, strict=True)]
NonNegativeMetres = Annotated[float, Field(ge=0, le=5, allow_inf_nan=False, strict=True)]


class ObservationPolicy(StrictModel):
    """The limits of a draft observation session; every default is the one docs/draft_observation.md gives.

    min_pairs [-]: fewest crest/trough pairs averaged at a mark (surveyors take at least six).
    resolution_m [m]: reading resolution of a mark (read to 1 cm); the uncertainty floor is resolution/√12.
    hysteresis_m [m]: reversal a crest or trough needs. It must stand above the peak-to-peak of the
        reading noise, or noise makes false crests: 0.03 m is about 6σ of an image reader with σ ≈ 5 mm;
        a wave smaller than this is averaged as calm water (whole series, no period to cut).
    max_spread_m [m]: largest mean crest − mean trough at a mark; above it the sea is too rough.
    min_samples_per_period [-]: fewest samples in any wave period averaged.
    max_list_deg [°]: largest list (the UN/ECE Code's acceptance condition: ½°).
    max_session_span_min [min]: longest time from the first to the last reading of a session: the
        marks of one survey describe one floating condition, so they are read within a short time.
    min_mark_record_s [s]: shortest time a mark is observed (first to last sample).
    min_wave_period_s [s]: shortest mean wave period averaged at a mark: a ship follows waves of seconds,
        not ripples under a second, so a shorter one is a series squeezed in time, or noise.
    min_density_samples [-]: fewest hydrometer samples of the dock water.
    max_density_spread_t_m3 [t/m³]: largest spread between the dock-water samples.
    hand_read_u_m [m]: standard uncertainty given to a mark read by hand (the survey job file's
        ``marks_m``) when other surveys of the job are observed.
    hand_density_u_t_m3 [t/m³]: standard uncertainty given to a dock-water density the job file states
        (no samples to evaluate it from).
    """

    min_pairs: Annotated[int, Field(ge=1, le=1000, strict=True)] = 6
    resolution_m: PositiveMetres = 0.01
    hysteresis_m: NonNegativeMetres = 0.03
    max_spread_m: PositiveMetres = 0.5
    min_samples_per_period: Annotated[int, Field(ge=1, le=10_000, strict=True)] = 10
    max_list_deg: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False, strict=True)] = 0.5
    max_session_span_min: Annotated[float, Field(gt=0, le=24 * 60, allow_inf_nan=False, strict=True)] = 60.0
    min_mark_record_s: Annotated[float, Field(ge=0, le=3600, allow_inf_nan=False, strict=True)] = 20.0
    min_wave_period_s: Annotated[float, Field(ge=0, le=60, allow_inf_nan=False, strict=True)] = 1.0
    min_density_samples: Annotated[int, Field(ge=1, le=100, strict=True)] = 2
    max_density_spread_t_m3: Annotated[float, Field(gt=0, le=0.05, allow_inf_nan=False, strict=True)] = 0.003
    hand_read_u_m: PositiveMetres = 0.01
    hand_density_u_t_m3: Annotated[float, Field(gt=0, le=0.05, allow_inf_nan=False, strict=True)] = 0.0005


DEFAULT_POLICY = ObservationPolicy()


class _PolicyTable(StrictModel):
    draft_observation: ObservationPolicy = DEFAULT_POLICY


def policy_from_table(table: Any, source: str | Path) -> ObservationPolicy:
    """The policy of a ``[draft_observation]`` table (None: the defaults); every problem names `source`
    and ``draft_observation.KEY``."""
    if table is None:
        return DEFAULT_POLICY
    return validated(_PolicyTable, {"draft_observation": table}, source, DOCS).draft_observation


def load_observation_policy(path: str | Path) -> ObservationPolicy:
    """The ``[draft_observation]`` table of a TOML file (a policy file, or a site file that has one);
    the defaults when the file has none."""
    return policy_from_table(read_toml(Path(path)).get("draft_observation"), path)


__all__ = [
    "DEFAULT_POLICY",
    "ObservationPolicy",
    "load_observation_policy",
    "policy_from_table",
]
