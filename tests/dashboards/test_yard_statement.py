"""The yard statement (dashboards/reports/yard_statement.py): built from a real signed ledger, bilingual, every
figure at its decimals with its unit, the header naming the ledger's key and head, the flags with their
evidence entries."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bulkdaq.evidence.chain import fingerprint
from bulkdaq.inputs.lot_file import read_inbound_lot, read_lot_file, read_outbound_lot
from bulkdaq.wording import glossary
from bulkdaq.yard.balance_rule import load_balance_rule
from bulkdaq.yard.ledger import LedgerAltered, YardLedger
from bulkdaq.yard.lot import Moisture, MoistureResult
from calculators.blending.mass_balance import blending_run
from dashboards.reports.yard_statement import write_yard_statement, yard_statement_html
from figure_checks import check_decimals, page_text, raw_floats
from ledger_clock import LedgerClock

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "yard"
LOTS = EXAMPLES / "lots"
RULE = load_balance_rule(EXAMPLES / "yard_rules.toml")


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, tzinfo=timezone.utc)


def _run(run: str, components: list[tuple[str, str, float, float, float, float]], product: tuple[float, float], end: datetime) -> dict[str, Any]:
    """A run of four hours ending at `end`."""
    result = blending_run([c[0] for c in components], [c[2] for c in components], [c[3] for c in components],
                          [c[4] for c in components], [c[5] for c in components], *product)
    return {
        "run": run, "recipe": {"name": "PB-blend-62", "version": "3", "product_scale": "BP-1",
                               "components": [{"lot": c[0], "scale": c[1], "target_pct": c[4], "tolerance_pp": c[5]} for c in components]},
        "start": (end - timedelta(hours=4)).isoformat(), "end": end.isoformat(),
        "components": [{"lot": c[0], "scale": c[1], "wet_t": c[2], "u_wet_t": c[3], "legal": True, "share_pct": s.share_pct, "target_pct": c[4],
                        "tolerance_pp": c[5], "off_recipe": s.off_recipe} for c, s in zip(components, result.components, strict=True)],
        "product": {"scale": "BP-1", "wet_t": product[0], "u_wet_t": product[1], "legal": True},
        "sum_components_t": result.sum_t, "expanded_u_t": result.expanded_t, "product_verdict": result.product_verdict,
        "integrity_events": [], "outbound_lot": None,
    }


@pytest.fixture
def ledger(tmp_path: Path, clock: type[LedgerClock]) -> YardLedger:
    """Entries recorded an hour after they happen (the clock), so none is recorded after a period it is dated in."""
    key = Ed25519PrivateKey.generate()
    ledger = YardLedger(tmp_path / "yard.sqlite", key)
    for name, day in (("L-PILBARA-01", 2), ("L-BRAZIL-07", 6), ("L-SA-03", 9)):
        clock.current = at(day, 1)
        ledger.lot_entered(read_inbound_lot(LOTS / f"{name}.json"), "yard clerk", at(day))
    moisture = read_lot_file(LOTS / "M-PILBARA-01-0410.json")
    assert isinstance(moisture, MoistureResult)
    clock.current = moisture.sampled + timedelta(hours=1)
    ledger.moisture(moisture, "laboratory")
    clock.current = at(12, 6)
    ledger.run(_run("R-2026-0412-01", [("L-PILBARA-01", "BF-1", 3000.0, 9.0, 60.0, 2.0), ("L-BRAZIL-07", "BF-2", 1500.0, 4.5, 30.0, 2.0),
                                       ("L-SA-03", "BF-3", 500.0, 1.5, 10.0, 1.0)], (5000.0, 15.0), at(12, 5)), "control room")
    clock.current = at(13, 1)
    ledger.lot_shipped(read_outbound_lot(LOTS / "O-PB62-01.json"), "yard clerk", at(13))
    clock.current = at(14, 6)
    # A second run draws 21,000 t from the SA lump lot, which holds 19,500 t: overdrawn, and off recipe.
    ledger.run(_run("R-2026-0414-01", [("L-SA-03", "BF-3", 21_000.0, 60.0, 10.0, 1.0), ("L-BRAZIL-07", "BF-2", 1_000.0, 4.5, 90.0, 1.0)],
                    (22_000.0, 65.0), at(14, 5)), "control room")
    return ledger


def test_the_statement_shows_lots_runs_outbound_balance_and_flags(ledger: YardLedger, tmp_path: Path) -> None:
    html = yard_statement_html(ledger, RULE, at(1), at(20), yard="bonded-yard", issued=at(20, 8))
    text = page_text(html)
    head = ledger.head()
    assert head is not None and head.number == 7
    # Header: yard, period, rule, key fingerprint, head entry.
    for words in ("Bonded blending yard statement", "保税混矿堆场报表", "bonded-yard", "2026-04-01T00:00:00.000Z – 2026-04-20T00:00:00.000Z (UTC)",
                  "yard-balance-example 2026.1", f"{ledger.key_fingerprint}", f"#7 {head.hash}", "Issued 出具时间 2026-04-20T08:00:00.000Z"):
        assert words in text, words
    assert ledger.key_fingerprint == fingerprint(ledger.public_key())  # type: ignore[arg-type]
    # Lots: Pilbara 100,000.000 t entered ± 500.000 t (U = 2 × 250), 91,500.000 t dry; drawn 3,000.000 t.
    for words in ("L-PILBARA-01", "Australia (Pilbara, Western Australia)", "223320261000012345", "100,000.000 t ± 500.000 t",
                  "91,500.000 t", "3,000.000 t ± 18.000 t", "97,000.000 t", "book 账面"):
        assert words in text, words
    # SA lump: 20,000 − 500 − 21,000 = −1,500.000 t wet, stock 0; dry 19,000 − 475 − 19,950 = −1,425.000 t.
    assert "-1,500.000 t" in text and "-1,425.000 t" in text
    # The run against its recipe: 60.00 % target, 60.00 % achieved; the second run's 95.45 % SA against 10.00 %.
    assert "60.00 % ± 2.00 pp" in text and "95.45 %" in text and "+85.45 pp" in text
    # The outbound lot: 5,000.000 t ± 25.000 t at 8.10 % → 4,595.000 t dry.
    assert "O-PB62-01" in text and "5,000.000 t ± 25.000 t" in text and "8.10 %" in text and "4,595.000 t" in text
    # Flags: SA overdrawn with its entries (#3 the lot, #5 and #7 the runs drawing on it), the second run off recipe.
    flags = html[html.index('<table class="flags">'):]
    assert glossary.YARD_VERDICTS["overdrawn"][1] in flags and glossary.YARD_VERDICTS["off_recipe"][0] in flags
    assert f"#7 {head.hash}" in flags and "L-SA-03" in flags
    # Every label bilingual where the glossary has it; every figure at its decimals with its unit, no raw float.
    assert "k of the balance rule" in text and glossary.YARD_TERMS["closing_stock"][1] in text and glossary.YARD_STATEMENT_TERMS["period_balance"][1] in text
    assert check_decimals(page_text(html, without=("hash", "as-written")), {"t": 3, "%": 2}) == []
    assert raw_floats(page_text(html, without=("hash",))) == []
    path = write_yard_statement(tmp_path / "statement.html", ledger, RULE, at(1), at(20), yard="bonded-yard", issued=at(20, 8))
    assert path.read_text(encoding="utf-8") == html


def test_an_honest_period_prints_balanced_and_no_findings(ledger: YardLedger) -> None:
    html = yard_statement_html(ledger, RULE, at(1), at(14), yard="bonded-yard", issued=at(14))
    text = page_text(html)
    assert "none: every lot and run balances within uncertainty" in text
    period = page_text(html[html.index('<table class="period">'):html.index('<table class="flags">')])
    # Wet: opening 0, entered 180,000.000 t, shipped 5,000.000 t, closing 175,000.000 t, difference 0.000 t ± 36.249 t.
    assert "180,000.000 t" in period and "175,000.000 t" in period and "0.000 t ± 36.249 t" in period
    assert period.count("balanced within uncertainty") == 2
    # A pile held at its book stock (entered − out) balances by construction: it says so instead of "balanced".
    lots = page_text(html[:html.index('<table class="period">')])
    assert glossary.YARD_VERDICTS["book_only"][0] in lots and glossary.YARD_VERDICTS["book_only"][1] in lots


def test_a_statement_is_not_drawn_from_a_ledger_that_does_not_verify(ledger: YardLedger) -> None:
    db = sqlite3.connect(ledger.path, isolation_level=None)
    db.execute("DROP TRIGGER entries_no_update")
    db.execute("UPDATE entries SET actor = 'someone' WHERE number = 2")
    with pytest.raises(LedgerAltered, match=re.escape("entry #2 (lot_entered L-BRAZIL-07) does not match its hash (altered)")):
        yard_statement_html(ledger, RULE, at(1), at(20), yard="bonded-yard")


def test_a_statement_checks_the_ledger_against_the_site_key_it_is_given(ledger: YardLedger) -> None:
    assert ledger.public_key() is not None
    yard_statement_html(ledger, RULE, at(1), at(20), yard="bonded-yard", site_key=ledger.public_key())
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(LedgerAltered, match=re.escape(f"is bound to key {ledger.key_fingerprint}, not to the site key {fingerprint(other)}")):
        yard_statement_html(ledger, RULE, at(1), at(20), yard="bonded-yard", site_key=other)


def _section(html: str, table: str) -> str:
    """The text of one table of the statement (`table`: its class)."""
    start = html.index(f'<table class="{table}">')
    return page_text(html[start:html.index("</table>", start)]).strip()


def test_voided_and_late_entries_are_listed_with_their_times(ledger: YardLedger, clock: type[LedgerClock]) -> None:
    honest = yard_statement_html(ledger, RULE, at(1), at(20), yard="bonded-yard", issued=at(20, 8))
    assert _section(honest, "voids") == f"{_header('voids')} none: no entry of the ledger is voided 无：台账中没有被作废的记录"
    assert _section(honest, "late") == f"{_header('late')} none: every entry of the period was recorded before the period ended 无：本期所有记录均在期末前录入"
    run = ledger.entries()[6]
    clock.current = at(21, 9)
    void = ledger.void(7, "product belt BP-1 misread", "shift lead", at(21, 8))
    clock.current = at(21, 10)
    late = ledger.moisture(MoistureResult(lot="L-BRAZIL-07", sampled=at(15), moisture=Moisture(pct=8.5, u_pct=0.1, source="lab")), "laboratory")
    html = yard_statement_html(ledger, RULE, at(1), at(20), yard="bonded-yard", issued=at(22))
    text = page_text(html)
    assert "Voided entries 已作废记录" in text and "Recorded after the period 期末后录入的记录" in text
    assert _section(html, "voids") == (f"{_header('voids')} #8 {void.hash} #7 {run.hash} run R-2026-0414-01 product belt BP-1 misread shift lead "
                                       "2026-04-21T08:00:00.000Z Recorded 录入时间 2026-04-21T09:00:00.000Z")
    assert _section(html, "late") == f"{_header('late')} #9 {late.hash} moisture L-BRAZIL-07 laboratory 2026-04-15T00:00:00.000Z 2026-04-21T10:00:00.000Z"
    # The run's time with its recorded time beside it.
    assert "End 结束时间 2026-04-12T05:00:00.000Z Recorded 录入时间 2026-04-12T06:00:00.000Z" in _section(html, "runs")
    flags = _section(html, "flags")
    assert (f"voided: its figures left every balance 已作废：其数据已移出所有平衡 R-2026-0414-01 entry #7 (run R-2026-0414-01) voided by entry #8 "
            f"(shift lead, dated 2026-04-21T08:00:00.000Z, recorded 2026-04-21T09:00:00.000Z): product belt BP-1 misread #8 {void.hash} #7 {run.hash}") in flags
    assert (f"recorded after the period ended 期末后补录 L-BRAZIL-07 entry #9 (moisture L-BRAZIL-07) dated 2026-04-15T00:00:00.000Z but recorded "
            f"2026-04-21T10:00:00.000Z, after the period ended (2026-04-20T00:00:00.000Z) #9 {late.hash}") in flags
    assert check_decimals(page_text(html, without=("hash", "as-written")), {"t": 3, "%": 2}) == []
    assert raw_floats(page_text(html, without=("hash",))) == []


def _header(table: str) -> str:
    S = glossary.YARD_STATEMENT_TERMS
    keys = {"voids": ("void_entry", "voided_entry", "entry_kind", "subject", "why", "actor", "entry_time"),
            "late": ("entry", "entry_kind", "subject", "actor", "entry_time", "recorded")}[table]
    return " ".join(f"{S[k][0]} {S[k][1]}" for k in keys)


def test_a_run_at_the_tolerance_edge_and_with_integrity_events(ledger: YardLedger, clock: type[LedgerClock]) -> None:
    # 3,100.2 / 1,399.8 / 500 t of 5,000 t: 62.004 % and 27.996 % against 60 ± 2 and 30 ± 2 — off recipe by 0.004 pp, which
    # at 2 decimals would print +2.00 pp, the limit itself.
    document = _run("R-EDGE", [("L-PILBARA-01", "BF-1", 3_100.2, 9.0, 60.0, 2.0), ("L-BRAZIL-07", "BF-2", 1_399.8, 4.5, 30.0, 2.0),
                               ("L-SA-03", "BF-3", 500.0, 1.5, 10.0, 1.0)], (5_000.0, 15.0), at(15, 5))
    document["integrity_events"] = [
        {"time": "2026-04-15T02:00:00.000Z", "asset": "BF-1", "kind": "totalizer_reset", "field": "total_t", "message": "total fell to 0", "old": None, "new": None},
        {"time": "2026-04-15T03:30:00.000Z", "asset": "BP-1", "kind": "comms_gap", "field": None, "message": "no reading for 300 s", "old": None, "new": None},
    ]
    clock.current = at(15, 6)
    entry = ledger.run(document, "control room")
    html = yard_statement_html(ledger, RULE, at(15), at(20), yard="bonded-yard", issued=at(20, 8))
    runs = _section(html, "runs")
    assert ("Component 组分: L-PILBARA-01 BF-1 3,100.200 t ± 18.000 t 60.00 % ± 2.00 pp 62.00 % +2.004 pp off recipe 偏离配比 "
            "Component 组分: L-BRAZIL-07 BF-2 1,399.800 t ± 9.000 t 30.00 % ± 2.00 pp 28.00 % -2.004 pp off recipe 偏离配比 "
            "Component 组分: L-SA-03 BF-3 500.000 t ± 3.000 t 10.00 % ± 1.00 pp 10.00 % 0.00 pp on recipe 符合配比") in runs
    assert ("Integrity events on the run's scales 作业皮带秤累计器完整性事件 totalizer_reset on BF-1 total_t at 2026-04-15T02:00:00.000Z: total fell to 0 "
            "comms_gap on BP-1 at 2026-04-15T03:30:00.000Z: no reading for 300 s "
            "totalizer integrity events during the run 作业期间出现累计器完整性事件") in runs
    flags = _section(html, "flags")
    assert ("totalizer integrity events during the run 作业期间出现累计器完整性事件 R-EDGE integrity events on the run's scales: totalizer_reset on BF-1 "
            f"total_t at 2026-04-15T02:00:00.000Z; comms_gap on BP-1 at 2026-04-15T03:30:00.000Z #{entry.number} {entry.hash}") in flags
    assert check_decimals(page_text(html, without=("hash", "as-written")), {"t": 3, "%": 2}) == []
