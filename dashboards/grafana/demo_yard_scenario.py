"""The yard's part of the dashboards' demo scenario (dashboards/grafana/demo_scenario.py): lots with their book stock
(one exhausted long ago, one overdrawn), a run in progress with a component gone off recipe, finished runs, balances
per scope and basis, and the yard's events, in the contract's form, so the yard board has something to show in the
demo, in its tests and in its picture."""

from __future__ import annotations

from typing import Any

from bulkdaq.store import contract
from bulkdaq.store.line_protocol import Point

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

# lot → origin and the newest figures (entered wet/dry, out wet/dry, stock wet/dry, U of the wet stock, status, age)
LOTS: dict[str, tuple[str, tuple[float, float, float, float, float, float, float], str, int]] = {
    "L-PILBARA-01": ("AU", (100_000.0, 92_000.0, 60_120.5, 55_310.86, 39_879.5, 36_689.14, 410.2), "open", 2 * DAY_MS),
    # exhausted, and its newest point older than the board's 30-day range: still on the board
    "L-CARAJAS-02": ("BR", (50_000.0, 45_500.0, 50_000.0, 45_500.0, 0.0, 0.0, 150.0), "exhausted", 45 * DAY_MS),
    "L-KUMBA-03": ("ZA", (20_000.0, 19_000.0, 20_150.0, 19_142.5, -150.0, -142.5, 80.0), "overdrawn", 3 * DAY_MS),
    "L-PILBARA-04": ("AU", (30_000.0, 27_900.0, 0.0, 0.0, 30_000.0, 27_900.0, 120.0), "open", 1 * DAY_MS),
}
STOCK_NAMES = ("entered_wet_t", "entered_dry_t", "out_wet_t", "out_dry_t", "stock_wet_t", "stock_dry_t", "stock_u_wet_t")


def _point(site: str, measurement: contract.Measurement, tags: dict[str, str], fields: dict[str, Any], time_ms: int) -> Point:
    if not set(fields) <= set(measurement.fields) or not set(tags) <= {measurement.asset_tag, *measurement.extra_tags}:
        raise ValueError(f"{measurement.name}: {sorted(set(fields) - set(measurement.fields))} {sorted(tags)} are not the contract's names")
    return Point(measurement.name, {contract.SITE_TAG: site, **tags}, fields, time_ms)


def _component(site: str, run: str, lot: str, share: float, target: float, off: int, wet: float, state: str, time_ms: int) -> Point:
    return _point(site, contract.BLENDING_RUN, {"run": run, "component": lot}, {
        "wet_t": wet, "u_wet_t": round(wet * 0.005 / 3**0.5, 3), "share_pct": share, "target_pct": target, "tolerance_pct": 2.0,
        "off_recipe": off, "legal": 1, "state": state}, time_ms)


def _product(site: str, run: str, verdict: str, wet: float, state: str, time_ms: int) -> Point:
    # the product row carries the verdict and no target share, tagged `product` (bulkdaq/yard/yard_series.py)
    return _point(site, contract.BLENDING_RUN, {"run": run, "component": "product"},
                  {"wet_t": wet, "u_wet_t": round(wet * 0.005 / 3**0.5, 3), "legal": 1, "state": state, "product_verdict": verdict}, time_ms)


def _balance(site: str, scope: str, basis: str, figures: tuple[float, float, float, float, float], verdict: str, time_ms: int) -> Point:
    entered, out, stock, difference, u = figures
    return _point(site, contract.YARD_BALANCE, {"scope": scope, "basis": basis}, {
        "entered_t": entered, "out_t": out, "stock_t": stock, "difference_t": difference, "expanded_u_t": u, "verdict": verdict,
        "rule": "yard-balance 1"}, time_ms)


def _event(site: str, asset: str, kind: str, message: str, time_ms: int) -> Point:
    # as bulkdaq/yard/yard_series.py writes the yard's events: a message, no old / new
    return _point(site, contract.EVENT, {"asset": asset, "kind": kind}, {"message": message}, time_ms)


def yard_points(site: str, now_ms: int) -> list[Point]:
    """The yard scenario: four lots (one older than the range, one overdrawn), a run in progress with a component off recipe,
    finished runs (one older than the range), balances per scope and basis, and the yard's events among a meter's."""
    points = []
    for lot, (origin, figures, status, age) in LOTS.items():
        # an older point first: the board must show the newest
        points.append(_point(site, contract.YARD_STOCK, {"lot": lot, "origin": origin}, {**dict(zip(STOCK_NAMES, (f * 0.5 for f in figures), strict=True)),
                                                                                   "status": "open"}, now_ms - age - 5 * DAY_MS))
        points.append(_point(site, contract.YARD_STOCK, {"lot": lot, "origin": origin}, {**dict(zip(STOCK_NAMES, figures, strict=True)), "status": status},
                             now_ms - age))
    start = now_ms - 3 * HOUR_MS
    points += [  # R-01 running: an hour in, both components on recipe; now L-KUMBA-03 is off (36.5 % against 40 ± 2)
        _component(site, "R-01", "L-PILBARA-01", 60.0, 60.0, 0, 1_200.0, "running", start + HOUR_MS),
        _component(site, "R-01", "L-KUMBA-03", 40.0, 40.0, 0, 800.0, "running", start + HOUR_MS),
        _component(site, "R-01", "L-PILBARA-01", 63.5, 60.0, 1, 3_012.451, "running", now_ms - 60_000),
        _component(site, "R-01", "L-KUMBA-03", 36.5, 40.0, 1, 1_731.5, "running", now_ms - 60_000),
        _product(site, "R-01", "consistent", 4_740.2, "running", now_ms - 60_000),
    ]
    for run, age, verdict, product_t in (("R-00", 2 * DAY_MS, "consistent", 5_010.2), ("R-02", 5 * DAY_MS, "product_short", 4_890.0),
                                         ("R-OLD", 40 * DAY_MS, "product_over", 5_200.0)):
        points += [
            _component(site, run, "L-PILBARA-01", 60.1, 60.0, 0, 3_012.0, "finished", now_ms - age),
            _component(site, run, "L-CARAJAS-02", 39.9, 40.0, 0, 1_999.0, "finished", now_ms - age),
            _product(site, run, verdict, product_t, "finished", now_ms - age),
        ]
    points += [
        _balance(site, "L-KUMBA-03", "wet", (20_000.0, 20_150.0, 0.0, -150.0, 80.0), "overdrawn", now_ms - 3 * DAY_MS),
        _balance(site, "L-KUMBA-03", "dry", (19_000.0, 19_142.5, 0.0, -142.5, 76.0), "overdrawn", now_ms - 3 * DAY_MS),
        _balance(site, "yard 2026-Q3", "wet", (250_000.0, 180_000.0, 69_900.0, 100.0, 900.0), "balanced", now_ms - 40 * DAY_MS),  # older than the range
        _balance(site, "yard 2026-Q3", "dry", (230_000.0, 165_000.0, 64_000.0, 1_000.0, 850.0), "unaccounted", now_ms - 40 * DAY_MS),
        _event(site, "BF-2", "scale_drift", "bias +1.48 % (95 % interval 1.24 … 1.72 %) beyond class 0.5 (MPE 0.5 %)", now_ms - DAY_MS),
        _event(site, "BF-2", "scale_drift", "bias +0.9 % beyond class 0.5", now_ms - 60 * DAY_MS),  # outside the range
        _event(site, "L-KUMBA-03", "lot_overdrawn", "20150.000 t drawn from 20000.000 t entered", now_ms - 3 * DAY_MS),
        _event(site, "R-01", "off_recipe", "run R-01: L-KUMBA-03 on BF-2 at 36.50 % against 40.00 ± 2.00 %", now_ms - 60_000),
        _point(site, contract.EVENT, {"asset": "BF-1", "kind": "totalizer_reset", "field": "total_t"}, {"message": "reset", "old": "10", "new": "0"},
               now_ms - DAY_MS),  # not the yard's
    ]
    # BF-2's bias trend as the drift check writes it: within its class a month ago, drifting since (the newest
    # window's interval wholly beyond the MPE); BF-1 steady. One point 60 days back, outside the range.
    for scale, ages_days, biases in (("BF-2", (60, 20, 10, 1), (0.10, 0.35, 0.90, 1.48)), ("BF-1", (20, 10, 1), (0.05, -0.08, 0.02))):
        for age, bias in zip(ages_days, biases, strict=True):
            verdict = "drifted" if bias - 0.24 > 0.5 else "within_class" if abs(bias) + 0.24 <= 0.5 else "undetermined"
            points.append(_point(site, contract.SCALE_DRIFT, {"scale": scale}, {
                "bias_pct": bias, "ci_low_pct": round(bias - 0.24, 2), "ci_high_pct": round(bias + 0.24, 2), "mpe_pct": 0.5, "pairs": 10,
                "verdict": verdict}, now_ms - age * DAY_MS))
    return points


__all__ = ["DAY_MS", "LOTS", "STOCK_NAMES", "yard_points"]
