"""The yard's series in InfluxDB, for the Grafana yard board: `blending_run` (each component and the product
of a run, live while it runs and once more when it is recorded), `yard_stock` (each pile's book stock) and
`yard_balance` (a lot's or the yard's balance for a period, wet and dry), and the yard's events
(`off_recipe`, `lot_overdrawn`; `scale_drift` from bulkdaq/yard/drift_watch.py).

They are derived figures, written by bulkdaq from the run documents and the ledger; the ledger, not these
series, is the record. Names come from `bulkdaq.store.contract`. The stock and balance figures are taken
from bulkdaq/yard/yard_balance.py's documents (`as_document`), never recomputed here, so the board, the
yard statement and the CLI show the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from bulkdaq.store import contract
from bulkdaq.store.line_protocol import FieldValue, Point
from bulkdaq.wording.figure_format import figure_text
from bulkdaq.yard.balance_rule import BalanceRule
from bulkdaq.yard.ledger import YardState
from bulkdaq.yard.yard_balance import BASES, TONNE_DECIMALS, PileBalance, YardBalance, pile_balance

PRODUCT_COMPONENT = "product"
"""The `component` tag of a run's product row (a lot id is never `product`: lot ids are upper-case)."""

RUN_STATES = ("running", "finished")

PRODUCT_ORIGIN = "blend"
"""The `origin` tag of a product pile's `yard_stock` point: a blend has no one origin (its components' are in
its runs); "blend" keeps it apart from every inbound origin on the board's stock per origin."""


def _time_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"time {moment.isoformat()} has no time zone")
    return round(moment.timestamp() * 1000)


def run_points(site: str, run: Mapping[str, Any], at: datetime, state: str) -> list[Point]:
    """The `blending_run` points of a run document (docs/yard.md, 'The run document') at `at`.

    One point per component (tagged with its lot) and one for the product; `state` is ``running`` for a
    run in progress (figures so far) or ``finished`` once it is recorded in the ledger.
    """
    if state not in RUN_STATES:
        raise ValueError(f"run state {state!r}: expected one of {', '.join(RUN_STATES)}")
    measurement = contract.BLENDING_RUN
    component_tag = measurement.extra_tags[0]
    time_ms = _time_ms(at)
    points = []
    for component in run["components"]:
        fields: dict[str, FieldValue] = {
            "wet_t": float(component["wet_t"]),
            "u_wet_t": float(component["u_wet_t"]),
            "share_pct": float(component["share_pct"]),
            "target_pct": float(component["target_pct"]),
            "tolerance_pct": float(component["tolerance_pp"]),
            "off_recipe": int(bool(component["off_recipe"])),
            "legal": int(bool(component["legal"])),
            "state": state,
        }
        tags = {contract.SITE_TAG: site, measurement.asset_tag: run["run"], component_tag: component["lot"]}
        points.append(Point(measurement.name, tags, fields, time_ms))
    product = run["product"]
    product_fields: dict[str, FieldValue] = {
        "wet_t": float(product["wet_t"]),
        "u_wet_t": float(product["u_wet_t"]),
        "legal": int(bool(product["legal"])),
        "state": state,
        "product_verdict": str(run["product_verdict"]),
    }
    tags = {contract.SITE_TAG: site, measurement.asset_tag: run["run"], component_tag: PRODUCT_COMPONENT}
    points.append(Point(measurement.name, tags, product_fields, time_ms))
    return points


def event_point(site: str, kind: str, asset: str, message: str, at: datetime) -> Point:
    """An `event` point of one of the yard's kinds (`scale_drift`, `lot_overdrawn`, `off_recipe`)."""
    if kind not in contract.EVENT_KINDS:
        raise ValueError(f"event kind {kind!r} is not in the data contract")
    kind_tag = contract.EVENT_KIND_TAG
    tags = {contract.SITE_TAG: site, contract.EVENT.asset_tag: asset, kind_tag: kind}
    return Point(contract.EVENT.name, tags, {"message": message}, _time_ms(at))


def off_recipe_events(site: str, run: Mapping[str, Any], at: datetime) -> list[Point]:
    """One `off_recipe` event per component of a run outside its recipe's tolerance."""
    return [
        event_point(
            site, "off_recipe", run["run"],
            f"run {run['run']}: {c['lot']} on {c['scale']} at {float(c['share_pct']):.2f} % against "
            f"{float(c['target_pct']):.2f} ± {float(c['tolerance_pp']):.2f} %",
            at,
        )
        for c in run["components"] if c["off_recipe"]
    ]


def stock_points(site: str, state: YardState, rule: BalanceRule, at: datetime) -> list[Point]:
    """One `yard_stock` point per pile (inbound lots in entry order, then product piles) at `at`, from every
    entry of the ledger's state (`at` is when the stock is published, not a cut-off).

    Tags: the lot (pile id) and its origin (a product pile: `PRODUCT_ORIGIN`). Fields from
    `pile_balance(...).as_document()`: entered_wet_t / entered_dry_t (what entered the pile: an inbound
    lot's figure of record, a product pile's run products), out_wet_t / out_dry_t (drawn, shipped,
    transferred), stock_wet_t / stock_dry_t the *book* stock entered − out [t] (negative when overdrawn,
    as the contract says; a surveyed stock is in the pile's balance), stock_u_wet_t the *expanded*
    uncertainty of the wet book stock, k·u with k the rule's coverage factor [t], and status (open /
    exhausted / overdrawn, `PileBalance.status`).
    """
    measurement = contract.YARD_STOCK
    (origin_tag,) = measurement.extra_tags
    k = rule.coverage_factor
    time_ms = _time_ms(at)
    points = []
    for pile in state.piles():
        document = pile_balance(state, pile, rule).as_document()
        wet, dry = document["wet"], document["dry"]
        fields: dict[str, FieldValue] = {
            "entered_wet_t": float(wet["entered_t"]),
            "entered_dry_t": float(dry["entered_t"]),
            "out_wet_t": float(wet["out_t"]),
            "out_dry_t": float(dry["out_t"]),
            "stock_wet_t": float(wet["book_stock_t"]),
            "stock_dry_t": float(dry["book_stock_t"]),
            "stock_u_wet_t": k * float(wet["u_book_stock_t"]),
            "status": str(document["status"]),
        }
        origin = document["origin"] if document["kind"] == "inbound" else PRODUCT_ORIGIN
        tags = {contract.SITE_TAG: site, measurement.asset_tag: pile, origin_tag: origin}
        points.append(Point(measurement.name, tags, fields, time_ms))
    return points


def _moment_text(moment: datetime) -> str:
    """A period's bound as a scope names it: the date at midnight UTC (``2026-04-01``), else the UTC minute
    (``2026-04-01T06:30Z``), with seconds only when it has them."""
    utc = moment.astimezone(timezone.utc)
    if (utc.hour, utc.minute, utc.second, utc.microsecond) == (0, 0, 0, 0):
        return utc.strftime("%Y-%m-%d")
    if (utc.second, utc.microsecond) == (0, 0):
        return utc.strftime("%Y-%m-%dT%H:%MZ")
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def period_scope(start: datetime, end: datetime) -> str:
    """The `scope` of a period's balance: ``yard 2026-04-01 … 2026-05-01`` for [start, end)."""
    return f"yard {_moment_text(start)} … {_moment_text(end)}"


def _balance_point(site: str, scope: str, basis: str, document: Mapping[str, Any], rule: str, time_ms: int) -> Point:
    measurement = contract.YARD_BALANCE
    (basis_tag,) = measurement.extra_tags
    fields: dict[str, FieldValue] = {
        "entered_t": float(document["entered_with_opening_t"]),  # a period's entered with its opening stock (the contract)
        "out_t": float(document["out_t"]),
        "stock_t": float(document["stock_t"]),
        "difference_t": float(document["difference_t"]),
        "expanded_u_t": float(document["expanded_u_t"]),
        "verdict": str(document["verdict"]),
        "rule": rule,
    }
    return Point(measurement.name, {contract.SITE_TAG: site, measurement.asset_tag: scope, basis_tag: basis}, fields, time_ms)


def balance_points(site: str, balance: YardBalance, at: datetime) -> list[Point]:
    """The `yard_balance` points of a yard balance at `at`: each pile's (scope: the pile id) then the period's
    (scope: `period_scope`), wet then dry, from `balance.as_document()`; rule: the rule's label (name version).

    entered_t is the scope's entered with its opening stock (a pile has none), stock_t the stock the balance
    used (a survey at or after the last movement, else the book stock, 0 when negative), difference_t,
    expanded_u_t (k from the rule) and verdict as the balance judged them."""
    document = balance.as_document()
    rule = str(document["rule"]["label"])
    time_ms = _time_ms(at)
    points = []
    for pile in document["piles"]:
        points += [_balance_point(site, pile["pile"], basis, pile[basis], rule, time_ms) for basis in BASES]
    scope = period_scope(balance.start, balance.end)
    points += [_balance_point(site, scope, basis, document["period_balance"][basis], rule, time_ms) for basis in BASES]
    return points


def overdrawn_events(site: str, balances: YardBalance | Iterable[PileBalance], at: datetime) -> list[Point]:
    """One `lot_overdrawn` event (asset: the pile) per pile whose dry balance is overdrawn (more out than
    entered beyond U; `PileBalance.status`), at `at`; the message gives out, entered and the difference with
    its U, dry and wet [t], and the rule's k is in the U. `balances`: a yard balance's piles or any pile balances
    (`lot_balances`)."""
    events = []
    for balance in balances.piles if isinstance(balances, YardBalance) else balances:
        if balance.status != "overdrawn":
            continue
        document = balance.as_document()
        dry, wet = document["dry"], document["wet"]
        message = (f"{balance.pile}: {_t(dry['out_t'])} out against {_t(dry['entered_t'])} entered (dry), "
                   f"difference {_t(dry['difference_t'], signed=True)} beyond U {_t(dry['expanded_u_t'])}; "
                   f"wet {_t(wet['out_t'])} out against {_t(wet['entered_t'])} entered")
        events.append(event_point(site, "lot_overdrawn", balance.pile, message, at))
    return events


def _t(value: float, *, signed: bool = False) -> str:
    """Tonnes as the yard's officer-facing texts write them (bulkdaq/yard/yard_balance.py): 0.001 t, grouped."""
    return figure_text(value, "t", TONNE_DECIMALS, signed=signed)


__all__ = [
    "PRODUCT_COMPONENT",
    "PRODUCT_ORIGIN",
    "RUN_STATES",
    "balance_points",
    "event_point",
    "off_recipe_events",
    "overdrawn_events",
    "period_scope",
    "run_points",
    "stock_points",
]
