"""Method figures that bulkdaq computes itself: the shore-tank drop and the belt-scale total from the
plant's stored feeds, and the draft survey from the surveyor's job file.

At completion a shipment needs a figure from every method it names. Meters come from their stored
totalizers (`bulkdaq/shipments/live_quantities.py`); this module gives:

* **shore tanks** — for each tank, an opening and a closing tank ticket (API MPMS 12.1.1) from the
  first and last good readings in the loading window of TOV, free-water volume and temperature, with
  the shipment's laboratory density and policy; the delivered quantity is opening − closing in the
  declared basis (GSV/NSV for m³, mass or weight in air for tonnes);
* **belt scale** — closing − opening totalizer (decimal-exact), in tonnes;
* **draft survey** — the cargo weight of the survey job (`bulkdaq/inputs/survey_file.py`), loaded for an export,
  discharged for an import: the same figure and labels as `bulkdaq survey draft`.

Each figure carries its intermediate values for the certificate. A missing reading is an error naming
the tank or scale and the field, never a default.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from bulkdaq.errors import BulkdaqError
from bulkdaq.inputs.survey_file import SurveyJob
from bulkdaq.observations.observed_survey import ObservedSurvey
from bulkdaq.shipments.model import MethodFigure, Shipment
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader, Reading
from bulkdaq.wording.glossary import DIRECTION_OPERATION
from bulkdaq.wording.survey_statement import cargo_line, constant_note
from calculators.petroleum.tank_ticket import tank_ticket
from calculators.totalizer import indicated_quantity

# The tank-ticket figure that gives the quantity in each declared basis.
TANK_BASIS_FIGURE = {"t_air": "weight_in_air_t", "t_vacuum": "mass_t", "m3_15C": "nsv_m3", "m3_20C": "nsv_m3"}
TANK_FIELDS = ("tov_m3", "free_water_m3", "temperature_c")


class MissingFeed(BulkdaqError, ValueError):
    """A feed the figure needs has no good reading in the window."""


class FigureRefused(BulkdaqError, ValueError):
    """The method cannot give this shipment's figure: a section or asset it needs is missing, the basis is not
    the method's, or the survey does not fit the shipment."""


def _window(reader: InfluxReader, measurement: contract.Measurement, asset: str, field: str, start: datetime, end: datetime) -> tuple[Reading, Reading]:
    readings = reader.first_and_last(measurement, asset, field, start, end)
    if readings is None:
        raise MissingFeed(
            f"{measurement.name} {asset}: no good {field} reading between {start.isoformat(timespec='seconds')} "
            f"and {end.isoformat(timespec='seconds')}"
        )
    return readings


def shore_tank_figure(reader: InfluxReader, shipment: Shipment, start: datetime, end: datetime) -> MethodFigure:
    """The shore tanks' delivered quantity over [start, end] in the shipment's declared basis."""
    if shipment.metering is None:
        raise FigureRefused(f"shipment {shipment.id}: a shore-tank figure needs the [metering] section (policy, laboratory density)")
    metering = shipment.metering
    policy = metering.policy.policy()
    key = TANK_BASIS_FIGURE[shipment.declared.basis]
    total = 0.0
    details: list[tuple[str, float | str, str]] = []
    for tank in shipment.assets.tanks:
        readings = {field: _window(reader, contract.TANK, tank, field, start, end) for field in TANK_FIELDS}
        quantities = []
        for index, label in ((0, "opening"), (1, "closing")):
            ticket = tank_ticket(
                policy,
                float(readings["tov_m3"][index].value),
                float(readings["free_water_m3"][index].value),
                float(readings["temperature_c"][index].value),
                metering.base_density_kgm3,
                metering.sediment_water_percent,
                shell=None,  # the DCS reports TOV from its own (shell-corrected) strapping table
                floating_roof=None,
                commodity=metering.commodity,
            )
            stamp = readings["tov_m3"][index].time.isoformat(timespec="seconds")
            for name in ("tov_m3", "free_water_m3", "gsv_m3", "nsv_m3", key):
                figure = next(f for f in ticket.figures if f.key == name)
                details.append((f"{tank} {label} ({stamp}): {figure.label}", figure.value, figure.unit))
            quantities.append(ticket[key])
        delivered = quantities[0] - quantities[1]
        details.append((f"{tank}: delivered = opening − closing", delivered, "t" if key.endswith("_t") else "m3"))
        total += delivered
    return MethodFigure(
        method="shore_tanks",
        value=total,
        basis=shipment.declared.basis,
        source=f"tank tickets of {', '.join(shipment.assets.tanks)} from the DCS feed "
        f"{start.isoformat(timespec='seconds')} … {end.isoformat(timespec='seconds')}; {policy.method()}",
        details=details,
    )


def belt_scale_figure(reader: InfluxReader, shipment: Shipment, start: datetime, end: datetime) -> MethodFigure:
    """The belt scale's delivered tonnes over [start, end]: closing − opening totalizer."""
    scale = shipment.assets.scale
    if scale is None:
        raise FigureRefused(f"shipment {shipment.id}: a belt-scale figure needs assets.scale")
    opening, closing = _window(reader, contract.SCALE, scale, "total_t", start, end)
    delivered = indicated_quantity(Decimal(repr(float(opening.value))), Decimal(repr(float(closing.value))))
    return MethodFigure(
        method="belt_scale",
        value=float(delivered),
        basis=shipment.declared.basis,
        source=f"belt scale {scale} totalizer from the DCS feed, {opening.time.isoformat(timespec='seconds')} … "
        f"{closing.time.isoformat(timespec='seconds')}",
        details=[
            ("Opening total", float(opening.value), "t"),
            ("Closing total", float(closing.value), "t"),
            ("Delivered = closing − opening", float(delivered), "t"),
        ],
    )


def draft_survey_figure(job: SurveyJob, shipment: Shipment, observed: ObservedSurvey | None = None) -> MethodFigure:
    """The draft survey's cargo as the shipment's figure (weight in air, tonnes).

    An export must be a loading and an import a discharge; anything else is an error. The figure is the
    survey's cargo weight (loaded or discharged, always positive) exactly as `bulkdaq survey draft` and
    the survey report give it: the details are each survey's net displacement and the cargo, labelled
    with the operation (装货 / 卸货), and the source names the file by its SHA-256.

    With `observed` (the same job with observed marks), the figure is the observed survey's, each
    session is named with its file's SHA-256, and the figure carries its expanded uncertainty (k = 2) in
    % for reconciliation; a preliminary reading is refused.
    """
    if shipment.declared.basis != "t_air":
        raise FigureRefused(f"shipment {shipment.id}: a draft survey weighs in air; the declared basis is {shipment.declared.basis}")
    if observed is not None and observed.preliminary:
        raise FigureRefused(f"{job.source}: the observed marks are a preliminary reading, not a figure: " + "; ".join(observed.reasons))
    vessel = shipment.assets.vessel
    if vessel is not None and job.vessel_name.casefold() != vessel.casefold():
        raise FigureRefused(f"{job.source}: the survey is of {job.vessel_name!r}, but shipment {shipment.id} loads {vessel!r} (assets.vessel)")
    job = job if observed is None else observed.job
    result = job.compute() if observed is None else observed.result
    if result.cargo_t is None or result.cargo_weight_t is None:
        raise FigureRefused(f"{job.source}: the survey job gives no cargo (it needs two conditions)")
    expected = DIRECTION_OPERATION[shipment.direction]
    if result.operation != expected:
        raise FigureRefused(
            f"{job.source}: the survey {'loads' if result.operation == 'loading' else 'discharges'} {result.cargo_weight_t:.3f} t "
            f"({result.cargo_from} → {result.cargo_to}) but shipment {shipment.id} is an {shipment.direction}"
        )
    details: list[tuple[str, float | str, str]] = []
    for survey in result.surveys:
        condition = job.survey_details.get(survey.name, {}).get("condition")
        details.append((f"{survey.name}{f' ({condition})' if condition else ''}: net displacement", survey.net_displacement_t, "t"))
    english, chinese, _, how = cargo_line(result)  # type: ignore[misc]
    details.append((f"{english} {chinese} = {how}", result.cargo_weight_t, "t"))
    if result.constant_t is not None:
        details.append((f"constant = {constant_note(result)}", result.constant_t, "t"))
    for warning in result.warnings:
        details.append(("survey warning", warning.message, ""))
    uncertainty_pct = None
    if observed is not None:
        for name, session in observed.sessions.items():
            where = f"{Path(session.origin).name}, SHA-256 {session.sha256}" if session.sha256 else session.origin
            details.append((f"{name}: marks observed ({session.source})", where, ""))
        expanded = observed.uncertainty.expanded_t()
        details.append(("expanded uncertainty U (k = 2) of the cargo from its marks and dock densities", expanded, "t"))
        if not expanded < result.cargo_weight_t:
            raise FigureRefused(
                f"{job.source}: the cargo {result.cargo_weight_t:.3f} t is not larger than its expanded uncertainty {expanded:.3f} t "
                "from the observed marks alone: no figure can be stated"
            )
        uncertainty_pct = 100.0 * expanded / result.cargo_weight_t
    digest = f", SHA-256 {job.sha256}" if job.sha256 else ""
    return MethodFigure(
        method="draft_survey",
        value=result.cargo_weight_t,
        basis="t_air",
        source=f"draft survey of {job.vessel_name}, {result.operation} ({Path(job.source).name}{digest}), rounding {result.rounding}; "
        f"the figure `bulkdaq survey draft {Path(job.source).name}{' --observed …' if observed is not None else ''}` gives",
        details=details,
        uncertainty_pct=uncertainty_pct,
    )


__all__ = [
    "TANK_BASIS_FIGURE",
    "TANK_FIELDS",
    "FigureRefused",
    "MissingFeed",
    "belt_scale_figure",
    "draft_survey_figure",
    "shore_tank_figure",
]
