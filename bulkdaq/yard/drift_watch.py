"""Belt-scale drift watch: each configured belt scale against the draft surveys of the lots it moved, from
the yard ledger, with the finding recorded in the ledger and written to InfluxDB (docs/yard.md; issue 17,
"Drift").

The pairs a belt scale gives (`drift_pairs`), from the ledger's state (`YardLedger.state()`, voided
entries left out):

(a) **received**: an inbound lot with a ``belt_scale`` figure (its `scale`, bulkdaq/yard/lot.py) and a
    ``draft_survey`` figure (or, without one, a ``shipment`` figure citing the shipment's draft survey: a
    shipment bulkdaq measured, entered as a lot by `YardLedger.entry_from_shipment`) gives the pair (the scale figure's wet t, the survey's wet t and its standard
    u), timed by the lot's entry;
(b) **reclaimed**: an inbound lot that is *exhausted* (its latest stock survey by survey time, not by
    recording, found 0 t) and whose draws
    by runs all went over ONE feeder scale, with no transfer out, gives the pair (Σ wet t drawn over that
    scale, the lot's ``draft_survey`` figure), timed by the end of the last run that drew on it.

No pair, and why (`skipped_lots` lists each such lot with its reason):

* **draws over several scales**: the survey is then matched by the *sum* of two or more scales' totals;
  each scale has its own bias, and one pair cannot say which scale is off (the paired test has one
  unknown, the bias of one scale, per pair), so the lot would mix the scales' errors into each scale's check;
* **a transfer out**: ore moved by a transfer did not go over the feeder, and its figure is of another
  method (a stockpile survey, another yard's scale); the scale's reference would be the survey minus
  that figure, so the check would measure the transfer figure's error as the scale's;
* **not exhausted** (no stock survey, or the latest found ore left): what is still in the pile is unknown
  to the scale, so Σ drawn is not the lot;
* **no draft survey figure**, or one of 0 t: nothing to hold the scale against (the survey is the
  reference, calculators/blending/scale_drift.py).

What the pairs cannot see: the survey weighs the lot wet at discharge, a feeder weighs it wet when it
is reclaimed, weeks later; water the pile lost or took up in between shows as the feeder's bias (the
yard balance shows it on the wet basis only, bulkdaq/yard/yard_balance.py). A pile left not quite empty
when surveyed "0 t" shows as the feeder reading low. Both argue for reading a reclaimed pair with the
lot's moisture results beside it; the officer has them in the ledger.

Per configured belt scale (``[[yard.belt_scales]]`` of the site file, with its OIML R 50 accuracy class
and which MPE applies), `check_scales` runs calculators.blending.scale_drift.drift_check on the scale's
newest `window` pairs: the confidence interval of the bias against ±MPE (ISO 12745:2008 Annex B and ISO
3086:2006 7.5 give the form of such a bias test; see that module for what was and was not verified).
Pairs of a scale not in the site file are not checked (there is no class to hold them against);
`unconfigured_scales` names them.

`record_findings` appends a ``scale_drift`` entry to the ledger when a scale has drifted, once per new
finding: not again while the scale's newest ``scale_drift`` entry (not voided) names the same newest
lot. `drift_points` builds the `scale_drift` series point of each scale checked and, for a drifted
scale, an `event` of kind ``scale_drift`` timed by the ledger entry that records the finding, so writing
them again overwrites the same event instead of adding one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from bulkdaq.config.site_file import YardSettings
from bulkdaq.store import contract
from bulkdaq.store.line_protocol import FieldValue, Point
from bulkdaq.wording.figure_format import number_text
from bulkdaq.yard.ledger import Entry, YardLedger, YardState, iso_time
from bulkdaq.yard.lot import ScaleDrift
from bulkdaq.yard.yard_balance import latest_survey
from bulkdaq.yard.yard_series import event_point
from calculators.blending.scale_drift import DEFAULT_CONFIDENCE, DEFAULT_WINDOW, METHOD, MIN_PAIRS, DriftCheck, drift_check

PairKind = Literal["received", "reclaimed"]
DRIFT_DECIMALS = 2
"""Bias and interval are written to 0.01 % in the finding and the event (a class's MPE is 0.1 … 2 %)."""
FINDING_MAX_CHARS = 500
"""The longest finding `ScaleDrift` holds (bulkdaq/yard/lot.py, Text)."""
_RELATION = {"drifted": "wholly beyond", "within_class": "wholly within", "undetermined": "straddling"}
_NEWEST_LOT = re.compile(r"; newest lot (\S+)$")


@dataclass(frozen=True)
class DriftPair:
    """One lot a belt scale moved and a draft survey weighed: the scale's total and the survey's figure,
    wet [t], the survey's standard uncertainty [t], when (`time`), and the ledger entries it rests on."""

    scale: str
    lot: str
    kind: PairKind
    scale_t: float
    survey_t: float
    survey_u_t: float
    time: datetime
    entries: tuple[int, ...]

    @property
    def difference_pct(self) -> float:
        """d = 100 · (scale − survey) / survey [%] (calculators/blending/scale_drift.py)."""
        return 100.0 * (self.scale_t - self.survey_t) / self.survey_t

    def as_document(self) -> dict[str, Any]:
        return {"scale": self.scale, "lot": self.lot, "kind": self.kind, "scale_t": self.scale_t, "survey_t": self.survey_t,
                "survey_u_t": self.survey_u_t, "difference_pct": self.difference_pct, "time": iso_time(self.time), "entries": list(self.entries)}


@dataclass(frozen=True)
class SkippedLot:
    """A lot that gives a scale no pair, and why (see the module's docstring)."""

    lot: str
    why: str

    def as_document(self) -> dict[str, Any]:
        return {"lot": self.lot, "why": self.why}


def _finite(value: float) -> float | None:
    """A statistic for JSON: NaN and ±inf (too few pairs, no scatter) written as null."""
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class ScaleFinding:
    """One belt scale's drift check: the scale as configured, the pairs of its window (oldest first), how many
    pairs it has in all, the check (calculators.blending.scale_drift.DriftCheck), and — once
    `record_findings` has run — the ``scale_drift`` ledger entry that records a drifted finding
    (`recorded_now`: appended by that call, not found from an earlier one)."""

    scale: str
    role: str
    accuracy_class: float
    verification: str
    window: int
    pairs: tuple[DriftPair, ...]
    available: int
    check: DriftCheck
    entry: Entry | None = None
    recorded_now: bool = False

    @property
    def verdict(self) -> str:
        """``drifted`` / ``within_class`` / ``undetermined`` / ``insufficient``."""
        return self.check.verdict

    @property
    def newest_lot(self) -> str | None:
        """The lot of the window's newest pair (None: no pair)."""
        return self.pairs[-1].lot if self.pairs else None

    def finding(self) -> str:
        """The sentence a ``scale_drift`` entry keeps: the interval, the class, n and the lots' ids, ending with
        ``; newest lot <id>`` (what `record_findings` compares); at most `FINDING_MAX_CHARS` characters, the
        oldest lots' ids left out first when they would not fit."""
        c = self.check
        if not (math.isfinite(c.ci_low_pct) and math.isfinite(c.ci_high_pct)):  # fewer than 5 pairs: no interval to write
            head = f"{c.n} pairs, fewer than {MIN_PAIRS}: no verdict on class {self.accuracy_class:g}; draft surveys of lots "
        else:
            head = (f"{100 * c.confidence:g} % interval {number_text(c.ci_low_pct, DRIFT_DECIMALS, signed=True)} … "
                    f"{number_text(c.ci_high_pct, DRIFT_DECIMALS, signed=True)} % {_RELATION.get(c.verdict, 'against')} ±{c.mpe_pct:g} % of class "
                    f"{self.accuracy_class:g} ({self.verification.replace('_', ' ')}); n = {c.n} pairs against the draft surveys of lots ")
        lots = [p.lot for p in self.pairs]
        if not lots:
            return head + "none"
        tail = f"; newest lot {self.newest_lot}"
        left_out = 0
        while True:
            listed = ", ".join(lots[left_out:])
            text = head + (f"{left_out} earlier and " if left_out else "") + listed + tail
            if len(text) <= FINDING_MAX_CHARS or left_out >= len(lots) - 1:
                return text[:FINDING_MAX_CHARS]
            left_out += 1

    def message(self) -> str:
        """The `event` message of a drifted scale: its bias, interval and class, then the finding's lots (a check
        without an interval, fewer than 5 pairs, is written as its `finding`)."""
        c = self.check
        if not (math.isfinite(c.mean_pct) and math.isfinite(c.ci_low_pct) and math.isfinite(c.ci_high_pct)):
            return self.finding()
        lots = ", ".join(p.lot for p in self.pairs)
        return (f"bias {number_text(c.mean_pct, DRIFT_DECIMALS, signed=True)} % ({100 * c.confidence:g} % interval "
                f"{number_text(c.ci_low_pct, DRIFT_DECIMALS, signed=True)} … {number_text(c.ci_high_pct, DRIFT_DECIMALS, signed=True)} %) "
                f"beyond class {self.accuracy_class:g} (MPE {c.mpe_pct:g} %, {self.verification.replace('_', ' ')}); "
                f"n = {c.n} pairs against the draft surveys of lots {lots}; newest lot {self.newest_lot}")

    def as_document(self) -> dict[str, Any]:
        c = self.check
        return {
            "scale": self.scale, "role": self.role, "accuracy_class": self.accuracy_class, "verification": self.verification,
            "method": METHOD, "window": self.window, "pairs_available": self.available, "n": c.n, "confidence": c.confidence,
            "bias_pct": _finite(c.mean_pct), "std_pct": _finite(c.std_pct), "standard_error_pct": _finite(c.standard_error_pct),
            "t_statistic": _finite(c.t_statistic), "p_two_sided": _finite(c.p_two_sided), "t_critical": _finite(c.t_critical),
            "ci_low_pct": _finite(c.ci_low_pct), "ci_high_pct": _finite(c.ci_high_pct), "mpe_pct": c.mpe_pct,
            "expected_std_pct": _finite(c.expected_std_pct), "precision": c.precision, "verdict": c.verdict,
            "pairs": [p.as_document() for p in self.pairs],
            "entry": None if self.entry is None else {"entry": self.entry.number, "hash": self.entry.hash, "recorded_now": self.recorded_now},
        }


def _pairing(state: YardState) -> tuple[list[DriftPair], list[SkippedLot]]:
    pairs: list[DriftPair] = []
    skipped: list[SkippedLot] = []
    draws: dict[str, list[tuple[str, float, Entry]]] = {}  # lot → (scale, wet t, run entry), in ledger order
    for run_entry, run in state.runs.values():
        for component in run.components:
            draws.setdefault(component.lot, []).append((component.scale, component.wet_t, run_entry))
    for lot_id, (entry, lot) in state.inbound.items():
        figures = {figure.method: figure for figure in lot.figures}
        survey = figures.get("draft_survey")
        cited = figures.get("shipment")
        if survey is None and cited is not None and cited.shipment is not None and cited.shipment.method == "draft_survey":
            survey = cited  # a shipment bulkdaq measured by draft survey, entered as a lot (YardLedger.entry_from_shipment)
        belt = figures.get("belt_scale")
        if survey is None or survey.wet_t <= 0.0:
            why = "no draft survey figure" if survey is None else "its draft survey figure is 0 t"
            if belt is not None or lot_id in draws:
                skipped.append(SkippedLot(lot_id, f"{why}: nothing to hold a belt scale against"))
            continue
        # (a) weighed in on a receiving scale and surveyed at discharge
        if belt is not None and belt.scale is not None:
            pairs.append(DriftPair(belt.scale, lot_id, "received", belt.wet_t, survey.wet_t, survey.u_wet_t, entry.time, (entry.number,)))
        # (b) reclaimed to the last tonne over one feeder
        if lot_id not in draws:
            continue
        # The latest survey by time (the later entry on a tie), not the last recorded: a survey back-dated
        # and recorded after a newer one does not replace it.
        latest = latest_survey(s for s in state.surveys if s.pile == lot_id)
        if latest is None or latest.wet_t != 0.0:
            skipped.append(SkippedLot(lot_id, "not exhausted (no stock survey found its pile empty): Σ drawn is not the whole lot"))
            continue
        transfers = [m.entry for m in state.movements if m.pile == lot_id and m.role == "transferred"]
        if transfers:
            skipped.append(SkippedLot(lot_id, f"ore left it by transfer (entry {', '.join(f'#{n}' for n in transfers)}), not over a feeder"))
            continue
        scales = sorted({scale for scale, _, _ in draws[lot_id]})
        if len(scales) > 1:
            skipped.append(SkippedLot(lot_id, f"drawn over several feeders ({', '.join(scales)}): one survey cannot tell their biases apart"))
            continue
        lot_draws = draws[lot_id]
        last = max((run_entry for _, _, run_entry in lot_draws), key=lambda e: (e.time, e.number))
        entries = (entry.number, *sorted({run_entry.number for _, _, run_entry in lot_draws}), latest.entry)
        pairs.append(DriftPair(scales[0], lot_id, "reclaimed", math.fsum(wet for _, wet, _ in lot_draws), survey.wet_t, survey.u_wet_t,
                               last.time, entries))
    pairs.sort(key=lambda p: (p.time, p.entries[-1]))
    return pairs, skipped


def drift_pairs(state: YardState) -> tuple[DriftPair, ...]:
    """Every pair the ledger gives, of every scale, oldest first (see the module's docstring)."""
    return tuple(_pairing(state)[0])


def skipped_lots(state: YardState) -> tuple[SkippedLot, ...]:
    """The lots a scale moved (or that were reclaimed) that give no pair, each with its reason."""
    return tuple(_pairing(state)[1])


def unconfigured_scales(state: YardState, yard: YardSettings) -> tuple[str, ...]:
    """The scales that have pairs but are not among ``[[yard.belt_scales]]`` (so are not checked)."""
    configured = {scale.asset for scale in yard.belt_scales}
    return tuple(sorted({p.scale for p in drift_pairs(state)} - configured))


def check_scales(state: YardState, yard: YardSettings, *, window: int = DEFAULT_WINDOW,
                 confidence: float = DEFAULT_CONFIDENCE) -> tuple[ScaleFinding, ...]:
    """The drift check of every configured belt scale on its newest `window` pairs, in the site file's order.

    Parameters
    ----------
    state : YardState
        The ledger read once (`YardLedger.state()`).
    yard : YardSettings
        ``[yard]`` of the site file: each belt scale's asset, role, OIML R 50 class and verification.
    window : int, default 10
        The newest pairs a verdict looks at [-], ≥ 5 (calculators.blending.scale_drift.MIN_PAIRS).
    confidence : float, default 0.95
        Two-sided confidence of the bias's interval [-].

    Returns
    -------
    tuple of ScaleFinding
        One per configured scale; ``insufficient`` for a scale with fewer than 5 pairs (none at all included).

    Raises
    ------
    ScaleDriftError
        A window below 5 or a confidence outside (0, 1) (a BulkdaqError, naming the value).
    """
    pairs = drift_pairs(state)
    findings = []
    for scale in yard.belt_scales:
        own = [p for p in pairs if p.scale == scale.asset]
        check = drift_check([p.scale_t for p in own], [p.survey_t for p in own], [p.survey_u_t for p in own],
                            [p.time.timestamp() for p in own], scale.accuracy_class, window=window, confidence=confidence,
                            verification=scale.verification)
        findings.append(ScaleFinding(scale.asset, scale.role, scale.accuracy_class, scale.verification, window,
                                     tuple(own[-window:]), len(own), check))
    return tuple(findings)


def newest_lot_of(finding: str) -> str | None:
    """The lot a recorded finding names as its newest (``…; newest lot <id>``), None when it names none."""
    match = _NEWEST_LOT.search(finding)
    return match.group(1) if match else None


def record_findings(ledger: YardLedger, findings: Iterable[ScaleFinding], actor: str, at: datetime,
                    reason: str = "belt scale beyond its class against the draft surveys") -> tuple[ScaleFinding, ...]:
    """Append a ``scale_drift`` entry for each drifted scale whose finding is new; return the findings with
    the entry that records each drifted one.

    A finding is new unless the scale's newest ``scale_drift`` entry (not voided) names the same newest lot
    (`newest_lot_of` its finding): nothing has changed since, so nothing is appended and that entry is the
    record. The entry keeps the scale, the bias [%] (d̄), the limit [%] (the class's MPE) and the finding
    sentence (`ScaleFinding.finding`). Check and append are two ledger transactions: two watches run at
    the same moment could both append the same finding (a duplicate record, never a lost one).
    """
    latest: dict[str, tuple[Entry, ScaleDrift]] = {}
    for entry, drift in ledger.state().drifts:
        latest[drift.scale] = (entry, drift)
    recorded = []
    for finding in findings:
        if finding.verdict != "drifted":
            recorded.append(finding)
            continue
        previous = latest.get(finding.scale)
        if previous is not None and newest_lot_of(previous[1].finding) == finding.newest_lot:
            recorded.append(replace(finding, entry=previous[0], recorded_now=False))
            continue
        drift = ScaleDrift(scale=finding.scale, bias_pct=finding.check.mean_pct, limit_pct=finding.check.mpe_pct, finding=finding.finding())
        entry = ledger.scale_drift(drift, actor, at, reason)
        latest[finding.scale] = (entry, drift)
        recorded.append(replace(finding, entry=entry, recorded_now=True))
    return tuple(recorded)


def watch_scales(ledger: YardLedger, yard: YardSettings, actor: str, at: datetime, *, window: int = DEFAULT_WINDOW,
                 confidence: float = DEFAULT_CONFIDENCE) -> tuple[ScaleFinding, ...]:
    """`check_scales` on the ledger as it stands, then `record_findings` (the drift watch in one call)."""
    return record_findings(ledger, check_scales(ledger.state(), yard, window=window, confidence=confidence), actor, at)


def _time_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"time {moment.isoformat()} has no time zone")
    return round(moment.timestamp() * 1000)


def drift_points(site: str, findings: Sequence[ScaleFinding], at: datetime) -> list[Point]:
    """The `scale_drift` point of each scale checked at `at`, and an `event` (kind ``scale_drift``, asset the
    scale, message only) for each drifted one.

    A point carries bias_pct (d̄), ci_low_pct, ci_high_pct, mpe_pct [%], pairs [-] and verdict; an
    ``insufficient`` check carries only pairs and verdict (its statistics are not figures). The event is
    timed by the ``scale_drift`` ledger entry that records the finding (`record_findings`), so a watch run
    again writes the same event point over itself; at `at` when the finding was not recorded.
    """
    measurement = contract.SCALE_DRIFT
    time_ms = _time_ms(at)
    points = []
    for finding in findings:
        c = finding.check
        fields: dict[str, FieldValue]
        if c.verdict == "insufficient":
            fields = {"pairs": int(c.n), "verdict": c.verdict}
        else:
            fields = {"bias_pct": float(c.mean_pct), "ci_low_pct": float(c.ci_low_pct), "ci_high_pct": float(c.ci_high_pct),
                      "mpe_pct": float(c.mpe_pct), "pairs": int(c.n), "verdict": c.verdict}
        points.append(Point(measurement.name, {contract.SITE_TAG: site, measurement.asset_tag: finding.scale}, fields, time_ms))
        if c.verdict == "drifted":
            points.append(event_point(site, "scale_drift", finding.scale, finding.message(), finding.entry.time if finding.entry else at))
    return points


__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_WINDOW",
    "DRIFT_DECIMALS",
    "FINDING_MAX_CHARS",
    "DriftPair",
    "PairKind",
    "ScaleFinding",
    "SkippedLot",
    "check_scales",
    "drift_pairs",
    "drift_points",
    "newest_lot_of",
    "record_findings",
    "skipped_lots",
    "unconfigured_scales",
    "watch_scales",
]
