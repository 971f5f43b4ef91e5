"""The yard ledger: one signed, hash-chained, append-only SQLite file for the whole bonded blending yard.

It is the electronic ledger of ore in, out, transferred and in stock that GACC Announcement 2018 No. 199
asks of a bonded blending yard (docs/yard.md, "Decisions"). It follows the shipment registry's rules
(bulkdaq/shipments/registry.py):

* entries are numbered 1, 2, 3 … across the whole yard with no gap, each carrying the previous entry's
  hash; the hash is SHA-256 over the entry's canonical JSON (bulkdaq/evidence/canonical_json.py);
* opened with the site's Ed25519 key, every entry is signed (over the same canonical JSON) and the
  ledger is bound to that key at its first signed entry: from then on an unsigned append, or one with
  another key, is refused; a ledger begun unsigned cannot be signed later;
* triggers make SQLite refuse any UPDATE or DELETE; the documents an entry rests on are stored once,
  content-addressed by the SHA-256 of their canonical JSON;
* every append runs inside ``BEGIN IMMEDIATE``: its checks (a known lot, a run id not yet used) and its
  write are one unit, so two processes cannot both record the same run;
* a mistaken entry is never edited: a later ``void`` entry names it and says why.

Entry kinds (docs/yard.md): ``lot_entered``, ``moisture``, ``run``, ``lot_shipped``, ``transfer``,
``stock_survey``, ``scale_drift``, ``void``.

Reading: `entries`, `lots`, `document`, `voids`, `movements` (every tonne into and out of each pile, wet and dry,
with its standard uncertainty), `book_stock` and `verify`. A *pile* is an inbound lot's pile (named by
its lot id) or a product pile (named by its recipe, the blended product an outbound lot is taken from).

Ore drawn from a pile (by a run, from its start; by a transfer) and a survey without its own moisture take
the pile's moisture result sampled last at or before that time (docs/yard.md, "Wet and dry"); a lot's
moisture at entry counts as sampled at its entry. A blended product's moisture, without a result of its
own, is its components' water over their wet mass. Dry tonnes come from calculators/blending/dry_mass.py (ISO 3087 moisture, wet basis; GUM uncertainty),
sums from calculators/blending/mass_balance.py (`sum_with_uncertainty`); nothing is re-derived here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import Field, ValidationError

from bulkdaq.config.strict_model import StrictTypedModel
from bulkdaq.config.validation import pydantic_problems
from bulkdaq.errors import BulkdaqError
from bulkdaq.evidence.canonical_json import canonical_json, sha256_hex
from bulkdaq.evidence.chain import BadKey, fingerprint, load_public_key, public_pem
from bulkdaq.shipments.model import TONNE_BASES, MethodFigure
from bulkdaq.shipments.registry import HistoryAltered, ShipmentRegistry
from bulkdaq.shipments.tolerance_rules import RuleSet, applied_uncertainty_pct
from bulkdaq.shipments.workflow import FIGURES
from bulkdaq.yard.lot import (
    LOT_ID_EXPECTED,
    InboundLot,
    LotFigure,
    LotId,
    Moisture,
    MoistureResult,
    Moment,
    OutboundLot,
    ScaleDrift,
    ShipmentCitation,
    StockSurvey,
    Transfer,
    UnsafeLotId,
    is_safe_lot_id,
)
from calculators.blending.dry_mass import dry_mass_t, dry_mass_uncertainty_t
from calculators.blending.mass_balance import sum_with_uncertainty

ENTRY_FORMAT = "bulkdaq-yard-entry/1"
EntryKind = Literal["lot_entered", "moisture", "run", "lot_shipped", "transfer", "stock_survey", "scale_drift", "void"]
ENTRY_KINDS: tuple[str, ...] = ("lot_entered", "moisture", "run", "lot_shipped", "transfer", "stock_survey", "scale_drift", "void")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    number INTEGER NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    time TEXT NOT NULL,
    recorded TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    document TEXT NOT NULL,
    previous_hash TEXT,
    hash TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS signing_key (
    fingerprint TEXT PRIMARY KEY,
    public_key_pem TEXT NOT NULL,
    since TEXT NOT NULL
);
"""
_TABLES = {"documents", "entries", "signing_key"}
_APPEND_ONLY = [
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: the yard ledger is never changed'); END;"
    for table in sorted(_TABLES)
    for verb in ("UPDATE", "DELETE")
]
# What `verify` checks the file's schema against: each table's primary key, and each append-only trigger as
# SQLite stores it (``IF NOT EXISTS`` and the closing semicolon dropped).
_PRIMARY_KEYS = {"documents": ["hash"], "entries": ["seq"], "signing_key": ["fingerprint"]}
_TRIGGERS = {
    statement.split()[5]: " ".join(statement.replace("IF NOT EXISTS ", "").rstrip(";").split())
    for statement in _APPEND_ONLY
}
_READINGS_TOLERANCE_T = 1e-6  # closing − opening total against the figure of a run [t]


# -- errors ---------------------------------------------------------------------------------------------


class LedgerUnavailable(BulkdaqError):
    """The ledger file is missing (and is not to be created), a folder, not SQLite, another program's
    SQLite database, or locked: the message names the file and what was expected."""


class LedgerAltered(BulkdaqError, ValueError):
    """An entry or document no longer matches its hash, its predecessor, its number or the ledger's key."""


class LedgerKeyRefused(BulkdaqError, ValueError):
    """The ledger signs with a site key and was opened without it or with another key, or a ledger begun
    unsigned was opened with a key."""


class EntryRefused(BulkdaqError, ValueError):
    """An entry the ledger cannot accept: an unknown or voided lot, a run id already recorded, a lot id used
    twice, a customs declaration already a live lot's, a run ending before it starts, naming a scale twice,
    overlapping another run on a scale or whose readings are not its figures, an entry without actor or
    reason; nothing was recorded."""


# -- the run document (docs/yard.md, "The run document") ------------------------------------------------

Text = Annotated[str, Field(min_length=1, max_length=500)]
Tonnes = Annotated[float, Field(ge=0)]


class RunRecipeComponent(StrictTypedModel):
    lot: LotId
    scale: Text
    target_pct: Annotated[float, Field(ge=0, le=100)]
    tolerance_pp: Annotated[float, Field(ge=0)]


class RunRecipe(StrictTypedModel):
    name: Text  # the blended product, and the name of its pile
    version: Text
    components: Annotated[list[RunRecipeComponent], Field(min_length=1)]
    product_scale: Text


class RunReading(StrictTypedModel):
    """A belt scale's totalizer read at a moment: `total_t` [t, wet]."""

    time: Moment
    total_t: float


class RunReadings(StrictTypedModel):
    """A scale's totalizer at the run's opening and closing: closing − opening is the figure of the run."""

    opening: RunReading
    closing: RunReading


class RunComponent(StrictTypedModel):
    lot: LotId
    scale: Text
    wet_t: Tonnes
    u_wet_t: Tonnes
    legal: bool
    share_pct: Annotated[float, Field(ge=0)]  # computed: 100.00000000000001 for a single component is no error
    target_pct: Annotated[float, Field(ge=0, le=100)]
    tolerance_pp: Annotated[float, Field(ge=0)]
    off_recipe: bool
    readings: RunReadings | None = None  # optional: the scale's totals the figure comes from


class RunProduct(StrictTypedModel):
    scale: Text
    wet_t: Tonnes
    u_wet_t: Tonnes
    legal: bool
    readings: RunReadings | None = None  # optional: the product scale's totals the figure comes from


class RunDocument(StrictTypedModel):
    """A finished blending run as docs/yard.md writes it; masses wet [t], `u_wet_t` standard [t],
    `expanded_u_t` U (k = 2) of product − Σ components [t]."""

    run: LotId
    recipe: RunRecipe
    start: Moment
    end: Moment
    components: Annotated[list[RunComponent], Field(min_length=1)]
    product: RunProduct
    sum_components_t: Tonnes
    expanded_u_t: Tonnes
    product_verdict: Literal["consistent", "product_short", "product_over"]
    integrity_events: list[dict[str, Any]] = []
    outbound_lot: LotId | None = None


class VoidDocument(StrictTypedModel):
    entry: Annotated[int, Field(ge=1)]
    entry_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    why: Text


# -- entries --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One ledger entry: its `number` (1, 2, 3 … across the yard), kind, subject (lot, run, scale or the
    voided entry's number), when it happened (`time`) and was recorded, who and why, the hash of its
    document, the chain link, its hash and its hex Ed25519 `signature` (empty when unsigned)."""

    number: int
    kind: str
    subject: str
    time: datetime
    recorded: datetime
    actor: str
    reason: str
    document: str
    previous_hash: str | None
    hash: str
    signature: str = ""

    def hashed_fields(self) -> dict[str, Any]:
        """What the entry's hash (and signature) cover."""
        return _entry_fields(self.number, self.kind, self.subject, _iso(self.time), _iso(self.recorded), self.actor, self.reason,
                             self.document, self.previous_hash)

    def as_dict(self) -> dict[str, Any]:
        return {**self.hashed_fields(), "hash": self.hash, "signature": self.signature}


def _entry_fields(number: int, kind: str, subject: str, time: str, recorded: str, actor: str, reason: str, document: str,
                  previous_hash: str | None) -> dict[str, Any]:
    return {"format": ENTRY_FORMAT, "number": number, "kind": kind, "subject": subject, "time": time, "recorded": recorded,
            "actor": actor, "reason": reason, "document": document, "previous_hash": previous_hash}


def check_entry_chain(entries: Sequence[Entry], key: Ed25519PublicKey | None) -> list[str]:
    """Every problem of the ledger's entries, named, in order: numbering (1, 2, 3 … with no gap), chain
    links, hashes and — when `key` is given — each entry's signature by that key (an unsigned entry is a
    problem then)."""
    problems: list[str] = []
    previous: str | None = None
    for position, entry in enumerate(entries, start=1):
        label = f"entry #{entry.number} ({entry.kind} {entry.subject})"
        if entry.number != position:
            problems.append(f"{label}: numbered {entry.number} where #{position} is expected (an entry is missing, added or moved)")
        if entry.previous_hash != previous:
            problems.append(f"{label} does not follow the entry before it (chain broken)")
        if sha256_hex(entry.hashed_fields()) != entry.hash:
            problems.append(f"{label} does not match its hash (altered)")
        if key is not None:
            if not entry.signature:
                problems.append(f"{label} is not signed (the ledger signs with site key {fingerprint(key)})")
            else:
                try:
                    key.verify(bytes.fromhex(entry.signature), canonical_json(entry.hashed_fields()))
                except (InvalidSignature, ValueError):
                    problems.append(f"{label}: signature is not the site key's ({fingerprint(key)})")
        previous = entry.hash
    return problems


# -- movements: what the balance reads -------------------------------------------------------------------


@dataclass(frozen=True)
class Movement:
    """Ore into (`sign` +1) or out of (−1) a pile, wet and dry [t] with standard uncertainties [t].

    `role`: ``entered`` (an inbound lot), ``drawn`` (a run's component), ``product`` (a run's product into
    its pile), ``shipped`` (an outbound lot), ``transferred``. `key` names the figure once across the
    ledger (``#7:L-SA-03:BF-3``), so a figure seen from two piles (none today) is combined once. The moisture is the
    one the dry tonnes were taken at [% wet basis] with its standard uncertainty [percentage points].
    """

    entry: int
    entry_hash: str
    time: datetime
    pile: str
    sign: int
    role: str
    key: str
    wet_t: float
    u_wet_t: float
    dry_t: float
    u_dry_t: float
    moisture_pct: float
    u_moisture_pct: float
    run: str | None = None


@dataclass(frozen=True)
class Survey:
    """A measured stock of a pile (entry `entry`), wet and dry [t] with standard uncertainties [t]."""

    entry: int
    entry_hash: str
    time: datetime
    pile: str
    key: str
    wet_t: float
    u_wet_t: float
    dry_t: float
    u_dry_t: float
    moisture_pct: float
    u_moisture_pct: float


@dataclass(frozen=True)
class Stock:
    """A pile's book stock: Σ in − Σ out, wet and dry [t], with standard uncertainties √Σu² [t]."""

    pile: str
    wet_t: float
    u_wet_t: float
    dry_t: float
    u_dry_t: float


@dataclass(frozen=True)
class YardState:
    """The ledger read once, voided entries left out: inbound lots, outbound lots, runs (with their entry),
    movements and surveys in ledger order, scale drifts and voids."""

    inbound: dict[str, tuple[Entry, InboundLot]]
    outbound: dict[str, tuple[Entry, OutboundLot]]
    runs: dict[str, tuple[Entry, RunDocument]]
    movements: tuple[Movement, ...]
    surveys: tuple[Survey, ...]
    drifts: tuple[tuple[Entry, ScaleDrift], ...]
    voids: tuple[tuple[Entry, VoidDocument], ...]
    voided: frozenset[int]
    products: frozenset[str]

    def piles(self) -> list[str]:
        """Every pile: inbound lots in entry order, then product piles by name."""
        return list(self.inbound) + sorted(self.products)


def _moisture_at(results: list[tuple[datetime, int, Moisture]], moment: datetime) -> Moisture:
    """The latest moisture result sampled at or before `moment` (the later entry on a tie); the first one
    when none is that early (a lot entered, on paper, after its reclaiming began)."""
    earlier = [r for r in results if r[0] <= moment]
    return max(earlier, key=lambda r: (r[0], r[1]))[2] if earlier else results[0][2]


def _dry(wet_t: float, u_wet_t: float, moisture: Moisture) -> tuple[float, float]:
    return (float(dry_mass_t(wet_t, moisture.pct)), float(dry_mass_uncertainty_t(wet_t, moisture.pct, u_wet_t, moisture.u_pct)))


# -- the ledger -----------------------------------------------------------------------------------------


class YardLedger:
    """One SQLite file of the yard's entries and documents.

    Parameters
    ----------
    path
        The SQLite file (``[yard] ledger``, default ``var/yard.sqlite``).
    signing_key
        The site's Ed25519 key (``[evidence] key_file``): every entry is signed with it. A ledger that has
        signed once refuses, from then on, to be written without its key or with another key.
    create
        Create the file (and its folder) if missing. Without it, a missing file is refused.

    Raises
    ------
    LedgerUnavailable
        A folder, a file that is not SQLite, another program's database, a locked or unreadable file.
    LedgerKeyRefused
        Opened with a key other than the one the ledger is bound to.
    """

    def __init__(self, path: str | Path, signing_key: Ed25519PrivateKey | None = None, *, create: bool = True) -> None:
        self.path = Path(path)
        self.signing_key = signing_key
        if self.path.is_dir():
            raise LedgerUnavailable(f"{self.path}: is a folder; the yard ledger is one SQLite file (e.g. var/yard.sqlite)")
        if not self.path.exists():
            if not create:
                raise LedgerUnavailable(f"{self.path}: no yard ledger there (reading creates none); give the ledger's file ([yard] ledger)")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise LedgerUnavailable(f"{self.path}: cannot make its folder ({error.strerror or error})") from None
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), so a check and its write are one unit.
            self._db = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode={'rwc' if create else 'rw'}", uri=True,
                                       isolation_level=None, timeout=30.0, check_same_thread=False)
            tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} - {"sqlite_sequence"}
            if not tables and create:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.executescript(_SCHEMA + "\n".join(_APPEND_ONLY))
                tables = set(_TABLES)
        except sqlite3.OperationalError as error:
            raise LedgerUnavailable(f"{self.path}: cannot open the yard ledger ({error})") from None
        except sqlite3.DatabaseError as error:
            raise LedgerUnavailable(f"{self.path}: not a yard ledger: cannot read it as SQLite ({error})") from None
        if not _TABLES <= tables:
            self._db.close()
            held = f"its tables: {', '.join(sorted(tables))}" if tables else "an empty database"
            raise LedgerUnavailable(f"{self.path}: not a yard ledger ({held}; a yard ledger has the tables documents, entries, signing_key)")
        if signing_key is not None:  # opened to read, a ledger whose stored key is broken still opens (`verify` names it)
            try:
                bound = self.key_fingerprint  # computed from the stored public key, not its fingerprint column
            except LedgerAltered:
                self._db.close()
                raise
            if bound is not None and bound != fingerprint(signing_key.public_key()):
                self._db.close()
                raise LedgerKeyRefused(f"yard ledger {self.path} signs with site key {bound}, not with key {fingerprint(signing_key.public_key())}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> YardLedger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- key ---------------------------------------------------------------------------------------------

    @property
    def key_fingerprint(self) -> str | None:
        """Fingerprint of the key the ledger signs with (None: an unsigned ledger), computed from the public key
        the signatures are checked against, never taken from the file's ``fingerprint`` column (which `verify`
        checks against it)."""
        key = self.public_key()
        return None if key is None else fingerprint(key)

    def public_key(self) -> Ed25519PublicKey | None:
        """The public key the ledger's signatures are checked against (None: an unsigned ledger).

        Raises
        ------
        LedgerAltered
            The stored key is not an Ed25519 public key.
        """
        row = self._db.execute("SELECT public_key_pem FROM signing_key ORDER BY since LIMIT 1").fetchone()
        if row is None:
            return None
        try:
            return load_public_key(str(row[0]))
        except BadKey as error:
            raise LedgerAltered(f"yard ledger {self.path}: its signing key cannot be read ({error}); the file was altered") from None

    def _check_signing_key(self, db: sqlite3.Connection) -> None:
        """Bind the ledger to its key at the first signed entry; refuse an unsigned or foreign append after."""
        bound = self.key_fingerprint
        if self.signing_key is None:
            if bound is not None:
                raise LedgerKeyRefused(f"yard ledger {self.path} signs with site key {bound}; open it with that key ([evidence] key_file of the site)")
            return
        public = self.signing_key.public_key()
        mine = fingerprint(public)
        if bound is None:
            unsigned = db.execute("SELECT count(*) FROM entries").fetchone()[0]
            if unsigned:
                # Signing from here on would leave every earlier entry unsigned: the ledger could never verify
                # against the site key.
                raise LedgerKeyRefused(
                    f"yard ledger {self.path} already holds {unsigned} unsigned entries; a ledger begun unsigned cannot be signed "
                    "later: keep using it without the key, or start a new ledger with the site key from its first entry"
                )
            db.execute("INSERT INTO signing_key (fingerprint, public_key_pem, since) VALUES (?, ?, ?)",
                       (mine, public_pem(public), _iso(datetime.now(timezone.utc))))
        elif bound != mine:
            raise LedgerKeyRefused(f"yard ledger {self.path} signs with site key {bound}, not with key {mine}")

    # -- writing -----------------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:  # locked for longer than the timeout, read-only, disk full
            raise LedgerUnavailable(f"{self.path}: cannot write to the yard ledger ({error})") from None
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _append(self, db: sqlite3.Connection, kind: str, subject: str, document: dict[str, Any], actor: str, reason: str,
                at: datetime) -> Entry:
        if not actor.strip() or not reason.strip():
            raise EntryRefused(f"a {kind} entry needs an actor and a reason")
        self._check_signing_key(db)
        digest = sha256_hex(document)
        db.execute("INSERT OR IGNORE INTO documents (hash, kind, body) VALUES (?, ?, ?)", (digest, kind, canonical_json(document).decode("utf-8")))
        previous_hash, number = db.execute("SELECT (SELECT hash FROM entries ORDER BY seq DESC LIMIT 1), COUNT(*) + 1 FROM entries").fetchone()
        recorded = datetime.now(timezone.utc)
        fields = _entry_fields(number, kind, subject, _iso(at), _iso(recorded), actor, reason, digest, previous_hash)
        entry_hash = sha256_hex(fields)
        signature = self.signing_key.sign(canonical_json(fields)).hex() if self.signing_key is not None else ""
        db.execute(
            "INSERT INTO entries (number, kind, subject, time, recorded, actor, reason, document, previous_hash, hash, signature) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (number, kind, subject, _iso(at), _iso(recorded), actor, reason, digest, previous_hash, entry_hash, signature),
        )
        return Entry(number, kind, subject, _parse(_iso(at)), _parse(_iso(recorded)), actor, reason, digest, previous_hash, entry_hash, signature)

    def lot_entered(self, lot: InboundLot, actor: str, at: datetime, reason: str = "lot entered the bonded yard") -> Entry:
        """Record an inbound lot (its figures, the one of record, its moisture at entry).

        Raises
        ------
        EntryRefused
            The lot id is already used by a lot not voided (inbound or outbound) or a product pile; its
            customs declaration is already a live inbound lot's (compared without spaces or case).
        """
        _safe(lot.lot)
        with self._transaction() as db:
            state = self._read(db)
            # A lot voided (entered by mistake) may be entered again, corrected: the void entry and the new one
            # both stay in the history.
            if lot.lot in state.inbound or lot.lot in state.outbound or lot.lot in state.products:
                raise EntryRefused(f"lot {lot.lot!r} is already in the yard ledger; a lot is entered once (void the mistaken entry first)")
            # The same discharge entered under a second id would count its ore twice: one live lot per declaration.
            declaration = _declaration_key(lot.declaration)
            for entry, other in state.inbound.values():
                if _declaration_key(other.declaration) == declaration:
                    raise EntryRefused(f"lot {lot.lot!r}: declaration {lot.declaration!r} is already lot {other.lot!r}'s (entry #{entry.number}); "
                                       f"a lot is entered once (void the mistaken entry first)")
            return self._append(db, "lot_entered", lot.lot, lot.model_dump(mode="json"), actor, reason, at)

    def moisture(self, result: MoistureResult, actor: str, reason: str = "moisture result") -> Entry:
        """Record a moisture result for a lot or a product pile (dated by its sampling time)."""
        with self._transaction() as db:
            state = self._read(db)
            self._known_pile(state, result.lot, "a moisture result")
            return self._append(db, "moisture", result.lot, result.model_dump(mode="json"), actor, reason, result.sampled)

    def run(self, document: dict[str, Any], actor: str, reason: str = "blending run finished") -> Entry:
        """Record a finished blending run, the run document of docs/yard.md (dated by its end).

        A run that draws more than a lot holds is recorded (the ore was moved; nothing accepted is lost) and
        the balance flags the lot ``overdrawn``.

        Raises
        ------
        EntryRefused
            A malformed run document (naming its key path); a run id already recorded; a component on a lot
            the ledger does not know, a voided lot, or a lot exhausted (its pile surveyed empty, 0 t, after
            which nothing can be drawn from it); a lot named twice in one run; an end not after the start; a
            component scale named by two components; a window overlapping a live run's on a scale both use
            (components' or product's); readings (optional, ``components[i].readings``, ``product.readings``)
            whose closing − opening total is not the figure's `wet_t` (within 1e-6 t) or whose opening is not
            before their closing.
        """
        try:
            run = RunDocument.model_validate(document)
        except ValidationError as error:
            field, problem = pydantic_problems(error, "docs/yard.md")[0]
            raise EntryRefused(f"run document {document.get('run', '?')!r}: {field}: {problem}") from None
        lots = [component.lot for component in run.components]
        repeated = sorted({lot for lot in lots if lots.count(lot) > 1})
        if repeated:
            raise EntryRefused(f"run {run.run}: lot {repeated[0]!r} is named by two components; one component per lot")
        _check_run(run)
        with self._transaction() as db:
            if self._used(db, "run", run.run):
                raise EntryRefused(f"run {run.run!r} is already recorded in the yard ledger; a run is recorded once")
            state = self._read(db)
            for i, component in enumerate(run.components):
                self._drawable(db, state, component.lot, f"run {run.run}: components[{i}]")
            if run.recipe.name in state.inbound:
                raise EntryRefused(f"run {run.run}: recipe name {run.recipe.name!r} is an inbound lot's id; a product pile needs its own name")
            # A scale totals one run at a time: a second run over the same window on the same scale is the
            # same ore counted twice (under a second run id).
            scales = _run_scales(run)
            for entry, other in state.runs.values():
                shared = sorted(scales & _run_scales(other))
                if shared and run.start < other.end and other.start < run.end:
                    raise EntryRefused(f"run {run.run}: its window {_iso(run.start)} … {_iso(run.end)} overlaps run {other.run!r} (entry #{entry.number}, "
                                       f"{_iso(other.start)} … {_iso(other.end)}) on scale {', '.join(shared)}; the same ore would be counted twice")
            return self._append(db, "run", run.run, _run_body(run), actor, reason, run.end)

    def lot_shipped(self, lot: OutboundLot, actor: str, at: datetime, reason: str = "outbound lot shipped") -> Entry:
        """Record an outbound lot of blended product, taken from its product pile.

        Raises
        ------
        EntryRefused
            The lot id is already used; the product pile was made by no recorded run; a run it names is not
            recorded (or voided).
        """
        _safe(lot.lot)
        with self._transaction() as db:
            state = self._read(db)
            if lot.lot in state.inbound or lot.lot in state.outbound:
                raise EntryRefused(f"lot {lot.lot!r} is already in the yard ledger; a lot is recorded once")
            if lot.product not in state.products:
                raise EntryRefused(f"outbound lot {lot.lot}: no run has made product {lot.product!r} (products: {', '.join(sorted(state.products)) or 'none yet'})")
            for run_id in lot.runs:
                if run_id not in state.runs:
                    raise EntryRefused(f"outbound lot {lot.lot}: run {run_id!r} is not in the yard ledger (or is voided)")
            return self._append(db, "lot_shipped", lot.lot, lot.model_dump(mode="json"), actor, reason, at)

    def transfer(self, transfer: Transfer, actor: str, at: datetime, reason: str = "ore transferred out of a lot") -> Entry:
        """Record ore moved out of a lot other than by a run."""
        with self._transaction() as db:
            state = self._read(db)
            self._drawable(db, state, transfer.lot, "transfer")
            return self._append(db, "transfer", transfer.lot, transfer.model_dump(mode="json"), actor, reason, at)

    def stock_survey(self, survey: StockSurvey, actor: str, reason: str = "stock surveyed") -> Entry:
        """Record a measured stock of a pile (dated by the survey)."""
        with self._transaction() as db:
            state = self._read(db)
            self._known_pile(state, survey.lot, "a stock survey")
            return self._append(db, "stock_survey", survey.lot, survey.model_dump(mode="json"), actor, reason, survey.surveyed)

    def scale_drift(self, drift: ScaleDrift, actor: str, at: datetime, reason: str = "belt scale beyond its class") -> Entry:
        """Record a belt scale found beyond its class."""
        with self._transaction() as db:
            return self._append(db, "scale_drift", drift.scale, drift.model_dump(mode="json"), actor, reason, at)

    def void(self, number: int, why: str, actor: str, at: datetime | None = None) -> Entry:
        """Void entry `number`: its figures leave every balance; the entry itself stays.

        Raises
        ------
        EntryRefused
            No such entry, a void entry, or an entry already voided; an empty reason.
        """
        if not why.strip():
            raise EntryRefused(f"voiding entry #{number} needs a reason")
        with self._transaction() as db:
            row = db.execute("SELECT kind, hash FROM entries WHERE number = ? ORDER BY seq LIMIT 1", (number,)).fetchone()
            if row is None:
                raise EntryRefused(f"no entry #{number} in the yard ledger")
            if row[0] == "void":
                raise EntryRefused(f"entry #{number} is a void; a void is not voided (record the entry again instead)")
            state = self._read(db)
            if number in state.voided:
                raise EntryRefused(f"entry #{number} is already voided")
            if row[0] == "lot_entered":
                subject = db.execute("SELECT subject FROM entries WHERE number = ?", (number,)).fetchone()[0]
                resting = sorted({m.entry for m in state.movements if m.pile == subject and m.entry != number}
                                 | {s.entry for s in state.surveys if s.pile == subject})
                if resting:
                    listing = ", ".join(f"#{n}" for n in resting)
                    raise EntryRefused(f"entry #{number} (lot {subject}) has entries resting on it ({listing}); void those first")
            if row[0] == "run":
                # The product pile a run alone made cannot lose its run while shipments, surveys or moisture
                # results stand on it (its dry tonnes would have no moisture to come from).
                subject = db.execute("SELECT subject FROM entries WHERE number = ?", (number,)).fetchone()[0]
                pile = state.runs[subject][1].recipe.name if subject in state.runs else ""
                if pile and not [e for e, r in state.runs.values() if r.recipe.name == pile and e.number != number]:
                    resting = sorted({e.number for e, o in state.outbound.values() if o.product == pile} | {s.entry for s in state.surveys if s.pile == pile}
                                     | {r[0] for r in db.execute("SELECT number FROM entries WHERE kind = 'moisture' AND subject = ?", (pile,))
                                        if r[0] not in state.voided})
                    if resting:
                        listing = ", ".join(f"#{n}" for n in resting)
                        raise EntryRefused(f"entry #{number} (run {subject}) alone made product pile {pile}, and entries rest on it ({listing}); void those first")
            document = VoidDocument(entry=number, entry_hash=row[1], why=why).model_dump(mode="json")
            return self._append(db, "void", str(number), document, actor, why, at or datetime.now(timezone.utc))

    def entry_from_shipment(
        self, registry: ShipmentRegistry, shipment_id: str, *, lot: str, origin: str, brand: str, grade: str, declaration: str,
        moisture: Moisture, actor: str, at: datetime, method: str = "draft_survey", rules: RuleSet | None = None,
    ) -> Entry:
        """An inbound shipment already measured by bulkdaq becomes a lot, without retyping its figure.

        The figure is the shipment's `method` figure recorded by its ``measured`` step (evidence kind
        ``figures``, bulkdaq/shipments/workflow.py); its standard uncertainty is half the figure's own
        expanded uncertainty (k = 2, `MethodFigure.uncertainty_pct`) or, without one, half the rule set's
        (`applied_uncertainty_pct`, bulkdaq/shipments/tolerance_rules.py). The lot's figure cites the
        shipment, the registry event (number and hash) and the evidence hash. The shipment's history is
        verified first, so a broken history is never cited.

        Raises
        ------
        EntryRefused
            The shipment is not yet measured; it has no figure of `method`; the figure is not in tonnes; no
            uncertainty (neither its own nor the rule set's); its history does not verify.
        """
        try:
            registry.verify_history(shipment_id)
        except HistoryAltered as error:
            raise EntryRefused(f"shipment {shipment_id}: its registry history does not verify ({error}); it cannot become a lot") from None
        found = registry.latest_evidence(shipment_id, FIGURES)
        if found is None:
            raise EntryRefused(f"shipment {shipment_id} is not yet measured (state {registry.state(shipment_id)}); a lot is made from a measured shipment")
        event, evidence = found
        figures = [MethodFigure.model_validate(f) for f in evidence.body["figures"]]
        figure = next((f for f in figures if f.method == method), None)
        if figure is None:
            raise EntryRefused(f"shipment {shipment_id} has no {method} figure (its figures: {', '.join(f.method for f in figures)})")
        if figure.basis not in TONNE_BASES:
            raise EntryRefused(f"shipment {shipment_id}: the {method} figure is in {figure.basis}; a lot is kept in tonnes")
        if figure.uncertainty_pct is not None:
            expanded_pct: float | None = applied_uncertainty_pct(method, figure.uncertainty_pct, rules.as_document()) if rules else figure.uncertainty_pct
            origin_of_u = "the figure's own expanded uncertainty" + (f", with rule set {rules.name} version {rules.version}" if rules else "")
        else:
            expanded_pct = applied_uncertainty_pct(method, None, rules.as_document()) if rules else None
            origin_of_u = f"rule set {rules.name} version {rules.version}, uncertainty_pct.{method}" if rules else ""
        if expanded_pct is None:
            raise EntryRefused(f"shipment {shipment_id}: the {method} figure has no uncertainty of its own; give the rule set whose uncertainty_pct.{method} applies")
        u_wet_t = figure.value * expanded_pct / 100.0 / 2.0  # expanded (k = 2) → standard
        citation = ShipmentCitation(shipment=shipment_id, method=method, event_number=event.number, event_hash=event.hash,
                                    evidence_hash=evidence.hash, uncertainty_from=f"{expanded_pct!r} % (k = 2) from {origin_of_u}")
        lot_figure = LotFigure(method="shipment", wet_t=figure.value, u_wet_t=u_wet_t,
                               source=f"shipment {shipment_id}, {method} figure ({figure.source})", shipment=citation)
        inbound = InboundLot(lot=lot, origin=origin, brand=brand, grade=grade, declaration=declaration,
                             figures=[lot_figure], of_record="shipment", moisture=moisture)
        return self.lot_entered(inbound, actor, at, reason=f"lot entered from shipment {shipment_id}")

    # -- checks inside a write --------------------------------------------------------------------------

    def _used(self, db: sqlite3.Connection, kind: str, subject: str) -> bool:
        return db.execute("SELECT 1 FROM entries WHERE kind = ? AND subject = ? LIMIT 1", (kind, subject)).fetchone() is not None

    def _known_pile(self, state: YardState, pile: str, what: str) -> None:
        if pile not in state.inbound and pile not in state.products:
            known = ", ".join(state.piles()) or "none yet"
            raise EntryRefused(f"{what} for {pile!r}: no such lot or product pile in the yard ledger (or it is voided; piles: {known})")

    def _drawable(self, db: sqlite3.Connection, state: YardState, lot: str, what: str) -> None:
        if lot not in state.inbound:
            why = "it is voided" if self._used(db, "lot_entered", lot) else "no such lot in the yard ledger"
            raise EntryRefused(f"{what}: lot {lot!r} cannot be drawn on: {why}")
        latest = latest_survey(state, lot)
        if latest is not None and latest.wet_t == 0.0:
            raise EntryRefused(f"{what}: lot {lot!r} is exhausted: its pile was surveyed empty (0 t) by entry #{latest.entry}")

    # -- reading -----------------------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        """Every entry in the order recorded."""
        return self._entries(self._db)

    def _entries(self, db: sqlite3.Connection) -> list[Entry]:
        rows = db.execute(
            "SELECT number, kind, subject, time, recorded, actor, reason, document, previous_hash, hash, signature FROM entries ORDER BY seq"
        ).fetchall()
        return [Entry(r[0], r[1], r[2], _parse(r[3]), _parse(r[4]), r[5], r[6], r[7], r[8], r[9], r[10] or "") for r in rows]

    def document(self, digest: str) -> dict[str, Any]:
        """The document stored under `digest` (SHA-256 of its canonical JSON), read as `_read` and `verify`
        read it (`_documents`): a hash stored twice is refused, not resolved by whichever row comes first."""
        body = self._documents(self._db).get(digest)
        if body is None:
            raise LedgerAltered(f"yard ledger {self.path}: no document {digest} (a document was removed)")
        return body

    def _document_rows(self, db: sqlite3.Connection) -> list[tuple[str, str]]:
        """Every row of ``documents`` as (hash, body text), in the order stored: the one query every reader
        of documents (`_documents`, `verify`) uses."""
        return [(str(row[0]), str(row[1])) for row in db.execute("SELECT hash, body FROM documents ORDER BY rowid")]

    def _documents(self, db: sqlite3.Connection) -> dict[str, dict[str, Any]]:
        """Every document by its hash, from `_document_rows`.

        Raises
        ------
        LedgerAltered
            A hash stored in two rows (the table's primary key was removed: one of them is not what was
            recorded), or a body that is not JSON.
        """
        documents: dict[str, dict[str, Any]] = {}
        for digest, text in self._document_rows(db):
            if digest in documents:
                raise LedgerAltered(f"yard ledger {self.path}: document {digest} is stored twice (a document was added behind the ledger's back)")
            try:
                documents[digest] = json.loads(text)
            except json.JSONDecodeError:
                raise LedgerAltered(f"yard ledger {self.path}: document {digest} is not JSON (altered)") from None
        return documents

    def head(self) -> Entry | None:
        """The newest entry (None: an empty ledger)."""
        entries = self.entries()
        return entries[-1] if entries else None

    def state(self) -> YardState:
        """The ledger read once (see `YardState`)."""
        return self._read(self._db)

    def lots(self) -> dict[str, InboundLot | OutboundLot]:
        """Every lot not voided, inbound then outbound, in entry order."""
        state = self.state()
        return {**{k: v[1] for k, v in state.inbound.items()}, **{k: v[1] for k, v in state.outbound.items()}}

    def voids(self) -> dict[int, tuple[Entry, VoidDocument]]:
        """Every voided entry's number → the void entry that voided it and its document (the voided entry
        itself stays in `entries`)."""
        return {void.entry: (entry, void) for entry, void in self.state().voids}

    def movements(self) -> tuple[Movement, ...]:
        return self.state().movements

    def book_stock(self, pile: str, until: datetime | None = None) -> Stock:
        """A pile's book stock Σ in − Σ out, wet and dry [t] with standard uncertainties [t], of the movements
        up to `until` (inclusive; None: all). Negative when more was drawn than entered."""
        return book_stock(self.state(), pile, until)

    def _read(self, db: sqlite3.Connection) -> YardState:
        entries = self._entries(db)
        stored = self._documents(db)
        missing = next((e for e in entries if e.document not in stored), None)
        if missing is not None:
            raise LedgerAltered(f"yard ledger {self.path}: the document of entry #{missing.number} ({missing.kind} {missing.subject}) is missing")
        documents = stored
        voids = [(e, VoidDocument.model_validate(documents[e.document])) for e in entries if e.kind == "void"]
        voided = frozenset(v.entry for _, v in voids)
        inbound: dict[str, tuple[Entry, InboundLot]] = {}
        outbound: dict[str, tuple[Entry, OutboundLot]] = {}
        runs: dict[str, tuple[Entry, RunDocument]] = {}
        movements: list[Movement] = []
        surveys: list[Survey] = []
        drifts: list[tuple[Entry, ScaleDrift]] = []
        # Each pile's moisture results: (sampling time, entry number, result); a lot's moisture at entry is
        # dated by its entry. `_moisture_at` picks the latest sampled at or before a time.
        moisture: dict[str, list[tuple[datetime, int, Moisture]]] = {}
        derived: dict[str, list[tuple[datetime, int, Moisture]]] = {}  # a product pile's, from each run's components
        products: set[str] = set()
        live = [entry for entry in entries if entry.number not in voided and entry.kind != "void"]
        # Every moisture result first: a result sampled before a run but reported after it still applies to it.
        for entry in live:
            if entry.kind == "lot_entered":
                moisture.setdefault(entry.subject, []).append((entry.time, entry.number, InboundLot.model_validate(documents[entry.document]).moisture))
            elif entry.kind == "moisture":
                moisture.setdefault(entry.subject, []).append((entry.time, entry.number, MoistureResult.model_validate(documents[entry.document]).moisture))
        survey_entries: list[Entry] = []
        for entry in live:
            body = documents[entry.document]
            n = entry.number
            if entry.kind == "lot_entered":
                lot = InboundLot.model_validate(body)
                inbound[lot.lot] = (entry, lot)
                figure = lot.figure
                dry, u_dry = _dry(figure.wet_t, figure.u_wet_t, lot.moisture)
                movements.append(Movement(n, entry.hash, entry.time, lot.lot, +1, "entered", f"#{n}:{figure.method}", figure.wet_t, figure.u_wet_t,
                                          dry, u_dry, lot.moisture.pct, lot.moisture.u_pct))
            elif entry.kind == "run":
                run = RunDocument.model_validate(body)
                runs[run.run] = (entry, run)
                wet_sum = sum(c.wet_t for c in run.components)
                dry_sum, water_u2 = 0.0, 0.0
                for c in run.components:
                    # Ore drawn by a run is taken at the lot's latest moisture before the run (docs/yard.md).
                    m = _moisture_at(moisture[c.lot], run.start)
                    dry, u_dry = _dry(c.wet_t, c.u_wet_t, m)
                    dry_sum += dry
                    if wet_sum > 0:
                        water_u2 += (c.wet_t / wet_sum * m.u_pct) ** 2
                    movements.append(Movement(n, entry.hash, entry.time, c.lot, -1, "drawn", f"#{n}:{c.lot}:{c.scale}", c.wet_t, c.u_wet_t, dry, u_dry,
                                              m.pct, m.u_pct, run.run))
                pile = run.recipe.name
                products.add(pile)
                sampled = [r for r in moisture.get(pile, []) if r[0] <= run.start]
                if sampled:  # a result of the pile's own, sampled by the run's start (never a later one)
                    product_moisture = _moisture_at(sampled, run.start)
                else:
                    # Blending moves water with the ore: the product's moisture is the components' water over their
                    # wet mass (a wet-mass-weighted mean), its u the weighted root sum of squares (JCGM 100 5.1.2).
                    pct = 100.0 * (1.0 - dry_sum / wet_sum) if wet_sum > 0 else 0.0
                    product_moisture = Moisture(pct=max(pct, 0.0), u_pct=water_u2 ** 0.5, source=f"components of run {run.run}")
                    derived.setdefault(pile, []).append((run.start, n, product_moisture))
                dry, u_dry = _dry(run.product.wet_t, run.product.u_wet_t, product_moisture)
                movements.append(Movement(n, entry.hash, entry.time, pile, +1, "product", f"#{n}:product:{run.product.scale}", run.product.wet_t,
                                          run.product.u_wet_t, dry, u_dry, product_moisture.pct, product_moisture.u_pct, run.run))
            elif entry.kind == "lot_shipped":
                out = OutboundLot.model_validate(body)
                outbound[out.lot] = (entry, out)
                dry, u_dry = _dry(out.figure.wet_t, out.figure.u_wet_t, out.moisture)
                movements.append(Movement(n, entry.hash, entry.time, out.product, -1, "shipped", f"#{n}:{out.figure.method}", out.figure.wet_t,
                                          out.figure.u_wet_t, dry, u_dry, out.moisture.pct, out.moisture.u_pct))
            elif entry.kind == "transfer":
                transfer = Transfer.model_validate(body)
                m = _moisture_at(moisture[transfer.lot], entry.time)
                dry, u_dry = _dry(transfer.figure.wet_t, transfer.figure.u_wet_t, m)
                movements.append(Movement(n, entry.hash, entry.time, transfer.lot, -1, "transferred", f"#{n}:{transfer.figure.method}",
                                          transfer.figure.wet_t, transfer.figure.u_wet_t, dry, u_dry, m.pct, m.u_pct))
            elif entry.kind == "stock_survey":
                survey_entries.append(entry)
            elif entry.kind == "scale_drift":
                drifts.append((entry, ScaleDrift.model_validate(body)))
        for entry in survey_entries:  # after every run, so a product pile's derived moisture is known
            n = entry.number
            survey = StockSurvey.model_validate(documents[entry.document])
            own = [r for r in moisture.get(survey.lot, []) if r[0] <= entry.time]
            m = survey.moisture or _moisture_at(own or derived.get(survey.lot) or moisture[survey.lot], entry.time)
            dry, u_dry = _dry(survey.figure.wet_t, survey.figure.u_wet_t, m)
            surveys.append(Survey(n, entry.hash, entry.time, survey.lot, f"#{n}:{survey.figure.method}", survey.figure.wet_t,
                                  survey.figure.u_wet_t, dry, u_dry, m.pct, m.u_pct))
        return YardState(inbound, outbound, runs, tuple(movements), tuple(surveys), tuple(drifts), tuple(voids), voided, frozenset(products))

    # -- verifying ---------------------------------------------------------------------------------------

    def verify(self, expected_key: Ed25519PublicKey | None = None) -> None:
        """Recompute every entry's number, link, hash and signature, every document's hash, and check the
        file's key and schema.

        A ledger bound to a key must have every entry signed by it. `expected_key` is the site key the
        verifier trusts (from the site, not from the file): a ledger bound to another key, or unsigned, is
        then refused, so a ledger rewritten and re-signed with another key does not pass.

        Checked, in this order: the stored key (one row; its ``fingerprint`` column is the fingerprint of its
        public key, which is the expected key when one is given); the entries (`check_entry_chain`; an entry
        signed in a ledger that holds no key); each entry's document; every row of ``documents`` (the
        SHA-256 of its body is its hash, stored in canonical JSON, no hash twice, each cited by an entry);
        the schema (each table's primary key, every append-only trigger as the ledger made it, no other
        trigger on its tables).

        Raises
        ------
        LedgerAltered
            Naming the first problem found (and how many more there are).
        """
        db = self._db
        bound = self.public_key()
        key_rows = db.execute("SELECT fingerprint, public_key_pem FROM signing_key").fetchall()
        problems: list[str] = []
        if len(key_rows) > 1:
            problems.append(f"the ledger holds {len(key_rows)} signing keys; it is bound to one (a key was added behind the ledger's back)")
        if bound is not None:
            column = db.execute("SELECT fingerprint FROM signing_key ORDER BY since LIMIT 1").fetchone()[0]
            if column != fingerprint(bound):
                problems.append(f"its signing key's fingerprint column reads {column}, but the public key the entries are checked against "
                                f"is {fingerprint(bound)} (the key was replaced)")
        if expected_key is not None:
            if bound is None:
                raise LedgerAltered(f"yard ledger {self.path} is not signed; expected entries signed by site key {fingerprint(expected_key)}")
            if fingerprint(bound) != fingerprint(expected_key):
                raise LedgerAltered(f"yard ledger {self.path} is bound to key {fingerprint(bound)}, not to the site key {fingerprint(expected_key)}")
        entries = self.entries()
        problems += check_entry_chain(entries, bound)
        if bound is None:
            signed = next((e for e in entries if e.signature), None)
            if signed is not None:
                problems.append(f"entry #{signed.number} ({signed.kind} {signed.subject}) is signed, but the ledger holds no signing key "
                                "(its key was removed)")
        rows = self._document_rows(db)
        bodies: dict[str, list[str]] = {}
        for digest, text in rows:
            bodies.setdefault(digest, []).append(text)
        for entry in entries:
            found = bodies.get(entry.document)
            if found is None:
                problems.append(f"the document of entry #{entry.number} ({entry.kind} {entry.subject}) is missing")
            elif any(not _document_matches(entry.document, text) for text in found):
                problems.append(f"the document of entry #{entry.number} ({entry.kind} {entry.subject}) does not match its hash (altered)")
        total, distinct = db.execute("SELECT COUNT(*), COUNT(DISTINCT hash) FROM documents").fetchone()
        if total != distinct:
            twice = sorted(digest for digest, texts in bodies.items() if len(texts) > 1)
            problems.append(f"{total - distinct} document hash(es) stored twice ({', '.join(twice)}): a document was added behind the ledger's back")
        cited = {entry.document for entry in entries}
        for digest, text in rows:
            if not _document_matches(digest, text):
                problems.append(f"document {digest} does not match its hash (altered)")
            elif digest not in cited:
                problems.append(f"document {digest} is cited by no entry (an entry was removed)")
        sequence = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'entries'").fetchone()
        highest = db.execute("SELECT MAX(seq) FROM entries").fetchone()[0]
        if sequence is not None and highest is not None and sequence[0] != highest:
            problems.append(f"entries were written up to seq {sequence[0]} but the last one held is seq {highest} (entries were removed)")
        problems += self._schema_problems(db)
        if problems:
            more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''}: {'; '.join(problems[1:4])}{' …' if len(problems) > 4 else ''})" \
                if len(problems) > 1 else ""
            raise LedgerAltered(f"yard ledger {self.path}: {problems[0]}{more}")

    def _schema_problems(self, db: sqlite3.Connection) -> list[str]:
        """The file's schema against the ledger's: each table's primary key, every append-only trigger exactly
        as the ledger made it, no other trigger on its tables."""
        problems: list[str] = []
        for table, key in _PRIMARY_KEYS.items():
            columns = sorted((row[5], row[1]) for row in db.execute(f"PRAGMA table_info({table})") if row[5])
            if [name for _, name in columns] != key:
                held = ", ".join(name for _, name in columns) or "none"
                problems.append(f"table {table} has lost its primary key ({', '.join(key)}; it has: {held}), so a row can be stored twice")
        triggers = {str(name): (str(table), " ".join(str(sql or "").split()))
                    for name, table, sql in db.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")}
        for name, expected in _TRIGGERS.items():
            if name not in triggers:
                problems.append(f"the append-only trigger {name} is missing (it was dropped: the file can be edited)")
            elif triggers[name][1] != expected:
                problems.append(f"the append-only trigger {name} is not the ledger's (it was replaced)")
        for name, (table, _) in sorted(triggers.items()):
            if name not in _TRIGGERS and table in _TABLES:
                problems.append(f"trigger {name} on table {table} is not the ledger's (it was added)")
        return problems


def _document_matches(digest: str, text: str) -> bool:
    """A stored body is its hash's document: JSON, written in canonical JSON, whose SHA-256 is `digest`."""
    try:
        body = json.loads(text)
        return canonical_json(body).decode("utf-8") == text and sha256_hex(body) == digest
    except (ValueError, TypeError):
        return False


def book_stock(state: YardState, pile: str, until: datetime | None = None) -> Stock:
    """A pile's book stock from the ledger's movements (see `YardLedger.book_stock`)."""
    moves = [m for m in state.movements if m.pile == pile and (until is None or m.time <= until)]
    wet_in, u_wet_in, dry_in, u_dry_in = summed([m for m in moves if m.sign > 0])
    wet_out, u_wet_out, dry_out, u_dry_out = summed([m for m in moves if m.sign < 0])
    # In and out are independent figures: u of their difference is √(u²(in) + u²(out)) (JCGM 100 5.1.2).
    return Stock(pile, wet_in - wet_out, float(np.hypot(u_wet_in, u_wet_out)), dry_in - dry_out, float(np.hypot(u_dry_in, u_dry_out)))


def latest_survey(state: YardState, pile: str) -> Survey | None:
    """A pile's latest survey in time (surveyed last; on a tie, the later entry), not the last recorded: a
    back-dated survey recorded later does not replace a newer one. None: never surveyed."""
    surveys = [s for s in state.surveys if s.pile == pile]
    return max(surveys, key=lambda s: (s.time, s.entry)) if surveys else None


def _declaration_key(declaration: str) -> str:
    """A customs declaration as compared for a lot entered twice: without spaces, case folded."""
    return "".join(declaration.split()).casefold()


def _run_scales(run: RunDocument) -> set[str]:
    """The belt scales a run's figures come from: its components' and its product's."""
    return {component.scale for component in run.components} | {run.product.scale}


def _run_body(run: RunDocument) -> dict[str, Any]:
    """The run document as stored: a figure without readings is stored without the key (as before readings
    existed), so the same run gives the same document hash."""
    body = run.model_dump(mode="json")
    for figure in [*body["components"], body["product"]]:
        if figure.get("readings") is None:
            figure.pop("readings", None)
    return body


def _check_run(run: RunDocument) -> None:
    """What a run document must hold beyond its model: an end after its start, one component per scale, and
    readings (when given) that are the figures'."""
    if run.end <= run.start:
        raise EntryRefused(f"run {run.run}: end {_iso(run.end)} is not after start {_iso(run.start)}")
    scales = [component.scale for component in run.components]
    for i, scale in enumerate(scales):
        if scale in scales[:i]:
            raise EntryRefused(f"run {run.run}: components[{i}].scale: scale {scale!r} is already components[{scales.index(scale)}]'s; "
                               "one component per scale")
    figures: list[tuple[str, RunComponent | RunProduct]] = [(f"components[{i}]", c) for i, c in enumerate(run.components)]
    figures.append(("product", run.product))
    for path, figure in figures:
        readings = figure.readings
        if readings is None:
            continue
        if readings.opening.time >= readings.closing.time:
            raise EntryRefused(f"run {run.run}: {path}.readings: opening.time {_iso(readings.opening.time)} is not before "
                               f"closing.time {_iso(readings.closing.time)}")
        difference = readings.closing.total_t - readings.opening.total_t
        if abs(difference - figure.wet_t) > _READINGS_TOLERANCE_T:
            raise EntryRefused(f"run {run.run}: {path}.readings: closing.total_t − opening.total_t = {difference:.6f} t, not its wet_t "
                               f"{figure.wet_t:.6f} t (within {_READINGS_TOLERANCE_T} t)")


def summed(moves: Sequence[Movement]) -> tuple[float, float, float, float]:
    """Σ wet, its u, Σ dry, its u [t] of movements, by `sum_with_uncertainty` (0 for none)."""
    if not moves:
        return 0.0, 0.0, 0.0, 0.0
    wet, u_wet = sum_with_uncertainty([m.wet_t for m in moves], [m.u_wet_t for m in moves])
    dry, u_dry = sum_with_uncertainty([m.dry_t for m in moves], [m.u_dry_t for m in moves])
    return wet, u_wet, dry, u_dry


def _safe(lot_id: str) -> None:
    if not is_safe_lot_id(lot_id):
        raise UnsafeLotId(f"lot id {lot_id!r}: expected {LOT_ID_EXPECTED}")


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"time {moment.isoformat()} has no time zone; give UTC or an offset")
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_time(moment: datetime) -> str:
    """A time as the ledger writes it: UTC, milliseconds, ``Z`` (``2026-04-12T05:00:00.000Z``)."""
    return _iso(moment)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


__all__ = [
    "ENTRY_FORMAT",
    "ENTRY_KINDS",
    "Entry",
    "EntryKind",
    "EntryRefused",
    "LedgerAltered",
    "LedgerKeyRefused",
    "LedgerUnavailable",
    "Movement",
    "RunComponent",
    "RunDocument",
    "RunProduct",
    "RunReading",
    "RunReadings",
    "RunRecipe",
    "RunRecipeComponent",
    "Stock",
    "Survey",
    "VoidDocument",
    "YardLedger",
    "YardState",
    "book_stock",
    "check_entry_chain",
    "iso_time",
    "latest_survey",
    "summed",
]
