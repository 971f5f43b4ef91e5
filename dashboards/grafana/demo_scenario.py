"""A small terminal, written straight into InfluxDB, for dashboard tests and README pictures.

Times are relative to "now" so the live windows work: two meters, a tank and a collector source report
up to a few seconds ago; one meter (FT-103), one tank (T-2) and their source stopped ten minutes ago and
must show STALE. Seven shipments stand in different clearance states (one untouched for ten days), with a history, progress and
quantities. The clearance and quantity series are not written by bulkdaq yet (the clearance calculator
comes later), so this is also the shape the dashboards expect from it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import httpx

from bulkdaq.store import contract
from bulkdaq.store.line_protocol import Point
from dashboards.grafana.demo_yard_scenario import yard_points

SITE = "demo-terminal"
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS


@dataclass(frozen=True)
class ShipmentStory:
    shipment: str
    states: tuple[str, ...]  # the lifecycle so far, the last one current
    declared_t: float
    measured_t: float
    tolerance_pct: float = 0.3
    progress_by_asset: dict[str, float] = field(default_factory=dict)
    quiet_days: float = 0.0  # days since its newest clearance point, beyond the few minutes every story has


    @property
    def state(self) -> str:
        return self.states[-1]

    @property
    def difference_pct(self) -> float:
        return (self.measured_t - self.declared_t) / self.declared_t * 100.0


SHIPMENTS = (
    ShipmentStory("EXP-2411-JET", ("declared", "precheck", "loading"), 90_000.0, 41_250.5, progress_by_asset={"FT-101": 0.25, "FT-102": 0.2083})
    ,
    ShipmentStory("EXP-2409-GAS", ("declared", "precheck", "loading", "complete", "measured", "discrepancy"), 30_000.0, 30_212.4, progress_by_asset={"FT-101": 0.5, "FT-102": 0.507}),
    ShipmentStory("EXP-2412-LUB", ("declared", "blocked"), 5_000.0, 0.0),
    ShipmentStory("EXP-2405-DSL", ("declared", "precheck", "loading", "complete", "measured", "reconciled", "verified", "certified", "released"), 45_000.0, 45_030.0, progress_by_asset={"FT-101": 1.0007}),
    ShipmentStory("EXP-2407-FO", ("declared", "precheck", "loading", "complete", "measured", "reconciled", "verified"), 60_000.0, 59_940.0, progress_by_asset={"FT-102": 0.999}),
    ShipmentStory("EXP-2408-ORE", ("declared", "precheck", "loading", "complete", "measured", "discrepancy", "investigating"), 80_000.0, 79_500.0, progress_by_asset={"FT-101": 0.99375}),
    # Under investigation for longer than the board's 7-day range: clearance points are written only on a
    # state change, so its newest one is older than the range; the board must still list it.
    ShipmentStory("EXP-2402-COAL", ("declared", "precheck", "loading", "complete", "measured", "discrepancy", "investigating"), 70_000.0, 70_560.0,
                  progress_by_asset={"FT-102": 1.008}, quiet_days=10.0),
)
OLD_SHIPMENTS = tuple(story.shipment for story in SHIPMENTS if story.quiet_days > 7)
LIVE_METERS = ("FT-101", "FT-102")
STALE_METERS = ("FT-103",)
LIVE_TANKS = ("T-1",)
STALE_TANKS = ("T-2",)
COLLECTORS = {"modbus-jetty": ("FT-101", "FT-102", "FT-103"), "opcua-tankfarm": ("T-1", "T-2")}
LIVE_SOURCES = ("FT-101", "FT-102", "T-1")
STALE_SOURCES = ("FT-103", "T-2")
VESSEL = "MT NORDIC STAR"
STALE_SILENCE_MS = 10 * MINUTE_MS


def _meter_points(meter: str, start_ms: int, end_ms: int, step_ms: int) -> list[Point]:
    points = []
    for i, t in enumerate(range(start_ms, end_ms + 1, step_ms)):
        rate = 900_000.0 + 100_000.0 * math.sin(i / 40.0)
        points.append(
            Point(
                contract.METER.name,
                {contract.SITE_TAG: SITE, contract.METER.asset_tag: meter},
                {
                    "mass_total_kg": 1_000_000.0 + rate / 3600.0 * (t - start_ms) / 1000.0,
                    "volume_total_m3": 1_250.0 + rate / 800.0 / 3600.0 * (t - start_ms) / 1000.0,
                    "flow_rate_kg_h": rate,
                    "volume_flow_m3_h": rate / 800.0,
                    "density_kg_m3": 799.5 + 0.5 * math.cos(i / 30.0),
                    "temperature_c": 18.0 + 0.01 * i,
                    "pressure_kpa": 650.0 + 5.0 * math.sin(i / 25.0),
                    "meter_factor": 1.0002,
                    "status": 0,
                    contract.QUALITY_FIELD: contract.Quality.GOOD.value,
                },
                t,
            )
        )
    return points


def _bad(measurement: contract.Measurement, asset: str, time_ms: int, reason: str) -> Point:
    return Point(
        measurement.name,
        {contract.SITE_TAG: SITE, measurement.asset_tag: asset},
        {contract.QUALITY_FIELD: contract.Quality.BAD.value, contract.QUALITY_REASON_FIELD: reason},
        time_ms,
    )


def points(now_ms: int) -> list[Point]:
    """Every point of the scenario, with "now" at `now_ms`."""
    start = now_ms - HOUR_MS
    out: list[Point] = []
    for meter in LIVE_METERS:
        out += _meter_points(meter, start, now_ms - 2_000, 10_000)
    for meter in STALE_METERS:
        out += _meter_points(meter, start, now_ms - STALE_SILENCE_MS, 10_000)
    out.append(_bad(contract.METER, "FT-102", now_ms - 20 * MINUTE_MS - 5_000, "Modbus exception 4 (server device failure)"))
    for tank in (*LIVE_TANKS, *STALE_TANKS):
        end = now_ms - 3_000 if tank in LIVE_TANKS else now_ms - STALE_SILENCE_MS
        for i, t in enumerate(range(start, end + 1, 10_000)):
            out.append(Point(contract.TANK.name, {contract.SITE_TAG: SITE, contract.TANK.asset_tag: tank}, {
                "level_m": 14.2 - 0.015 * i, "tov_m3": 28_400.0 - 30.0 * i, "temperature_c": 17.5,
                "density_kg_m3": 801.2, "free_water_m": 0.012, contract.QUALITY_FIELD: contract.Quality.GOOD.value}, t))
    out.append(_bad(contract.TANK, "T-1", now_ms - 30 * MINUTE_MS - 7_000, "radar gauge: echo lost"))
    for i, t in enumerate(range(start, now_ms - 5_000, 60_000)):
        out.append(Point(contract.SCALE.name, {contract.SITE_TAG: SITE, contract.SCALE.asset_tag: "BS-1"},
                         {"total_t": 5_000.0 + 20.0 * i, "rate_t_h": 1_200.0, contract.QUALITY_FIELD: contract.Quality.GOOD.value}, t))
    out.append(_bad(contract.SCALE, "BS-1", now_ms - 15 * MINUTE_MS - 1_000, "load cell signal out of range"))
    for _label, t, marks in (("initial", start + 5 * MINUTE_MS, 6.10), ("final", now_ms - 10 * MINUTE_MS, 11.85)):
        out.append(Point(contract.DRAFT.name, {contract.SITE_TAG: SITE, contract.DRAFT.asset_tag: VESSEL}, {
            "fwd_port_m": marks - 0.20, "fwd_stbd_m": marks - 0.18, "mid_port_m": marks, "mid_stbd_m": marks + 0.01,
            "aft_port_m": marks + 0.22, "aft_stbd_m": marks + 0.21, "source": "observer",
            contract.QUALITY_FIELD: contract.Quality.GOOD.value}, t))
    for asset, kind, t, message, old, new in (
        ("FT-101", "meter_factor_change", now_ms - 40 * MINUTE_MS, "meter factor changed", "1.0000", "1.0002"),
        # A gap as the collector records it (bulkdaq/store/contract.py EVENT_KINDS): the last reading before and the first after.
        ("FT-103", "comms_gap", now_ms - STALE_SILENCE_MS + 5_000, "device unreachable for 95 s",
         contract.event_time_text(now_ms - STALE_SILENCE_MS - 90_000), contract.event_time_text(now_ms - STALE_SILENCE_MS + 5_000)),
    ):
        out.append(Point(contract.EVENT.name, {contract.SITE_TAG: SITE, contract.EVENT.asset_tag: asset, contract.EVENT_KIND_TAG: kind},
                         {"message": message, "old": old, "new": new}, t))
    for collector, sources in COLLECTORS.items():
        for source in sources:
            end = now_ms - 1_000 if source in LIVE_SOURCES else now_ms - STALE_SILENCE_MS
            for i, t in enumerate(range(start, end + 1, 5_000)):
                out.append(Point(contract.COLLECTOR_HEALTH.name,
                                 {contract.SITE_TAG: SITE, contract.COLLECTOR_TAG: collector, contract.COLLECTOR_HEALTH.asset_tag: source},
                                 {"connected": 1, "poll_ms": 12.0 + (i % 7), "errors": i // 200, "spool_depth": 3 + (i % 5),
                                  "lag_s": 0.4 + 0.1 * (i % 3)}, t))
    for collector in COLLECTORS:
        for i, t in enumerate(range(start, now_ms - 1_000, 5_000)):
            out.append(Point(contract.COLLECTOR_HEALTH.name,
                             {contract.SITE_TAG: SITE, contract.COLLECTOR_TAG: collector, contract.COLLECTOR_HEALTH.asset_tag: contract.FORWARDER_SOURCE},
                             {"spool_depth": 3 + (i % 5), "lag_s": 0.4, "forwarded_per_s": 40.0 + (i % 3), "quarantined": i // 300}, t))
    # The terminal's signed chain heads (bulkdaq/evidence/heads.py), one a minute as `head_interval_s` by default,
    # the newest 20 s ago: the office board reads when a site last published one.
    for i, t in enumerate(range(now_ms - 20_000 - HOUR_MS, now_ms - 20_000 + 1, MINUTE_MS)):
        out.append(Point(contract.EVIDENCE_HEAD.name, {contract.SITE_TAG: SITE},
                         {"seq": 1_000 + 60 * i, "hash": f"{i:064x}", "signature": f"{i:0128x}"}, t))
    for story in SHIPMENTS:
        quiet_ms = int(story.quiet_days * 24 * HOUR_MS)
        first = now_ms - quiet_ms - 2 * 24 * HOUR_MS
        step = (2 * 24 * HOUR_MS - 5 * MINUTE_MS) // len(story.states)
        for i, state in enumerate(story.states):
            out.append(Point(contract.CLEARANCE.name, {contract.SITE_TAG: SITE, contract.CLEARANCE.asset_tag: story.shipment}, {
                "state": state, "declared_t": story.declared_t, "measured_t": story.measured_t * (i + 1) / len(story.states),
                "difference_pct": story.difference_pct if i == len(story.states) - 1 else 0.0, "tolerance_pct": story.tolerance_pct}, first + i * step))
        for asset, progress in story.progress_by_asset.items():
            out.append(Point(contract.QUANTITY.name,
                             {contract.SITE_TAG: SITE, contract.QUANTITY_SHIPMENT_TAG: story.shipment, contract.QUANTITY_METHOD_TAG: "meter", contract.QUANTITY.asset_tag: asset},
                             {"progress": progress, "mass_t": story.measured_t * progress}, now_ms - quiet_ms - 60_000))
    out += yard_points(SITE, now_ms)
    return out


def write(url: str, database: str, now_ms: int | None = None) -> int:
    """Write the scenario to `database` at `url` (v1 ``/write``, ms precision); returns the "now" used."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    lines = [p.to_line() for p in points(now_ms)]
    with httpx.Client(timeout=30.0) as client:
        for i in range(0, len(lines), 5_000):
            response = client.post(f"{url.rstrip('/')}/write", params={"db": database, "precision": "ms"}, content="\n".join(lines[i : i + 5_000]).encode())
            if response.status_code != 204:
                raise RuntimeError(f"InfluxDB refused the scenario: HTTP {response.status_code} {response.text[:300]}")
    return now_ms


__all__ = [
    "COLLECTORS",
    "HOUR_MS",
    "LIVE_METERS",
    "LIVE_SOURCES",
    "LIVE_TANKS",
    "MINUTE_MS",
    "OLD_SHIPMENTS",
    "SHIPMENTS",
    "SITE",
    "STALE_METERS",
    "STALE_SILENCE_MS",
    "STALE_SOURCES",
    "STALE_TANKS",
    "VESSEL",
    "ShipmentStory",
    "points",
    "write",
]
