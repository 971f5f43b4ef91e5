"""Live quantities while a shipment loads: delivered so far per meter run and in total, progress, rate
and estimated completion, from the totalizers stored in InfluxDB through the petroleum tickets.

Every few seconds (``watch``):

1. per meter run, the opening reading (first good totalizer reading at/after the shipment's start) and
   the current one (last good reading) come from `bulkdaq.shipments.stored_totals`, whose subtraction is decimal
   exact and which refuses a totalizer that went backwards;
2. the line conditions are flow-weighted over the batch (API MPMS 12.2.1 §12.2.5.2): InfluxDB groups
   the readings into at most ~200 intervals, each weighted by the totalizer's advance in it;
3. the Coriolis ticket (mass meters) or the meter ticket (volumetric meters) turns them into GSV, NSV,
   mass and weight in air, with the shipment's policy, laboratory density, S&W and meter factor;
4. the figure in the declared basis, progress against the declared quantity, the rate (the meter's
   own flow rate carried through the same ticket ratio) and the time to complete are written to
   `quantity` (per meter run) and `clearance` (the total);
5. the batch's integrity is checked (meter-factor change, clock jump, totalizer reset or jump, a gap in
   the readings over the rule set's limit); a failure moves the shipment to ``blocked``.

At completion the same snapshot, over the whole loading window, gives the final meter tickets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from bulkdaq.config.site_file import LoadedSite, Meter, resolve_credentials
from bulkdaq.errors import BulkdaqError, InputError
from bulkdaq.shipments.clearance_writer import clearance_point, quantity_point, quantity_unit, write_points
from bulkdaq.shipments.lifecycle import BLOCKING_EVENT_KINDS, ClearanceState, Finding, TransitionRefused, event_findings, gap_findings
from bulkdaq.shipments.model import MethodFigure, Shipment
from bulkdaq.shipments.registry import Evidence, ShipmentRegistry
from bulkdaq.shipments.stored_totals import NoReadings, StoredTicket, TotalNotStored, stored_meter_ticket
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader, quote_identifier, quote_string, time_literal
from bulkdaq.store.influx_writer import writer_for
from bulkdaq.store.line_protocol import Point
from calculators.petroleum.coriolis_ticket import coriolis_ticket
from calculators.petroleum.measurement_policy import Ticket
from calculators.petroleum.meter_ticket import flow_weighted_average, meter_ticket

log = logging.getLogger(__name__)

CONDITION_FIELDS = ("temperature_c", "pressure_kpa", "density_kg_m3")
MAX_INTERVALS = 200  # intervals for the flow-weighted averages: fine enough, and one cheap query per meter
LOADING_START = "loading_start"
INTEGRITY = "integrity_findings"
METER_TICKETS = "meter_tickets"

# Ticket figure that gives the quantity in each declared basis, for mass (Coriolis) and volumetric meters.
_BASIS_FIGURE = {
    "coriolis": {"t_air": "weight_in_air_t", "t_vacuum": "net_mass_t", "m3_15C": "nsv_m3", "m3_20C": "nsv_m3"},
    "volumetric": {"t_air": "weight_in_air_t", "t_vacuum": "mass_t", "m3_15C": "nsv_m3", "m3_20C": "nsv_m3"},
}


class NotStarted(BulkdaqError, ValueError):
    """The shipment has no loading-start record: `bulkdaq shipment start` has not opened its window."""


class NoMetering(BulkdaqError, ValueError):
    """The shipment has no meters (or no metering section) to compute live quantities from."""


@dataclass(frozen=True)
class LineConditions:
    """Line temperature [°C], gauge pressure [kPa] and density [kg/m³] over a batch."""

    temperature_c: float
    pressure_kpa: float
    density_kg_m3: float | None
    flow_weighted: bool  # False when nothing flowed yet: then the plain mean of the readings


@dataclass(frozen=True)
class MeterProgress:
    """One meter run's delivery since the start of loading."""

    meter: str
    kind: str  # "coriolis" or "volumetric"
    stored: StoredTicket
    total_field: str
    indicated: Decimal
    conditions: LineConditions
    ticket: Ticket
    quantity: float  # in the declared basis
    rate_per_h: float | None

    def quantity_fields(self) -> dict[str, float]:
        """The contract's `quantity` fields from this meter's ticket."""
        mass_key = "net_mass_t" if self.kind == "coriolis" else "mass_t"
        return {
            "gsv_m3": float(self.ticket["gsv_m3"]),
            "nsv_m3": float(self.ticket["nsv_m3"]),
            "mass_t": float(self.ticket[mass_key]),
            "weight_air_t": float(self.ticket["weight_in_air_t"]),
        }

    def as_document(self) -> dict[str, Any]:
        return {
            "meter": self.meter,
            "kind": self.kind,
            "totalizer": self.total_field,
            "indicated_exact": str(self.indicated),
            "stored": self.stored.as_dict(),
            "conditions": {
                "temperature_c": self.conditions.temperature_c,
                "pressure_kpa": self.conditions.pressure_kpa,
                "density_kg_m3": self.conditions.density_kg_m3,
                "flow_weighted": self.conditions.flow_weighted,
            },
            "ticket": self.ticket.as_dict(),
            "quantity": self.quantity,
            "rate_per_h": self.rate_per_h,
        }


@dataclass(frozen=True)
class LiveSnapshot:
    shipment: Shipment
    start: datetime
    at: datetime
    meters: tuple[MeterProgress, ...]

    @property
    def total(self) -> float:
        return sum(m.quantity for m in self.meters)

    @property
    def progress(self) -> float:
        return self.total / self.shipment.declared.quantity

    @property
    def rate_per_h(self) -> float | None:
        rates = [m.rate_per_h for m in self.meters if m.rate_per_h is not None]
        return sum(rates) if rates else None

    @property
    def remaining_s(self) -> float | None:
        """Time to reach the declared quantity at the current total rate; None when not flowing."""
        rate = self.rate_per_h
        if rate is None or rate <= 0:
            return None
        return max(self.shipment.declared.quantity - self.total, 0.0) / rate * 3600.0

    @property
    def estimated_completion(self) -> datetime | None:
        remaining = self.remaining_s
        return None if remaining is None else self.at + timedelta(seconds=remaining)

    def as_document(self) -> dict[str, Any]:
        return {
            "shipment": self.shipment.id,
            "from": self.start.isoformat(),
            "to": self.at.isoformat(),
            "basis": self.shipment.declared.basis,
            "total": self.total,
            "meters": [m.as_document() for m in self.meters],
        }


def _meter_kind(meter: Meter) -> str:
    return "coriolis" if meter.kind == "coriolis" else "volumetric"


def line_conditions(
    reader: InfluxReader, meter_id: str, total_field: str, opening: float, start: datetime, end: datetime
) -> LineConditions:
    """Flow-weighted line temperature, pressure and density of a meter between `start` and `end`.

    The readings are grouped into at most MAX_INTERVALS intervals; each interval's mean is weighted by
    the totalizer's advance over it (its last reading minus the previous interval's last, the first from
    `opening`). Before anything has flowed the plain mean is returned, flagged as not flow-weighted.

    Raises
    ------
    InputError
        The meter has no good temperature or pressure reading in the window (the ticket cannot be made).
    """
    window_ms = max(round((end - start).total_seconds() * 1000), 1)
    interval_ms = max(100, -(-window_ms // MAX_INTERVALS))
    means = ", ".join(f"mean({quote_identifier(f)}) AS {quote_identifier(f)}" for f in CONDITION_FIELDS)
    query = (
        f"SELECT last({quote_identifier(total_field)}) AS \"total\", {means} FROM {quote_identifier(contract.METER.name)} "
        f"WHERE {quote_identifier(contract.METER.asset_tag)} = {quote_string(meter_id)} "
        f"AND {quote_identifier(contract.QUALITY_FIELD)} = 'good' "
        f"AND time >= {time_literal(start)} AND time <= {time_literal(end)} GROUP BY time({interval_ms}ms) fill(none)"
    )
    series = reader.query(query)
    rows = series[0].rows() if series else []
    previous = opening
    weights: list[float] = []
    for row in rows:
        total = row["total"]
        weights.append(max(float(total) - previous, 0.0) if total is not None else 0.0)
        previous = float(total) if total is not None else previous
    flowed = sum(weights) > 0
    averages: dict[str, float | None] = {}
    for name in CONDITION_FIELDS:
        pairs = [(row[name], w) for row, w in zip(rows, weights, strict=False) if row[name] is not None]
        if not pairs:
            averages[name] = None
        elif flowed and any(w > 0 for _, w in pairs):
            averages[name] = flow_weighted_average([v for v, _ in pairs], [w for _, w in pairs])
        else:
            averages[name] = sum(v for v, _ in pairs) / len(pairs)
    for name in ("temperature_c", "pressure_kpa"):
        if averages[name] is None:
            raise InputError(
                f"meter {meter_id}", f"meter.{name}",
                f"no good {name} reading between {start.isoformat()} and {end.isoformat()}; the ticket needs the line conditions",
            )
    return LineConditions(averages["temperature_c"], averages["pressure_kpa"], averages["density_kg_m3"], flowed)  # type: ignore[arg-type]


def _last_rate(reader: InfluxReader, meter_id: str, field: str, start: datetime, end: datetime) -> float | None:
    pair = reader.first_and_last(contract.METER, meter_id, field, start, end)
    return None if pair is None else float(pair[1].value)


def meter_progress(reader: InfluxReader, site_name: str, shipment: Shipment, meter: Meter, start: datetime, end: datetime) -> MeterProgress:
    """One meter run's delivery between `start` and `end` through its ticket, in the declared basis.

    Raises
    ------
    bulkdaq.shipments.stored_totals.NoReadings, bulkdaq.shipments.stored_totals.TotalizerDropped
        No good totalizer reading, or a totalizer that went backwards.
    bulkdaq.shipments.stored_totals.TotalNotStored
        The totalizer the ticket needs has no good reading while another of the meter's has one.
    NoMetering
        The shipment has no metering section.
    ValueError
        Conditions outside the edition's range (the tickets never extrapolate).
    """
    if shipment.metering is None:
        raise NoMetering(f"shipment {shipment.id} has no [metering] section; live quantities come from meter tickets")
    metering = shipment.metering
    policy = metering.policy.policy()
    kind = _meter_kind(meter)
    stored = stored_meter_ticket(reader, site_name, meter, start, end)
    total_field = "mass_total_kg" if kind == "coriolis" else "volume_total_m3"
    delta = next((t for t in stored.totals if t.field == total_field), None)
    if delta is None:
        raise TotalNotStored(f"meter {meter.id}", f"meter.{total_field}", f"a {meter.kind} meter's ticket needs its {total_field} readings; none are stored")
    opening, closing = float(delta.opening.value), float(delta.closing.value)
    conditions = line_conditions(reader, meter.id, total_field, opening, start, end)
    factor = shipment.meter_factor(meter.id)
    if kind == "coriolis":
        if conditions.density_kg_m3 is None:
            raise InputError(f"meter {meter.id}", "meter.density_kg_m3", "the Coriolis ticket's density cross-check needs the meter's line density; none is stored")
        # The stored floats are the device's readings; their difference is the one the ticket shows.
        ticket = coriolis_ticket(
            policy, opening, closing, factor, metering.base_density_kgm3, conditions.density_kg_m3,
            conditions.temperature_c, conditions.pressure_kpa, metering.sediment_water_percent,
            metering.density_band_kgm3, metering.commodity, meter.mass_rollover_kg,
        )
        indicated_key, rate_field = "indicated_mass_kg", "flow_rate_kg_h"
    else:
        ticket = meter_ticket(
            policy, opening, closing, factor, conditions.temperature_c, conditions.pressure_kpa,
            metering.base_density_kgm3, metering.sediment_water_percent, metering.commodity, meter.volume_rollover_m3,
        )
        indicated_key, rate_field = "iv_m3", "volume_flow_m3_h"
    quantity = float(ticket[_BASIS_FIGURE[kind][shipment.declared.basis]])
    indicated = float(ticket[indicated_key])
    rate = _last_rate(reader, meter.id, rate_field, start, end)
    # The meter's own rate, carried through the same ratio as the totals (MF, CTPL, S&W, WCF).
    rate_per_h = None if rate is None or indicated <= 0 else rate * quantity / indicated
    if rate is not None and indicated <= 0 and rate == 0:
        rate_per_h = 0.0
    return MeterProgress(meter.id, kind, stored, total_field, delta.indicated, conditions, ticket, quantity, rate_per_h)


def live_snapshot(reader: InfluxReader, site: LoadedSite, shipment: Shipment, start: datetime, end: datetime) -> LiveSnapshot:
    """Every meter run of the shipment between `start` and `end`."""
    if not shipment.assets.meters:
        raise NoMetering(f"shipment {shipment.id} names no meters (assets.meters)")
    meters = []
    for meter_id in shipment.assets.meters:
        try:
            meter = site.config.meter(meter_id)
        except KeyError as error:
            raise InputError(site.path, "meters[].id", str(error.args[0])) from None
        meters.append(meter_progress(reader, site.config.site.name, shipment, meter, start, end))
    return LiveSnapshot(shipment, start, end, tuple(meters))


def snapshot_points(snapshot: LiveSnapshot, state: str) -> list[Point]:
    """`quantity` per meter run and the `clearance` total of a snapshot."""
    shipment = snapshot.shipment
    unit = quantity_unit(shipment)
    points = []
    for run in snapshot.meters:
        fields: dict[str, Any] = {**run.quantity_fields(), "progress": run.quantity / shipment.declared.quantity, "indicated": float(run.indicated)}
        if run.rate_per_h is not None:
            fields[f"rate_{unit}_h"] = run.rate_per_h
        points.append(quantity_point(shipment, "meters", run.meter, snapshot.at, fields))
    extra: dict[str, Any] = {"progress": snapshot.progress}
    if snapshot.rate_per_h is not None:
        extra[f"rate_{unit}_h"] = snapshot.rate_per_h
    if snapshot.remaining_s is not None:
        extra["remaining_s"] = snapshot.remaining_s
    points.append(clearance_point(shipment, state, snapshot.at, measured=snapshot.total, extra=extra))
    return points


def meters_figure(snapshot: LiveSnapshot) -> MethodFigure:
    """The meters' figure for the whole loading window, with each run's key ticket figures."""
    shipment = snapshot.shipment
    unit = quantity_unit(shipment)
    details: list[tuple[str, float | str, str]] = []
    for run in snapshot.meters:
        for figure in run.ticket.figures:
            details.append((f"{run.meter}: {figure.label}", figure.value, figure.unit))
        for flag in run.ticket.flags:
            details.append((f"{run.meter}: flag", flag, ""))
        details.append((f"{run.meter}: quantity ({shipment.declared.basis})", run.quantity, unit))
    policy = shipment.metering.policy.policy().method() if shipment.metering else ""
    return MethodFigure(
        method="meters", value=snapshot.total, basis=shipment.declared.basis,
        source=f"meter tickets of {', '.join(m.meter for m in snapshot.meters)} from stored totalizers "
        f"{snapshot.start.isoformat(timespec='seconds')} … {snapshot.at.isoformat(timespec='seconds')}; {policy}",
        details=details,
    )


# -- batch integrity ---------------------------------------------------------------------------------


def batch_findings(reader: InfluxReader, shipment: Shipment, site: LoadedSite, start: datetime, end: datetime, max_gap_s: float) -> list[Finding]:
    """Integrity findings of the shipment's meters over the loading window.

    Blocking events recorded by the collector (BLOCKING_EVENT_KINDS) and the longest stretch without a
    good totalizer reading, including from `start` to the first reading and from the last one to `end`.
    """
    meters = shipment.assets.meters
    if not meters:
        return []
    window = f"time >= {time_literal(start)} AND time <= {time_literal(end)}"
    assets = " OR ".join(f"{quote_identifier(contract.EVENT.asset_tag)} = {quote_string(m)}" for m in meters)
    kinds = " OR ".join(f"{quote_identifier(contract.EVENT_KIND_TAG)} = {quote_string(k)}" for k in BLOCKING_EVENT_KINDS)
    series = reader.query(
        f"SELECT \"message\" FROM {quote_identifier(contract.EVENT.name)} WHERE ({assets}) AND ({kinds}) AND {window} "
        f"GROUP BY {quote_identifier(contract.EVENT.asset_tag)}, {quote_identifier(contract.EVENT_KIND_TAG)}"
    )
    events = [
        (s.tags[contract.EVENT.asset_tag], s.tags[contract.EVENT_KIND_TAG], row[0].isoformat(), str(row[1]))
        for s in series
        for row in s.values
    ]
    findings = event_findings(events)
    gaps: dict[str, float] = {}
    for meter_id in meters:
        field = "mass_total_kg" if _meter_kind(site.config.meter(meter_id)) == "coriolis" else "volume_total_m3"
        where = (
            f"{quote_identifier(contract.METER.asset_tag)} = {quote_string(meter_id)} AND "
            f"{quote_identifier(contract.QUALITY_FIELD)} = 'good' AND {window}"
        )
        pair = reader.first_and_last(contract.METER, meter_id, field, start, end)
        if pair is None:
            gaps[meter_id] = (end - start).total_seconds()
            continue
        inner = reader.query(
            f"SELECT max(\"gap\") FROM (SELECT elapsed({quote_identifier(field)}, 1ms) AS \"gap\" "
            f"FROM {quote_identifier(contract.METER.name)} WHERE {where})"
        )
        longest_inner_s = float(inner[0].values[0][1]) / 1000.0 if inner and inner[0].values and inner[0].values[0][1] is not None else 0.0
        leading = (pair[0].time - start).total_seconds()
        trailing = (end - pair[1].time).total_seconds()
        gaps[meter_id] = max(longest_inner_s, leading, trailing)
    return findings + gap_findings(gaps, max_gap_s)


# -- the loop ----------------------------------------------------------------------------------------


def loading_start(registry: ShipmentRegistry, shipment_id: str) -> datetime:
    """When the shipment's loading window opened (the newest loading-start evidence)."""
    found = registry.latest_evidence(shipment_id, LOADING_START)
    if found is None:
        raise NotStarted(f"shipment {shipment_id} has not started loading (no loading-start record); run bulkdaq shipment start")
    return datetime.fromisoformat(found[1].body["start"])


@dataclass
class WatchReport:
    cycles: int = 0
    last: LiveSnapshot | None = None
    stopped_because: str = ""
    findings: tuple[Finding, ...] = ()


async def watch(
    registry: ShipmentRegistry,
    site: LoadedSite,
    shipment_id: str,
    *,
    max_gap_s: float,
    interval_s: float = 5.0,
    actor: str = "bulkdaq shipment watch",
    stop: asyncio.Event | None = None,
    influx_url: str | None = None,
    on_snapshot: Callable[[LiveSnapshot], None] | None = None,
) -> WatchReport:
    """Compute and write the live quantities every `interval_s` while the shipment is ``loading``.

    Ends when the shipment leaves ``loading`` (completed or blocked by someone else), when `stop` is set,
    or when the batch fails an integrity check — then the shipment is moved to ``blocked`` with the
    findings as evidence, and that state is written too. Setting `stop` ends the watch after one more
    cycle, so the last figure written covers every reading stored by then (a caller that stops the
    collector first, then the watch, gets the final figure on the board). `on_snapshot` is given every
    snapshot written (a live view of the quantities loaded).
    """
    shipment = registry.shipment(shipment_id)
    start = loading_start(registry, shipment_id)
    stop = stop or asyncio.Event()
    report = WatchReport()
    target = site.config.influxdb
    writer = writer_for(site)
    reader = InfluxReader(influx_url or target.url, target.database, resolve_credentials(target, site.path))
    try:
        while True:
            stopping = stop.is_set()
            state = registry.state(shipment_id)
            if state != ClearanceState.LOADING.value:
                report.stopped_because = f"shipment is {state}"
                break
            now = datetime.now(timezone.utc)
            snapshot = None
            try:
                snapshot = await asyncio.to_thread(live_snapshot, reader, site, shipment, start, now)
            except NoReadings as error:
                # The collector has not stored a reading of this window yet; the gap check below decides
                # when waiting has lasted too long.
                log.info("shipment %s: %s; waiting", shipment_id, error)
            if snapshot is not None:
                await write_points(writer, snapshot_points(snapshot, state))
                report.cycles += 1
                report.last = snapshot
                if on_snapshot is not None:
                    on_snapshot(snapshot)
            findings = await asyncio.to_thread(batch_findings, reader, shipment, site, start, now, max_gap_s)
            if findings:
                try:
                    registry.transition(
                        shipment_id, ClearanceState.BLOCKED.value, actor,
                        "integrity check failed while loading: " + "; ".join(f.message for f in findings),
                        [Evidence(INTEGRITY, {"from": start.isoformat(), "to": now.isoformat(), "findings": [f.as_dict() for f in findings]})],
                    )
                except TransitionRefused as refused:
                    # Someone completed or blocked the shipment between our state check and now.
                    report.stopped_because = str(refused)
                    break
                measured = None if snapshot is None else snapshot.total
                await write_points(writer, [clearance_point(shipment, ClearanceState.BLOCKED.value, datetime.now(timezone.utc), measured=measured)])
                report.findings = tuple(findings)
                report.stopped_because = "blocked: " + "; ".join(f.message for f in findings)
                break
            if stopping:
                report.stopped_because = "stopped"
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval_s):  # not wait_for: see collectors/cancellation.py
                    await stop.wait()
    finally:
        reader.close()
        await writer.aclose()
    return report


__all__ = [
    "INTEGRITY",
    "LOADING_START",
    "METER_TICKETS",
    "LineConditions",
    "LiveSnapshot",
    "MeterProgress",
    "NoMetering",
    "NotStarted",
    "WatchReport",
    "batch_findings",
    "line_conditions",
    "live_snapshot",
    "loading_start",
    "meter_progress",
    "meters_figure",
    "snapshot_points",
    "watch",
]
