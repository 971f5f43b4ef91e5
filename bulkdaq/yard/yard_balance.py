"""The yard's mass balance, per lot (per pile) and per period, wet and dry, from the yard ledger.

Per pile (an inbound lot's pile, or a product pile), up to a time::

    difference = entered − out − stock                                                        [t]

*entered* is the lot's quantity of record (or, for a product pile, the runs' product), *out* what runs
drew, outbound lots shipped and transfers moved, *stock* the surveyed stock when a stock survey was made
at or after the pile's last movement, else the book stock (entered − out). A book stock below zero is
no stock at all: the pile holds 0 t and the difference is the book stock, flagged ``overdrawn`` when it
is below −U.

Per period [from, to) for the whole yard::

    difference = opening stock + entered − out − closing stock                                [t]

where *out* is what left the yard (outbound lots shipped, transfers) and the stocks are every pile's stock
at `from` and at `to` by the rule above; runs move ore between piles inside the yard, so with book stocks
the period's difference is what the product belt scales found against the feeders.

Uncertainty: each term is a signed sum of independent figures (a lot's figure, a run's feeder or product
scale figure, an outbound lot's figure, a survey), each with its standard uncertainty. A figure may stand in
two terms (a book stock is entered − out), so the difference's u is taken over the figures, each counted
once with its net coefficient: u² = Σ (c·u)² (JCGM 100:2008 5.1.2, uncorrelated figures, coefficients
±1). The verdict is calculators.blending.mass_balance's, with that u given as the first term's and the
others' as 0, so the figures are never counted twice; U = k·u with k from the yard balance rule
(bulkdaq/yard/balance_rule.py). Dry tonnes come from the ledger's movements (calculators/blending/dry_mass.py).
The moisture a lot's entered and drawn dry tonnes share is treated as uncorrelated between them, which
overstates u(dry) a little: the cautious side for a balance that must not call water a loss.

Flags (with the entries that are their evidence): a pile ``overdrawn`` or ``unaccounted`` on the dry
basis (wet-only differences are water leaving or entering a pile and are listed as ``water`` notes, not
as losses); a run ``off_recipe`` or ``product_short``/``product_over``, recomputed from the run's figures
by calculators.blending.mass_balance.blending_run (flagged too when the run document said so); a run with
``integrity_events`` (totalizer reset, jump, frozen, comms gap on its scales, as its document names them); a
belt scale found beyond its class; a ``voided`` entry (the void and the entry it voided) and an entry
``recorded_late`` (dated in the period, recorded after it closed), see `yard_balance`.

A pile's surveyed stock is its latest survey by time (the later entry on a tie), not the last recorded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bulkdaq.wording.figure_format import figure_text, percent_text
from bulkdaq.yard.balance_rule import BalanceRule
from bulkdaq.yard.ledger import Entry, Movement, RunDocument, Survey, YardState, iso_time
from calculators.blending.mass_balance import METHOD as BALANCE_METHOD
from calculators.blending.mass_balance import blending_run, mass_balance

Basis = Literal["wet", "dry"]
BASES: tuple[Basis, ...] = ("wet", "dry")
TONNE_DECIMALS = 3
"""Tonnes are shown to 0.001 t (a kilogram), far below any method's uncertainty."""
PERCENT_DECIMALS = 2
"""Shares and moistures are shown to 0.01 %."""


@dataclass(frozen=True)
class Part:
    """One figure in a term: its ledger key, its coefficient (+1 / −1), its value and standard u [t]."""

    key: str
    coefficient: int
    value_t: float
    u_t: float


@dataclass(frozen=True)
class Term:
    """A signed sum of figures [t]: value Σ c·x, standard u √Σ(c·u)² over figures merged by key [t]."""

    parts: tuple[Part, ...] = ()

    @property
    def value_t(self) -> float:
        return math.fsum(p.coefficient * p.value_t for p in self.parts)

    @property
    def u_t(self) -> float:
        return _combined_u(self.parts)


def _combined_u(parts: Iterable[Part]) -> float:
    """√Σ (c·u)² with each figure counted once, its coefficients summed (JCGM 100 5.1.2)."""
    net: dict[str, tuple[int, float]] = {}
    for part in parts:
        coefficient, u = net.get(part.key, (0, part.u_t))
        net[part.key] = (coefficient + part.coefficient, u)
    return math.sqrt(math.fsum((c * u) ** 2 for c, u in net.values()))


def _negated(parts: Iterable[Part]) -> tuple[Part, ...]:
    return tuple(Part(p.key, -p.coefficient, p.value_t, p.u_t) for p in parts)


def _movement_part(m: Movement, basis: Basis, coefficient: int) -> Part:
    value, u = (m.wet_t, m.u_wet_t) if basis == "wet" else (m.dry_t, m.u_dry_t)
    return Part(m.key, coefficient, value, u)


def _survey_part(s: Survey, basis: Basis) -> Part:
    value, u = (s.wet_t, s.u_wet_t) if basis == "wet" else (s.dry_t, s.u_dry_t)
    return Part(s.key, 1, value, u)


@dataclass(frozen=True)
class StockFigure:
    """A pile's stock at a time on one basis: the term, where it comes from (``survey`` / ``book`` /
    ``none``), the book stock Σ in − Σ out [t] with its standard u [t], and the survey's entry if used."""

    term: Term
    source: str  # survey, book, none; a period's closing stock: survey+book when piles differ
    book_t: float
    u_book_t: float
    survey_entry: int | None = None

    @property
    def held_t(self) -> float:
        """The stock as the pile holds it [t]: the survey's figure when surveyed, else the book stock (negative
        when more was drawn than entered)."""
        return self.term.value_t if self.source == "survey" else self.book_t

    @property
    def u_held_t(self) -> float:
        """Standard uncertainty of `held_t` [t]."""
        return self.term.u_t if self.source == "survey" else self.u_book_t


def latest_survey(surveys: Iterable[Survey]) -> Survey | None:
    """The survey made last by its time, the later entry on a tie (None: no survey)."""
    return max(surveys, key=lambda s: (s.time, s.entry), default=None)


def pile_stock(state: YardState, pile: str, basis: Basis, before: datetime | None = None) -> StockFigure:
    """A pile's stock on `basis` from the movements and surveys with time < `before` (None: all).

    The surveyed stock when a survey was made at or after the pile's last movement; else the book stock,
    taken as 0 t when it is negative (a pile holds no negative ore: the balance then shows the overdraw).
    """
    moves = [m for m in state.movements if m.pile == pile and (before is None or m.time < before)]
    book_parts = tuple(_movement_part(m, basis, m.sign) for m in moves)
    book = Term(book_parts)
    surveys = [s for s in state.surveys if s.pile == pile and (before is None or s.time < before)]
    last_move = max((m.time for m in moves), default=None)
    # The latest survey is the latest by time (the later entry on a tie), not the last recorded: a survey
    # back-dated and recorded after a newer one does not replace it.
    survey = latest_survey(surveys)
    if survey is not None and (last_move is None or survey.time >= last_move):
        return StockFigure(Term((_survey_part(survey, basis),)), "survey", book.value_t, book.u_t, survey.entry)
    if not moves:
        return StockFigure(Term(), "none", 0.0, 0.0)
    if book.value_t < 0.0:
        return StockFigure(Term(), "book", book.value_t, book.u_t)
    return StockFigure(book, "book", book.value_t, book.u_t)


@dataclass(frozen=True)
class BasisBalance:
    """One balance on one basis: opening (a period's; empty for a pile), entered, out, stock [t], the
    difference, its standard and expanded uncertainty [t], the verdict and the stock's source."""

    basis: Basis
    opening: Term
    entered: Term
    out: Term
    stock: StockFigure
    difference_t: float
    u_difference_t: float
    expanded_t: float
    verdict: str
    opening_source: str = ""

    def as_document(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "opening_t": self.opening.value_t, "u_opening_t": self.opening.u_t, "opening_source": self.opening_source,
            # What `yard_balance` writes as entered_t: the scope's entered with its opening stock.
            "entered_with_opening_t": self.opening.value_t + self.entered.value_t,
            "entered_t": self.entered.value_t, "u_entered_t": self.entered.u_t,
            "out_t": self.out.value_t, "u_out_t": self.out.u_t,
            "stock_t": self.stock.term.value_t, "u_stock_t": self.stock.term.u_t, "stock_source": self.stock.source,
            "book_stock_t": self.stock.book_t, "u_book_stock_t": self.stock.u_book_t,
            "difference_t": self.difference_t, "u_difference_t": self.u_difference_t, "expanded_u_t": self.expanded_t,
            "verdict": self.verdict,
        }


def _balance(basis: Basis, opening: Term, entered: Term, out: Term, stock: StockFigure, k: float, opening_source: str = "") -> BasisBalance:
    parts = (*opening.parts, *entered.parts, *_negated(out.parts), *_negated(stock.term.parts))
    u = _combined_u(parts)
    # The figures are combined once above (a book stock shares its figures with entered and out); the
    # calculator gets that u on its first term so it judges the difference without counting a figure twice.
    result = mass_balance(opening.value_t + entered.value_t, u, max(out.value_t, 0.0), 0.0, max(stock.term.value_t, 0.0), 0.0, basis, k)
    return BasisBalance(basis, opening, entered, out, stock, float(result.difference_t[0]), float(result.u_difference_t[0]),
                        float(result.expanded_t[0]), result.verdicts[0], opening_source)


@dataclass(frozen=True)
class Evidence:
    """An entry a figure or a flag rests on: its number and hash."""

    number: int
    hash: str

    def as_document(self) -> dict[str, Any]:
        return {"entry": self.number, "hash": self.hash}


@dataclass(frozen=True)
class PileBalance:
    """A pile's balance, wet and dry, with what it is (an inbound lot or a product pile) and its entries."""

    pile: str
    kind: Literal["inbound", "product"]
    particulars: dict[str, str]
    wet: BasisBalance
    dry: BasisBalance
    evidence: tuple[Evidence, ...]

    def basis(self, basis: Basis) -> BasisBalance:
        return self.wet if basis == "wet" else self.dry

    @property
    def status(self) -> str:
        """``overdrawn`` (dry, beyond U), ``exhausted`` (surveyed empty) or ``open``, as `yard_stock` writes it."""
        if self.dry.verdict == "overdrawn":
            return "overdrawn"
        if self.dry.stock.source == "survey" and self.wet.stock.term.value_t == 0.0:
            return "exhausted"
        return "open"

    def as_document(self) -> dict[str, Any]:
        return {"pile": self.pile, "kind": self.kind, "status": self.status, **self.particulars, "wet": self.wet.as_document(), "dry": self.dry.as_document(),
                "evidence": [e.as_document() for e in self.evidence]}


def pile_balance(state: YardState, pile: str, rule: BalanceRule, before: datetime | None = None) -> PileBalance:
    """A pile's balance from its movements and surveys with time < `before` (None: all)."""
    k = rule.coverage_factor
    moves = [m for m in state.movements if m.pile == pile and (before is None or m.time < before)]
    balances = {}
    for basis in BASES:
        entered = Term(tuple(_movement_part(m, basis, 1) for m in moves if m.sign > 0))
        out = Term(tuple(_movement_part(m, basis, 1) for m in moves if m.sign < 0))
        balances[basis] = _balance(basis, Term(), entered, out, pile_stock(state, pile, basis, before), k)
    evidence = {m.entry: Evidence(m.entry, m.entry_hash) for m in moves}
    survey_entry = balances["wet"].stock.survey_entry
    if survey_entry is not None:
        survey = next(s for s in state.surveys if s.entry == survey_entry)
        evidence[survey.entry] = Evidence(survey.entry, survey.entry_hash)
    if pile in state.inbound:
        entry, lot = state.inbound[pile]
        particulars = {"origin": lot.origin, "brand": lot.brand, "grade": lot.grade, "declaration": lot.declaration, "method": lot.of_record}
        kind: Literal["inbound", "product"] = "inbound"
        evidence[entry.number] = Evidence(entry.number, entry.hash)
    else:
        particulars = {"origin": "", "brand": pile, "grade": "", "declaration": "", "method": "belt_scale"}
        kind = "product"
    return PileBalance(pile, kind, particulars, balances["wet"], balances["dry"], tuple(evidence[n] for n in sorted(evidence)))


@dataclass(frozen=True)
class RunCheck:
    """A run against its recipe and its product against its components, recomputed from its figures."""

    run: str
    entry: Evidence
    recipe: str
    recipe_version: str
    end: datetime
    components: tuple[dict[str, Any], ...]  # lot, scale, wet_t, u_wet_t, share_pct, target_pct, tolerance_pp, deviation_pp, off_recipe
    product_t: float
    u_product_t: float
    sum_components_t: float
    product_minus_sum_t: float
    expanded_t: float
    product_verdict: str
    stated_verdict: str
    off_recipe: tuple[str, ...]
    recorded: datetime | None = None  # when the run's entry was recorded (None: not known)
    integrity_events: tuple[dict[str, Any], ...] = ()  # the run document's, as written (kind, asset, time, …)

    def as_document(self) -> dict[str, Any]:
        return {
            "run": self.run, "entry": self.entry.as_document(), "recipe": self.recipe, "recipe_version": self.recipe_version,
            "end": iso_time(self.end), "recorded": None if self.recorded is None else iso_time(self.recorded),
            "integrity_events": [dict(e) for e in self.integrity_events], "components": [dict(c) for c in self.components], "product_t": self.product_t, "u_product_t": self.u_product_t,
            "sum_components_t": self.sum_components_t, "product_minus_sum_t": self.product_minus_sum_t, "expanded_u_t": self.expanded_t,
            "product_verdict": self.product_verdict, "stated_product_verdict": self.stated_verdict, "off_recipe": list(self.off_recipe),
        }


def run_check(entry: Entry, run: RunDocument, k: float) -> RunCheck:
    """Recompute a run's shares and product verdict (calculators.blending.mass_balance.blending_run)."""
    result = blending_run([c.lot for c in run.components], [c.wet_t for c in run.components], [c.u_wet_t for c in run.components],
                          [c.target_pct for c in run.components], [c.tolerance_pp for c in run.components], run.product.wet_t,
                          run.product.u_wet_t, k)
    components = []
    off = []
    for stated, share in zip(run.components, result.components, strict=True):
        flagged = share.off_recipe or stated.off_recipe  # either says so: the officer sees it
        if flagged:
            off.append(stated.lot)
        components.append({"lot": stated.lot, "scale": stated.scale, "wet_t": stated.wet_t, "u_wet_t": stated.u_wet_t, "legal": stated.legal,
                           "share_pct": share.share_pct, "target_pct": share.target_pct, "tolerance_pp": share.tolerance_pp,
                           "deviation_pp": share.deviation_pp, "off_recipe": flagged})
    verdict = result.product_verdict if result.product_verdict != "consistent" else run.product_verdict
    return RunCheck(run.run, Evidence(entry.number, entry.hash), run.recipe.name, run.recipe.version, run.end, tuple(components),
                    result.product_t, result.u_product_t, result.sum_t, result.product_minus_sum_t, result.expanded_t, verdict,
                    run.product_verdict, tuple(off), entry.recorded, tuple(dict(e) for e in run.integrity_events))


def integrity_text(event: dict[str, Any]) -> str:
    """One integrity event of a run document as the flag and the statement write it: kind, asset (and field), time."""
    field_name = f" {event['field']}" if event.get("field") else ""
    return f"{event.get('kind') or '?'} on {event.get('asset') or '?'}{field_name} at {event.get('time') or '?'}"


@dataclass(frozen=True)
class Flag:
    """Something the officer must look at: its kind, its subject (a lot, pile, run or scale), what was
    found, and the entries that are its evidence."""

    kind: str
    subject: str
    detail: str
    evidence: tuple[Evidence, ...]

    def as_document(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "detail": self.detail, "evidence": [e.as_document() for e in self.evidence]}


@dataclass(frozen=True)
class VoidRecord:
    """A void entry and the entry it voided: the void's evidence, the voided entry's evidence, kind, subject and
    time (kind, subject and time empty / None when the ledger's entries were not given), why, who and when."""

    void: Evidence
    voided: Evidence
    voided_kind: str
    voided_subject: str
    voided_time: datetime | None
    why: str
    actor: str
    time: datetime
    recorded: datetime

    @property
    def subject(self) -> str:
        """The voided entry's subject, or ``entry #N`` when it is not known."""
        return self.voided_subject or f"entry #{self.voided.number}"

    def as_document(self) -> dict[str, Any]:
        return {"void": self.void.as_document(), "voided": self.voided.as_document(), "voided_kind": self.voided_kind,
                "voided_subject": self.voided_subject, "voided_time": None if self.voided_time is None else iso_time(self.voided_time),
                "why": self.why, "actor": self.actor, "time": iso_time(self.time), "recorded": iso_time(self.recorded)}


@dataclass(frozen=True)
class LateEntry:
    """An entry dated inside a period but recorded at or after its end (back-dated into a closed period)."""

    entry: Evidence
    kind: str
    subject: str
    time: datetime
    recorded: datetime
    actor: str
    voided: bool

    def as_document(self) -> dict[str, Any]:
        return {"entry": self.entry.as_document(), "kind": self.kind, "subject": self.subject, "time": iso_time(self.time),
                "recorded": iso_time(self.recorded), "actor": self.actor, "voided": self.voided}


@dataclass(frozen=True)
class YardBalance:
    """The yard over a period [start, end): every pile's balance at `end`, the period balance wet and dry,
    the runs and outbound lots of the period, and the flags; `rule` is the balance rule applied. `voids`: the
    voids recorded in the period or voiding an entry of the period; `late`: the entries dated in the period but
    recorded at or after its end (see `yard_balance`)."""

    start: datetime
    end: datetime
    rule: BalanceRule
    piles: tuple[PileBalance, ...]
    wet: BasisBalance
    dry: BasisBalance
    runs: tuple[RunCheck, ...]
    outbound: tuple[dict[str, Any], ...]
    flags: tuple[Flag, ...] = field(default=())
    voids: tuple[VoidRecord, ...] = field(default=())
    late: tuple[LateEntry, ...] = field(default=())

    def basis(self, basis: Basis) -> BasisBalance:
        return self.wet if basis == "wet" else self.dry

    def as_document(self) -> dict[str, Any]:
        """The balance as one JSON document (a report and the InfluxDB `yard_balance` writer read it)."""
        return {
            "period": {"from": iso_time(self.start), "to": iso_time(self.end)},
            "rule": {**self.rule.as_document(), "label": self.rule.label},
            "method": BALANCE_METHOD,
            "piles": [p.as_document() for p in self.piles],
            "period_balance": {"wet": self.wet.as_document(), "dry": self.dry.as_document()},
            "runs": [r.as_document() for r in self.runs],
            "outbound": [dict(o) for o in self.outbound],
            "flags": [f.as_document() for f in self.flags],
            "voids": [v.as_document() for v in self.voids],
            "recorded_late": [e.as_document() for e in self.late],
        }


def _t(value: float, *, signed: bool = False) -> str:
    """Tonnes as every officer-facing text writes them: 3 decimals, grouped, with the unit (bulkdaq/wording/figure_format.py)."""
    return figure_text(value, "t", TONNE_DECIMALS, signed=signed)


def _pile_flags(balance: PileBalance) -> list[Flag]:
    flags = []
    wet, dry = balance.wet, balance.dry
    text = (f"dry {_t(dry.difference_t, signed=True)} (U {_t(dry.expanded_t)}), wet {_t(wet.difference_t, signed=True)} (U {_t(wet.expanded_t)}); "
            f"stock from {dry.stock.source}")
    if dry.verdict != "balanced":
        flags.append(Flag(dry.verdict, balance.pile, text, balance.evidence))
    elif wet.verdict != "balanced":
        flags.append(Flag("water", balance.pile, f"the wet balance is {wet.verdict} but the dry balance closes: water, not ore; {text}", balance.evidence))
    return flags


def _state_entries(state: YardState) -> list[Entry]:
    """The entries a ledger's state holds itself (lots, runs, drifts, voids; not moisture results, transfers
    or surveys), by number."""
    held = {e.number: e for e, _ in (*state.inbound.values(), *state.outbound.values(), *state.runs.values(), *state.drifts, *state.voids)}
    return [held[n] for n in sorted(held)]


def void_records(state: YardState, entries: Sequence[Entry] | None = None) -> tuple[VoidRecord, ...]:
    """Every void of the ledger, in entry order, with the voided entry's kind, subject and time taken from
    `entries` (the ledger's `entries()`; without them those are not known)."""
    by_number = {e.number: e for e in entries or ()}
    records = []
    for entry, void in state.voids:
        voided = by_number.get(void.entry)
        records.append(VoidRecord(Evidence(entry.number, entry.hash), Evidence(void.entry, void.entry_hash),
                                  voided.kind if voided else "", voided.subject if voided else "", voided.time if voided else None,
                                  void.why, entry.actor, entry.time, entry.recorded))
    return tuple(records)


def late_entries(state: YardState, start: datetime, end: datetime, entries: Sequence[Entry] | None = None) -> tuple[LateEntry, ...]:
    """The entries dated in [start, end) but recorded at or after `end`, in entry order, voided ones included
    (marked). From `entries` (the ledger's `entries()`); without them, only the entries the state holds
    (lots, runs, drifts, voids)."""
    listed = list(entries) if entries is not None else _state_entries(state)
    return tuple(LateEntry(Evidence(e.number, e.hash), e.kind, e.subject, e.time, e.recorded, e.actor, e.number in state.voided)
                 for e in listed if start <= e.time < end and e.recorded >= end)


def yard_balance(state: YardState, rule: BalanceRule, start: datetime, end: datetime, *, entries: Sequence[Entry] | None = None) -> YardBalance:
    """The yard's balance for the period [start, end) (see the module's docstring).

    Besides the balance's own flags, the officer is shown what changed the record behind the period:

    * ``voided``: every void whose own time or recorded time is in the period, or that voids an entry dated in
      the period (whenever the void was recorded: a run voided after its statement was issued still shows);
      subject the voided entry's subject, evidence the void entry and the voided entry;
    * ``recorded_late``: every entry dated in the period but recorded at or after its end (back-dated into a
      period already closed), voided or not;
    * ``integrity_events``: a run of the period whose document names totalizer integrity events on its scales.

    `entries` are the ledger's entries (`YardLedger.entries()`); give them: the state alone does not hold a
    voided entry (its kind, subject and time) nor the moisture, transfer and survey entries, so without them a
    void is flagged only by its own time (subject ``entry #N``) and only lots, runs, drifts and voids are
    checked for a late record.

    Raises
    ------
    ValueError
        `end` is not after `start`, or a time without a zone.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the period's times need a time zone (UTC or an offset)")
    if end <= start:
        raise ValueError(f"the period ends ({iso_time(end)}) before it starts ({iso_time(start)})")
    k = rule.coverage_factor
    piles = [p for p in state.piles() if any(m.pile == p and m.time < end for m in state.movements)]
    pile_balances = tuple(pile_balance(state, p, rule, end) for p in piles)
    in_period = [m for m in state.movements if start <= m.time < end]
    balances = {}
    for basis in BASES:
        openings = [pile_stock(state, p, basis, start) for p in piles]
        closings = [pile_stock(state, p, basis, end) for p in piles]
        opening = Term(tuple(part for s in openings for part in s.term.parts))
        closing_parts = tuple(part for s in closings for part in s.term.parts)
        entered = Term(tuple(_movement_part(m, basis, 1) for m in in_period if m.role == "entered"))
        out = Term(tuple(_movement_part(m, basis, 1) for m in in_period if m.role in ("shipped", "transferred")))
        book = math.fsum(s.book_t for s in closings)
        sources = {s.source for s in closings} - {"none"}
        closing = StockFigure(Term(closing_parts), "+".join(sorted(sources)) or "none",
                              book, math.sqrt(math.fsum(s.u_book_t ** 2 for s in closings)))
        opening_sources = {s.source for s in openings} - {"none"}
        balances[basis] = _balance(basis, opening, entered, out, closing, k, "+".join(sorted(opening_sources)) or "none")
    runs = tuple(run_check(entry, run, k) for entry, run in state.runs.values() if start <= entry.time < end)
    outbound = tuple(
        {"lot": lot.lot, "product": lot.product, "declaration": lot.declaration, "destination": lot.destination or "", "entry": Evidence(entry.number, entry.hash).as_document(),
         "wet_t": m.wet_t, "u_wet_t": m.u_wet_t, "dry_t": m.dry_t, "u_dry_t": m.u_dry_t, "moisture_pct": m.moisture_pct, "u_moisture_pct": m.u_moisture_pct,
         "method": lot.figure.method, "runs": list(lot.runs)}
        for entry, lot in state.outbound.values() if start <= entry.time < end
        for m in state.movements if m.entry == entry.number
    )
    flags: list[Flag] = [flag for balance in pile_balances for flag in _pile_flags(balance)]
    for check in runs:
        if check.off_recipe:
            flags.append(Flag("off_recipe", check.run, f"off recipe {check.recipe} {check.recipe_version}: {', '.join(check.off_recipe)}", (check.entry,)))
        if check.product_verdict != "consistent":
            flags.append(Flag(check.product_verdict, check.run, f"product − components {_t(check.product_minus_sum_t, signed=True)} (U {_t(check.expanded_t)})", (check.entry,)))
        if check.integrity_events:
            flags.append(Flag("integrity_events", check.run, "integrity events on the run's scales: " + "; ".join(integrity_text(e) for e in check.integrity_events),
                              (check.entry,)))
    for entry, drift in state.drifts:
        if start <= entry.time < end:
            flags.append(Flag("scale_drift", drift.scale, f"bias {percent_text(drift.bias_pct, signed=True, decimals=2)} against a limit of {percent_text(drift.limit_pct, decimals=2)}: {drift.finding}",
                              (Evidence(entry.number, entry.hash),)))
    voids = tuple(v for v in void_records(state, entries)
                  if start <= v.time < end or start <= v.recorded < end or (v.voided_time is not None and start <= v.voided_time < end))
    for v in voids:
        what = f"entry #{v.voided.number}" + (f" ({v.voided_kind} {v.voided_subject})" if v.voided_kind else "")
        flags.append(Flag("voided", v.subject, f"{what} voided by entry #{v.void.number} ({v.actor}, dated {iso_time(v.time)}, recorded {iso_time(v.recorded)}): {v.why}",
                          (v.void, v.voided)))
    late = late_entries(state, start, end, entries)
    for e in late:
        flags.append(Flag("recorded_late", e.subject, f"entry #{e.entry.number} ({e.kind} {e.subject}{', voided' if e.voided else ''}) dated {iso_time(e.time)} "
                          f"but recorded {iso_time(e.recorded)}, after the period ended ({iso_time(end)})", (e.entry,)))
    return YardBalance(start, end, rule, pile_balances, balances["wet"], balances["dry"], runs, outbound, tuple(flags), voids, late)


def lot_balances(state: YardState, rule: BalanceRule, before: datetime | None = None) -> tuple[PileBalance, ...]:
    """Every pile's balance from what the ledger holds before `before` (None: all)."""
    return tuple(pile_balance(state, p, rule, before) for p in state.piles())


def flags_of(balances: Sequence[PileBalance]) -> list[Flag]:
    """The flags of pile balances (overdrawn, unaccounted, water)."""
    return [flag for balance in balances for flag in _pile_flags(balance)]


__all__ = [
    "BASES",
    "PERCENT_DECIMALS",
    "TONNE_DECIMALS",
    "BasisBalance",
    "Evidence",
    "Flag",
    "LateEntry",
    "Part",
    "PileBalance",
    "RunCheck",
    "StockFigure",
    "Term",
    "VoidRecord",
    "YardBalance",
    "flags_of",
    "integrity_text",
    "late_entries",
    "latest_survey",
    "lot_balances",
    "pile_balance",
    "pile_stock",
    "run_check",
    "void_records",
    "yard_balance",
]
