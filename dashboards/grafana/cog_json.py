"""SDK objects to plain JSON data (the SDK's models nest objects that only its encoder can serialise)."""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder


def plain(model: Any) -> Any:
    return json.loads(json.dumps(model, cls=JSONEncoder, ensure_ascii=False))


__all__ = [
    "plain",
]
