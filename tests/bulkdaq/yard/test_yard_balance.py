"""The yard's mass balance (bulkdaq/yard/yard_balance.py) and its rule (bulkdaq/yard/balance_rule.py):
hand-computed figures, wet and dry, per pile and per period, and the flags with their evidence."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from yard_scenario import LOTS, RULE, RUN_1, at, record_honest, run_document

from bulkdaq.errors import InputError
from bulkdaq.inputs.lot_file import read_inbound_lot
from bulkdaq.yard.balance_rule import BalanceRule, load_balance_rule
from bulkdaq.yard.ledger import EntryRefused, YardLedger, iso_time
from bulkdaq.yard.lot import LotFigure, Moisture, MoistureResult, ScaleDrift, StockSurvey, Transfer
from bulkdaq.yard.yard_balance import Flag, YardBalance, lot_balances, pile_balance, run_check, yard_balance
from ledger_clock import LedgerClock

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "yard"


def _flags(balance: YardBalance) -> tuple[Flag, ...]:
    """The balance's flags but ``recorded_late``: the scenario's entries are dated April 2026 and recorded when the
    test runs, so every one of them is recorded after these periods (tested on its own, with a clock, below)."""
    return tuple(f for f in balance.flags if f.kind != "recorded_late")


def test_the_example_rule_and_a_bad_rule_file(tmp_path: Path) -> None:
    rule = load_balance_rule(EXAMPLES / "yard_rules.toml")
    assert (rule.name, rule.version, rule.coverage_factor, rule.label) == ("yard-balance-example", "2026.1", 2.0, "yard-balance-example 2026.1")
    bad = tmp_path / "rules.toml"
    bad.write_text('[rule_set]\nname = "r"\nversion = "1"\nsource = "s"\n[balance]\ncoverage_factor = "2"\nfloor_t = 5.0\n')
    with pytest.raises(InputError) as caught:
        load_balance_rule(bad)
    assert str(caught.value).splitlines() == [
        f"{bad}: balance.coverage_factor: Input should be a valid number; got '2' (text in quotes is not a number: write the number without quotes)",
        f"{bad}: balance.floor_t: unknown key (check the spelling against docs/yard.md)",
    ]


def test_an_honest_yard_balances_wet_and_dry(honest: YardLedger) -> None:
    balance = yard_balance(honest.state(), RULE, at(1), at(20))
    wet, dry = balance.wet, balance.dry
    # Wet: entered 100,000 + 60,000 + 20,000 = 180,000 t; shipped 5,000 t; closing book stocks 97,000 + 58,500
    # + 19,500 + (5,000 − 5,000) = 175,000 t; difference 0.
    assert (wet.opening.value_t, wet.entered.value_t, wet.out.value_t) == (0.0, 180_000.0, 5_000.0)
    assert wet.stock.term.value_t == pytest.approx(175_000.0, abs=1e-9)
    assert wet.difference_t == pytest.approx(0.0, abs=1e-9)
    # The lots' figures cancel (each is in entered and in the closing book stock); what is left is the run:
    # feeders 9, 4.5, 1.5 t and the product scale 15 t → u = √(81 + 20.25 + 2.25 + 225) = 18.1246 t, U = 36.249 t.
    assert wet.u_difference_t == pytest.approx(math.sqrt(328.5), rel=1e-12)
    assert wet.expanded_t == pytest.approx(36.2491, abs=1e-4)
    assert wet.verdict == "balanced"
    # Dry: entered 91,500 + 54,600 + 19,000 = 165,100 t; shipped 5,000 × 0.919 = 4,595 t; closing 88,737 + 53,235
    # + 18,525 + (4,603 − 4,595) = 160,505 t; difference 0.
    assert dry.entered.value_t == pytest.approx(165_100.0, abs=1e-9)
    assert dry.out.value_t == pytest.approx(4_595.0, abs=1e-9)
    assert dry.stock.term.value_t == pytest.approx(160_505.0, abs=1e-9)
    assert dry.difference_t == pytest.approx(0.0, abs=1e-9)
    assert dry.verdict == "balanced"
    assert _flags(balance) == ()
    assert [(p.pile, p.wet.verdict, p.dry.verdict, p.wet.stock.source) for p in balance.piles] == [
        ("L-PILBARA-01", "balanced", "balanced", "book"), ("L-BRAZIL-07", "balanced", "balanced", "book"),
        ("L-SA-03", "balanced", "balanced", "book"), ("PB-blend-62", "balanced", "balanced", "book"),
    ]
    run = balance.runs[0]
    assert ([c["share_pct"] for c in run.components], run.product_verdict, run.off_recipe) == ([60.0, 30.0, 10.0], "consistent", ())
    assert balance.outbound[0]["dry_t"] == pytest.approx(4_595.0, abs=1e-9)
    json.dumps(balance.as_document(), allow_nan=False)  # a plain JSON document


def test_a_period_opens_with_the_stock_of_the_period_before(honest: YardLedger) -> None:
    # [day 10, day 20): the three lots are opening stock (180,000 t wet), nothing enters, 5,000 t leave.
    balance = yard_balance(honest.state(), RULE, at(10), at(20))
    assert balance.wet.opening.value_t == pytest.approx(180_000.0, abs=1e-9)
    assert balance.wet.entered.value_t == 0.0
    assert balance.wet.difference_t == pytest.approx(0.0, abs=1e-9)
    assert balance.wet.verdict == balance.dry.verdict == "balanced"
    assert [r.run for r in balance.runs] == ["R-2026-0412-01"]
    # [day 1, day 8): only the first two lots, no run, nothing out.
    early = yard_balance(honest.state(), RULE, at(1), at(8))
    assert early.wet.entered.value_t == 160_000.0 and early.runs == () and early.outbound == ()
    assert [p.pile for p in early.piles] == ["L-PILBARA-01", "L-BRAZIL-07"]


def test_a_lot_losing_only_water_is_unaccounted_wet_and_balanced_dry(yard_path: Path) -> None:
    with YardLedger(yard_path) as ledger:
        ledger.lot_entered(read_inbound_lot(LOTS / "L-PILBARA-01.json"), "clerk", at(2))  # 100,000 t ± 250 t at 8.5 % → 91,500 t dry
        ledger.moisture(MoistureResult(lot="L-PILBARA-01", sampled=at(5), moisture=Moisture(pct=6.0, u_pct=0.1, source="lab")), "lab")
        # The pile dried to 6.0 %: all of it, 91,500 / 0.94 = 97,340.426 t wet, is reclaimed in one run.
        ledger.run(run_document("R-1", [("L-PILBARA-01", "BF-1", 97_340.426, 281.0, 100.0, 1.0)], (97_340.426, 281.0), at(6), at(7)), "control room")
        ledger.stock_survey(StockSurvey(lot="L-PILBARA-01", surveyed=at(8), figure=LotFigure(method="stockpile_survey", wet_t=0.0, u_wet_t=0.0, source="pile gone")), "surveyor")
        pile = pile_balance(ledger.state(), "L-PILBARA-01", RULE)
        # Wet: 100,000 − 97,340.426 − 0 = 2,659.574 t; U = 2·√(250² + 281²) = 752.197 t → unaccounted.
        assert pile.wet.stock.source == "survey"
        assert pile.wet.difference_t == pytest.approx(2_659.574, abs=1e-6)
        assert pile.wet.expanded_t == pytest.approx(2 * math.sqrt(250.0**2 + 281.0**2), rel=1e-12)
        assert pile.wet.verdict == "unaccounted"
        # Dry: 91,500 − 97,340.426 × 0.94 = 91,500 − 91,500.00044 = −0.00044 t → balanced.
        assert pile.dry.difference_t == pytest.approx(-0.00044, abs=1e-6)
        assert pile.dry.verdict == "balanced"
        balance = yard_balance(ledger.state(), RULE, at(1), at(10))
        assert [(f.kind, f.subject) for f in _flags(balance)] == [("water", "L-PILBARA-01")]
        assert [e.number for e in _flags(balance)[0].evidence] == [1, 3, 4]
        assert pile.status == "exhausted" and pile.as_document()["status"] == "exhausted"


def test_a_run_drawing_more_than_a_lot_holds_is_recorded_and_flagged_overdrawn(yard_path: Path) -> None:
    with YardLedger(yard_path) as ledger:
        ledger.lot_entered(read_inbound_lot(LOTS / "L-SA-03.json"), "clerk", at(9))  # 20,000 t ± 50 t at 5.0 % ± 0.08
        run = ledger.run(run_document("R-OVER", [("L-SA-03", "BF-3", 21_000.0, 60.0, 100.0, 1.0)], (21_000.0, 60.0), at(10), at(11)), "control room")
        assert run.number == 2  # nothing accepted is lost
        pile = pile_balance(ledger.state(), "L-SA-03", RULE)
        # Wet: book stock 20,000 − 21,000 = −1,000 t; u = √(50² + 60²) = 78.102 t, U = 156.205 t → overdrawn.
        assert pile.wet.stock.book_t == -1_000.0 and pile.wet.stock.term.value_t == 0.0
        assert pile.wet.difference_t == -1_000.0
        assert pile.wet.expanded_t == pytest.approx(156.2050, abs=1e-4)
        assert pile.wet.verdict == "overdrawn"
        # Dry: 19,000 − 21,000 × 0.95 = −950 t; u = √(50.1224² + 59.4243²) = 77.7399 t, U = 155.480 t → overdrawn.
        assert pile.dry.difference_t == pytest.approx(-950.0, abs=1e-9)
        assert pile.dry.expanded_t == pytest.approx(2 * math.sqrt((0.95 * 50) ** 2 + 16.0**2 + (0.95 * 60) ** 2 + (210 * 0.08) ** 2), rel=1e-12)
        assert pile.dry.verdict == "overdrawn" and pile.status == "overdrawn"
        flags = _flags(yard_balance(ledger.state(), RULE, at(1), at(20)))
        assert [(f.kind, f.subject, [e.number for e in f.evidence]) for f in flags] == [("overdrawn", "L-SA-03", [1, 2])]
        assert flags[0].evidence[1].hash == run.hash
        # The run was recorded against the wrong lot: voided, its draw leaves every balance; the entry stays, and the
        # void is a finding with the void entry (#3) and the run's (#2) as its evidence.
        void = ledger.void(run.number, "recorded against the wrong lot", "control room", at(12))
        assert pile_balance(ledger.state(), "L-SA-03", RULE).wet.stock.term.value_t == 20_000.0
        flags = _flags(yard_balance(ledger.state(), RULE, at(1), at(20), entries=ledger.entries()))
        assert [(f.kind, f.subject, [(e.number, e.hash) for e in f.evidence]) for f in flags] == [("voided", "R-OVER", [(3, void.hash), (2, run.hash)])]
        assert [e.kind for e in ledger.entries()] == ["lot_entered", "run", "void"]
        # Within U it is not overdrawn: 20,100 t drawn is 100 t over, less than U.
    with YardLedger(yard_path.with_name("within.sqlite")) as ledger:
        ledger.lot_entered(read_inbound_lot(LOTS / "L-SA-03.json"), "clerk", at(9))
        ledger.run(run_document("R-CLOSE", [("L-SA-03", "BF-3", 20_100.0, 60.0, 100.0, 1.0)], (20_100.0, 60.0), at(10), at(11)), "control room")
        assert pile_balance(ledger.state(), "L-SA-03", RULE).wet.verdict == "balanced"


def test_a_run_off_its_recipe_or_short_of_its_components_is_flagged_with_its_entry(honest: YardLedger) -> None:
    # Shares 64.0 / 30.0 / 6.0 % against 60 ± 2, 30 ± 2, 10 ± 1: Pilbara and SA off recipe. Product 4,900 t against
    # 5,000 t: −100 t, U = 2·√(15² + 9² + 4.5² + 1.5²) = 36.249 t → product short.
    off = run_document("R-2026-0414-01", [("L-PILBARA-01", "BF-1", 3_200.0, 9.0, 60.0, 2.0), ("L-BRAZIL-07", "BF-2", 1_500.0, 4.5, 30.0, 2.0),
                                          ("L-SA-03", "BF-3", 300.0, 1.5, 10.0, 1.0)], (4_900.0, 15.0), at(14, 1), at(14, 5))
    # Lower the document's own flags: the balance recomputes them from the figures.
    off["components"] = [{**c, "off_recipe": False} for c in off["components"]]
    off["product_verdict"] = "consistent"
    entry = honest.run(off, "control room")
    honest.scale_drift(ScaleDrift(scale="BF-1", bias_pct=0.9, limit_pct=0.5, finding="against DS-2026-0331 and DS-2026-0405"), "metrology", at(15))
    balance = yard_balance(honest.state(), RULE, at(14), at(20))
    flags = _flags(balance)
    assert [(f.kind, f.subject) for f in flags] == [("off_recipe", "R-2026-0414-01"), ("product_short", "R-2026-0414-01"), ("scale_drift", "BF-1")]
    assert flags[0].evidence[0].number == entry.number and flags[0].evidence[0].hash == entry.hash
    assert flags[0].detail == "off recipe PB-blend-62 3: L-PILBARA-01, L-SA-03"
    assert flags[1].detail == "product − components -100.000 t (U 36.249 t)"
    run = balance.runs[0]
    assert [c["share_pct"] for c in run.components] == pytest.approx([64.0, 30.0, 6.0], abs=1e-12)
    assert run.stated_verdict == "consistent" and run.product_verdict == "product_short"
    # The period: the run lost 100 t between feeders and product: −100 t wet against U 36.249 t.
    assert balance.wet.difference_t == pytest.approx(100.0, abs=1e-9)
    assert balance.wet.verdict == "unaccounted"


def test_a_surveyed_stock_replaces_the_book_and_a_transfer_counts_out(honest: YardLedger) -> None:
    honest.transfer(Transfer(lot="L-SA-03", figure=LotFigure(method="belt_scale", wet_t=500.0, u_wet_t=2.0, source="BF-3", scale="BF-3"), to="bonded yard B",
                             reason="sold on"), "clerk", at(14))
    honest.stock_survey(StockSurvey(lot="L-SA-03", surveyed=at(15, 6), figure=LotFigure(method="stockpile_survey", wet_t=19_480.0, u_wet_t=390.0, source="drone"),
                                    moisture=Moisture(pct=4.8, u_pct=0.1, source="lab")), "surveyor")
    pile = pile_balance(honest.state(), "L-SA-03", RULE)
    # 20,000 − (500 + 500) − 19,480 = −480 t wet; U = 2·√(50² + 1.5² + 2² + 390²) = 786.42 t → balanced.
    assert pile.wet.stock.source == "survey" and pile.wet.stock.book_t == 19_000.0
    assert pile.wet.difference_t == pytest.approx(-480.0, abs=1e-9)
    assert pile.wet.expanded_t == pytest.approx(2 * math.sqrt(50.0**2 + 1.5**2 + 2.0**2 + 390.0**2), rel=1e-12)
    # Dry: 19,000 − 475 − 475 − 19,480 × 0.952 = 18,050 − 18,544.96 = −494.96 t.
    assert pile.dry.difference_t == pytest.approx(-494.96, abs=1e-9)
    assert pile.wet.verdict == pile.dry.verdict == "balanced"
    before = pile_balance(honest.state(), "L-SA-03", RULE, at(15))
    assert before.wet.stock.source == "book" and before.wet.stock.term.value_t == 19_000.0
    period = yard_balance(honest.state(), RULE, at(14), at(20))
    assert period.wet.out.value_t == 500.0  # the transfer left the yard in the period
    assert {p.pile: p.wet.stock.source for p in lot_balances(honest.state(), RULE)}["L-SA-03"] == "survey"


def test_the_coverage_factor_comes_from_the_rule(honest: YardLedger) -> None:
    wide = BalanceRule("yard-wide", "2", "agreed", 3.0)
    balance = yard_balance(honest.state(), wide, at(1), at(20))
    assert balance.wet.expanded_t == pytest.approx(3 * math.sqrt(328.5), rel=1e-12)
    document = balance.as_document()
    assert document["rule"] == {"name": "yard-wide", "version": "2", "source": "agreed", "coverage_factor": 3.0, "label": "yard-wide 2"}
    assert document["period_balance"]["wet"]["entered_with_opening_t"] == 180_000.0
    assert document["period_balance"]["dry"]["verdict"] == "balanced"


def test_a_period_that_ends_before_it_starts_is_refused(honest: YardLedger) -> None:
    with pytest.raises(ValueError, match=re.escape("the period ends (2026-04-01T00:00:00.000Z) before it starts (2026-04-02T00:00:00.000Z)")):
        yard_balance(honest.state(), RULE, at(2), at(1))


def test_a_surveyed_product_pile_takes_the_moisture_of_its_components(honest: YardLedger) -> None:
    # The product pile holds 0 t wet on the books (5,000 made, 5,000 shipped); a survey finds 40 t ± 10 t left.
    honest.stock_survey(StockSurvey(lot="PB-blend-62", surveyed=at(15), figure=LotFigure(method="stockpile_survey", wet_t=40.0, u_wet_t=10.0, source="tape")), "surveyor")
    pile = pile_balance(honest.state(), "PB-blend-62", RULE)
    # Wet: 5,000 − 5,000 − 40 = −40 t; U = 2·√(15² + 12.5² + 10²) = 43.589 t → balanced.
    assert pile.wet.difference_t == pytest.approx(-40.0, abs=1e-9)
    assert pile.wet.expanded_t == pytest.approx(2 * math.sqrt(15.0**2 + 12.5**2 + 10.0**2), rel=1e-12)
    # Dry: the product's moisture is its components' water over their wet mass, 100·(1 − 4,603 / 5,000) = 7.94 %:
    # 40 t → 36.824 t dry; 4,603 − 4,595 − 36.824 = −28.824 t.
    assert pile.dry.stock.term.value_t == pytest.approx(36.824, abs=1e-9)
    assert pile.dry.difference_t == pytest.approx(-28.824, abs=1e-9)
    assert pile.wet.verdict == pile.dry.verdict == "balanced"


def test_a_second_process_cannot_record_the_same_run(honest: YardLedger, yard_path: Path, site_key: Ed25519PrivateKey) -> None:
    with YardLedger(yard_path, site_key, create=False) as other, pytest.raises(EntryRefused, match="run 'R-2026-0412-01' is already recorded"):
        other.run(RUN_1, "second control room")
    assert [e.kind for e in honest.entries()].count("run") == 1


def test_a_run_draws_at_the_moisture_sampled_last_before_it_began(honest: YardLedger) -> None:
    def drawn_dry() -> float:
        return next(m.dry_t for m in honest.movements() if m.role == "drawn" and m.pile == "L-PILBARA-01")

    assert drawn_dry() == pytest.approx(3_000.0 * (1 - 0.079), abs=1e-9)  # 7.9 %, sampled on day 10
    # Sampled while the run was going (it began at 01:00 on day 12): not before it, so not used.
    honest.moisture(MoistureResult(lot="L-PILBARA-01", sampled=at(12, 3), moisture=Moisture(pct=7.0, u_pct=0.1, source="lab")), "lab")
    assert drawn_dry() == pytest.approx(2_763.0, abs=1e-9)
    # Sampled on day 11, reported late: the latest before the run, so the run's dry tonnes are 3,000 × 0.925.
    honest.moisture(MoistureResult(lot="L-PILBARA-01", sampled=at(11), moisture=Moisture(pct=7.5, u_pct=0.1, source="lab, late report")), "lab")
    assert drawn_dry() == pytest.approx(2_775.0, abs=1e-9)


def _stock_survey(ledger: YardLedger, lot: str, surveyed: datetime, wet_t: float) -> int:
    figure = LotFigure(method="stockpile_survey", wet_t=wet_t, u_wet_t=wet_t / 100, source="survey")
    return ledger.stock_survey(StockSurvey(lot=lot, surveyed=surveyed, figure=figure, moisture=Moisture(pct=5.0, u_pct=0.1, source="lab")), "surveyor").number


def test_the_latest_survey_is_the_latest_by_time_not_the_last_recorded(honest: YardLedger) -> None:
    # SA lump: 20,000 t entered (#3), 500 t drawn by the run (#5): book 19,500 t. Surveyed empty on day 20 (#7); a
    # survey of day 15 finding 19,500 t is recorded after it (#8): the day-20 survey stays the latest.
    assert (_stock_survey(honest, "L-SA-03", at(20), 0.0), _stock_survey(honest, "L-SA-03", at(15), 19_500.0)) == (7, 8)
    pile = pile_balance(honest.state(), "L-SA-03", RULE)
    assert (pile.wet.stock.source, pile.wet.stock.survey_entry, pile.wet.stock.held_t, pile.status) == ("survey", 7, 0.0, "exhausted")
    assert pile.wet.difference_t == 19_500.0 and pile.wet.verdict == "unaccounted"
    assert [e.number for e in pile.evidence] == [3, 5, 7]
    # Before day 18 the day-15 survey is the latest: 19,500 t, difference 0 t.
    before = pile_balance(honest.state(), "L-SA-03", RULE, at(18))
    assert (before.wet.stock.survey_entry, before.wet.stock.held_t, before.wet.difference_t) == (8, 19_500.0, 0.0)
    # Two surveys at the same time: the later entry (#9) is the latest.
    assert _stock_survey(honest, "L-SA-03", at(20), 100.0) == 9
    pile = pile_balance(honest.state(), "L-SA-03", RULE)
    assert (pile.wet.stock.survey_entry, pile.wet.stock.held_t, pile.wet.difference_t) == (9, 100.0, 19_400.0)


def _off_run(run: str, day: int, product_t: float = 4_900.0) -> dict[str, object]:
    """Shares 64 / 30 / 6 % against 60 ± 2, 30 ± 2, 10 ± 1; product `product_t` against 5,000 t of components."""
    return run_document(run, [("L-PILBARA-01", "BF-1", 3_200.0, 9.0, 60.0, 2.0), ("L-BRAZIL-07", "BF-2", 1_500.0, 4.5, 30.0, 2.0),
                              ("L-SA-03", "BF-3", 300.0, 1.5, 10.0, 1.0)], (product_t, 15.0), at(day, 1), at(day, 5))


def test_a_run_voided_after_it_was_flagged_stays_in_the_findings_as_voided(yard_path: Path, clock: type[LedgerClock]) -> None:
    with YardLedger(yard_path) as ledger:
        clock.current = at(13, 12)
        record_honest(ledger)
        clock.current = at(14, 6)
        run = ledger.run(_off_run("R-SHORT", 14), "control room")
        assert run.number == 7
        flagged = yard_balance(ledger.state(), RULE, at(14), at(20), entries=ledger.entries())
        assert [(f.kind, f.subject) for f in flagged.flags] == [("off_recipe", "R-SHORT"), ("product_short", "R-SHORT")]
        # Voided on day 21, after the period [day 14, day 20) closed: its figures leave the balance, its trace stays.
        clock.current = at(21, 9)
        void = ledger.void(7, "product scale BP-1 misread", "shift lead", at(21, 8))
        balance = yard_balance(ledger.state(), RULE, at(14), at(20), entries=ledger.entries())
        assert balance.runs == ()
        assert [f.as_document() for f in balance.flags] == [{
            "kind": "voided", "subject": "R-SHORT",
            "detail": "entry #7 (run R-SHORT) voided by entry #8 (shift lead, dated 2026-04-21T08:00:00.000Z, recorded 2026-04-21T09:00:00.000Z): "
                      "product scale BP-1 misread",
            "evidence": [{"entry": 8, "hash": void.hash}, {"entry": 7, "hash": run.hash}],
        }]
        assert balance.as_document()["voids"] == [{
            "void": {"entry": 8, "hash": void.hash}, "voided": {"entry": 7, "hash": run.hash}, "voided_kind": "run", "voided_subject": "R-SHORT",
            "voided_time": "2026-04-14T05:00:00.000Z", "why": "product scale BP-1 misread", "actor": "shift lead",
            "time": "2026-04-21T08:00:00.000Z", "recorded": "2026-04-21T09:00:00.000Z",
        }]
        # A period the void is dated in shows it too; a period with neither the void nor the run does not.
        assert [f.kind for f in yard_balance(ledger.state(), RULE, at(21), at(22), entries=ledger.entries()).flags] == ["voided"]
        assert yard_balance(ledger.state(), RULE, at(1), at(14), entries=ledger.entries()).flags == ()
        # Without the ledger's entries the voided entry's kind and subject are not known: only a void dated or recorded
        # in the period is flagged, its subject "entry #7".
        alone = yard_balance(ledger.state(), RULE, at(21), at(22))
        assert [(f.kind, f.subject, f.detail) for f in alone.flags] == [
            ("voided", "entry #7", "entry #7 voided by entry #8 (shift lead, dated 2026-04-21T08:00:00.000Z, recorded 2026-04-21T09:00:00.000Z): "
                                   "product scale BP-1 misread")]
        assert yard_balance(ledger.state(), RULE, at(14), at(20)).flags == ()


def test_an_entry_back_dated_into_a_closed_period_is_flagged_recorded_late(yard_path: Path, clock: type[LedgerClock]) -> None:
    with YardLedger(yard_path) as ledger:
        clock.current = at(13, 12)
        record_honest(ledger)
        assert yard_balance(ledger.state(), RULE, at(1), at(14), entries=ledger.entries()).flags == ()  # all recorded before day 14
        # On day 21: a transfer dated day 15 (#7) and a moisture result sampled on day 16 (#8), into the period [14, 20).
        clock.current = at(21)
        transfer = ledger.transfer(Transfer(lot="L-SA-03", figure=LotFigure(method="belt_scale", wet_t=500.0, u_wet_t=2.0, source="BF-3", scale="BF-3"),
                                            to="bonded yard B", reason="sold on"), "clerk", at(15))
        moisture = ledger.moisture(MoistureResult(lot="L-BRAZIL-07", sampled=at(16), moisture=Moisture(pct=8.5, u_pct=0.1, source="lab")), "lab")
        balance = yard_balance(ledger.state(), RULE, at(14), at(20), entries=ledger.entries())
        assert [f.as_document() for f in balance.flags] == [
            {"kind": "recorded_late", "subject": "L-SA-03", "evidence": [{"entry": 7, "hash": transfer.hash}],
             "detail": "entry #7 (transfer L-SA-03) dated 2026-04-15T00:00:00.000Z but recorded 2026-04-21T00:00:00.000Z, after the period ended "
                       "(2026-04-20T00:00:00.000Z)"},
            {"kind": "recorded_late", "subject": "L-BRAZIL-07", "evidence": [{"entry": 8, "hash": moisture.hash}],
             "detail": "entry #8 (moisture L-BRAZIL-07) dated 2026-04-16T00:00:00.000Z but recorded 2026-04-21T00:00:00.000Z, after the period ended "
                       "(2026-04-20T00:00:00.000Z)"},
        ]
        assert balance.as_document()["recorded_late"][0] == {"entry": {"entry": 7, "hash": transfer.hash}, "kind": "transfer", "subject": "L-SA-03",
                                                             "time": "2026-04-15T00:00:00.000Z", "recorded": "2026-04-21T00:00:00.000Z",
                                                             "actor": "clerk", "voided": False}
        # Recorded at the period's end is after it ([from, to) excludes `to`); a period still open on day 21 has nothing late.
        assert [f.kind for f in yard_balance(ledger.state(), RULE, at(14), at(21), entries=ledger.entries()).flags] == ["recorded_late"] * 2
        assert yard_balance(ledger.state(), RULE, at(14), at(22), entries=ledger.entries()).flags == ()
        # Voided, a late entry is still listed, marked voided (and the void is a finding of its own).
        ledger.void(7, "entered twice", "clerk", at(21, 1))
        late = yard_balance(ledger.state(), RULE, at(14), at(20), entries=ledger.entries())
        assert [(f.kind, f.subject) for f in late.flags] == [("voided", "L-SA-03"), ("recorded_late", "L-SA-03"), ("recorded_late", "L-BRAZIL-07")]
        assert [(e.entry.number, e.voided) for e in late.late] == [(7, True), (8, False)]
        assert late.flags[1].detail.startswith("entry #7 (transfer L-SA-03, voided) dated 2026-04-15T00:00:00.000Z")


def test_a_run_with_integrity_events_is_flagged_with_each_event(honest: YardLedger) -> None:
    document = _off_run("R-EVENTS", 14, product_t=5_000.0)
    document["components"] = [{**c, "off_recipe": False} for c in document["components"]]
    document["integrity_events"] = [
        {"time": "2026-04-14T02:00:00.000Z", "asset": "BF-1", "kind": "totalizer_reset", "field": "total_t", "message": "total fell 3,100 t → 0 t",
         "old": 3100.0, "new": 0.0},
        {"time": "2026-04-14T03:30:00.000Z", "asset": "BP-1", "kind": "comms_gap", "field": None, "message": "no reading for 300 s", "old": None, "new": None},
    ]
    entry = honest.run(document, "control room")
    check = run_check(entry, honest.state().runs["R-EVENTS"][1], 2.0)
    assert check.integrity_events == tuple(document["integrity_events"])  # type: ignore[arg-type]
    assert (check.recorded, check.as_document()["recorded"]) == (entry.recorded, iso_time(entry.recorded))
    balance = yard_balance(honest.state(), RULE, at(14), at(20))
    flags = [f for f in _flags(balance) if f.kind == "integrity_events"]
    assert [f.as_document() for f in flags] == [{
        "kind": "integrity_events", "subject": "R-EVENTS",
        "detail": "integrity events on the run's scales: totalizer_reset on BF-1 total_t at 2026-04-14T02:00:00.000Z; "
                  "comms_gap on BP-1 at 2026-04-14T03:30:00.000Z",
        "evidence": [{"entry": entry.number, "hash": entry.hash}],
    }]
    # The flag follows the run's own (off recipe: 64 / 30 / 6 %).
    assert [f.kind for f in _flags(balance)] == ["off_recipe", "integrity_events"]
    assert balance.as_document()["runs"][0]["integrity_events"][1]["kind"] == "comms_gap"
