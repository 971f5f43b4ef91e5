"""The one strict pydantic base of every file bulkdaq reads: the site file, shipment, figures and rule files,
ticket files, the draft survey job file.

Unknown keys are refused (a misspelt key is an error naming it, never silently ignored) and a model once
validated cannot be changed (``model_copy(update=…)`` makes a new one). The survey job file leaves keys it
does not know to other tools: its models drop them before this validation, refusing only near-misses of
their own keys (bulkdaq/inputs/survey_file.py).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A pydantic model that forbids unknown keys and is frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


__all__ = ["StrictModel"]
