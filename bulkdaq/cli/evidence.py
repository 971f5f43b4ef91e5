"""`bulkdaq evidence keygen|export|heads|verify`: the site's signing key, offline-verifiable bundles and
the chain heads witnessed outside the terminal."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from bulkdaq.app.terminal_push import queue_manifest_for_office
from bulkdaq.cli.json_output import json_text
from bulkdaq.cli.shipment import open_registry, output_file
from bulkdaq.cli.step_options import required_moment
from bulkdaq.config.site_file import Credentials, load_site
from bulkdaq.config.validation import environment_value
from bulkdaq.errors import InputError
from bulkdaq.evidence.bundle import (
    BundleMalformed,
    Verification,
    export_bundle,
    export_shipment_bundle,
    normalise_fingerprint,
    read_bundle,
    read_heads,
    verify_bundle,
)
from bulkdaq.evidence.chain import KeyFileRefused, SiteKeyExists, create_site_key, fingerprint, load_public_key
from bulkdaq.evidence.heads import ChainHead
from bulkdaq.evidence.witnessed_heads import query_heads

evidence_app = typer.Typer(help="Evidence: signed, chained readings and offline verification.", no_args_is_help=True)
console = Console(soft_wrap=True, emoji=False)  # hashes and fingerprints are copied from here: never broken across lines, never ":cd:" → emoji

# Exit codes of `verify`: 0 verified against a trusted key, 1 a problem found, 3 no trust anchor given.
EXIT_UNTRUSTED = 3
# The verdicts of `verify`, as `--json` writes them.
NOT_VERIFIED, UNTRUSTED, CONSISTENT, VERIFIED = "not verified", "untrusted key", "consistent with the bundle's own key", "verified"


@evidence_app.command("keygen")
def keygen(site_file: Path = typer.Option(..., "--site", help="Site file whose evidence.key_file names where the key goes.")) -> None:
    """Create the site's Ed25519 signing key (private key chmod 600, public key beside it as .pub); never overwrites a key."""
    site = load_site(site_file)
    key_file = site.config.evidence.key_file
    if key_file is None:
        raise InputError(site_file, "evidence.key_file", "set the path of the private key first, e.g. key_file = \"/etc/bulkdaq/site.key\"")
    public_file = key_file.with_suffix(".pub")
    try:
        print_ = create_site_key(key_file, public_file)
    except (SiteKeyExists, KeyFileRefused) as error:
        raise InputError(site_file, "evidence.key_file", str(error)) from None
    except OSError as error:
        raise InputError(site_file, "evidence.key_file", f"cannot write the key pair {key_file}, {public_file}: {error.strerror or error}") from None
    console.print(f"private key {key_file} (owner-only, mode 0600; keep it on the collector only), public key {public_file}")
    console.print(f"fingerprint {print_} (give it to the customs office: it is what verification trusts)")


@evidence_app.command("export")
def export(
    output: Path = typer.Argument(..., help="Bundle to write (JSON)."),
    site_file: Path = typer.Option(..., "--site", help="Site configuration (TOML)."),
    shipment: str | None = typer.Option(None, "--shipment", help="A shipment: its loading window, history and documents."),
    registry: Path | None = typer.Option(None, "--registry", help="Shipment registry (default $BULKDAQ_REGISTRY or var/shipments.sqlite)."),
    start: str | None = typer.Option(None, "--from", help="Window start, ISO 8601 with time zone (without --shipment)."),
    end: str = typer.Option("now", "--to", help="Window end, ISO 8601 with time zone, or 'now' (without --shipment)."),
) -> None:
    """Write the signed blocks of a shipment (or a time window), the figures they give and a signed manifest."""
    output_file(output, "OUTPUT")
    site = load_site(site_file)
    if shipment is not None:
        with open_registry(registry, site) as opened:
            bundle = export_shipment_bundle(site, opened, shipment)
    elif start is not None:
        bundle = export_bundle(site, required_moment(start, "--from"), required_moment(end, "--to"))
    else:
        raise InputError("command line", "--shipment, --from", "give a shipment or the start of a time window")
    output.write_text(json_text(bundle, indent=1), encoding="utf-8")
    claimed = bundle["manifest"]["blocks"]
    console.print(f"{output}: blocks {claimed['first']['seq']}–{claimed['last']['seq']} ({claimed['count']}), {claimed['readings']} readings, "
                  f"key {bundle['manifest']['key_fingerprint']}", highlight=False)
    outbox = queue_manifest_for_office(site, bundle)
    if outbox is not None:
        console.print(f"manifest queued for the customs office in {outbox} (sent by `bulkdaq office push`)", highlight=False)


@evidence_app.command("heads")
def heads(
    output: Path = typer.Argument(..., help="File to write the witnessed heads to (JSON), for `evidence verify --heads`."),
    influx: str = typer.Option(..., "--influx", help="InfluxDB URL holding the `evidence_head` measurement, e.g. http://customs-influx:8086."),
    database: str = typer.Option(..., "--database", help="InfluxDB database."),
    site: str = typer.Option(..., "--site-name", help="The site whose heads to take (the `site` tag)."),
    username: str | None = typer.Option(None, "--username", help="InfluxDB user."),
    password_env: str | None = typer.Option(None, "--password-env", help="Environment variable holding the InfluxDB password or token."),
) -> None:
    """Export the chain heads a site published to InfluxDB, to check bundles against them offline."""
    output_file(output, "OUTPUT")
    found = query_heads(influx, database, site, _credentials(username, password_env))
    output.write_text(json_text([h.as_dict() for h in found], indent=1), encoding="utf-8")
    console.print(f"{output}: {len(found)} heads of site {site}" + (f", blocks {found[0].seq}–{found[-1].seq}" if found else ""), highlight=False)


@evidence_app.command("verify")
def verify(
    bundle_file: Path = typer.Argument(..., help="Bundle (JSON) to check."),
    trusted_key: Path | None = typer.Option(None, "--trusted-key", help="The site's public key (PEM) as registered with customs."),
    trusted_fingerprint: str | None = typer.Option(None, "--fingerprint", help="Or its fingerprint as registered (64 hex digits; spaces and colons are ignored)."),
    accept_bundle_key: bool = typer.Option(False, "--accept-bundle-key", help="Check against the key inside the bundle; proves integrity only, not who made it."),
    heads_file: Path | None = typer.Option(None, "--heads", help="Witnessed chain heads (JSON from `bulkdaq evidence heads`)."),
    influx: str | None = typer.Option(None, "--influx", help="Or read the witnessed heads from this InfluxDB (with --database)."),
    database: str | None = typer.Option(None, "--database", help="InfluxDB database of the witnessed heads."),
    username: str | None = typer.Option(None, "--username", help="InfluxDB user."),
    password_env: str | None = typer.Option(None, "--password-env", help="Environment variable holding the InfluxDB password or token."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Check completeness, chain, signatures, key and history, and recompute the figures from the raw readings.

    Exit 0: verified against a trusted key; 1: a problem was found; 3: no trusted key or fingerprint was given.
    """
    if trusted_key is not None and trusted_fingerprint is not None:
        raise InputError("command line", "--trusted-key, --fingerprint", "give one trust anchor, not both")
    if trusted_key is not None:
        trusted_fingerprint = fingerprint(_public_key(trusted_key))
    elif trusted_fingerprint is not None:
        try:
            trusted_fingerprint = normalise_fingerprint(trusted_fingerprint)
        except ValueError as error:
            raise InputError("command line", "--fingerprint", str(error)) from None
    witnessed = _heads(heads_file, influx, database, username, password_env)
    if witnessed is not None and not witnessed:
        source = heads_file if heads_file is not None else f"{influx} database {database}"
        raise InputError(source, "evidence_head", "no witnessed heads: nothing to check the bundle against")
    bundle = read_bundle(bundle_file)
    try:
        result = verify_bundle(bundle, trusted_fingerprint, witnessed or ())
    except BundleMalformed as error:
        raise InputError(bundle_file, error.where, error.expected) from None
    verdict = (
        NOT_VERIFIED if not result.ok else UNTRUSTED if trusted_fingerprint is None and not accept_bundle_key
        else CONSISTENT if trusted_fingerprint is None else VERIFIED
    )
    if as_json:
        report = result.as_dict() | {"witnessed_heads_given": None if witnessed is None else len(witnessed), "verdict": verdict}
        print(json_text(report))
    else:
        _print_report(result, verdict, witnessed)
    raise typer.Exit({NOT_VERIFIED: 1, UNTRUSTED: EXIT_UNTRUSTED}.get(verdict, 0))


def _print_report(result: Verification, verdict: str, witnessed: list[ChainHead] | None) -> None:
    window = result.window
    console.print(f"site {result.site}" + (f", shipment {result.shipment}" if result.shipment else "")
                  + f", window {window.get('from')} – {window.get('to')}", highlight=False)
    trust = "trusted (matches the key you gave)" if result.key_trusted else "the bundle's own key (NOT a trust anchor)"
    console.print(f"key {result.key_fingerprint}: {trust}", highlight=False)
    console.print(f"{result.blocks_checked} blocks, {result.readings_checked} readings"
                  + (f", {result.events_checked} events (history signed and chained), the newest {result.last_event}" if result.shipment else "")
                  + f"; exported {result.exported}", highlight=False)
    for meter, totals in sorted(result.figures.items()):
        for name, indicated in sorted(totals.items()):
            console.print(f"  {meter} {name}: indicated {indicated}", highlight=False)
    if result.evidence_hash:
        console.print(f"evidence hash (newest event, as on the certificate): {result.evidence_hash}", highlight=False)
    if witnessed is None:
        console.print("[yellow]no witnessed heads given[/]: a rewrite by the terminal itself, with its own key, is not ruled out (--heads or --influx)")
    else:
        console.print(f"witnessed heads: {len(witnessed)} given, {result.heads_checked} bore on this bundle", highlight=False)
    for problem in result.problems:
        console.print(f"[red]✗[/] {escape(problem)}", highlight=False)
    if verdict == NOT_VERIFIED:
        console.print(f"[red]NOT VERIFIED[/] ({len(result.problems)} problems)")
    elif verdict == UNTRUSTED:
        console.print("[yellow]UNTRUSTED KEY[/]: consistent in itself, but no trusted key or fingerprint was given "
                      "(--trusted-key or --fingerprint as registered with customs; --accept-bundle-key to accept the bundle's own)")
    elif verdict == CONSISTENT:
        console.print("[yellow]CONSISTENT[/] against the bundle's own key (accepted by --accept-bundle-key): integrity only, not who made it")
    else:
        console.print("[green]VERIFIED[/]")


def _public_key(path: Path):  # noqa: ANN202
    try:
        return load_public_key(path.read_bytes())
    except FileNotFoundError:
        raise InputError(path, "(file)", "no such file (the site's public key, PEM)") from None
    except ValueError as error:
        raise InputError(path, "(file)", f"not an Ed25519 public key in PEM: {error}") from None


def _heads(heads_file: Path | None, influx: str | None, database: str | None, username: str | None, password_env: str | None) -> list[ChainHead] | None:
    if heads_file is not None and influx is not None:
        raise InputError("command line", "--heads, --influx", "give the witnessed heads from a file or from InfluxDB, not both")
    if influx is None and (database, username, password_env) != (None, None, None):
        raise InputError("command line", "--database, --username, --password-env", "these say where the witnessed heads are: give --influx URL with them")
    if heads_file is not None:
        return read_heads(heads_file)
    if influx is None:
        return None
    if database is None:
        raise InputError("command line", "--database", "the InfluxDB database holding `evidence_head` (with --influx)")
    return query_heads(influx, database, None, _credentials(username, password_env))


def _credentials(username: str | None, password_env: str | None) -> Credentials:
    return Credentials(username, None if password_env is None else environment_value(password_env, "command line", "--password-env"))


__all__ = [
    "EXIT_UNTRUSTED",
    "evidence_app",
    "export",
    "heads",
    "keygen",
    "verify",
]
