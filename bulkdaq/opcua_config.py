"""Site configuration of the OPC UA sources (the plant's control system): the `[opcua]` section."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict


class OpcUaSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    servers: list[Any] = []


def opcua_cross_checks(section: OpcUaSection) -> Iterable[tuple[str, str]]:
    """Problems pydantic cannot see on its own, as (key path, problem)."""
    return ()
