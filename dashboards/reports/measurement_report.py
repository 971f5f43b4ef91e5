"""The terminal's measurement report for customs verification (码头计量报告（供海关核查）): printable HTML
with every figure behind the verdict.

It is what the terminal measured, for the customs officer to verify — not the weight certificate
(重量鉴定证书) that an inspection body issues — and it says so, and it is marked PROVISIONAL (临时) until
the shipment is released. It shows the ship's call (vessel, IMO number, voyage, port, berth) and a
document number; declared (申报) vs measured (实测) with each method's expanded uncertainty (k = 2, from the
rule set) and the quantity in air and in vacuum; each method's figure with its intermediate values; the
reconciliation (核对) table with the rule each comparison applied; the verdict; the clearance history with
event numbers, local time (the site's zone) beside UTC and each event's signature; the site key's
fingerprint and the evidence hashes. Built from the shipment registry only: what the report shows is what
the registry's hash-chained, signed events rest on.

Every label comes from the glossary (bulkdaq/wording/glossary.py) and every figure is written by
bulkdaq/wording/figure_format.py at the decimals of its policy, with its unit. Only the standard library
renders it (string.Template, html.escape), as for the draft survey report, whose page
(dashboards/reports/report_html.py) it shares.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from decimal import Decimal
from pathlib import Path
from string import Template
from typing import Any
from zoneinfo import ZoneInfo

from bulkdaq.errors import BulkdaqError
from bulkdaq.observations.observation_evidence import DRAFT_OBSERVATIONS
from bulkdaq.shipments.model import MethodFigure, Shipment, quantity_decimals, shown_policy
from bulkdaq.shipments.registry import Event, ShipmentRegistry
from bulkdaq.shipments.tolerance_rules import applied_uncertainty_pct
from bulkdaq.wording import glossary
from bulkdaq.wording.figure_format import PERCENT_DECIMALS, figure_text, number_text, percent_text, unit_symbol
from bulkdaq.wording.glossary import TERMS, both
from calculators.petroleum.measurement_policy import MeasurementPolicy
from dashboards.reports.observation_tables import FRAMES_IN_HISTORY, observations_html
from dashboards.reports.report_html import bilingual, page, particulars_rows, zh

RECONCILIATION = "reconciliation"
FIGURES = "figures"
RULE_SET = "rule_set"
METER_TICKETS = "meter_tickets"
# Kept for callers of the former names; the labels are the glossary's.
METHOD_LABELS = glossary.METHODS
STATE_LABELS = {state: chinese for state, (_, chinese) in glossary.STATES.items()}
VERDICT_LABELS = glossary.VERDICTS
# Which ticket figure is the quantity in vacuum and in air, per ticket kind.
VACUUM_KEYS = ("net_mass_t", "mass_t")
AIR_KEY = "weight_in_air_t"
NSV_KEY = "nsv_m3"


class NotReconciled(BulkdaqError, ValueError):
    """A measurement report needs the shipment's reconciliation."""


@dataclass(frozen=True)
class CertificateData:
    """Everything the measurement report prints, read from the registry."""

    shipment: Shipment
    state: str
    events: tuple[Event, ...]
    figures: tuple[MethodFigure, ...]
    reconciliation: dict[str, Any]
    reconciliation_hash: str
    evidence_hash: str  # the newest event's hash: it chains every earlier event and their evidence
    rule_set: dict[str, Any] | None = None  # the rule set document the reconciliation applied
    meter_tickets: dict[str, Any] | None = None  # the final meter tickets (every figure with its decimals)
    key_fingerprint: str | None = None  # the site key the history is signed with (None: unsigned)
    time_zone: str | None = None  # the site's IANA time zone (None: not configured)
    draft_observations: dict[str, Any] | None = None  # the observations behind an observed draft survey

    @property
    def verdict(self) -> str:
        return str(self.reconciliation["verdict"])

    @property
    def released(self) -> Event | None:
        """The release event, once the shipment is released."""
        return next((e for e in self.events if e.to_state == "released"), None)

    @property
    def provisional(self) -> bool:
        """Until the shipment is released the report is provisional: figures and verdict may still change."""
        return self.released is None

    @property
    def document_number(self) -> str:
        """Shipment, number of the newest event, first 8 hex digits of its hash: names the exact history shown."""
        return f"{self.shipment.id}-{self.events[-1].number:02d}-{self.evidence_hash[:8].upper()}"


def certificate_data(registry: ShipmentRegistry, shipment_id: str, time_zone: str | None = None) -> CertificateData:
    """Everything the report prints, from the registry, after checking the history is intact.

    Parameters
    ----------
    registry : ShipmentRegistry
    shipment_id : str
    time_zone : str, optional
        The site's IANA time zone (``[site] time_zone``): times are shown in it beside UTC.

    Raises
    ------
    NotReconciled
        The shipment has not been reconciled yet.
    bulkdaq.shipments.registry.HistoryAltered
        The history no longer matches its hashes.
    """
    registry.verify_history(shipment_id)
    shipment = registry.shipment(shipment_id)
    events = registry.events(shipment_id)
    found = registry.latest_evidence(shipment_id, RECONCILIATION)
    if found is None:
        raise NotReconciled(
            f"shipment {shipment_id} is '{events[-1].to_state}'; a measurement report needs it reconciled first (bulkdaq shipment reconcile)"
        )
    recorded = registry.latest_evidence(shipment_id, FIGURES)
    figures = () if recorded is None else tuple(MethodFigure.model_validate(f) for f in recorded[1].body["figures"])
    rules = registry.latest_evidence(shipment_id, RULE_SET)
    tickets = registry.latest_evidence(shipment_id, METER_TICKETS)
    observations = registry.latest_evidence(shipment_id, DRAFT_OBSERVATIONS)
    if time_zone is not None:
        ZoneInfo(time_zone)  # an unknown name fails here, not half-way through rendering
    return CertificateData(
        shipment, events[-1].to_state, tuple(events), figures, found[1].body, found[1].hash, events[-1].hash,
        None if rules is None else rules[1].body, None if tickets is None else tickets[1].body, registry.key_fingerprint, time_zone,
        None if observations is None else observations[1].body,
    )


_STYLE = """
  td.figure { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  td.figure .muted { white-space: normal; display: inline-block; max-width: 24em; text-align: left; }
  tr.section td { background: #e8ecf2; font-weight: bold; }
  tr.outside td { color: #8a1c00; font-weight: bold; }
  tr.primary td { font-weight: bold; }
  .zh { display: inline; margin-left: .4em; color: #333; }
  h1 .zh { color: #111; }
  .status { font-size: 13pt; font-weight: bold; padding: .3em .6em; border: 3px solid; display: inline-block; margin: .3em 0; }
  .provisional { color: #8a1c00; border-color: #8a1c00; }
  .final { color: #0b5d1e; border-color: #0b5d1e; }
  .verdict { font-size: 12pt; font-weight: bold; padding: .4em .6em; border: 2px solid; display: inline-block; }
  .verified { color: #0b5d1e; border-color: #0b5d1e; }
  .discrepancy { color: #8a1c00; border-color: #8a1c00; }
  .hash { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 8.5pt; word-break: break-all; }
  .muted { color: #555; font-size: 8.5pt; }
  .note { font-size: 9pt; margin: .2em 0 .6em 0; }
  table.particulars td.label { color: #333; white-space: nowrap; }
  td.source { overflow-wrap: anywhere; font-size: 9pt; }
  th.item { width: 22%; }
  th.quantity { white-space: nowrap; }
  table.particulars td { padding-right: 10px; }
  td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
"""
_BODY = Template(
    """
<h1>$title</h1>
<p><span class="status $status_class">$status</span> <span class="note">$status_note</span></p>
<p class="note">$note</p>
<table class="particulars">$particulars</table>

<h2>$quantities_title</h2>
<table>
<thead><tr><th class="item">$item</th><th class="quantity">$quantity<br><span class="muted">$basis</span></th><th>$uncertainty</th><th>$source</th></tr></thead>
<tbody>$summary</tbody>
</table>
<p class="muted">$uncertainty_note</p>
<table>
<tbody>$air_vacuum</tbody>
</table>

<h2>$figures_title</h2>
<table>
<thead><tr><th>$item</th><th>$value</th><th>$unit</th></tr></thead>
<tbody>$figures</tbody>
</table>

$observations

<h2>$reconciliation_title</h2>
<table>
<thead><tr><th>$comparison</th><th>$first</th><th>$reference</th><th>$difference</th><th>$difference_pct</th><th>$limit</th>
<th>$rule</th><th>$result</th></tr></thead>
<tbody>$reconciliation</tbody>
</table>
$not_compared

<h2>$verdict_title</h2>
<p><span class="verdict $verdict_class">$verdict</span></p>
$resolution
<p>$release_label: $release</p>

<h2>$history_title</h2>
<table>
<thead><tr><th>#</th><th>$local_time_head</th><th>$utc_head</th><th>$state_head</th><th>$actor_head</th><th>$reason_head</th><th>$signed_head</th></tr></thead>
<tbody>$history</tbody>
</table>

<h2>$evidence_title</h2>
<table class="particulars">
<tr><td class="label">$fingerprint_label</td><td class="hash">$fingerprint</td></tr>
<tr><td class="label">$evidence_hash_label</td><td class="hash">$evidence_hash</td></tr>
<tr><td class="label">$reconciliation_hash_label</td><td class="hash">$reconciliation_hash</td></tr>
<tr><td class="label">$rule_set_label</td><td>$rule_set</td></tr>
</table>
<p class="muted">SHA-256 of the canonical JSON (sorted keys, UTF-8) of each record; the history was recomputed and found intact
when this report was generated <span class="zh">生成时已校验记录完整</span>. $signing_note
Document number = shipment, newest event number and the first 8 hex digits of its hash.
Generated <span class="zh">生成时间</span> $generated</p>
"""
)
SIGNATORIES = tuple(glossary.SIGNATORIES[key] for key in ("terminal", "surveyor", "customs"))


class _Clock:
    """Times as the report prints them: local (the site's zone) beside UTC."""

    def __init__(self, time_zone: str | None) -> None:
        self.name = time_zone
        self.zone: tzinfo | None = None if time_zone is None else ZoneInfo(time_zone)

    def local(self, moment: datetime) -> str:
        if self.zone is None:
            return "—"
        shown = _aware(moment).astimezone(self.zone)
        return f"{shown:%Y-%m-%d %H:%M:%S} {_offset(shown).removeprefix('UTC')}"

    @staticmethod
    def utc(moment: datetime) -> str:
        return f"{_aware(moment).astimezone(timezone.utc):%Y-%m-%d %H:%M:%S}"

    def both(self, moment: datetime) -> str:
        if self.zone is None:
            return f"{self.utc(moment)} UTC"
        return f"{self.local(moment)} ({self.utc(moment)} UTC)"

    def zone_text(self, at: datetime) -> str:
        if self.zone is None:
            return "not configured: times in UTC only ([site] time_zone) 未配置"
        return f"{self.name} ({_offset(_aware(at).astimezone(self.zone))})"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset()
    minutes = 0 if offset is None else int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _label(key: str) -> str:
    return bilingual(*TERMS[key])


def _detail_text(value: float | str, unit: str, policy: MeasurementPolicy, decimals: int | None = None) -> str:
    if isinstance(value, str):
        return html.escape(value)
    return html.escape(number_text(value, policy.shown_decimals(unit, decimals)))


def _unit_text(unit: str) -> str:
    return html.escape(unit_symbol(unit))


def _meter_rows(figure: MethodFigure, tickets: dict[str, Any], policy: MeasurementPolicy) -> list[str]:
    """Every figure of each run's final meter ticket, in the order of the calculation (the meters' figure
    lists them so), each at the decimals the ticket rounded it to (the ticket document records them)."""
    runs: dict[str, tuple[dict[str, Any], MeasurementPolicy, dict[str, int | None]]] = {}
    for run in tickets.get("meters", []):
        ticket = run["ticket"]
        recorded = ticket["policy"]
        ticket_policy = MeasurementPolicy(
            recorded["edition"], recorded["base"], recorded["rounding"],
            recorded.get("volume_decimals", policy.volume_decimals), recorded.get("mass_decimals", policy.mass_decimals),
        )
        runs[run["meter"]] = (ticket, ticket_policy, {f["label"]: f["decimals"] for f in ticket["figures"].values()})
    rows: list[str] = []
    current = None
    for label, value, unit in figure.details:
        meter, _, name = label.partition(": ")
        ticket, ticket_policy, decimals = runs.get(meter, ({}, policy, {}))
        if meter != current and ticket:
            current = meter
            kind = {"coriolis": "Coriolis mass ticket", "meter": "meter ticket"}.get(ticket["kind"], f"{ticket['kind']} ticket")
            rows.append(f'<tr><td colspan="3"><b>{html.escape(meter)}</b> — {html.escape(kind)}, group {html.escape(str(ticket["group"]))}</td></tr>')
        rows.append(_detail_row(label, value, unit, ticket_policy, decimals.get(name)))
    return rows


def _detail_row(label: str, value: float | str, unit: str, policy: MeasurementPolicy, decimals: int | None = None) -> str:
    """One intermediate value: a figure with its unit, or a note (text) across the row."""
    if isinstance(value, str):
        css = ' class="outside"' if label.endswith("flag") else ' class="warning"' if "warning" in label else ""
        return f'<tr{css}><td colspan="3">{html.escape(label)}: {html.escape(value)}</td></tr>'
    return f'<tr><td>{html.escape(label)}</td><td class="figure">{_detail_text(value, unit, policy, decimals)}</td><td>{_unit_text(unit)}</td></tr>'


def _ticket_sum(tickets: dict[str, Any], keys: tuple[str, ...]) -> Decimal | None:
    """Σ over the runs of the first of `keys` each ticket has (decimal-exact), or None if a run has none."""
    total = Decimal(0)
    for run in tickets.get("meters", []):
        figures = run["ticket"]["figures"]
        key = next((k for k in keys if k in figures), None)
        if key is None:
            return None
        total += Decimal(repr(float(figures[key]["value"])))
    return total


def render_certificate(data: CertificateData, generated: datetime | None = None) -> str:
    """The measurement report as one self-contained HTML page (no scripts, no external files)."""
    generated = generated or datetime.now(timezone.utc)
    clock = _Clock(data.time_zone)
    shipment = data.shipment
    english_basis, chinese_basis = glossary.BASES[shipment.declared.basis]
    unit = shipment.declared.unit
    decimals = quantity_decimals(shipment)
    policy = shown_policy(shipment)

    def q(value: float, *, signed: bool = False) -> str:
        return figure_text(value, unit, decimals, signed=signed)

    operation = glossary.DIRECTION_OPERATION[shipment.direction]
    vessel = shipment.assets.vessel or "—"
    call = [
        (*TERMS["document_number"], data.document_number),
        (*TERMS["status"], both(glossary.PROVISIONAL) if data.provisional else both(glossary.FINAL)),
        (*TERMS["shipment"], shipment.id),
        (*TERMS["state"], both(glossary.state_label(data.state))),
        (*TERMS["declaration"], shipment.declaration),
        (*TERMS["bill_of_lading"], shipment.bill_of_lading),
        (*TERMS["direction"], f"{both(glossary.DIRECTIONS[shipment.direction])} · {both(glossary.OPERATIONS[operation])}"),
        (*TERMS["product"], shipment.product),
        (*TERMS["vessel"], vessel),
        (*TERMS["imo_number"], f"IMO {shipment.imo_number}" if shipment.imo_number else "—"),
        (*TERMS["voyage"], shipment.voyage or "—"),
        (*TERMS["port"], shipment.port or "—"),
        (*TERMS["berth"], shipment.berth or "—"),
        (*TERMS["terminal"], shipment.site),
        (*TERMS["time_zone"], clock.zone_text(generated)),
        (*TERMS["issued"], clock.both(generated)),
        (*TERMS["methods"], " · ".join(both(glossary.METHODS[m]) for m in shipment.methods)),
        (*TERMS["tolerance_rules"], f"{data.reconciliation['rule_set']} version {data.reconciliation['version']}"),
    ]
    if shipment.metering is not None:
        call.append((*TERMS["metering_policy"], shipment.metering.policy.policy().method()))

    # -- quantities: declared, each method with its expanded uncertainty ----------------------------
    rule_set_name = f"{data.reconciliation['rule_set']} {data.reconciliation['version']}"

    def uncertainty_cell(method: str, value: float, own_pct: float | None = None) -> str:
        u = applied_uncertainty_pct(method, own_pct, data.rule_set or {})
        if u is None:
            return f'<td class="muted">not stated in rule set {html.escape(rule_set_name)} 规则未给出</td>'
        if own_pct is None:
            how = f"{html.escape(rule_set_name)}: uncertainty_pct.{html.escape(method)}"
        else:
            rest = (data.rule_set or {}).get("unpropagated_uncertainty_pct", {}).get(method)
            how = (
                f"√(own {html.escape(percent_text(own_pct))}² + {html.escape(percent_text(rest))}²): marks and dock density from the observations (GUM), "
                f"the rest of the method from {html.escape(rule_set_name)}: unpropagated_uncertainty_pct.{html.escape(method)}"
                if rest is not None
                else f"the larger of own {html.escape(percent_text(own_pct))} (marks and dock density, GUM) and {html.escape(rule_set_name)}: uncertainty_pct.{html.escape(method)}"
            )
        return (f'<td class="figure">± {html.escape(q(value * u / 100.0))} ({html.escape(percent_text(u))})'
                f'<br><span class="muted">{how}</span></td>')

    summary = [
        f"<tr><td>{bilingual(*TERMS['declared'])}</td><td class=\"figure\">{html.escape(q(shipment.declared.quantity))}</td>"
        f"<td class=\"muted\">—</td><td class=\"source\">{html.escape(shipment.declaration)}</td></tr>"
    ]
    for figure in data.figures:
        en, chinese = glossary.METHODS[figure.method]
        primary = figure.method == shipment.primary_method
        label = bilingual(en, chinese) + (f" — {bilingual(*TERMS['measured'])}" if primary else "")
        css = ' class="primary"' if primary else ""
        summary.append(
            f"<tr{css}><td>{label}</td><td class=\"figure\">{html.escape(q(figure.value))}</td>"
            f"{uncertainty_cell(figure.method, figure.value, figure.uncertainty_pct)}<td class=\"source\">{html.escape(figure.source)}</td></tr>"
        )
    rule_source = (data.rule_set or {}).get("source")
    uncertainty_note = (
        f"U: each method's expanded uncertainty (coverage factor k = 2, about 95 %), the percentage stated for it in the rule set "
        f"{html.escape(rule_set_name)} ([uncertainty_pct]) that the reconciliation applied, times the method's figure; for a figure "
        f"that carries its own (a draft survey from observed marks), its own combined with the rule set's [unpropagated_uncertainty_pct]"
        + (f"; rule set source: {html.escape(rule_source)}" if rule_source else "")
        + ". 扩展不确定度取自核对所用允差规则。"
    )

    air_vacuum = _air_and_vacuum(data, shipment, q)

    # -- each method's intermediate values ----------------------------------------------------------
    figure_rows = []
    for figure in data.figures:
        en, chinese = glossary.METHODS[figure.method]
        figure_rows.append(f'<tr class="section"><td colspan="3">{bilingual(en, chinese)}: {html.escape(q(figure.value))}</td></tr>')
        if figure.method == "meters" and data.meter_tickets:
            figure_rows += _meter_rows(figure, data.meter_tickets, policy)
        else:
            figure_rows += [_detail_row(label, value, figure_unit, policy) for label, value, figure_unit in figure.details]
        if not figure.details:
            figure_rows.append(f'<tr><td colspan="3" class="muted">{html.escape(both(TERMS["no_details"]))}</td></tr>')
    observed = data.draft_observations
    observations = "" if observed is None else observations_html(observed["sessions"], observed["uncertainty"], FRAMES_IN_HISTORY)

    # -- reconciliation --------------------------------------------------------------------------------
    reconciliation_rows = []
    for c in data.reconciliation["comparisons"]:
        rule = c["rule"]
        # the applied limit at the percent decimals; the configured value as the rule file writes it
        configured = f'<span class="as-written">{html.escape(rule["value"])}</span>'
        limit = html.escape(percent_text(rule["limit_pct"]))
        if rule["uncertainty_pct"]:
            u1, u2 = rule["uncertainty_pct"]
            rss = (u1 * u1 + u2 * u2) ** 0.5
            rss_text = html.escape(f"RSS √({number_text(u1, PERCENT_DECIMALS)}² + {number_text(u2, PERCENT_DECIMALS)}²) = {percent_text(rss)}")
            limit += f" = wider of fixed {configured} and {rss_text}" if rule["band"] == "wider" else f" = {rss_text}"
        elif rule["value"] != percent_text(rule["limit_pct"]):
            limit += f" (configured {configured})"
        if rule["sense"] == "short":
            limit += f"; {html.escape(both(glossary.SHORT_ONLY))}"
        result = both(glossary.WITHIN) if c["within"] else both(glossary.OUTSIDE)
        css = "" if c["within"] else ' class="outside"'
        first_en, first_zh = glossary.METHODS[c["first"]]
        second_en, second_zh = glossary.METHODS[c["second"]]
        reconciliation_rows.append(
            f"<tr{css}><td>{bilingual(first_en, first_zh)} − {bilingual(second_en, second_zh)}</td>"
            f'<td class="figure">{html.escape(q(c["first_value"]))}</td><td class="figure">{html.escape(q(c["second_value"]))}</td>'
            f'<td class="figure">{html.escape(q(c["difference"], signed=True))}</td>'
            f'<td class="figure">{html.escape(percent_text(c["difference_pct"], signed=True))}</td>'
            f"<td>{limit}</td><td>{html.escape(rule['name'])}<br><span class=\"muted\">{html.escape(rule['source'])} · "
            f"{html.escape(rule['rule_set'])} {html.escape(rule['version'])}</span></td><td>{html.escape(result)}</td></tr>"
        )
    not_compared = ""
    if data.reconciliation.get("not_compared"):
        items = "".join(f"<li>{html.escape(a)} − {html.escape(b)}: {html.escape(why)}</li>" for a, b, why in data.reconciliation["not_compared"])
        not_compared = f"<p>{_label('not_compared')}:</p><ul>{items}</ul>"

    verdict_en, verdict_zh = glossary.VERDICTS[data.verdict]
    resolution = ""
    resolved = [e for e in data.events if e.to_state in ("investigating", "resolved")]
    if resolved:
        resolution = "<ul>" + "".join(
            f"<li>#{e.number} {html.escape(both(glossary.state_label(e.to_state)))} — {html.escape(e.actor)}, {html.escape(clock.both(e.time))}: "
            f"<span class=\"reason\">{html.escape(e.reason)}</span></li>"
            for e in resolved
        ) + "</ul>"
    released = data.released
    release = (
        f"{html.escape(both(glossary.STATES['released']))} — #{released.number}, {html.escape(released.actor)}, {html.escape(clock.both(released.time))}"
        if released else html.escape(both(TERMS["not_released"]))
    )
    signed = "✓" if data.key_fingerprint else "—"

    def signature_cell(e: Event) -> str:
        if e.signer is not None:  # an officer's decision, signed with the officer's own key (the registry checked it)
            return f"✓ <span class=\"muted\">officer key 关员密钥 {html.escape(e.signer[:16])}…</span>" if e.signature else "—"
        return signed if e.signature else "—"

    history = "\n".join(
        f"<tr><td>{e.number}</td><td class=\"time\">{html.escape(clock.local(e.time))}</td><td class=\"time\">{html.escape(clock.utc(e.time))}</td>"
        f"<td>{bilingual(*glossary.state_label(e.to_state))}</td><td>{html.escape(e.actor)}</td><td class=\"reason\">{html.escape(e.reason)}</td>"
        f"<td>{signature_cell(e)}</td></tr>"
        for e in data.events
    )
    officer_note = ""
    officer_keys = sorted({(e.actor, e.signer) for e in data.events if e.signer is not None})
    if officer_keys:
        listed = "; ".join(f"{html.escape(actor)}: {html.escape(signer)}" for actor, signer in officer_keys)
        officer_note = (" An officer's decision marked ✓ with an officer key is signed (Ed25519) with that officer's own key, registered "
                        f"with the registry, not with the site key ({listed}). 关员决定以关员本人密钥签名。")
    if data.key_fingerprint:
        which = "Every event marked ✓ without an officer key" if officer_keys else "Every event marked ✓"
        signing_note = (f"{which} is signed (Ed25519) with the site key whose fingerprint is shown; the officer checks it against "
                        "the fingerprint the terminal registered. 每条记录均以站点密钥签名。") + officer_note
        fingerprint = html.escape(data.key_fingerprint)
    else:
        signing_note = "The history is not signed: the registry was written without the site key. 记录未签名。" + officer_note
        fingerprint = "— history not signed 记录未签名"

    title_en, title_zh = glossary.MEASUREMENT_REPORT
    status_label = glossary.PROVISIONAL if data.provisional else glossary.FINAL
    status_note = glossary.PROVISIONAL_NOTE if data.provisional else glossary.FINAL_NOTE
    body = _BODY.substitute(
        title=f"{html.escape(title_en)} {zh(title_zh)}",
        status_class="provisional" if data.provisional else "final",
        status=bilingual(*status_label),
        status_note=bilingual(*status_note) + ("" if data.provisional else f" — {release}"),
        note=bilingual(*glossary.MEASUREMENT_REPORT_NOTE),
        particulars=particulars_rows(call, per_row=2),
        quantities_title=bilingual(*TERMS["quantities"]),
        item=_label("item"), quantity=_label("quantity"), uncertainty=_label("uncertainty"), source=_label("source"),
        basis=f"{html.escape(english_basis)} {zh(chinese_basis)}",
        summary="\n".join(summary),
        uncertainty_note=uncertainty_note,
        air_vacuum="\n".join(air_vacuum),
        figures_title=_label("method_figures"),
        value=_label("value"), unit=_label("unit"),
        figures="\n".join(figure_rows),
        observations=observations,
        reconciliation_title=_label("reconciliation"),
        comparison=_label("comparison"), first=_label("first"), reference=_label("reference"), difference=_label("difference"),
        difference_pct=_label("difference_pct"), limit=_label("limit"), rule=_label("rule"), result=_label("result"),
        reconciliation="\n".join(reconciliation_rows),
        not_compared=not_compared,
        verdict_title=_label("verdict"),
        verdict_class=data.verdict,
        verdict=f"{html.escape(verdict_en)} · {verdict_zh}",
        resolution=resolution,
        release_label=_label("release"),
        release=release,
        history_title=_label("history"),
        local_time_head=f"{_label('local_time')}<br><span class=\"muted\">{html.escape(clock.zone_text(generated))}</span>",
        utc_head=_label("utc"), state_head=_label("state"), actor_head=_label("actor"), reason_head=_label("reason"), signed_head=_label("signed"),
        history=history,
        evidence_title=_label("evidence"),
        fingerprint_label=_label("key_fingerprint"),
        fingerprint=fingerprint,
        evidence_hash_label=_label("evidence_hash"),
        evidence_hash=data.evidence_hash,
        reconciliation_hash_label=_label("reconciliation_hash"),
        reconciliation_hash=data.reconciliation_hash,
        rule_set_label=_label("rule_set"),
        rule_set=html.escape(rule_set_name),
        signing_note=signing_note,
        generated=html.escape(clock.both(generated)),
    )
    marker = f"{status_label[0]} {status_label[1]} — " if data.provisional else ""
    title = f"{marker}{title_en} {shipment.id} — {title_zh}"
    return page(title, body, orientation="portrait", font_size="10pt", style=_STYLE, signatories=SIGNATORIES)


def _air_and_vacuum(data: CertificateData, shipment: Shipment, q: Any) -> list[str]:
    """The measured quantity in air and in vacuum (and NSV for meters), or why one is not determined."""
    primary = shipment.primary_method
    figure = next((f for f in data.figures if f.method == primary), None)
    method = both(glossary.METHODS[primary])
    rows: list[tuple[str, str, str]] = []  # (label, quantity, how)
    if primary == "meters" and data.meter_tickets:
        tickets = data.meter_tickets
        policy = shown_policy(shipment)
        air = _ticket_sum(tickets, (AIR_KEY,))
        vacuum = _ticket_sum(tickets, VACUUM_KEYS)
        nsv = _ticket_sum(tickets, (NSV_KEY,))
        runs = ", ".join(run["meter"] for run in tickets.get("meters", []))
        for key, total, unit, how in (
            ("in_air", air, "t", "Σ weight in air of the meter tickets"),
            ("in_vacuum", vacuum, "t", "Σ net mass (in vacuum) of the meter tickets"),
            ("nsv", nsv, "m3", "Σ NSV of the meter tickets"),
        ):
            if total is not None:
                rows.append((_label(key), figure_text(total, unit, policy.shown_decimals(unit)), f"{method}: {how} ({runs})"))
    elif figure is not None:
        basis = shipment.declared.basis
        if basis == "t_air":
            rows.append((_label("in_air"), q(figure.value), f"{method}, declared basis"))
            rows.append((_label("in_vacuum"), both(TERMS["not_determined"]),
                         f"{method} gives weight in air; converting it to vacuum needs the cargo's density, which the shipment does not declare"))
        elif basis == "t_vacuum":
            rows.append((_label("in_vacuum"), q(figure.value), f"{method}, declared basis"))
            rows.append((_label("in_air"), both(TERMS["not_determined"]),
                         f"{method} gives mass in vacuum; converting it to air needs the cargo's density, which the shipment does not declare"))
    return [
        f'<tr><td>{label} — {bilingual(*TERMS["measured"])}</td><td class="figure">{html.escape(quantity)}</td><td class="muted">{html.escape(how)}</td></tr>'
        for label, quantity, how in rows
    ]


def write_certificate(data: CertificateData, path: str | Path) -> Path:
    """Write the measurement report HTML (UTF-8) to `path` and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_certificate(data), encoding="utf-8")
    return target


__all__ = ["CertificateData", "NotReconciled", "certificate_data", "render_certificate", "write_certificate"]
