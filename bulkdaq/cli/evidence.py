"""`bulkdaq evidence keygen|export|verify`: the site's signing key and offline-verifiable bundles."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from bulkdaq.cli.ticket import parse_time
from bulkdaq.cli.shipment import open_registry
from bulkdaq.evidence_bundle import export_bundle, export_shipment_bundle, read_bundle, verify_bundle
from bulkdaq.evidence_chain import create_site_key, fingerprint, load_public_key
from bulkdaq.input_error import InputError
from bulkdaq.site_config import load_site

evidence_app = typer.Typer(help="Evidence: signed, chained readings and offline verification.", no_args_is_help=True)
console = Console()


@evidence_app.command("keygen")
def keygen(site_file: Path = typer.Option(..., "--site", help="Site file whose evidence.key_file names where the key goes.")) -> None:
    """Create the site's Ed25519 signing key (private key chmod 600, public key beside it as .pub)."""
    site = load_site(site_file)
    key_file = site.config.evidence.key_file
    if key_file is None:
        raise InputError(site_file, "evidence.key_file", "set the path of the private key first, e.g. key_file = \"/etc/bulkdaq/site.key\"")
    try:
        print_ = create_site_key(key_file, key_file.with_suffix(".pub"))
    except FileExistsError as error:
        raise InputError(site_file, "evidence.key_file", str(error)) from None
    console.print(f"private key {key_file} (keep it on the collector only), public key {key_file.with_suffix('.pub')}")
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
    """Write the signed blocks of a shipment (or a time window) and the figures they give."""
    site = load_site(site_file)
    if shipment is not None:
        with open_registry(registry) as opened:
            bundle = export_shipment_bundle(site, opened, shipment)
    elif start is not None:
        bundle = export_bundle(site, parse_time(start, "--from"), parse_time(end, "--to"))
    else:
        raise InputError("command line", "--shipment, --from", "give a shipment or the start of a time window")
    output.write_text(json.dumps(bundle, indent=1, ensure_ascii=False), encoding="utf-8")
    readings = sum(len(b["lines"]) for b in bundle["blocks"])
    console.print(f"{output}: {len(bundle['blocks'])} blocks, {readings} readings, key {bundle['key_fingerprint']}")


@evidence_app.command("verify")
def verify(
    bundle_file: Path = typer.Argument(..., help="Bundle (JSON) to check."),
    trusted_key: Path | None = typer.Option(None, "--trusted-key", help="The site's public key (PEM) as registered with customs."),
    trusted_fingerprint: str | None = typer.Option(None, "--fingerprint", help="Or its fingerprint (hex)."),
) -> None:
    """Check chain, signatures and key, and recompute the figures from the raw readings. Exit 1 on any problem."""
    if trusted_key is not None:
        trusted_fingerprint = fingerprint(load_public_key(trusted_key.read_bytes()))
    result = verify_bundle(read_bundle(bundle_file), trusted_fingerprint)
    if trusted_fingerprint is None:
        console.print("[yellow]warning:[/] no trusted key given: the bundle is only checked against its own key")
    for problem in result.problems:
        console.print(f"[red]✗[/] {problem}", highlight=False)
    verdict = "[green]VERIFIED[/]" if result.ok else f"[red]NOT VERIFIED[/] ({len(result.problems)} problems)"
    console.print(f"{verdict}: {result.blocks_checked} blocks, {result.readings_checked} readings checked")
    raise typer.Exit(0 if result.ok else 1)
