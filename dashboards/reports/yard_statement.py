"""The bonded blending yard statement (保税混矿堆场报表) for a period: printable bilingual HTML.

What the yard ledger (bulkdaq/yard/ledger.py) holds, as the balance reads it (bulkdaq/yard/yard_balance.py):
a header with the yard, the period, the balance rule (name and version) and the ledger's signing key
fingerprint and head entry (number and hash), so the officer can check the statement against the
ledger; every lot and pile with its origin, brand and declaration and its entered, drawn and stock in wet
and dry tonnes with U; the period's runs with recipe against achieved shares and product against
components (a deviation off recipe that would print equal to its tolerance at 2 decimals is printed with
as many decimals as show it beyond), and the totalizer integrity events on the run's scales; the outbound
lots; the period balance wet and dry with its verdict; the voided entries (every void in the ledger up to
its head entry, whatever the period: void and voided entry with their hashes, the voided entry's kind and
subject, why, who, when dated and recorded); the entries recorded after the period (dated in it, recorded
at or after its end); and the findings, each with the ledger entries (number and hash) that are its
evidence. Wherever an entry's time is printed, the time it was recorded is printed beside it.

Text the files give (a grade, a destination, the rule's source) is printed as written, in elements of
class ``as-written``. Labels come from the glossary (bulkdaq/wording/glossary.py), figures from bulkdaq/wording/figure_format.py:
tonnes to 3 decimals, percentages to 2, the unit always shown. Only the standard library renders it, on
the page the other reports share (dashboards/reports/report_html.py).
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bulkdaq.wording import glossary
from bulkdaq.wording.figure_format import figure_text, number_text, percent_text
from bulkdaq.wording.glossary import Label
from bulkdaq.yard.balance_rule import BalanceRule
from bulkdaq.yard.ledger import YardLedger, iso_time
from bulkdaq.yard.yard_balance import (
    PERCENT_DECIMALS,
    TONNE_DECIMALS,
    BasisBalance,
    PileBalance,
    RunCheck,
    Term,
    VoidRecord,
    YardBalance,
    integrity_text,
    void_records,
    yard_balance,
)
from dashboards.reports.report_html import bilingual, page, particulars_rows

Y = glossary.YARD_TERMS
S = glossary.YARD_STATEMENT_TERMS
V = glossary.YARD_VERDICTS
T = glossary.TERMS

_STYLE = """
  td.figure { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  th { background: #e8ecf2; font-size: 8.5pt; }
  tr.lot td { border-top: 2px solid #555; }
  tr.flagged td.verdict { color: #8a1c00; font-weight: bold; }
  .zh { display: inline; margin-left: .4em; color: #333; }
  h1 .zh { color: #111; }
  .hash { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 8pt; word-break: break-all; }
  .muted { color: #555; font-size: 8.5pt; }
  .note { font-size: 9pt; margin: .2em 0 .6em 0; }
  .verdict-box { font-size: 12pt; font-weight: bold; padding: .3em .6em; border: 2px solid; display: inline-block; margin: .3em 0; }
  .balanced { color: #0b5d1e; border-color: #0b5d1e; }
  .flagged-box { color: #8a1c00; border-color: #8a1c00; }
"""


def _t(value: float, *, signed: bool = False) -> str:
    return html.escape(figure_text(value, "t", TONNE_DECIMALS, signed=signed))


def _u(expanded_t: float) -> str:
    return f"± {_t(expanded_t)}"


def _pct(value: float, *, signed: bool = False) -> str:
    return html.escape(percent_text(value, signed=signed, decimals=PERCENT_DECIMALS))


def _pp(value: float, *, signed: bool = False) -> str:
    return html.escape(f"{number_text(value, PERCENT_DECIMALS, signed=signed)} pp")


DEVIATION_MAX_DECIMALS = 12
"""The most decimals a deviation is printed with to show it beyond its tolerance (the calculator's slack is 1e-9 pp)."""


def _deviation(c: dict[str, Any]) -> str:
    """A component's deviation [pp], signed: to 2 decimals, or — when the component is off recipe but its deviation
    would print equal to (or within) the tolerance at 2 decimals (62.004 % against 60 ± 2) — with as many decimals
    as show it beyond (+2.004 pp)."""
    deviation, tolerance = float(c["deviation_pp"]), float(c["tolerance_pp"])
    decimals = PERCENT_DECIMALS
    if c["off_recipe"]:
        while abs(round(deviation, decimals)) <= round(tolerance, decimals) and decimals < DEVIATION_MAX_DECIMALS:
            decimals += 1
        if abs(round(deviation, decimals)) <= round(tolerance, decimals):  # flagged by the run document only: as it is
            decimals = PERCENT_DECIMALS
    return html.escape(f"{number_text(deviation, decimals, signed=True)} pp")


def _times(time: datetime, recorded: datetime | None) -> str:
    """An entry's time and, beside it, when it was recorded."""
    written = html.escape(iso_time(time))
    if recorded is None:
        return written
    return f'{written}<br><span class="muted">{_label(S["recorded"])} {html.escape(iso_time(recorded))}</span>'


def _label(label: Label) -> str:
    return bilingual(*label)


def _th(*labels: Label | str) -> str:
    return "<tr>" + "".join(f"<th>{_label(x) if isinstance(x, tuple) else html.escape(x)}</th>" for x in labels) + "</tr>"


def _verdict(verdict: str) -> str:
    return _label(V.get(verdict, (verdict, "")))


def _source(source: str) -> str:
    words = {"survey": S["stock_survey"], "book": S["book"]}
    return " + ".join(_label(words[part]) if part in words else html.escape(part) for part in source.split("+"))


def _method(method: str) -> str:
    label = glossary.METHODS.get(method) or S.get(f"method_{method}") or (method, "")
    return _label(label)


def _figure_cell(term_value: float, expanded: float) -> str:
    return f'<td class="figure">{_t(term_value)}<br><span class="muted">{_u(expanded)}</span></td>'


def _expanded(term: Term, k: float) -> float:
    return k * term.u_t


def _lot_rows(balance: PileBalance, k: float) -> str:
    rows = []
    p = balance.particulars
    kind = _label(Y["inbound_lot"]) if balance.kind == "inbound" else _label(S["product_pile"])
    for i, basis in enumerate(("wet", "dry")):
        b: BasisBalance = balance.basis(basis)  # type: ignore[arg-type]
        flagged = " flagged" if b.verdict != "balanced" else ""
        head = (
            f'<td rowspan="2"><b>{html.escape(balance.pile)}</b><br><span class="muted">{kind}</span></td>'
            f'<td rowspan="2">{html.escape(p["origin"])}</td><td rowspan="2">{html.escape(p["brand"])}<br><span class="muted as-written">{html.escape(p["grade"])}</span></td>'
            f'<td rowspan="2">{html.escape(p["declaration"])}</td>'
            if i == 0 else ""
        )
        evidence = (f'<td rowspan="2" class="hash">{", ".join(f"#{e.number}" for e in balance.evidence)}</td>' if i == 0 else "")
        # A book stock is entered − out: its balance is 0 t by construction and proves nothing until the pile is
        # surveyed, so it is not printed as "balanced" (an overdrawn book stock still is a finding).
        book_only = b.stock.source == "book" and b.verdict == "balanced"
        difference = ('<td class="figure">—</td>' if book_only else
                      f'<td class="figure">{_t(b.difference_t, signed=True)}<br><span class="muted">{_u(b.expanded_t)}</span></td>')
        rows.append(
            f'<tr class="{"lot" if i == 0 else ""}{flagged}">{head}<td>{_label(Y[basis])}</td>'
            f"{_figure_cell(b.entered.value_t, _expanded(b.entered, k))}{_figure_cell(b.out.value_t, _expanded(b.out, k))}"
            f"{_figure_cell(b.stock.held_t, k * b.stock.u_held_t)}<td>{_source(b.stock.source)}</td>"
            f'{difference}<td class="verdict">{_verdict("book_only" if book_only else b.verdict)}</td>{evidence}</tr>'
        )
    return "\n".join(rows)


def _run_rows(run: RunCheck, k: float) -> str:
    rows = []
    count = len(run.components) + 1 + (1 if run.integrity_events else 0)
    for i, c in enumerate(run.components):
        head = (f'<td rowspan="{count}"><b>{html.escape(run.run)}</b><br><span class="muted">{_label(S["entry"])} #{run.entry.number}<br>'
                f'{_label(Y["recipe"])}: {html.escape(run.recipe)} {html.escape(run.recipe_version)}<br>'
                f'{_label(S["run_end"])} {_times(run.end, run.recorded)}</span></td>'
                if i == 0 else "")
        verdict = V["off_recipe"] if c["off_recipe"] else V["on_recipe"]
        rows.append(
            f'<tr class="{"lot" if i == 0 else ""}{" flagged" if c["off_recipe"] else ""}">{head}<td>{_label(Y["component"])}: {html.escape(c["lot"])}'
            f'<br><span class="muted">{html.escape(c["scale"])}</span></td>'
            f'<td class="figure">{_t(c["wet_t"])}<br><span class="muted">{_u(k * c["u_wet_t"])}</span></td>'
            f'<td class="figure">{_pct(c["target_pct"])}<br><span class="muted">± {_pp(c["tolerance_pp"])}</span></td>'
            f'<td class="figure">{_pct(c["share_pct"])}</td><td class="figure">{_deviation(c)}</td>'
            f'<td class="verdict">{_label(verdict)}</td></tr>'
        )
    flagged = " flagged" if run.product_verdict != "consistent" else ""
    rows.append(
        f'<tr class="{flagged}"><td>{_label(Y["product"])}<br><span class="muted">Σ {_t(run.sum_components_t)}</span></td>'
        f'<td class="figure">{_t(run.product_t)}<br><span class="muted">{_u(k * run.u_product_t)}</span></td>'
        f'<td colspan="2">{_label(S["product_minus_components"])}</td>'
        f'<td class="figure">{_t(run.product_minus_sum_t, signed=True)}<br><span class="muted">{_u(run.expanded_t)}</span></td>'
        f'<td class="verdict">{_verdict(run.product_verdict)}</td></tr>'
    )
    if run.integrity_events:
        events = "".join(f'<li>{html.escape(integrity_text(e))}: <span class="as-written">{html.escape(str(e.get("message") or ""))}</span></li>'
                         for e in run.integrity_events)
        rows.append(f'<tr class="flagged integrity"><td colspan="5">{_label(S["integrity_events"])}<ul>{events}</ul></td>'
                    f'<td class="verdict">{_verdict("integrity_events")}</td></tr>')
    return "\n".join(rows)


def _outbound_rows(balance: YardBalance, k: float) -> str:
    rows = []
    for o in balance.outbound:
        rows.append(
            f'<tr><td><b>{html.escape(o["lot"])}</b><br><span class="muted">{_label(S["entry"])} #{o["entry"]["entry"]}</span></td>'
            f'<td>{html.escape(o["product"])}</td><td>{html.escape(o["declaration"])}<br><span class="muted as-written">{html.escape(o["destination"])}</span></td>'
            f'<td>{_method(o["method"])}</td>'
            f'{_figure_cell(o["wet_t"], k * o["u_wet_t"])}<td class="figure">{_pct(o["moisture_pct"])}</td>{_figure_cell(o["dry_t"], k * o["u_dry_t"])}'
            f'<td class="hash">{html.escape(", ".join(o["runs"]))}</td></tr>'
        )
    return "\n".join(rows)


def _period_rows(balance: YardBalance, k: float) -> str:
    wet, dry = balance.wet, balance.dry
    lines: list[tuple[Label, float, float, float, float, bool]] = [
        (Y["opening_stock"], wet.opening.value_t, _expanded(wet.opening, k), dry.opening.value_t, _expanded(dry.opening, k), False),
        (Y["entered"], wet.entered.value_t, _expanded(wet.entered, k), dry.entered.value_t, _expanded(dry.entered, k), False),
        ((f'{Y["shipped"][0]} / {Y["transferred"][0]}', f'{Y["shipped"][1]}／{Y["transferred"][1]}'), wet.out.value_t, _expanded(wet.out, k), dry.out.value_t, _expanded(dry.out, k), False),
        (Y["closing_stock"], wet.stock.term.value_t, _expanded(wet.stock.term, k), dry.stock.term.value_t, _expanded(dry.stock.term, k), False),
        (Y["difference"], wet.difference_t, wet.expanded_t, dry.difference_t, dry.expanded_t, True),
    ]
    rows = [
        f'<tr><td>{_label(label)}</td><td class="figure">{_t(w, signed=signed)}<br><span class="muted">{_u(uw)}</span></td>'
        f'<td class="figure">{_t(d, signed=signed)}<br><span class="muted">{_u(ud)}</span></td></tr>'
        for label, w, uw, d, ud, signed in lines
    ]
    rows.append(f'<tr><td>{_label(T["verdict"])}</td><td class="verdict">{_verdict(wet.verdict)}</td><td class="verdict">{_verdict(dry.verdict)}</td></tr>')
    return "\n".join(rows)


def _void_rows(voids: tuple[VoidRecord, ...]) -> str:
    if not voids:
        return f'<tr><td colspan="7">{_label(S["no_voids"])}</td></tr>'
    return "\n".join(
        f'<tr class="flagged"><td class="hash">#{v.void.number} {html.escape(v.void.hash)}</td>'
        f'<td class="hash">#{v.voided.number} {html.escape(v.voided.hash)}</td>'
        f'<td>{html.escape(v.voided_kind or "—")}</td><td>{html.escape(v.subject)}</td>'
        f'<td class="as-written">{html.escape(v.why)}</td><td class="as-written">{html.escape(v.actor)}</td>'
        f'<td>{_times(v.time, v.recorded)}</td></tr>'
        for v in voids
    )


def _late_rows(balance: YardBalance) -> str:
    if not balance.late:
        return f'<tr><td colspan="6">{_label(S["no_late"])}</td></tr>'
    return "\n".join(
        f'<tr class="flagged"><td class="hash">#{e.entry.number} {html.escape(e.entry.hash)}</td><td>{html.escape(e.kind)}</td>'
        f'<td>{html.escape(e.subject)}{"<br>" + _label(S["voided_mark"]) if e.voided else ""}</td>'
        f'<td class="as-written">{html.escape(e.actor)}</td><td>{html.escape(iso_time(e.time))}</td><td>{html.escape(iso_time(e.recorded))}</td></tr>'
        for e in balance.late
    )


def _flag_rows(balance: YardBalance) -> str:
    if not balance.flags:
        return f'<tr><td colspan="4">{_label(S["no_flags"])}</td></tr>'
    rows = []
    for flag in balance.flags:
        label = S["water"] if flag.kind == "water" else V["drifted"] if flag.kind == "scale_drift" else V.get(flag.kind, (flag.kind, ""))
        evidence = "<br>".join(f"#{e.number} {html.escape(e.hash)}" for e in flag.evidence)
        rows.append(f'<tr class="flagged"><td class="verdict">{_label(label)}</td><td>{html.escape(flag.subject)}</td>'
                    f'<td class="muted">{html.escape(flag.detail)}</td><td class="hash">{evidence}</td></tr>')
    return "\n".join(rows)


def yard_statement_html(ledger: YardLedger, rule: BalanceRule, start: datetime, end: datetime, *, yard: str,
                        issued: datetime | None = None, site_key: Ed25519PublicKey | None = None) -> str:
    """The yard statement for the period [start, end) as one HTML page.

    Parameters
    ----------
    ledger
        The yard ledger; it is verified first (a statement is never drawn from a ledger that does not verify).
    rule
        The yard balance rule (bulkdaq/yard/balance_rule.py); its name and version are printed.
    start, end
        The period, with time zones.
    yard
        The yard's name as the statement prints it.
    issued
        When the statement is issued (default: now, UTC).
    site_key
        The site's public key, when the issuer has it apart from the ledger: the ledger must then be signed
        by that key (`YardLedger.verify`).

    Raises
    ------
    bulkdaq.yard.ledger.LedgerAltered
        The ledger does not verify.
    """
    ledger.verify(site_key)
    state, entries = ledger.state(), ledger.entries()
    balance = yard_balance(state, rule, start, end, entries=entries)
    head = ledger.head()
    k = rule.coverage_factor
    fingerprint = ledger.key_fingerprint
    particulars = [
        (*Y["yard"], yard),
        (*Y["period"], f"{iso_time(start)} – {iso_time(end)} (UTC)"),
        (*Y["rule"], f"{rule.name} {rule.version}"),
        (*S["coverage_factor"], number_text(k, 1)),
        (*S["ledger_key"], fingerprint or S["ledger_unsigned"][0] + " " + S["ledger_unsigned"][1]),
        (*S["head_entry"], f"#{head.number} {head.hash}" if head else "—"),
        (*T["issued"], iso_time(issued or datetime.now(timezone.utc))),
    ]
    overall = "balanced" if balance.dry.verdict == "balanced" and not [f for f in balance.flags if f.kind != "water"] else "flagged-box"
    body = f"""
<h1>{_label(glossary.YARD_STATEMENT)}</h1>
<p class="note">{_label(glossary.YARD_STATEMENT_NOTE)}</p>
<table class="particulars">
{particulars_rows(particulars)}
</table>
<p><span class="verdict-box {overall}">{_label(S["period_balance"])} ({_label(Y["dry"])}): {_verdict(balance.dry.verdict)}</span></p>

<h2>{_label(S["lots"])}</h2>
<table class="lots">
{_th(Y["lot"], Y["origin"], Y["brand"], Y["declaration"], T["basis"], Y["entered"], S["drawn"], Y["stock"], S["stock_from"], Y["difference"], T["verdict"], S["evidence_entries"])}
{"".join(_lot_rows(p, k) for p in balance.piles)}
</table>
<p class="muted">{_label(S["expanded"])}</p>

<h2>{_label(S["runs"])}</h2>
<table class="runs">
{_th(Y["blending_run"], Y["component"], T["quantity"], Y["target_share"], Y["achieved_share"], S["deviation"], T["verdict"])}
{"".join(_run_rows(r, k) for r in balance.runs)}
</table>

<h2>{_label(S["outbound_lots"])}</h2>
<table class="outbound">
{_th(Y["outbound_lot"], Y["product"], Y["declaration"], S["method"], Y["wet"], Y["moisture"], Y["dry"], Y["blending_run"])}
{_outbound_rows(balance, k)}
</table>

<h2>{_label(S["period_balance"])}</h2>
<table class="period">
{_th("", Y["wet"], Y["dry"])}
{_period_rows(balance, k)}
</table>
<p class="muted">{_label(Y["rule"])}: {html.escape(rule.name)} {html.escape(rule.version)}; <span class="as-written">{html.escape(rule.source)}</span></p>

<h2>{_label(S["voided_entries"])}</h2>
<p class="muted">{_label(S["voided_entries_note"])}</p>
<table class="voids">
{_th(S["void_entry"], S["voided_entry"], S["entry_kind"], S["subject"], S["why"], S["actor"], S["entry_time"])}
{_void_rows(void_records(state, entries))}
</table>

<h2>{_label(S["recorded_late"])}</h2>
<p class="muted">{_label(S["recorded_late_note"])}</p>
<table class="late">
{_th(S["entry"], S["entry_kind"], S["subject"], S["actor"], S["entry_time"], S["recorded"])}
{_late_rows(balance)}
</table>

<h2>{_label(S["flags"])}</h2>
<table class="flags">
{_th(T["verdict"], S["subject"], S["finding"], S["evidence_entries"])}
{_flag_rows(balance)}
</table>
"""
    signatories = [glossary.SIGNATORIES["terminal"], glossary.SIGNATORIES["customs"]]
    title = f"{glossary.YARD_STATEMENT[0]} {yard} {iso_time(start)} – {iso_time(end)} — {glossary.YARD_STATEMENT[1]}"
    return page(title, body, orientation="landscape", font_size="9pt", style=_STYLE, signatories=signatories)


def write_yard_statement(path: str | Path, ledger: YardLedger, rule: BalanceRule, start: datetime, end: datetime, *, yard: str,
                         issued: datetime | None = None, site_key: Ed25519PublicKey | None = None) -> Path:
    """Write the statement to `path` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(yard_statement_html(ledger, rule, start, end, yard=yard, issued=issued, site_key=site_key), encoding="utf-8")
    return path


__all__ = ["write_yard_statement", "yard_statement_html"]
