"""The weight certificate (重量鉴定证书): printable HTML with every figure behind the verdict.

Shipment particulars, declared (申报) vs measured (计量), each method's figure with its intermediate
values, the reconciliation (核对) table with the rule each comparison applied, the verdict, the clearance
history and the evidence hashes, every label in English and Chinese. Built from the shipment registry
only: what the certificate shows is what the registry's hash-chained events rest on.

Only the standard library renders it (string.Template, html.escape), as for the draft survey report
(dashboards/survey_report.py), whose page (dashboards/report_html.py) it shares.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from string import Template
from typing import Any

from bulkdaq.shipment import BASIS_LABELS, MethodFigure, Shipment
from bulkdaq.shipment_registry import Event, ShipmentRegistry
from dashboards.report_html import bilingual, page, particulars_rows

METHOD_LABELS = {
    "meters": ("Flowmeters", "流量计"),
    "shore_tanks": ("Shore tanks", "岸罐"),
    "ship_figure": ("Ship's figure (VEF-adjusted)", "船舱计量（经船舶经验系数修正）"),
    "draft_survey": ("Draft survey", "水尺计重"),
    "belt_scale": ("Belt scale", "皮带秤"),
    "declared": ("Declared", "申报"),
}
STATE_LABELS = {
    "declared": "申报", "precheck": "预检", "loading": "装货中", "complete": "装货完成", "measured": "已计量",
    "reconciled": "已核对", "verified": "验证通过", "discrepancy": "差异", "investigating": "调查中",
    "resolved": "已解决", "certified": "已出证", "released": "放行", "blocked": "阻止",
}
VERDICT_LABELS = {"verified": ("Verified: every comparison within its limit", "验证通过：各项核对均在允差内"),
                  "discrepancy": ("Discrepancy: a comparison is outside its limit", "差异：有核对项超出允差")}
DIRECTION_LABELS = {"export": "export 出口", "import": "import 进口"}
RECONCILIATION = "reconciliation"
FIGURES = "figures"


class NotReconciled(ValueError):
    """A certificate needs the shipment's reconciliation."""


@dataclass(frozen=True)
class CertificateData:
    shipment: Shipment
    state: str
    events: tuple[Event, ...]
    figures: tuple[MethodFigure, ...]
    reconciliation: dict[str, Any]
    reconciliation_hash: str
    evidence_hash: str  # the newest event's hash: it chains every earlier event and their evidence

    @property
    def verdict(self) -> str:
        return str(self.reconciliation["verdict"])


def certificate_data(registry: ShipmentRegistry, shipment_id: str) -> CertificateData:
    """Everything the certificate prints, from the registry, after checking the history is intact.

    Raises
    ------
    NotReconciled
        The shipment has not been reconciled yet.
    bulkdaq.shipment_registry.HistoryAltered
        The history no longer matches its hashes.
    """
    registry.verify_history(shipment_id)
    shipment = registry.shipment(shipment_id)
    events = registry.events(shipment_id)
    found = registry.latest_evidence(shipment_id, RECONCILIATION)
    if found is None:
        raise NotReconciled(f"shipment {shipment_id} is '{events[-1].to_state}'; a weight certificate needs it reconciled first (bulkdaq shipment reconcile)")
    recorded = registry.latest_evidence(shipment_id, FIGURES)
    figures = () if recorded is None else tuple(MethodFigure.model_validate(f) for f in recorded[1].body["figures"])
    return CertificateData(shipment, events[-1].to_state, tuple(events), figures, found[1].body, found[1].hash, events[-1].hash)


_STYLE = """
  td.figure { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  tr.section td { background: #e8ecf2; font-weight: bold; }
  tr.outside td { color: #8a1c00; font-weight: bold; }
  .zh { display: inline; margin-left: .4em; color: #333; }
  .verdict { font-size: 13pt; font-weight: bold; padding: .4em .6em; border: 2px solid; display: inline-block; }
  .verified { color: #0b5d1e; border-color: #0b5d1e; }
  .discrepancy { color: #8a1c00; border-color: #8a1c00; }
  .hash { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 8.5pt; word-break: break-all; }
  .muted { color: #555; font-size: 8.5pt; }
"""
_BODY = Template(
    """
<h1>Weight certificate <span class="zh">重量鉴定证书</span></h1>
<p class="muted">Weight determination <span class="zh">重量鉴定</span> · state <span class="zh">状态</span>: <b>$state</b></p>
<table class="particulars">$particulars</table>

<h2>Declared and measured <span class="zh">申报与计量</span></h2>
<table>
<thead><tr><th>Item <span class="zh">项目</span></th><th>Quantity <span class="zh">数量</span></th><th>Basis <span class="zh">计量基准</span></th><th>Source <span class="zh">来源</span></th></tr></thead>
<tbody>$summary</tbody>
</table>

<h2>Figures of each method <span class="zh">各方法计量结果及中间数据</span></h2>
<table>
<thead><tr><th>Item <span class="zh">项目</span></th><th>Value <span class="zh">数值</span></th><th>Unit <span class="zh">单位</span></th></tr></thead>
<tbody>$figures</tbody>
</table>

<h2>Reconciliation <span class="zh">核对</span></h2>
<table>
<thead><tr><th>Comparison <span class="zh">核对项</span></th><th>First <span class="zh">被核对值</span></th><th>Reference <span class="zh">参照值</span></th>
<th>Difference <span class="zh">差异</span></th><th>Difference % <span class="zh">差异率</span></th><th>Limit <span class="zh">允差</span></th>
<th>Rule <span class="zh">规则</span></th><th>Result <span class="zh">结果</span></th></tr></thead>
<tbody>$reconciliation</tbody>
</table>
$not_compared

<h2>Verdict <span class="zh">结论</span></h2>
<p><span class="verdict $verdict_class">$verdict</span></p>
$resolution
<p>Release <span class="zh">放行</span>: $release</p>

<h2>Clearance history <span class="zh">通关记录</span></h2>
<table>
<thead><tr><th>#</th><th>Time (UTC) <span class="zh">时间</span></th><th>State <span class="zh">状态</span></th><th>Actor <span class="zh">操作人</span></th><th>Reason <span class="zh">原因</span></th></tr></thead>
<tbody>$history</tbody>
</table>

<h2>Evidence <span class="zh">证据</span></h2>
<table class="particulars">
<tr><td>Evidence hash (newest event, chains all) <span class="zh">证据哈希</span></td><td class="hash">$evidence_hash</td></tr>
<tr><td>Reconciliation document <span class="zh">核对记录哈希</span></td><td class="hash">$reconciliation_hash</td></tr>
<tr><td>Rule set <span class="zh">允差规则</span></td><td>$rule_set</td></tr>
</table>
<p class="muted">SHA-256 of the canonical JSON (sorted keys, UTF-8) of each record; the history was recomputed and found intact
when this certificate was generated <span class="zh">生成时已校验记录完整</span> · generated <span class="zh">生成时间</span> $generated</p>
"""
)
SIGNATORIES = (("Terminal", "码头"), ("Surveyor", "检验员"), ("Customs officer", "海关关员"))


def _figure_value(value: float | str, unit: str) -> str:
    """Ticket figures as recorded: the value's own digits (the ticket already rounded it per policy)."""
    if isinstance(value, str):
        return html.escape(value)
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") and unit in ("-",) else text


def render_certificate(data: CertificateData, generated: datetime | None = None) -> str:
    """The certificate as one self-contained HTML page (no scripts, no external files)."""
    generated = generated or datetime.now(timezone.utc)
    shipment = data.shipment
    english_basis, chinese_basis = BASIS_LABELS[shipment.declared.basis]
    unit = shipment.declared.unit
    particulars = [
        ("Shipment", "货运编号", shipment.id),
        ("Customs declaration", "报关单号", shipment.declaration),
        ("Bill of lading", "提单号", shipment.bill_of_lading),
        ("Direction", "进出口", DIRECTION_LABELS[shipment.direction]),
        ("Product", "货名", shipment.product),
        ("Vessel", "船名", shipment.assets.vessel or "—"),
        ("Terminal", "码头", shipment.site),
        ("Methods", "计量方法", " · ".join(" ".join(METHOD_LABELS[m]) for m in shipment.methods)),
        ("Tolerance rules", "允差规则", f"{data.reconciliation['rule_set']} version {data.reconciliation['version']}"),
    ]
    if shipment.metering is not None:
        particulars.append(("Metering policy", "计量标准", shipment.metering.policy.policy().method()))

    summary = [f'<tr><td>{bilingual("Declared", "申报")}</td><td class="figure">{shipment.declared.quantity:,.3f} {unit}</td>'
               f"<td>{bilingual(english_basis, chinese_basis)}</td><td>{html.escape(shipment.declaration)}</td></tr>"]
    for figure in data.figures:
        en, zh = METHOD_LABELS[figure.method]
        primary = " (measured 计量)" if figure.method == shipment.primary_method else ""
        summary.append(f"<tr><td>{bilingual(en, zh)}{html.escape(primary)}</td><td class=\"figure\">{figure.value:,.3f} {unit}</td>"
                       f"<td>{bilingual(english_basis, chinese_basis)}</td><td>{html.escape(figure.source)}</td></tr>")

    figure_rows = []
    for figure in data.figures:
        en, zh = METHOD_LABELS[figure.method]
        figure_rows.append(f'<tr class="section"><td colspan="3">{bilingual(en, zh)}: {figure.value:,.3f} {unit}</td></tr>')
        for label, value, figure_unit in figure.details:
            figure_rows.append(f'<tr><td>{html.escape(label)}</td><td class="figure">{_figure_value(value, figure_unit)}</td><td>{html.escape(figure_unit)}</td></tr>')
        if not figure.details:
            figure_rows.append('<tr><td colspan="3" class="muted">figure as entered; no intermediate values given 无中间数据</td></tr>')

    reconciliation_rows = []
    for c in data.reconciliation["comparisons"]:
        rule = c["rule"]
        first_en, first_zh = METHOD_LABELS[c["first"]]
        second_en, second_zh = METHOD_LABELS[c["second"]]
        limit = f"{rule['limit_pct']:.4g} %"
        if rule["band"] == "wider":
            limit += f" (fixed {rule['value']})"
        elif rule["value"] not in (limit, "RSS"):
            limit += f" ({rule['value']})"
        if rule["uncertainty_pct"]:
            u1, u2 = rule["uncertainty_pct"]
            limit += f"; RSS √({u1:g}² + {u2:g}²) = {(u1 * u1 + u2 * u2) ** 0.5:.4f} %, band {rule['band']}"
        if rule["sense"] == "short":
            limit += " short only 仅短重"
        result = "within 符合" if c["within"] else "OUTSIDE 超差"
        css = "" if c["within"] else ' class="outside"'
        reconciliation_rows.append(
            f"<tr{css}><td>{bilingual(first_en, first_zh)} − {bilingual(second_en, second_zh)}</td>"
            f'<td class="figure">{c["first_value"]:,.3f}</td><td class="figure">{c["second_value"]:,.3f}</td>'
            f'<td class="figure">{c["difference"]:+,.3f} {unit}</td><td class="figure">{c["difference_pct"]:+.4f} %</td>'
            f"<td>{html.escape(limit)}</td><td>{html.escape(rule['name'])}<br><span class=\"muted\">{html.escape(rule['source'])} · "
            f"{html.escape(rule['rule_set'])} {html.escape(rule['version'])}</span></td><td>{result}</td></tr>"
        )
    not_compared = ""
    if data.reconciliation.get("not_compared"):
        items = "".join(f"<li>{html.escape(a)} − {html.escape(b)}: {html.escape(why)}</li>" for a, b, why in data.reconciliation["not_compared"])
        not_compared = f'<p>Not compared <span class="zh">未核对</span>:</p><ul>{items}</ul>'

    verdict_en, verdict_zh = VERDICT_LABELS[data.verdict]
    resolution = ""
    resolved = [e for e in data.events if e.to_state in ("investigating", "resolved")]
    if resolved:
        resolution = "<ul>" + "".join(
            f"<li>{html.escape(e.to_state)} {STATE_LABELS[e.to_state]} — {html.escape(e.actor)}, {e.time:%Y-%m-%d %H:%M} UTC: {html.escape(e.reason)}</li>"
            for e in resolved
        ) + "</ul>"
    history = "\n".join(
        f"<tr><td>{e.seq}</td><td>{e.time:%Y-%m-%d %H:%M:%S}</td><td>{html.escape(e.to_state)} <span class=\"zh\">{STATE_LABELS[e.to_state]}</span></td>"
        f"<td>{html.escape(e.actor)}</td><td>{html.escape(e.reason)}</td></tr>"
        for e in data.events
    )
    state_en = data.state
    released = next((e for e in data.events if e.to_state == "released"), None)
    release = (
        f"released 已放行 — {html.escape(released.actor)}, {released.time:%Y-%m-%d %H:%M} UTC" if released
        else "not yet released 尚未放行"
    )
    body = _BODY.substitute(
        state=f"{html.escape(state_en)} {STATE_LABELS[state_en]}",
        particulars=particulars_rows(particulars),
        summary="\n".join(summary),
        figures="\n".join(figure_rows),
        reconciliation="\n".join(reconciliation_rows),
        not_compared=not_compared,
        verdict_class=data.verdict,
        verdict=f"{html.escape(verdict_en)} · {verdict_zh}",
        resolution=resolution,
        release=release,
        history=history,
        evidence_hash=data.evidence_hash,
        reconciliation_hash=data.reconciliation_hash,
        rule_set=html.escape(f"{data.reconciliation['rule_set']} {data.reconciliation['version']}"),
        generated=f"{generated:%Y-%m-%d %H:%M} UTC",
    )
    title = f"Weight certificate {shipment.id} — 重量鉴定证书"
    return page(title, body, orientation="portrait", font_size="10pt", style=_STYLE, signatories=SIGNATORIES)


def write_certificate(data: CertificateData, path: str | Path) -> Path:
    """Write the certificate HTML (UTF-8) to `path` and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_certificate(data), encoding="utf-8")
    return target


__all__ = ["CertificateData", "NotReconciled", "certificate_data", "render_certificate", "write_certificate"]
