"""A meter's indicated quantities over a time window, from the totalizer readings stored in InfluxDB.

Opening = the first good reading in the window, closing = the last. The subtraction is done in
decimal on the stored values (which carry the device's reading exactly, see
`collectors.modbus.register_codec.to_engineering`), so the ticket equals the device's own difference. A
totalizer that went backwards anywhere in the window is an error naming the readings, never a
negative or silently short quantity; a configured roll-over is honoured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bulkdaq.config.site_file import LoadedSite, Meter, resolve_credentials
from bulkdaq.errors import BulkdaqError, InputError
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader, Reading, quote_identifier, quote_string, time_literal
from calculators.totalizer import indicated_quantity

TOTALIZERS = {"mass_total_kg": ("mass", "kg"), "volume_total_m3": ("volume", "m³")}


class NoReadings(BulkdaqError, ValueError):
    """No good totalizer reading in the window."""


class TotalNotStored(InputError, NoReadings):
    """The totalizer a meter's ticket is made from has no good reading in the window, though another of the
    meter's totalizers has one: a meter whose register map lacks it, or, while a loading is watched, its
    first reading stored between the two queries. An `InputError` naming the meter and the field; a
    `NoReadings` to the live watch, which waits for the next cycle instead of stopping."""


class EmptyWindow(BulkdaqError, ValueError):
    """A time window that ends before it starts."""


class TotalizerDropped(BulkdaqError, ValueError):
    """A totalizer decreased inside the window (a reset, or more roll-overs than one)."""

    def __init__(self, meter_id: str, field: str, drops: list[tuple[Reading, Reading]], rollover: float | None) -> None:
        before, after = drops[0]
        why = (
            "no roll-over is configured for this meter, so this is a reset"
            if rollover is None
            else f"{len(drops)} decreases; a roll-over at {rollover!r} explains at most one"
        )
        super().__init__(
            f"meter {meter_id} {field} went backwards: {before.value!r} at {before.time.isoformat()}, "
            f"then {after.value!r} at {after.time.isoformat()} ({why}); a reset is not a negative quantity"
        )
        self.drops = drops


@dataclass(frozen=True)
class TotalizerDelta:
    """Opening and closing readings of one totalizer and the indicated quantity between them."""

    field: str
    quantity: str  # "mass" or "volume"
    unit: str
    opening: Reading
    closing: Reading
    indicated: Decimal
    rolled_over: bool = False


@dataclass(frozen=True)
class StoredTicket:
    site: str
    meter: str
    start: datetime
    end: datetime
    totals: tuple[TotalizerDelta, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "site": self.site,
            "meter": self.meter,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "totals": [
                {
                    "field": t.field,
                    "quantity": t.quantity,
                    "unit": t.unit,
                    "opening": {"time": t.opening.time.isoformat(), "value": t.opening.value},
                    "closing": {"time": t.closing.time.isoformat(), "value": t.closing.value},
                    "indicated": str(t.indicated),
                    "rolled_over": t.rolled_over,
                }
                for t in self.totals
            ],
        }


def stored_meter_ticket(reader: InfluxReader, site: str, meter: Meter, start: datetime, end: datetime) -> StoredTicket:
    """Indicated mass and volume of `meter` between `start` and `end` from stored totalizer readings.

    Raises
    ------
    NoReadings
        Neither totalizer has a good reading in the window.
    TotalizerDropped
        A totalizer decreased inside the window and no configured roll-over explains it.
    calculators.totalizer.TotalizerWentBackwards
        A single decrease that a configured roll-over does not explain (a reset).
    """
    if end <= start:
        raise EmptyWindow(f"the window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    rollovers = {"mass_total_kg": meter.mass_rollover_kg, "volume_total_m3": meter.volume_rollover_m3}
    totals = []
    for field, (quantity, unit) in TOTALIZERS.items():
        readings = reader.first_and_last(contract.METER, meter.id, field, start, end)
        if readings is None:
            continue
        # JSON carries a float total of 5100.0 as 5100: totalizer fields are floats in the contract.
        opening, closing = (_float(r) for r in readings)
        drops = totalizer_drops(reader, contract.METER, meter.id, field, start, end)
        rollover = rollovers[field]
        if drops and (rollover is None or len(drops) > 1):
            raise TotalizerDropped(meter.id, field, drops, rollover)
        open_value, close_value = Decimal(repr(opening.value)), Decimal(repr(closing.value))
        indicated = indicated_quantity(open_value, close_value, Decimal(repr(rollover)) if rollover else None)
        totals.append(TotalizerDelta(field, quantity, unit, opening, closing, indicated, rolled_over=bool(drops)))
    if not totals:
        raise NoReadings(
            f"no good totalizer reading of meter {meter.id!r} (site {site!r}) between "
            f"{start.isoformat()} and {end.isoformat()}"
        )
    return StoredTicket(site, meter.id, start, end, tuple(totals))


def ticket_from_store(site: LoadedSite, meter_id: str, start: datetime, end: datetime, *, influx_url: str | None = None) -> StoredTicket:
    """`stored_meter_ticket` of a meter of `site`, read from the site's InfluxDB (or `influx_url`)."""
    try:
        meter = site.config.meter(meter_id)
    except KeyError as error:
        raise InputError(site.path, "meters[].id", str(error.args[0])) from None
    target = site.config.influxdb
    with InfluxReader(influx_url or target.url, target.database, resolve_credentials(target, site.path)) as reader:
        return stored_meter_ticket(reader, site.config.site.name, meter, start, end)


def totalizer_drops(
    reader: InfluxReader, measurement: contract.Measurement, asset: str, field: str, start: datetime, end: datetime
) -> list[tuple[Reading, Reading]]:
    """Every place in the window where a totalizer (`field` of `asset` in `measurement`: a meter's, a belt
    scale's) decreased, among its good readings: (reading before, reading after)."""
    where = (
        f"{quote_identifier(measurement.asset_tag)} = {quote_string(asset)} AND "
        f"{quote_identifier(contract.QUALITY_FIELD)} = 'good' AND "
        f"time >= {time_literal(start)} AND time <= {time_literal(end)}"
    )
    source = f"FROM {quote_identifier(measurement.name)} WHERE {where}"
    series = reader.query(f'SELECT "step" FROM (SELECT difference({quote_identifier(field)}) AS "step" {source}) WHERE "step" < 0')
    drops = []
    for time_, _step in (series[0].values if series else []):
        after = reader.first_and_last(measurement, asset, field, time_, time_)
        previous = reader.query(f"SELECT last({quote_identifier(field)}) {source} AND time < {time_literal(time_)}")
        if after and previous and previous[0].values:
            drops.append((_float(Reading(*previous[0].values[0][:2])), _float(after[0])))
    return drops


def _float(reading: Reading) -> Reading:
    return Reading(reading.time, float(reading.value))


__all__ = [
    "TOTALIZERS",
    "EmptyWindow",
    "NoReadings",
    "StoredTicket",
    "TotalNotStored",
    "TotalizerDelta",
    "TotalizerDropped",
    "stored_meter_ticket",
    "ticket_from_store",
    "totalizer_drops",
]
