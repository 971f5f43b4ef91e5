"""A blending run's figures from the belt scales' totals stored in InfluxDB (docs/yard.md, "The run document").

Each scale's mass over the run is the difference of its totalizer (`scale` / `total_t`) between the first
and the last good reading of the window, subtracted in decimal on the stored values (as a meter ticket is,
`bulkdaq/shipments/stored_totals.py`, with `calculators.totalizer.indicated_quantity`). A total that went
backwards inside the run is a reset: it is named, with the readings on either side, and the run gets no
figure, never a sum across the reset. Its standard uncertainty comes from the scale's OIML R 50 class,
u = MPE/√3, and a total below the scale's Σmin is kept but marked not legal
(`calculators.blending.belt_scale_class`). Shares against the recipe and the product against the sum of
the components are `calculators.blending.mass_balance.blending_run`. The collectors' integrity events on
these scales (and on the devices or OPC UA servers that carry them: a `comms_gap` names the device) in the
window go into the document as they were stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Literal

from bulkdaq.config.site_file import BeltScale, LoadedSite, resolve_credentials
from bulkdaq.errors import BulkdaqError
from bulkdaq.shipments.stored_totals import EmptyWindow, NoReadings, totalizer_drops
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader, Reading, quote_identifier, quote_string, time_literal
from bulkdaq.yard.recipe import Recipe, checked_recipe
from calculators.blending.belt_scale_class import standard_uncertainty_t, totalized_load_is_legal
from calculators.blending.mass_balance import BlendingRun, blending_run
from calculators.totalizer import indicated_quantity

TOTAL_FIELD = "total_t"
RunState = Literal["running", "finished"]


class ScaleTotalDropped(BulkdaqError, ValueError):
    """A belt scale's totalizer went backwards during the run (a reset): the run's mass on it is unknown."""

    def __init__(self, scale: str, drops: list[tuple[Reading, Reading]]) -> None:
        before, after = drops[0]
        more = f" ({len(drops)} decreases in the run)" if len(drops) > 1 else ""
        super().__init__(
            f"belt scale {scale} {TOTAL_FIELD} went backwards during the run: {before.value!r} t at {iso_ms(before.time)}, "
            f"then {after.value!r} t at {iso_ms(after.time)}{more}; a reset is not a negative mass, and the totals on "
            "either side are not summed: settle the run's mass on this scale by hand (the integrity events name the reset)"
        )
        self.scale = scale
        self.drops = drops


def iso_ms(moment: datetime) -> str:
    """A moment as the run document writes it: ISO 8601, UTC, milliseconds, ``Z`` (2026-04-12T01:00:00.000Z)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.astimezone(timezone.utc).microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class ScaleFigure:
    """One belt scale's mass over the run.

    Attributes
    ----------
    scale : str
        The scale (`[[yard.belt_scales]] asset`).
    wet_t : float
        closing − opening total [t, wet, as the scale totalizes]; 0 when it has no reading yet (live form).
    u_wet_t : float
        Standard uncertainty from the scale's class, u = MPE/√3 [t] (JCGM 100 4.3.7).
    legal : bool
        wet_t ≥ Σmin of the scale.
    opening, closing : Reading or None
        The first and last good `total_t` readings of the window.
    """

    scale: str
    wet_t: float
    u_wet_t: float
    legal: bool
    opening: Reading | None
    closing: Reading | None

    def readings(self) -> dict[str, dict[str, Any]] | None:
        """The opening and closing readings the mass is the difference of (time, total [t]), so an officer can
        find them among the stored readings and the signed evidence chain; None without readings (live form)."""
        if self.opening is None or self.closing is None:
            return None
        return {name: {"time": iso_ms(reading.time), "total_t": float(reading.value)}
                for name, reading in (("opening", self.opening), ("closing", self.closing))}


def _with_readings(document: dict[str, Any], figure: ScaleFigure) -> dict[str, Any]:
    readings = figure.readings()
    return document if readings is None else {**document, "readings": readings}


@dataclass(frozen=True)
class BlendingRunFigures:
    """A run's figures: each component's and the product's scale figure, and the calculator's ratios."""

    run: str
    recipe: Recipe
    start: datetime
    end: datetime
    components: tuple[ScaleFigure, ...]  # in the recipe's order
    product: ScaleFigure
    result: BlendingRun
    integrity_events: tuple[dict[str, Any], ...]
    state: RunState = "finished"
    outbound_lot: str | None = None

    def as_document(self) -> dict[str, Any]:
        """The run document of docs/yard.md ("The run document"), as the ledger records a finished run."""
        components = []
        for entry, figure, share in zip(self.recipe.components, self.components, self.result.components, strict=True):
            components.append(_with_readings({
                "lot": entry.lot, "scale": figure.scale, "wet_t": figure.wet_t, "u_wet_t": figure.u_wet_t,
                "legal": figure.legal, "share_pct": share.share_pct, "target_pct": share.target_pct,
                "tolerance_pp": share.tolerance_pp, "off_recipe": share.off_recipe,
            }, figure))
        return {
            "run": self.run,
            "recipe": self.recipe.as_document(),
            "start": iso_ms(self.start),
            "end": iso_ms(self.end),
            "components": components,
            "product": _with_readings({"scale": self.product.scale, "wet_t": self.product.wet_t, "u_wet_t": self.product.u_wet_t,
                                       "legal": self.product.legal}, self.product),
            "sum_components_t": self.result.sum_t,
            "expanded_u_t": self.result.expanded_t,
            "product_verdict": self.result.product_verdict,
            "integrity_events": [dict(event) for event in self.integrity_events],
            "outbound_lot": self.outbound_lot,
        }


def blending_run_figures(
    reader: InfluxReader,
    site: LoadedSite,
    recipe: Recipe,
    run: str,
    start: datetime,
    end: datetime,
    *,
    outbound_lot: str | None = None,
) -> BlendingRunFigures:
    """The figures of a finished run between `start` and `end` from the stored belt-scale totals.

    Parameters
    ----------
    reader : InfluxReader
        The site's InfluxDB.
    site : LoadedSite
        Its `[[yard.belt_scales]]` give each scale's class, verification stage and Σmin [t].
    recipe : Recipe
        Checked against the site (`bulkdaq.yard.recipe.load_recipe`).
    run : str
        The run's id (``R-2026-0412-01``).
    start, end : datetime
        The run's window, time-zone aware; readings with start ≤ time ≤ end count.
    outbound_lot : str, optional
        The outbound lot the product went to, if already known.

    Raises
    ------
    InputError
        The recipe does not fit the site's belt scales (`bulkdaq.yard.recipe.checked_recipe`).
    EmptyWindow
        `end` is not after `start`.
    NoReadings
        A scale of the recipe has no good `total_t` reading in the window.
    ScaleTotalDropped
        A scale's total went backwards in the window (a reset), naming the readings.
    calculators.blending.mass_balance.MassBalanceError
        The components delivered nothing.
    """
    figures = _figures(reader, site, recipe, start, end, live=False)
    return _assemble(reader, site, recipe, run, start, end, figures, "finished", outbound_lot)


def live_blending_run(reader: InfluxReader, site: LoadedSite, recipe: Recipe, run: str, start: datetime, now: datetime) -> BlendingRunFigures | None:
    """The figures of a run in progress, from `start` to `now` (for the dashboard writer); state ``running``.

    Each scale's mass so far runs to its latest stored reading, read by its own query while readings keep
    arriving, so the shares so far are close to, not exactly, those of one instant. A scale with no good
    reading yet counts 0 t (not legal). None while the components have delivered nothing
    (shares of nothing cannot be compared with the recipe). A reset raises `ScaleTotalDropped`, as for a
    finished run: a live figure summed across a reset would be wrong on the board.
    """
    figures = _figures(reader, site, recipe, start, now, live=True)
    if sum(figure.wet_t for figure in figures[:-1]) <= 0.0:
        return None
    return _assemble(reader, site, recipe, run, start, now, figures, "running", None)


def blending_run_from_store(
    site: LoadedSite, recipe: Recipe, run: str, start: datetime, end: datetime, *, influx_url: str | None = None, outbound_lot: str | None = None
) -> BlendingRunFigures:
    """`blending_run_figures` read from the site's InfluxDB (or `influx_url`)."""
    target = site.config.influxdb
    with InfluxReader(influx_url or target.url, target.database, resolve_credentials(target, site.path)) as reader:
        return blending_run_figures(reader, site, recipe, run, start, end, outbound_lot=outbound_lot)


def _figures(reader: InfluxReader, site: LoadedSite, recipe: Recipe, start: datetime, end: datetime, *, live: bool) -> list[ScaleFigure]:
    if end <= start:
        raise EmptyWindow(f"the run ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    checked_recipe(recipe, site, f"recipe {recipe.name} v{recipe.version}")  # a recipe checked against another site
    yard = site.config.yard
    scales = [component.scale for component in recipe.components] + [recipe.product_scale]
    return [_scale_figure(reader, yard.belt_scale(scale), start, end, live=live) for scale in scales]


def _scale_figure(reader: InfluxReader, scale: BeltScale, start: datetime, end: datetime, *, live: bool) -> ScaleFigure:
    readings = reader.first_and_last(contract.SCALE, scale.asset, TOTAL_FIELD, start, end)
    if readings is None:
        if not live:
            raise NoReadings(f"no good {TOTAL_FIELD} reading of belt scale {scale.asset!r} between {iso_ms(start)} and {iso_ms(end)}")
        mass = 0.0
        opening = closing = None
    else:
        # JSON carries a float total of 5100.0 as 5100: total_t is a float in the contract.
        opening, closing = (Reading(r.time, float(r.value)) for r in readings)
        drops = totalizer_drops(reader, contract.SCALE, scale.asset, TOTAL_FIELD, start, end)
        if drops:
            raise ScaleTotalDropped(scale.asset, drops)
        # No roll-over is configured for a belt scale: any decrease is caught above as a reset.
        mass = float(indicated_quantity(Decimal(repr(opening.value)), Decimal(repr(closing.value))))
    u = float(standard_uncertainty_t(mass, scale.accuracy_class, scale.verification))
    legal = bool(totalized_load_is_legal(mass, scale.minimum_totalized_load_t))
    return ScaleFigure(scale.asset, mass, u, legal, opening, closing)


def _sources(site: LoadedSite, scales: list[str]) -> list[str]:
    """The event assets that concern `scales`: the scales and the Modbus devices and OPC UA servers that read them."""
    wanted = set(scales)
    sources = list(scales)
    for device in site.config.modbus.devices:
        if any(point.measurement == contract.SCALE.name and point.asset in wanted for point in device.points):
            sources.append(device.name)
    for server in site.config.opcua.servers:
        if any(node.measurement == contract.SCALE.name and node.asset in wanted for node in server.nodes):
            sources.append(server.name)
    return list(dict.fromkeys(sources))


def integrity_events(reader: InfluxReader, site: LoadedSite, scales: list[str], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The collectors' `event` points on `scales` (and their devices) with start ≤ time ≤ end, oldest first:
    ``{"time", "asset", "kind", "field", "message", "old", "new"}`` as stored (`field` None when absent)."""
    event = contract.EVENT
    assets = " OR ".join(f"{quote_identifier(event.asset_tag)} = {quote_string(source)}" for source in _sources(site, scales))
    series = reader.query(
        f"SELECT \"message\", \"old\", \"new\" FROM {quote_identifier(event.name)} WHERE ({assets}) AND "
        f"time >= {time_literal(start)} AND time <= {time_literal(end)} "
        f"GROUP BY {quote_identifier(event.asset_tag)}, {quote_identifier(contract.EVENT_KIND_TAG)}, {quote_identifier(contract.EVENT_FIELD_TAG)}"
    )
    events = []
    for s in series:
        for row in s.rows():
            events.append({
                "time": iso_ms(row["time"]),
                "asset": s.tags.get(event.asset_tag),
                "kind": s.tags.get(contract.EVENT_KIND_TAG),
                "field": s.tags.get(contract.EVENT_FIELD_TAG) or None,
                "message": row.get("message"),
                "old": row.get("old"),
                "new": row.get("new"),
            })
    return sorted(events, key=lambda e: (e["time"], e["asset"] or "", e["kind"] or "", e["field"] or ""))


def _assemble(
    reader: InfluxReader, site: LoadedSite, recipe: Recipe, run: str, start: datetime, end: datetime,
    figures: list[ScaleFigure], state: RunState, outbound_lot: str | None,
) -> BlendingRunFigures:
    components, product = figures[:-1], figures[-1]
    result = blending_run(
        [component.lot for component in recipe.components],
        [figure.wet_t for figure in components],
        [figure.u_wet_t for figure in components],
        [component.target_pct for component in recipe.components],
        [component.tolerance_pp for component in recipe.components],
        product.wet_t,
        product.u_wet_t,
    )
    events = integrity_events(reader, site, [figure.scale for figure in figures], start, end)
    return BlendingRunFigures(run, recipe, start, end, tuple(components), product, result, tuple(events), state, outbound_lot)


__all__ = [
    "BlendingRunFigures",
    "ScaleFigure",
    "ScaleTotalDropped",
    "blending_run_figures",
    "blending_run_from_store",
    "integrity_events",
    "iso_ms",
    "live_blending_run",
]
