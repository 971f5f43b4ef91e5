"""The one strict pydantic base of every file bulkdaq reads: the site file, shipment, figures and rule files,
ticket files, the draft survey job file.

Unknown keys are refused (a misspelt key is an error naming it, never silently ignored) and a model once
validated cannot be changed (``model_copy(update=…)`` makes a new one). `StrictTypedModel` (the site file)
also takes every value as the type it is written in: no number from text or from a boolean, no NaN or
infinity. The survey job file leaves keys it does not know to other tools: its models drop them before
this validation, refusing only near-misses of their own keys (bulkdaq/inputs/survey_file.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """A pydantic model that forbids unknown keys and is frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class StrictTypedModel(StrictModel):
    """A `StrictModel` that also takes every value as the type it is written in, with no coercion: a number
    in quotes (``port = "502"``) or a boolean (``poll_interval_s = true``) is not a number, a float is not
    an integer (an integer is a float), and NaN and infinity are no numbers at all (``scale = nan``).

    A file path is written as text: declare it as `PathText` (text is read as a path)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


PathText = Annotated[Path, Field(strict=False)]
"""A path in a `StrictTypedModel`: written as text in the file, read as a `Path`."""


__all__ = ["PathText", "StrictModel", "StrictTypedModel"]
