"""Writes a shipment's derived series to InfluxDB: `clearance` (state, declared vs measured) and
`quantity` (each method's figures per asset), so Grafana shows them beside the measured data.

Names come from `bulkdaq.store.contract`. The few names the contract does not have yet are defined below
(``EXTRA_*``); they are candidates for the contract, and bulkdaq.store.contract is the place they belong once
the lead adds them (docs/shipments.md lists them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from bulkdaq.config.site_file import LoadedSite
from bulkdaq.shipments.model import TONNE_BASES, Shipment
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import QueryError
from bulkdaq.store.influx_writer import InfluxWriter, writer_for
from bulkdaq.store.line_protocol import FieldValue, Point


def _time_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def quantity_unit(shipment: Shipment) -> str:
    """``t`` or ``m3``: the unit of the declared basis, as used in field names."""
    return "t" if shipment.declared.basis in TONNE_BASES else "m3"


def clearance_point(
    shipment: Shipment,
    state: str,
    at: datetime,
    *,
    measured: float | None = None,
    difference_pct: float | None = None,
    tolerance_pct: float | None = None,
    extra: Mapping[str, FieldValue] | None = None,
) -> Point:
    """The `clearance` point of a shipment at `at`: its state and whatever figures are known."""
    unit = quantity_unit(shipment)
    fields: dict[str, FieldValue] = {"state": state, f"declared_{unit}": float(shipment.declared.quantity)}
    if measured is not None:
        fields[f"measured_{unit}"] = float(measured)
    if difference_pct is not None:
        fields["difference_pct"] = float(difference_pct)
    if tolerance_pct is not None:
        fields["tolerance_pct"] = float(tolerance_pct)
    fields.update(extra or {})
    tags = {contract.SITE_TAG: shipment.site, contract.CLEARANCE.asset_tag: shipment.id}
    return Point(contract.CLEARANCE.name, tags, fields, _time_ms(at))


def quantity_point(shipment: Shipment, method: str, asset: str, at: datetime, fields: Mapping[str, FieldValue]) -> Point:
    """A `quantity` point: one method's figures for one asset of a shipment."""
    tags = {
        contract.SITE_TAG: shipment.site,
        contract.QUANTITY_SHIPMENT_TAG: shipment.id,
        contract.QUANTITY_METHOD_TAG: method,
        contract.QUANTITY.asset_tag: asset,
    }
    return Point(contract.QUANTITY.name, tags, dict(fields), _time_ms(at))


async def write_points(writer: InfluxWriter, points: Sequence[Point]) -> None:
    await writer.write([p.to_line() for p in points])


class PublishFailed(QueryError):
    """InfluxDB did not take the points in time."""


def publish(site: LoadedSite, points: Sequence[Point], timeout_s: float | None = None, *, what: str = "the clearance state") -> None:
    """Write points now (for the CLI's one-off steps); returns once they are stored.

    The writer retries an unreachable server for ever, which suits a collector but not a command a
    person is waiting on: after `timeout_s` (default twice the site's `[influxdb] timeout_s`) this gives
    up with PublishFailed, and so it does when InfluxDB refuses the points (they are quarantined). The
    workflow calls it before committing a step, so a failure leaves the registry as it was. `what` names the
    points in those messages (the yard publishes its series through it too).
    """
    budget = timeout_s if timeout_s is not None else 2 * site.config.influxdb.timeout_s

    async def run() -> None:
        writer = writer_for(site)
        try:
            await asyncio.wait_for(write_points(writer, points), budget)
        except TimeoutError:
            raise PublishFailed(
                f"InfluxDB at {site.config.influxdb.url} did not store {what} within {budget:g} s "
                f"({writer.stats.last_error or 'no answer'})"
            ) from None
        finally:
            await writer.aclose()
        if writer.stats.lines_quarantined:
            raise PublishFailed(
                f"InfluxDB at {site.config.influxdb.url} refused {what} ({writer.stats.last_error}); "
                f"the lines are kept in {', '.join(map(str, writer.stats.quarantine_files))}"
            )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run())
        return
    # Called from async code (a demo or a test): asyncio.run needs a thread without a running loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


__all__ = [
    "PublishFailed",
    "clearance_point",
    "publish",
    "quantity_point",
    "quantity_unit",
    "write_points",
]
