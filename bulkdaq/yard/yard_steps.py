"""The yard's steps, as a person at the yard takes them (`bulkdaq yard …`) and as the demo and the tests take
them: open the site's ledger with its key, record a lot file, record a finished blending run from the belt
scales' stored totals, publish a run in progress, and publish the yard's series for the board.

A step that writes to the ledger does so first and publishes to InfluxDB after: the ledger is the record,
the series are a view of it. A publication that fails leaves the ledger whole and is said; the next
`bulkdaq yard publish` writes the series again from the ledger (writing a point twice overwrites it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bulkdaq.config.site_file import LoadedSite, resolve_credentials
from bulkdaq.errors import InputError
from bulkdaq.evidence.chain import load_public_key
from bulkdaq.inputs.lot_file import LotDocument, read_lot_file
from bulkdaq.shipments.clearance_writer import PublishFailed, publish
from bulkdaq.shipments.workflow import registry_signing_key
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.line_protocol import Point
from bulkdaq.yard.balance_rule import BalanceRule, load_balance_rule
from bulkdaq.yard.blending_run import BlendingRunFigures, blending_run_from_store, live_blending_run
from bulkdaq.yard.drift_watch import DEFAULT_WINDOW, ScaleFinding, drift_points, watch_scales
from bulkdaq.yard.ledger import Entry, LedgerAltered, YardLedger
from bulkdaq.yard.lot import InboundLot, MoistureResult, OutboundLot, StockSurvey, Transfer
from bulkdaq.yard.recipe import Recipe
from bulkdaq.yard.yard_balance import lot_balances, yard_balance
from bulkdaq.yard.yard_series import balance_points, off_recipe_events, overdrawn_events, run_points, stock_points

YARD_SERIES = "the yard's series"
"""How a failed publication names what it could not write."""


def open_ledger(site: LoadedSite, *, create: bool = False) -> YardLedger:
    """The site's yard ledger (`[yard] ledger`), signing with the site's `[evidence] key_file` when it has one.

    Only the steps that record create the file; a reading step never creates a file or a folder.
    """
    return YardLedger(site.config.yard.ledger, registry_signing_key(site), create=create)


def trusted_key(site: LoadedSite, public_key_file: Path | None = None) -> Ed25519PublicKey | None:
    """The key a ledger must be signed with: the public key file given, else the public half of the site's
    `[evidence] key_file` (None: a site that signs nothing).

    Raises
    ------
    InputError
        The file is missing, a folder, or not a public key in PEM (naming --public-key).
    """
    if public_key_file is None:
        private = registry_signing_key(site)
        return None if private is None else private.public_key()
    try:
        return load_public_key(public_key_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InputError("command line", "--public-key", f"cannot read {public_key_file} ({getattr(error, 'strerror', None) or error})") from None
    except (ValueError, TypeError) as error:
        raise InputError("command line", "--public-key", f"{public_key_file} is not an Ed25519 public key in PEM ({error})") from None


def verified_ledger(site: LoadedSite, public_key_file: Path | None = None, head: tuple[int, str] | None = None) -> YardLedger:
    """The site's ledger, opened for reading and verified first (numbering, chain, every document, signatures)
    against the trusted key (`trusted_key`), and, when `head` is given, holding that entry (number, hash): a
    head an officer kept from an earlier statement, so entries removed from the end are seen.

    Raises
    ------
    bulkdaq.yard.ledger.LedgerAltered
        The ledger does not verify, is signed by another key, or no longer holds `head`.
    """
    ledger = open_ledger(site)
    try:
        if ledger.head() is not None:  # an empty ledger holds nothing to check (and no key yet)
            ledger.verify(trusted_key(site, public_key_file))
        if head is not None:
            number, digest = head
            held = next((e for e in ledger.entries() if e.number == number), None)
            if held is None or held.hash != digest:
                last = ledger.head()
                now = f"it ends at #{last.number}" if last is not None else "it is empty"
                raise LedgerAltered(f"yard ledger {site.config.yard.ledger} does not hold the head kept, #{number} {digest} "
                                    f"({'a different entry stands there' if held is not None else now}): entries were removed or rewritten")
    except BaseException:
        ledger.close()
        raise
    return ledger


def writable_ledger(site: LoadedSite) -> YardLedger:
    """The site's ledger for a step that records (created when missing), verified first against the trusted key:
    nothing is appended to a ledger that does not verify, so a genuine signature never extends an altered chain."""
    ledger = open_ledger(site, create=True)
    try:
        if ledger.head() is not None:
            ledger.verify(trusted_key(site))
    except BaseException:
        ledger.close()
        raise
    return ledger


def yard_rule(site: LoadedSite) -> BalanceRule:
    """The yard balance rule the site names (`[yard] balance_rules`).

    Raises
    ------
    InputError
        The site file names none: a balance is never judged by a rule nobody chose.
    """
    path = site.config.yard.balance_rules
    if path is None:
        raise InputError(site.path, "yard.balance_rules", "no yard balance rule is named; give the rule file "
                         "(e.g. examples/yard/yard_rules.toml): a balance is judged only by a rule the yard and customs agreed")
    return load_balance_rule(path)


def record_lot_file(ledger: YardLedger, path: Path, actor: str, at: datetime) -> Entry:
    """Record what a lot file holds (an inbound lot, an outbound lot, a moisture result, a stock survey, a
    transfer) as the ledger entry of its kind. `at` dates the lots and transfers (their files carry no time);
    a moisture result and a stock survey are dated by their own sampling and survey times."""
    return record_lot_document(ledger, read_lot_file(path), actor, at)


def record_lot_files(ledger: YardLedger, paths: Sequence[Path], actor: str, at: datetime) -> Iterator[tuple[Path, Entry]]:
    """Record several lot files in order, yielding each entry as it is recorded. Every file is read and
    checked before the first is recorded, so a bad file records nothing; the ledger can still refuse one
    (a lot already entered), and then the files before it stay recorded, each its own entry."""
    documents = [(path, read_lot_file(path)) for path in paths]
    for path, document in documents:
        yield path, record_lot_document(ledger, document, actor, at)


def record_lot_document(ledger: YardLedger, document: LotDocument, actor: str, at: datetime) -> Entry:
    """The ledger entry of a lot file's document (see `record_lot_file`)."""
    if isinstance(document, InboundLot):
        return ledger.lot_entered(document, actor, at)
    if isinstance(document, OutboundLot):
        return ledger.lot_shipped(document, actor, at)
    if isinstance(document, MoistureResult):
        return ledger.moisture(document, actor)
    if isinstance(document, StockSurvey):
        return ledger.stock_survey(document, actor)
    if isinstance(document, Transfer):
        return ledger.transfer(document, actor, at)
    raise AssertionError(f"lot file kind {type(document).__name__} has no ledger entry")  # read_lot_file knows only the kinds above


@dataclass(frozen=True)
class RecordedRun:
    """A finished run: its figures, the ledger entry that holds them, and whether the board has them."""

    figures: BlendingRunFigures
    entry: Entry
    published: bool
    publish_error: str = ""


def record_run(
    site: LoadedSite, ledger: YardLedger, recipe: Recipe, run: str, start: datetime, end: datetime, actor: str,
    *, outbound_lot: str | None = None, influx_url: str | None = None, publish_series: bool = True,
) -> RecordedRun:
    """Work out a finished run from the belt scales' stored totals, record it in the ledger, then publish it.

    Raises
    ------
    bulkdaq.yard.blending_run.ScaleTotalDropped, bulkdaq.shipments.stored_totals.NoReadings, InputError
        No figure can be had (nothing is recorded).
    bulkdaq.yard.ledger.EntryRefused
        The ledger refuses the run (a run id recorded before, a lot it does not know …).
    """
    figures = blending_run_from_store(site, recipe, run, start, end, influx_url=influx_url, outbound_lot=outbound_lot)
    document = figures.as_document()
    entry = ledger.run(document, actor)
    if not publish_series:
        return RecordedRun(figures, entry, False)
    name = site.config.site.name
    points = run_points(name, document, end, "finished") + off_recipe_events(name, document, end)
    if site.config.yard.balance_rules is not None:  # the stock the run leaves, as the board shows it
        points += stock_points(name, ledger.state(), yard_rule(site), end)
    error = publish_points(site, points)
    return RecordedRun(figures, entry, not error, error)


def publish_live_run(site: LoadedSite, recipe: Recipe, run: str, start: datetime, now: datetime, *, influx_url: str | None = None) -> BlendingRunFigures | None:
    """The figures of a run in progress, published as `running` (None, and nothing written, while no belt has
    delivered anything yet)."""
    target = site.config.influxdb
    with InfluxReader(influx_url or target.url, target.database, resolve_credentials(target, site.path)) as reader:
        figures = live_blending_run(reader, site, recipe, run, start, now)
    if figures is not None:
        publish(site, run_points(site.config.site.name, figures.as_document(), now, "running"), what=YARD_SERIES)
    return figures


def yard_points(site: LoadedSite, ledger: YardLedger, at: datetime, period: tuple[datetime, datetime] | None = None) -> list[Point]:
    """The yard's series from the ledger as it stands: every recorded run's rows and off-recipe events (at its
    end, as `record_run` published them), and, timed `at`, each pile's stock, a `lot_overdrawn` event for each
    overdrawn pile and, when a period is given, each pile's and the period's balance."""
    name, state, rule = site.config.site.name, ledger.state(), yard_rule(site)
    piles = lot_balances(state, rule)
    points = []
    for entry, run in state.runs.values():
        document = run.model_dump(mode="json")
        points += run_points(name, document, entry.time, "finished") + off_recipe_events(name, document, entry.time)
    points += stock_points(name, state, rule, at) + overdrawn_events(name, piles, at)
    if period is not None:
        points += balance_points(name, yard_balance(state, rule, *period, entries=ledger.entries()), at)
    return points


def watch_drift(site: LoadedSite, ledger: YardLedger, actor: str, at: datetime, *, window: int = DEFAULT_WINDOW) -> tuple[tuple[ScaleFinding, ...], str]:
    """Check every configured belt scale against the draft surveys of the lots it moved; record a new
    "drifted" finding in the ledger (once), then publish each scale's check and an event per drifted scale.
    Returns the findings and the reason the board could not be told (empty when it was)."""
    findings = watch_scales(ledger, site.config.yard, actor, at, window=window)
    return findings, publish_points(site, drift_points(site.config.site.name, findings, at))


def publish_points(site: LoadedSite, points: list[Point]) -> str:
    """Write points to the site's InfluxDB; the reason it could not (empty when it did)."""
    try:
        publish(site, points, what=YARD_SERIES)
    except PublishFailed as error:
        return str(error)
    return ""


__all__ = ["YARD_SERIES", "RecordedRun", "open_ledger", "publish_live_run", "publish_points", "record_lot_document", "record_lot_file", "record_lot_files", "record_run", "trusted_key", "verified_ledger", "watch_drift", "writable_ledger", "yard_points", "yard_rule"]
