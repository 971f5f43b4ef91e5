"""`bulkdaq yard …`: the bonded blending yard (保税混矿): record lots and runs in the yard ledger, watch a run,
read the stock and the balance, check the belt scales against the draft surveys, verify the ledger and print
the yard statement.

The steps are in `bulkdaq/yard/yard_steps.py` (and the modules it names), so the demo and the tests drive the
same code; this module parses the arguments and prints.
"""

from __future__ import annotations

import time as wall_clock
from datetime import datetime, timezone
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from bulkdaq.cli.json_output import json_text
from bulkdaq.cli.shipment import console, open_registry, output_file, print_whole
from bulkdaq.cli.simulate import parse_drift
from bulkdaq.cli.step_options import actor_name, moment_option, required_moment, site_option
from bulkdaq.config.site_file import LoadedSite
from bulkdaq.config.validation import pydantic_problems
from bulkdaq.errors import InputError
from bulkdaq.evidence.chain import fingerprint
from bulkdaq.shipments.clearance_writer import publish
from bulkdaq.shipments.tolerance_rules import load_rule_set
from bulkdaq.wording.figure_format import figure_text, percent_text
from bulkdaq.wording.glossary import YARD_VERDICTS
from bulkdaq.yard.drift_watch import skipped_lots, unconfigured_scales
from bulkdaq.yard.ledger import Entry
from bulkdaq.yard.lot import Moisture
from bulkdaq.yard.recipe import load_recipe
from bulkdaq.yard.yard_balance import TONNE_DECIMALS, lot_balances, yard_balance
from bulkdaq.yard.yard_steps import (
    YARD_SERIES,
    publish_live_run,
    record_lot_files,
    record_run,
    trusted_key,
    verified_ledger,
    watch_drift,
    writable_ledger,
    yard_points,
    yard_rule,
)

yard_app = typer.Typer(help="The bonded blending yard (保税混矿): lots, blending runs, stock, the mass balance, scale drift, the statement.",
                       no_args_is_help=True)

SiteOption = typer.Option(None, "--site", help="Site file (TOML) with the [yard] table: ledger, balance rule, belt scales; default $BULKDAQ_SITE.")
ActorOption = typer.Option(None, "--actor", help="Who records (kept in the entry); default $BULKDAQ_ACTOR or $USER.")
AtOption = typer.Option(None, "--at", help="When it happened, ISO 8601 with a zone (default now).")
JsonOption = typer.Option(False, "--json", help="Print one JSON object.")


def _yard_site(path: Path | None) -> LoadedSite:
    site = site_option(path)
    if site is None:
        raise InputError("command line", "--site", "which yard? give --site FILE (a site file with a [yard] table) or set BULKDAQ_SITE")
    return site


SHARE_DECIMALS = 2
"""A run's shares and the recipe's targets [%], as the yard statement prints them."""


def _t(value: float, signed: bool = False) -> str:
    return figure_text(value, "t", TONNE_DECIMALS, signed=signed)


def _entry_line(entry: Entry) -> str:
    return f"#{entry.number} {entry.kind} {entry.subject}  ({entry.time.isoformat()}, hash {entry.hash[:16]}…)"


@yard_app.command("record")
def record_command(files: list[Path] = typer.Argument(..., help="Lot files (JSON): inbound or outbound lots, moisture results, stock surveys, transfers."),
                   site: Path | None = SiteOption, actor: str | None = ActorOption, at: str | None = AtOption) -> None:
    """Record lot files in the yard ledger, in the order given (each file one signed entry)."""
    loaded = _yard_site(site)
    who, when = actor_name(actor), required_moment(at or "now", "--at")
    with writable_ledger(loaded) as ledger:
        for file, entry in record_lot_files(ledger, files, who, when):
            console.print(escape(f"{file}: {_entry_line(entry)}"), highlight=False)


@yard_app.command("from-shipment")
def from_shipment_command(
    shipment_id: str = typer.Argument(..., help="A shipment of the registry, already measured."),
    lot: str = typer.Option(..., "--lot", help="The new lot's id."),
    origin: str = typer.Option(..., "--origin"), brand: str = typer.Option(..., "--brand"), grade: str = typer.Option(..., "--grade"),
    declaration: str = typer.Option(..., "--declaration", help="The customs declaration of the lot."),
    moisture: float = typer.Option(..., "--moisture", help="Moisture content at entry [% wet basis, ISO 3087]."),
    moisture_u: float = typer.Option(..., "--moisture-u", help="Its standard uncertainty [percentage points]."),
    moisture_source: str = typer.Option(..., "--moisture-source", help="The laboratory report the moisture comes from."),
    method: str = typer.Option("draft_survey", "--method", help="The shipment's method whose figure is the lot's (e.g. draft_survey)."),
    rules: Path | None = typer.Option(None, "--rules", help="Tolerance rule file: its uncertainty for the method when the figure carries none."),
    registry: Path | None = typer.Option(None, "--registry", help="Shipment registry; default the site's."),
    site: Path | None = SiteOption, actor: str | None = ActorOption, at: str | None = AtOption,
) -> None:
    """Enter a shipment already measured by bulkdaq as an inbound lot, without retyping: the lot cites the
    shipment, the registry event and the evidence its figure comes from."""
    loaded = _yard_site(site)
    rule_set = load_rule_set(rules) if rules is not None else None
    try:
        lot_moisture = Moisture(pct=moisture, u_pct=moisture_u, source=moisture_source)
    except ValidationError as error:
        key, problem = pydantic_problems(error, "docs/yard.md")[0]
        option = {"pct": "--moisture", "u_pct": "--moisture-u", "source": "--moisture-source"}.get(key, "--moisture")
        raise InputError("command line", option, problem) from None
    with open_registry(registry, loaded) as shipments, writable_ledger(loaded) as ledger:
        entry = ledger.entry_from_shipment(shipments, shipment_id, lot=lot, origin=origin, brand=brand, grade=grade, declaration=declaration,
                                           moisture=lot_moisture, actor=actor_name(actor), at=required_moment(at or "now", "--at"), method=method,
                                           rules=rule_set)
    console.print(escape(f"{shipment_id} → {_entry_line(entry)}"), highlight=False)


@yard_app.command("run")
def run_command(recipe: Path = typer.Argument(..., help="Recipe file (TOML)."), run: str = typer.Option(..., "--run", help="The run's id."),
                start: str = typer.Option(..., "--from", help="When the run began (ISO 8601 with a zone)."),
                end: str = typer.Option(..., "--to", help="When it ended."),
                outbound_lot: str | None = typer.Option(None, "--outbound-lot", help="The outbound lot the run's product is for, if known."),
                site: Path | None = SiteOption, actor: str | None = ActorOption, as_json: bool = JsonOption) -> None:
    """Record a finished blending run: each component's delivered mass on its feeder belt scale, the product
    on the product scale, from the stored totals; the ratios against the recipe; then publish it."""
    loaded = _yard_site(site)
    recipe_ = load_recipe(recipe, loaded)
    with writable_ledger(loaded) as ledger:
        recorded = record_run(loaded, ledger, recipe_, run, required_moment(start, "--from"), required_moment(end, "--to"), actor_name(actor),
                              outbound_lot=outbound_lot)
    document = recorded.figures.as_document()
    if as_json:
        print(json_text({"entry": recorded.entry.as_dict(), "run": document, "published": recorded.published, "publish_error": recorded.publish_error}))
        return
    print_whole(run_table(document))
    console.print(escape(_entry_line(recorded.entry)), highlight=False)
    if not recorded.published:
        console.print(escape(f"not on the yard board yet: {recorded.publish_error} (`bulkdaq yard publish` writes it again)"), highlight=False)


def run_table(document: dict) -> Table:
    """A run's components and product, each figure at its decimals with its unit."""
    table = Table(title=f"run {document['run']}: recipe {document['recipe']['name']} v{document['recipe']['version']}")
    for column in ("component", "scale", "delivered", "u", "share", "target", "legal", "recipe"):
        table.add_column(column, justify="right" if column in ("delivered", "u", "share", "target") else "left")
    for c in document["components"]:
        table.add_row(c["lot"], c["scale"], _t(c["wet_t"]), _t(c["u_wet_t"]), percent_text(c["share_pct"], decimals=SHARE_DECIMALS),
                      f"{percent_text(c['target_pct'], decimals=SHARE_DECIMALS)} ± {c['tolerance_pp']:.{SHARE_DECIMALS}f} pp",
                      "yes" if c["legal"] else "below Σmin",
                      "OFF" if c["off_recipe"] else "on")
    product = document["product"]
    table.add_row("product", product["scale"], _t(product["wet_t"]), _t(product["u_wet_t"]), "", "", "yes" if product["legal"] else "below Σmin",
                  f"{YARD_VERDICTS[document['product_verdict']][0]} (Σ {_t(document['sum_components_t'])}, U {_t(document['expanded_u_t'])})")
    return table


@yard_app.command("live")
def live_command(recipe: Path = typer.Argument(..., help="Recipe file (TOML)."), run: str = typer.Option(..., "--run", help="The run's id."),
                 start: str = typer.Option(..., "--from", help="When the run began (ISO 8601 with a zone)."),
                 every: float = typer.Option(10.0, "--every", min=0.5, help="Seconds between publications."),
                 until: str | None = typer.Option(None, "--until", help="Stop at this time (default: run until interrupted)."),
                 site: Path | None = SiteOption) -> None:
    """Publish a run in progress to the yard board (shares so far against the recipe) every few seconds."""
    loaded = _yard_site(site)
    recipe_ = load_recipe(recipe, loaded)
    began, stop = required_moment(start, "--from"), moment_option(until, "--until")
    try:
        while True:
            now = datetime.now(timezone.utc)
            figures = publish_live_run(loaded, recipe_, run, began, now)
            if figures is None:
                console.print(f"{now.isoformat(timespec='seconds')}  run {escape(run)}: nothing delivered yet", highlight=False)
            else:
                shares = ", ".join(f"{c.name} {percent_text(c.share_pct, decimals=SHARE_DECIMALS)}" for c in figures.result.components)
                console.print(escape(f"{now.isoformat(timespec='seconds')}  run {run}: {shares}; product {_t(figures.product.wet_t)}"), highlight=False)
            if stop is not None and now >= stop:
                return
            wall_clock.sleep(every)
    except KeyboardInterrupt:
        return


@yard_app.command("stock")
def stock_command(site: Path | None = SiteOption, as_json: bool = JsonOption) -> None:
    """Every pile's stock (an inbound lot's or a product pile's), wet and dry, with its expanded uncertainty
    and its status; an overdrawn lot is named."""
    loaded = _yard_site(site)
    with verified_ledger(loaded) as ledger:
        balances = lot_balances(ledger.state(), yard_rule(loaded))
    if as_json:
        print(json_text({"ledger": str(loaded.config.yard.ledger), "piles": [b.as_document() for b in balances]}))
        return
    table = Table(title=f"yard ledger {loaded.config.yard.ledger}")
    k = yard_rule(loaded).coverage_factor
    for column in ("pile", "origin", "entered wet", "out wet", "stock wet", f"U (k = {k:g})", "stock from", "stock dry", "status"):
        table.add_column(column, justify="left" if column in ("pile", "origin", "stock from", "status") else "right")
    for b in balances:
        wet, dry = b.wet.stock, b.dry.stock
        table.add_row(b.pile, b.particulars.get("origin", ""), _t(b.wet.entered.value_t), _t(b.wet.out.value_t), _t(wet.held_t),
                      _t(k * wet.u_held_t), wet.source, _t(dry.held_t), b.status)
    print_whole(table)


@yard_app.command("balance")
def balance_command(start: str = typer.Option(..., "--from", help="The period's start (ISO 8601 with a zone)."),
                    end: str = typer.Option(..., "--to", help="The period's end (excluded)."),
                    site: Path | None = SiteOption, as_json: bool = JsonOption) -> None:
    """The yard's mass balance for a period, wet and dry: opening stock + entered − out − closing stock, its
    expanded uncertainty and its verdict by the site's balance rule; then every flag with its entries."""
    loaded = _yard_site(site)
    with verified_ledger(loaded) as ledger:
        try:
            balance = yard_balance(ledger.state(), yard_rule(loaded), required_moment(start, "--from"), required_moment(end, "--to"),
                                   entries=ledger.entries())
        except ValueError as error:
            raise InputError("command line", "--to", str(error)) from None
    document = balance.as_document()
    if as_json:
        print(json_text(document))
        return
    table = Table(title=f"yard balance {document['period']['from']} … {document['period']['to']} (rule {balance.rule.label})")
    for column in ("basis", "opening + entered", "out", "closing stock", "difference", "U", "verdict"):
        table.add_column(column, justify="left" if column in ("basis", "verdict") else "right")
    for basis in ("wet", "dry"):
        b = document["period_balance"][basis]
        table.add_row(basis, _t(b["entered_with_opening_t"]), _t(b["out_t"]), _t(b["stock_t"]), _t(b["difference_t"], signed=True),
                      _t(b["expanded_u_t"]), YARD_VERDICTS[b["verdict"]][0])
    print_whole(table)
    for flag in document["flags"]:
        entries = ", ".join(f"#{e['entry']}" for e in flag["evidence"])
        console.print(escape(f"flag {flag['kind']}: {flag['subject']}: {flag['detail']} (entries {entries})"), highlight=False)


@yard_app.command("publish")
def publish_command(start: str | None = typer.Option(None, "--from", help="With --to: also the balance of this period."),
                    end: str | None = typer.Option(None, "--to", help="The period's end (excluded)."),
                    site: Path | None = SiteOption) -> None:
    """Write the yard's series for the yard board again from the ledger: every recorded run, each pile's stock,
    an event for each overdrawn lot, and with --from/--to each pile's and the period's balance (writing a
    point again overwrites it)."""
    loaded = _yard_site(site)
    began, ended = moment_option(start, "--from"), moment_option(end, "--to")
    if (began is None) != (ended is None):
        raise InputError("command line", "--from" if began is None else "--to", "a period needs both --from and --to")
    now = datetime.now(timezone.utc)
    with verified_ledger(loaded) as ledger:
        try:
            points = yard_points(loaded, ledger, now, None if began is None or ended is None else (began, ended))
        except ValueError as refused:
            raise InputError("command line", "--to", str(refused)) from None
    publish(loaded, points, what=YARD_SERIES)  # PublishFailed, a BulkdaqError, says in one line why not
    console.print(f"{len(points)} points written to {escape(loaded.config.influxdb.url)} database {escape(loaded.config.influxdb.database)}", highlight=False)


@yard_app.command("drift")
def drift_command(window: int = typer.Option(10, "--window", min=5, help="The newest pairs (lots) a verdict looks at, at least 5."),
                  site: Path | None = SiteOption, actor: str | None = ActorOption, as_json: bool = JsonOption) -> None:
    """Each belt scale against the draft surveys of the lots it moved: the bias and its interval against the
    MPE of its OIML R 50 class; a scale drifted beyond its class is recorded in the ledger (once per finding)
    and raised on the yard board."""
    loaded = _yard_site(site)
    with writable_ledger(loaded) as ledger:
        findings, error = watch_drift(loaded, ledger, actor_name(actor), datetime.now(timezone.utc), window=window)
        state = ledger.state()
    skipped, unconfigured = skipped_lots(state), unconfigured_scales(state, loaded.config.yard)
    if as_json:
        print(json_text({"scales": [f.as_document() for f in findings], "lots_without_pair": [s.as_document() for s in skipped],
                         "scales_not_configured": list(unconfigured), "published": not error, "publish_error": error}))
        return
    table = Table(title="belt scales against the draft surveys of the lots they moved")
    for column in ("scale", "class", "lots", "bias", "interval", "MPE", "verdict", "ledger"):
        table.add_column(column, justify="right" if column in ("lots", "bias", "interval", "MPE") else "left")
    for finding in findings:
        check = finding.check
        numbers = finding.verdict != "insufficient"
        table.add_row(finding.scale, f"{finding.accuracy_class:g}", str(finding.available),
                      percent_text(check.mean_pct, signed=True, decimals=SHARE_DECIMALS) if numbers else "—",
                      f"{percent_text(check.ci_low_pct, signed=True, decimals=SHARE_DECIMALS)} … "
                      f"{percent_text(check.ci_high_pct, signed=True, decimals=SHARE_DECIMALS)}" if numbers else "—",
                      percent_text(check.mpe_pct, decimals=SHARE_DECIMALS), YARD_VERDICTS[finding.verdict][0],
                      f"#{finding.entry.number}" if finding.entry is not None else "")
    print_whole(table)
    if skipped:
        console.print(f"{len(skipped)} lots give no pair (why, lot by lot: --json)", highlight=False)
    if unconfigured:
        console.print(escape(f"not checked (figures name them, [[yard.belt_scales]] does not): {', '.join(unconfigured)}"), highlight=False, soft_wrap=True)
    if error:
        console.print(escape(f"not on the yard board: {error}"), highlight=False)


PublicKeyOption = typer.Option(None, "--public-key", help="The site's public key (PEM) the ledger must be signed with; default the public "
                                "half of the site's [evidence] key_file.")
HeadOption = typer.Option(None, "--head", help="NUMBER:HASH of an entry kept from an earlier statement or check: the ledger must still hold it "
                          "(entries removed from the end are caught only this way).")


def _head(text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    number, _, digest = text.partition(":")
    if not number.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InputError("command line", "--head", f"expected NUMBER:HASH (the entry number and its 64 hex digits, as a statement prints them), got {text!r}")
    return int(number), digest


@yard_app.command("verify")
def verify_command(site: Path | None = SiteOption, public_key: Path | None = PublicKeyOption, head: str | None = HeadOption) -> None:
    """Verify the yard ledger: numbering, chain, every entry and document against its hash, the schema's
    append-only guards, and every signature against the site's key (not the key the file carries)."""
    loaded = _yard_site(site)
    key = trusted_key(loaded, public_key)
    with verified_ledger(loaded, public_key, _head(head)) as ledger:
        last = ledger.head()
    where = f"{loaded.config.yard.ledger}"
    if last is None:
        console.print(f"yard ledger {escape(where)}: empty", highlight=False)
        return
    signer = f"the site key {fingerprint(key)}" if key is not None else "no key (the site signs nothing; checked against itself only)"
    console.print(escape(f"yard ledger {where}: VERIFIED against {signer}: {last.number} entries, head #{last.number} {last.hash}"),
                  highlight=False, soft_wrap=True)


@yard_app.command("void")
def void_command(number: int = typer.Argument(..., help="The entry to void."),
                 reason: str = typer.Option(..., "--reason", help="Why (kept in the void entry)."),
                 site: Path | None = SiteOption, actor: str | None = ActorOption) -> None:
    """Void a mistaken entry: a new entry names it and says why; nothing is edited or deleted."""
    loaded = _yard_site(site)
    with writable_ledger(loaded) as ledger:
        console.print(escape(_entry_line(ledger.void(number, reason, actor_name(actor)))), highlight=False)


@yard_app.command("statement")
def statement_command(start: str = typer.Option(..., "--from", help="The period's start (ISO 8601 with a zone)."),
                      end: str = typer.Option(..., "--to", help="The period's end (excluded)."),
                      out: Path = typer.Option(Path("yard-statement.html"), "--out", help="HTML file to write."),
                      site: Path | None = SiteOption, public_key: Path | None = PublicKeyOption, head: str | None = HeadOption) -> None:
    """Write the bilingual yard statement (保税混矿堆场报表) for a period as printable HTML, from the ledger verified
    against the site's key."""
    from dashboards.reports.yard_statement import write_yard_statement

    loaded = _yard_site(site)
    began, ended = required_moment(start, "--from"), required_moment(end, "--to")
    if ended <= began:
        raise InputError("command line", "--to", f"the period ends ({ended.isoformat()}) before it starts ({began.isoformat()})")
    target = output_file(out, "--out", folder_made=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with verified_ledger(loaded, public_key, _head(head)) as ledger:
        written = write_yard_statement(target, ledger, yard_rule(loaded), began, ended, yard=loaded.config.site.name,
                                       site_key=trusted_key(loaded, public_key))
    console.print(escape(f"yard statement written to {written}"), highlight=False)


EXAMPLES = Path("examples/yard")


@yard_app.command("demo")
def demo_command(
    site_file: Path = typer.Argument(EXAMPLES / "site.toml", help="The yard's site file (TOML)."),
    recipe: Path = typer.Option(EXAMPLES / "recipes" / "pb-blend-62.toml", "--recipe", help="Recipe file (TOML)."),
    lots: list[Path] = typer.Option([EXAMPLES / "lots" / f"{lot}.json" for lot in ("L-PILBARA-01", "L-BRAZIL-07", "L-SA-03")], "--lot",
                                    help="Inbound lot files recorded before the runs."),
    data_dir: Path = typer.Option(Path("var/demo-yard"), "--data-dir", help="Where the demo keeps its data (emptied at each run)."),
    run_t: float = typer.Option(6_000.0, "--run-t", help="Components' mass of each run [t]."),
    rate_t_h: float = typer.Option(3_000.0, "--rate-t-h", help="Their summed rate [t/h]."),
    seconds: float = typer.Option(30.0, "--seconds", help="Real seconds the two runs take (sets the speed-up)."),
    drift: str = typer.Option("BF-2=+3.0", "--drift", help="The feeder scale that counts high in the second run, and by how much [%]: SCALE=PCT."),
) -> None:
    """The yard on one machine: belt scales simulated, collected into a private InfluxDB, two runs recorded
    (the second with a feeder scale out of calibration), the outbound lot, the balance and the statement."""
    import asyncio

    from bulkdaq.app.demo import fresh_demo_folder
    from bulkdaq.app.yard_demo import run_yard_demo, yard_demo_site
    from bulkdaq.config.site_file import load_site
    from bulkdaq.store.local_influxd import LocalInfluxd

    scale, drift_pct = parse_drift(drift)
    site = load_site(site_file)
    fresh_demo_folder(data_dir)
    with LocalInfluxd(data_dir / "influxdb") as influxd:
        console.print(f"influxd on {influxd.url} (data in {influxd.data_dir})", highlight=False)
        site, fingerprint = yard_demo_site(site, influxd.url, data_dir)
        console.print(f"site key fingerprint {fingerprint}", highlight=False)
        result = asyncio.run(run_yard_demo(site, recipe, lots, data_dir, fingerprint, run_t=run_t, rate_t_h=rate_t_h, seconds=seconds,
                                           drift_scale=scale, drift_pct=drift_pct, say=lambda text: console.print(escape(text), highlight=False, soft_wrap=True)))
        for outcome in result.runs:
            document = outcome.recorded.figures.as_document()
            table = run_table(document)
            print_whole(table)
            truth = ", ".join(f"{name} {_t(mass)}" for name, mass in outcome.truth_t.items())
            console.print(escape(f"  simulator ground truth (what passed over each belt): {truth}"), highlight=False, soft_wrap=True)
        balance = result.balance.as_document()
        for basis in ("wet", "dry"):
            b = balance["period_balance"][basis]
            console.print(escape(f"yard balance, {basis}: opening + entered {_t(b['entered_with_opening_t'])} − out {_t(b['out_t'])} − "
                                 f"stock {_t(b['stock_t'])} = {_t(b['difference_t'], signed=True)} (U {_t(b['expanded_u_t'])}): "
                                 f"{YARD_VERDICTS[b['verdict']][0]}"), highlight=False, soft_wrap=True)
        for flag in balance["flags"]:
            entries = ", ".join(f"#{e['entry']}" for e in flag["evidence"])
            console.print(escape(f"flag {flag['kind']}: {flag['subject']}: {flag['detail']} (entries {entries})"), highlight=False, soft_wrap=True)
        console.print(escape(f"yard ledger {result.ledger_path}: verified against site key {result.fingerprint}"), highlight=False, soft_wrap=True)
        console.print(escape(f"yard statement: {result.statement}"), highlight=False)
    console.print("demo finished; influxd and the simulators are stopped.")


def register(app: typer.Typer) -> None:
    """Add `yard …` to the bulkdaq command line."""
    app.add_typer(yard_app, name="yard")


__all__ = ["register", "run_table"]
