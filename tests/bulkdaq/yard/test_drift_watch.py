"""The belt-scale drift watch (bulkdaq/yard/drift_watch.py): the pairs a real SQLite yard ledger gives, the verdict per
configured scale, the ledger entry appended once per new finding, and the points it writes, hand-computed."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from yard_scenario import at, emptied, inbound, run_document

from bulkdaq.config.site_file import YardSettings
from bulkdaq.store import contract
from bulkdaq.yard.drift_watch import (
    DriftPair,
    SkippedLot,
    check_scales,
    drift_pairs,
    drift_points,
    newest_lot_of,
    skipped_lots,
    unconfigured_scales,
    watch_scales,
)
from bulkdaq.yard.ledger import YardLedger
from bulkdaq.yard.lot import InboundLot, LotFigure, Moisture, ShipmentCitation, StockSurvey, Transfer

SITE = "yard-test"
YARD = YardSettings.model_validate({"belt_scales": [
    {"asset": "BR-1", "role": "receiving", "accuracy_class": 0.5, "minimum_totalized_load_t": 50.0},
    {"asset": "BF-1", "role": "feeder", "accuracy_class": 0.5, "minimum_totalized_load_t": 50.0},
]})
T_975_5 = 2.570581836  # Student's t, 0.975 quantile, 5 degrees of freedom (tables: 2.5706)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _run(ledger: YardLedger, run: str, lot: str, scale: str, wet_t: float, day: int, hour: int) -> int:
    """A one-component run drawing `wet_t` from `lot` over `scale`, ending on `day` at `hour`; its entry number."""
    document = run_document(run, [(lot, scale, wet_t, wet_t * 0.005 / math.sqrt(3), 100.0, 1.0)], (wet_t, wet_t * 0.005 / math.sqrt(3)),
                            at(day, hour - 1), at(day, hour))
    return ledger.run(document, "control room").number


def _received(ledger: YardLedger, differences_pct: list[float], scale: str = "BR-1") -> None:
    """One lot a day from 1 April: surveyed 10,000 t (u 25 t), weighed in on `scale` at 10,000 · (1 + d/100) t."""
    for i, d in enumerate(differences_pct, start=1):
        ledger.lot_entered(inbound(f"L-R{i}", 10_000.0, belt=(scale, 10_000.0 * (1 + d / 100))), "yard clerk", at(i))


def test_the_pairs_a_ledger_gives_and_the_lots_that_give_none(yard_path: Path, site_key: Ed25519PrivateKey) -> None:
    with YardLedger(yard_path, site_key) as ledger:
        ledger.lot_entered(inbound("L-A", 10_000.0, belt=("BR-1", 10_150.0)), "clerk", at(1))  # 1: (a) weighed in on BR-1
        for lot in ("L-B", "L-C", "L-D", "L-E"):  # 2 … 5
            ledger.lot_entered(inbound(lot, 2_000.0, u_survey_t=5.0), "clerk", at(2))
        assert _run(ledger, "R-B1", "L-B", "BF-1", 1_200.0, 3, 5) == 6  # L-B reclaimed over BF-1 alone, in two runs
        assert _run(ledger, "R-B2", "L-B", "BF-1", 806.0, 4, 5) == 7
        _run(ledger, "R-C1", "L-C", "BF-1", 1_000.0, 3, 10)  # L-C over two feeders
        _run(ledger, "R-C2", "L-C", "BF-2", 1_000.0, 4, 10)
        _run(ledger, "R-D", "L-D", "BF-2", 1_800.0, 3, 12)  # L-D partly transferred
        transfer = ledger.transfer(Transfer(lot="L-D", figure=LotFigure(method="stockpile_survey", wet_t=200.0, u_wet_t=4.0, source="volumetric"),
                                            to="bonded yard B", reason="sold on"), "clerk", at(4))
        _run(ledger, "R-E", "L-E", "BF-3", 400.0, 3, 14)  # L-E still holds ore
        for lot in ("L-B", "L-C", "L-D"):
            emptied(ledger, lot, at(5))
        # A lot entered by mistake and voided gives no pair.
        voided = ledger.lot_entered(inbound("L-V", 10_000.0, belt=("BR-1", 12_000.0)), "clerk", at(6))
        ledger.void(voided.number, "entered twice", "clerk", at(6, 1))
        state = ledger.state()
    survey_b = next(s.entry for s in state.surveys if s.pile == "L-B")
    assert drift_pairs(state) == (
        DriftPair("BR-1", "L-A", "received", 10_150.0, 10_000.0, 25.0, at(1), (1,)),
        # Σ drawn 1,200 + 806 = 2,006 t over BF-1 against the survey's 2,000 t, timed by the end of the last run.
        DriftPair("BF-1", "L-B", "reclaimed", 2_006.0, 2_000.0, 5.0, at(4, 5), (2, 6, 7, survey_b)),
    )
    assert drift_pairs(state)[1].difference_pct == pytest.approx(0.3, abs=1e-12)
    assert skipped_lots(state) == (
        SkippedLot("L-C", "drawn over several feeders (BF-1, BF-2): one survey cannot tell their biases apart"),
        SkippedLot("L-D", f"ore left it by transfer (entry #{transfer.number}), not over a feeder"),
        SkippedLot("L-E", "not exhausted (no stock survey found its pile empty): Σ drawn is not the whole lot"),
    )
    assert unconfigured_scales(state, YARD) == ()
    assert unconfigured_scales(state, YardSettings()) == ("BF-1", "BR-1")
    # One pair each: too few for a verdict.
    assert [(f.scale, f.verdict, f.check.n, f.available) for f in check_scales(state, YARD)] == [("BR-1", "insufficient", 1, 1), ("BF-1", "insufficient", 1, 1)]


def test_the_latest_survey_is_the_latest_by_time_not_the_last_recorded(yard_path: Path) -> None:
    def survey(lot: str, day: int, wet_t: float) -> int:
        return ledger.stock_survey(StockSurvey(lot=lot, surveyed=at(day), figure=LotFigure(method="stockpile_survey", wet_t=wet_t, u_wet_t=wet_t / 100,
                                                                                         source="survey")), "surveyor").number

    with YardLedger(yard_path) as ledger:
        for lot in ("L-B", "L-F"):  # 1, 2
            ledger.lot_entered(inbound(lot, 2_000.0, u_survey_t=5.0), "clerk", at(2))
        assert _run(ledger, "R-B", "L-B", "BF-1", 2_006.0, 3, 5) == 3
        assert _run(ledger, "R-F", "L-F", "BF-1", 1_700.0, 3, 10) == 4
        # L-B: surveyed empty on day 5 (#5); a survey of day 4 finding 300 t is recorded after it (#6): the day-5
        # survey is still the latest, the lot is exhausted and gives its pair, resting on #5.
        assert (survey("L-B", 5, 0.0), survey("L-B", 4, 300.0)) == (5, 6)
        # L-F: 300 t left on day 6 (#7); a survey of day 5 finding it empty is recorded after it (#8): the pile
        # still held ore at its latest survey, so the lot is not exhausted and gives no pair.
        assert (survey("L-F", 6, 300.0), survey("L-F", 5, 0.0)) == (7, 8)
        state = ledger.state()
    assert drift_pairs(state) == (DriftPair("BF-1", "L-B", "reclaimed", 2_006.0, 2_000.0, 5.0, at(3, 5), (1, 3, 5)),)
    assert skipped_lots(state) == (SkippedLot("L-F", "not exhausted (no stock survey found its pile empty): Σ drawn is not the whole lot"),)


def test_a_shipment_measured_by_draft_survey_is_the_reference(yard_path: Path) -> None:
    citation = ShipmentCitation(shipment="IMP-2026-0522", method="draft_survey", event_number=4, event_hash="a" * 64, evidence_hash="b" * 64,
                                uncertainty_from="0.5 % (k = 2) from its own budget")
    shipped = LotFigure(method="shipment", wet_t=88_300.0, u_wet_t=220.75, source="shipment IMP-2026-0522", shipment=citation)
    weighed = LotFigure(method="belt_scale", wet_t=88_850.0, u_wet_t=256.5, source="receiving belt scale", scale="BR-1")
    by_meters = ShipmentCitation(**{**citation.model_dump(), "method": "meters"})
    with YardLedger(yard_path) as ledger:
        for lot, figure in (("L-SHIP", shipped), ("L-METERED", shipped.model_copy(update={"shipment": by_meters}))):
            ledger.lot_entered(InboundLot(lot=lot, origin="Brazil", brand="fines", grade="Fe 65 %", declaration=f"D-{lot}", figures=[figure, weighed],
                                          of_record="shipment", moisture=Moisture(pct=9.0, u_pct=0.1, source="lab")), "clerk", at(3))
        # Only the shipment measured by draft survey is a reference; a metered one is not.
        assert drift_pairs(ledger.state()) == (DriftPair("BR-1", "L-SHIP", "received", 88_850.0, 88_300.0, 220.75, at(3), (1,)),)
        assert skipped_lots(ledger.state()) == (SkippedLot("L-METERED", "no draft survey figure: nothing to hold a belt scale against"),)


def test_a_receiving_scale_reading_high_has_drifted_and_is_recorded_once(yard_path: Path, site_key: Ed25519PrivateKey) -> None:
    # d = 1.3, 1.5, 1.7, 1.4, 1.6, 1.5 %: d̄ = 1.5 %; s² = (0.04 + 0 + 0.04 + 0.01 + 0.01 + 0) / 5 = 0.02, s = 0.141421 %;
    # s/√6 = 0.0577350 %; t(0.975, 5) = 2.570582 → half-width 0.148413 %: interval 1.351587 … 1.648413 %, wholly above the
    # class 0.5 MPE (0.5 % in service) → drifted.
    with YardLedger(yard_path, site_key) as ledger:
        _received(ledger, [1.3, 1.5, 1.7, 1.4, 1.6, 1.5])
        first_watch = datetime(2026, 4, 7, 6, tzinfo=timezone.utc)
        findings = watch_scales(ledger, YARD, "metrology", first_watch)
        receiving, feeder = findings
        c = receiving.check
        half_width = T_975_5 * math.sqrt(0.02) / math.sqrt(6)
        assert (receiving.scale, receiving.verdict, c.n, receiving.available) == ("BR-1", "drifted", 6, 6)
        assert (c.mean_pct, c.std_pct, c.mpe_pct) == (pytest.approx(1.5, abs=1e-9), pytest.approx(math.sqrt(0.02), abs=1e-9), 0.5)
        assert (c.ci_low_pct, c.ci_high_pct) == (pytest.approx(1.5 - half_width, abs=1e-8), pytest.approx(1.5 + half_width, abs=1e-8))
        assert [p.lot for p in receiving.pairs] == [f"L-R{i}" for i in range(1, 7)]
        assert (feeder.scale, feeder.verdict, feeder.check.n) == ("BF-1", "insufficient", 0)  # no pair at all: insufficient
        # The ledger's entry: scale, bias, the class's MPE as the limit, and the finding with the interval, class, n and lots.
        finding = ("95 % interval +1.35 … +1.65 % wholly beyond ±0.5 % of class 0.5 (in service); n = 6 pairs against the draft "
                   "surveys of lots L-R1, L-R2, L-R3, L-R4, L-R5, L-R6; newest lot L-R6")
        (entry, drift), = ledger.state().drifts
        assert (entry.number, entry.kind, entry.subject, entry.time, entry.actor) == (7, "scale_drift", "BR-1", first_watch, "metrology")
        assert (drift.scale, drift.bias_pct, drift.limit_pct, drift.finding) == ("BR-1", pytest.approx(1.5, abs=1e-9), 0.5, finding)
        assert newest_lot_of(drift.finding) == "L-R6"
        assert receiving.recorded_now and receiving.entry == entry
        assert receiving.as_document()["entry"] == {"entry": 7, "hash": entry.hash, "recorded_now": True}
        # The points: BR-1's check, its event (message only, timed by the entry), BF-1's check (pairs and verdict only).
        later = datetime(2026, 4, 7, 7, tzinfo=timezone.utc)
        points = drift_points(SITE, findings, later)
        assert [(p.measurement, dict(p.tags)) for p in points] == [
            ("scale_drift", {"site": SITE, "scale": "BR-1"}),
            ("event", {"site": SITE, "asset": "BR-1", "kind": "scale_drift"}),
            ("scale_drift", {"site": SITE, "scale": "BF-1"}),
        ]
        assert dict(points[0].fields) == {"bias_pct": pytest.approx(1.5, abs=1e-9), "ci_low_pct": pytest.approx(1.5 - half_width, abs=1e-8),
                                          "ci_high_pct": pytest.approx(1.5 + half_width, abs=1e-8), "mpe_pct": 0.5, "pairs": 6, "verdict": "drifted"}
        assert set(points[0].fields) == set(contract.SCALE_DRIFT.fields) and points[0].time_ms == _ms(later)
        message = ("bias +1.50 % (95 % interval +1.35 … +1.65 %) beyond class 0.5 (MPE 0.5 %, in service); n = 6 pairs against the draft "
                   "surveys of lots L-R1, L-R2, L-R3, L-R4, L-R5, L-R6; newest lot L-R6")
        assert points[1].to_line() == f'event,asset=BR-1,kind=scale_drift,site={SITE} message="{message}" {_ms(first_watch)}'
        assert points[2].to_line() == f'scale_drift,scale=BF-1,site={SITE} pairs=0i,verdict="insufficient" {_ms(later)}'
        # Run again, nothing new: no second entry, the same event (same series and time: it overwrites itself).
        again = watch_scales(ledger, YARD, "metrology", later)
        assert [e.kind for e in ledger.entries()].count("scale_drift") == 1
        assert again[0].entry == entry and not again[0].recorded_now
        assert drift_points(SITE, again, later)[1].to_line() == points[1].to_line()
        # A seventh lot weighed high is a new finding: recorded once more, naming it.
        ledger.lot_entered(inbound("L-R7", 10_000.0, belt=("BR-1", 10_150.0)), "yard clerk", at(8))
        newer = watch_scales(ledger, YARD, "metrology", datetime(2026, 4, 9, tzinfo=timezone.utc))
        assert newer[0].recorded_now and newer[0].check.n == 7 and newest_lot_of(ledger.state().drifts[-1][1].finding) == "L-R7"
        assert [e.kind for e in ledger.entries()].count("scale_drift") == 2
        # The window keeps the newest pairs: with window 5, L-R3 … L-R7.
        assert [p.lot for p in check_scales(ledger.state(), YARD, window=5)[0].pairs] == ["L-R3", "L-R4", "L-R5", "L-R6", "L-R7"]


def test_an_honest_scale_is_within_its_class_and_nothing_is_recorded(yard_path: Path) -> None:
    # d = 0.1, −0.1, 0.05, −0.05, 0, 0 %: d̄ = 0; s² = 0.025 / 5 = 0.005; half-width 2.570582 · 0.0707107 / √6 = 0.0742088 %:
    # −0.074 … +0.074 %, wholly inside ±0.5 % → within class.
    with YardLedger(yard_path) as ledger:
        _received(ledger, [0.1, -0.1, 0.05, -0.05, 0.0, 0.0])
        findings = watch_scales(ledger, YARD, "metrology", at(7))
        check = findings[0].check
        assert findings[0].verdict == "within_class"
        assert check.ci_high_pct == pytest.approx(T_975_5 * math.sqrt(0.005) / math.sqrt(6), abs=1e-8)
        assert check.ci_low_pct == pytest.approx(-check.ci_high_pct, abs=1e-12)
        assert findings[0].entry is None and ledger.state().drifts == ()
        points = drift_points(SITE, findings, at(7))
        assert [p.measurement for p in points] == ["scale_drift", "scale_drift"]  # no event
        assert points[0].fields["verdict"] == "within_class" and points[0].fields["pairs"] == 6


def test_fewer_than_five_pairs_are_insufficient(yard_path: Path) -> None:
    with YardLedger(yard_path) as ledger:
        _received(ledger, [1.5, 1.6, 1.4, 1.5])  # far off, but four pairs say nothing a customs officer can act on
        findings = watch_scales(ledger, YARD, "metrology", at(7))
        assert (findings[0].verdict, findings[0].check.n, findings[0].entry) == ("insufficient", 4, None)
        assert ledger.state().drifts == ()
        assert findings[0].finding() == "4 pairs, fewer than 5: no verdict on class 0.5; draft surveys of lots L-R1, L-R2, L-R3, L-R4; newest lot L-R4"
        assert findings[1].finding() == "0 pairs, fewer than 5: no verdict on class 0.5; draft surveys of lots none"
        document = findings[0].as_document()
        assert document["ci_low_pct"] is None and document["bias_pct"] == pytest.approx(1.5, abs=1e-9) and document["n"] == 4
        (point, _) = drift_points(SITE, findings, at(7))
        assert point.to_line() == f'scale_drift,scale=BR-1,site={SITE} pairs=4i,verdict="insufficient" {_ms(at(7))}'
