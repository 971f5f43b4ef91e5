"""When a reading becomes an integrity event (collectors/integrity_watch.py): the same limits for a Modbus device
(`[[modbus.devices]] integrity`) and an OPC UA server (`[[opcua.servers]] integrity`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bulkdaq.config.strict_model import StrictTypedModel


class IntegrityLimits(StrictTypedModel):
    """When a totalizer's reading becomes an integrity event (collectors/integrity_watch.py)."""

    frozen_after_s: Annotated[float, Field(gt=0)] = 30.0
    jump_margin: Annotated[float, Field(ge=0)] = 0.5  # the total may run this fraction above rate × time
    jump_allowance: Annotated[float, Field(ge=0)] = 1.0  # plus this much, in the totalizer's unit (resolution, rounding)
    clock_jump_s: Annotated[float, Field(gt=0)] = 5.0


__all__ = ["IntegrityLimits"]
