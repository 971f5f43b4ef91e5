"""The yard's test scenario: the example lot files, one blending run and one outbound lot (docs/yard.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bulkdaq.inputs.lot_file import read_inbound_lot, read_lot_file, read_outbound_lot
from bulkdaq.yard.balance_rule import BalanceRule
from bulkdaq.yard.ledger import YardLedger
from bulkdaq.yard.lot import InboundLot, LotFigure, Moisture, MoistureResult, StockSurvey
from calculators.blending.mass_balance import blending_run

LOTS = Path(__file__).resolve().parents[3] / "examples" / "yard" / "lots"
RULE = BalanceRule("yard-test", "1", "test rule", 2.0)


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, tzinfo=timezone.utc)


def run_document(run: str, components: Sequence[tuple[str, str, float, float, float, float]], product: tuple[float, float],
                 start: datetime, end: datetime, recipe: str = "PB-blend-62") -> dict[str, Any]:
    """A run document as docs/yard.md writes it; components (lot, scale, wet_t, u_wet_t, target_pct, tolerance_pp)."""
    result = blending_run([c[0] for c in components], [c[2] for c in components], [c[3] for c in components],
                          [c[4] for c in components], [c[5] for c in components], product[0], product[1])
    return {
        "run": run,
        "recipe": {"name": recipe, "version": "3", "product_scale": "BP-1",
                   "components": [{"lot": c[0], "scale": c[1], "target_pct": c[4], "tolerance_pp": c[5]} for c in components]},
        "start": start.isoformat(), "end": end.isoformat(),
        "components": [{"lot": c[0], "scale": c[1], "wet_t": c[2], "u_wet_t": c[3], "legal": True, "share_pct": s.share_pct,
                        "target_pct": c[4], "tolerance_pp": c[5], "off_recipe": s.off_recipe} for c, s in zip(components, result.components, strict=True)],
        "product": {"scale": "BP-1", "wet_t": product[0], "u_wet_t": product[1], "legal": True},
        "sum_components_t": result.sum_t, "expanded_u_t": result.expanded_t, "product_verdict": result.product_verdict,
        "integrity_events": [], "outbound_lot": None,
    }


RUN_1 = run_document("R-2026-0412-01", [("L-PILBARA-01", "BF-1", 3000.0, 9.0, 60.0, 2.0), ("L-BRAZIL-07", "BF-2", 1500.0, 4.5, 30.0, 2.0),
                                        ("L-SA-03", "BF-3", 500.0, 1.5, 10.0, 1.0)], (5000.0, 15.0), at(12, 1), at(12, 5))


def record_honest(ledger: YardLedger) -> None:
    """Entries 1–3 the lots (days 2, 6, 9), 4 Pilbara's moisture 7.9 % (day 10), 5 the run (day 12), 6 the
    outbound lot of 5,000 t at 8.1 % (day 13)."""
    for number, (name, day) in enumerate((("L-PILBARA-01", 2), ("L-BRAZIL-07", 6), ("L-SA-03", 9)), start=1):
        assert ledger.lot_entered(read_inbound_lot(LOTS / f"{name}.json"), "yard clerk", at(day)).number == number
    moisture = read_lot_file(LOTS / "M-PILBARA-01-0410.json")
    assert isinstance(moisture, MoistureResult)
    ledger.moisture(moisture, "laboratory")
    ledger.run(RUN_1, "control room")
    ledger.lot_shipped(read_outbound_lot(LOTS / "O-PB62-01.json"), "yard clerk", at(13))


def inbound(lot: str, survey_t: float, *, u_survey_t: float | None = None, belt: tuple[str, float] | None = None,
            origin: str = "Australia (Pilbara)", moisture_pct: float = 8.0) -> InboundLot:
    """An inbound lot with its draft survey figure (u 0.25 % unless given) and, when `belt` = (scale, wet t), the
    receiving belt scale's figure beside it (u = 0.5 %/√3 of it)."""
    figures = [LotFigure(method="draft_survey", wet_t=survey_t, u_wet_t=survey_t * 0.0025 if u_survey_t is None else u_survey_t,
                         source=f"discharge draft survey of {lot}")]
    if belt is not None:
        figures.append(LotFigure(method="belt_scale", wet_t=belt[1], u_wet_t=belt[1] * 0.005 / 3**0.5, scale=belt[0],
                                 source=f"receiving belt scale {belt[0]}"))
    return InboundLot(lot=lot, origin=origin, brand="test fines", grade="Fe 62 %", declaration=f"D-{lot}", figures=figures,
                      of_record="draft_survey", moisture=Moisture(pct=moisture_pct, u_pct=0.1, source="laboratory"))


def emptied(ledger: YardLedger, lot: str, surveyed: datetime) -> None:
    """A stock survey that finds `lot`'s pile empty (0 t): the lot is exhausted."""
    ledger.stock_survey(StockSurvey(lot=lot, surveyed=surveyed, figure=LotFigure(method="stockpile_survey", wet_t=0.0, u_wet_t=0.0,
                                                                                 source="pile surveyed empty")), "surveyor")
