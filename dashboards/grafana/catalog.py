"""The dashboards bulkdaq ships, by UID, as Grafana JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.grafana import clearance_board, data_health, loading_view, office_board, yard_board
from dashboards.grafana.dashboard_json import encode

BUILDERS: dict[str, Callable[[], Dashboard]] = {
    clearance_board.UID: clearance_board.build,
    loading_view.UID: loading_view.build,
    data_health.UID: data_health.build,
    yard_board.UID: yard_board.build,
    office_board.UID: office_board.build,
}


def build_all() -> dict[str, dict[str, Any]]:
    """Every dashboard as plain JSON data, keyed by UID."""
    return {uid: encode(build()) for uid, build in BUILDERS.items()}


__all__ = [
    "BUILDERS",
    "build_all",
]
