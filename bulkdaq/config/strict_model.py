"""The one strict pydantic base of every file bulkdaq reads: the site file, shipment, figures and rule files,
ticket files.

Unknown keys are refused (a misspelt key is an error naming it, never silently ignored) and a model once
validated cannot be changed (``model_copy(update=…)`` makes a new one).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A pydantic model that forbids unknown keys and is frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


__all__ = ["StrictModel"]
