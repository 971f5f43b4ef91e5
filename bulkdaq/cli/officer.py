"""`bulkdaq officer …`: a customs officer's own signing key and the card the office registers
(bulkdaq/office/officer_key.py), the registering of cards with a registry (bulkdaq/office/officers.py), and
the officer's decisions on a shipment — investigate, resolve, certify, release — each signed with the
officer's own key (`officer_step` in bulkdaq/shipments/workflow.py). This module parses and prints."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bulkdaq.cli.json_output import json_text
from bulkdaq.cli.office import decision_registry
from bulkdaq.cli.shipment import print_events, print_whole
from bulkdaq.cli.step_options import site_option
from bulkdaq.errors import InputError
from bulkdaq.office.officer_key import (
    DEFAULT_PASSPHRASE_ENV,
    check_officer_id,
    check_officer_name,
    generate_officer_key,
    load_officer_card,
    load_officer_key,
    officer_key_paths,
    read_passphrase,
)
from bulkdaq.office.officers import register_officer, registered_officers, revoke_officer
from bulkdaq.shipments.workflow import officer_step

officer_app = typer.Typer(
    help="Customs officers: their own signing keys, the cards a registry holds, and their decisions on a shipment "
         "(investigate, resolve, certify, release), each signed with the officer's own key.",
    no_args_is_help=True,
)
console = Console(soft_wrap=True, emoji=False)  # fingerprints are copied from here: never broken across lines, never ":cd:" → emoji


@officer_app.command("keygen")
def keygen(
    officer_id: str = typer.Option(..., "--id", help="The officer's service number, e.g. 4401-0231 (letters, digits, '-', '_', '.')."),
    name: str = typer.Option(..., "--name", help="The officer's name, one line (e.g. 李伟)."),
    out: Path = typer.Option(..., "--out", help="Where the key goes: writes OUT.key (private, mode 0600) and OUT.card.json (for the office); the folder is made."),
    passphrase_env: str | None = typer.Option(
        None, "--passphrase-env", help=f"Environment variable holding the passphrase that encrypts the key (default {DEFAULT_PASSPHRASE_ENV}).",
    ),
    passphrase_file: Path | None = typer.Option(None, "--passphrase-file", help="Or a file holding the passphrase (its first line)."),
    no_passphrase: bool = typer.Option(False, "--no-passphrase", help="Leave the private key unencrypted (only on a machine the officer alone uses)."),
) -> None:
    """Create an officer's Ed25519 signing key and its card; never overwrites a key or a card.

    The passphrase comes from an environment variable or a file, never from the command line.
    """
    check_officer_id(officer_id, "command line", "--id")
    check_officer_name(name, "command line", "--name")
    if passphrase_file is not None and passphrase_env is not None:
        raise InputError("command line", "--passphrase-env, --passphrase-file", "give the passphrase one way, not both")
    env_name = passphrase_env if passphrase_env is not None else DEFAULT_PASSPHRASE_ENV
    passphrase = read_passphrase(env_name, passphrase_file)
    if no_passphrase and passphrase is not None:
        given = f"--passphrase-file {passphrase_file}" if passphrase_file is not None else f"the environment variable {env_name} is set"
        raise InputError("command line", "--no-passphrase", f"but {given}: drop --no-passphrase to encrypt the key, or give no passphrase")
    if not no_passphrase and passphrase is None:
        raise InputError(
            "command line", "passphrase",
            f"no passphrase: set the environment variable {env_name} or give --passphrase-file; an officer's key on a shared "
            "office PC must be encrypted (--no-passphrase leaves it unencrypted, only where the officer alone uses the machine)",
        )
    key_path, card_path = officer_key_paths(out)
    card = generate_officer_key(officer_id, name, key_path, card_path, passphrase)
    console.print(f"officer {escape(card.officer_id)} {escape(card.name)}", highlight=False)
    protection = "encrypted with the passphrase" if passphrase is not None else "NOT encrypted"
    console.print(f"private key {escape(str(key_path))} (owner-only, mode 0600, {protection}; keep it with the officer only)", highlight=False)
    console.print(f"card {escape(str(card_path))} (give it to the office registry)", highlight=False)
    console.print(f"fingerprint {card.fingerprint} (the office checks it against the card it registers)", highlight=False)


@officer_app.command("show")
def show(
    card_file: Path = typer.Argument(..., metavar="CARD", help="An officer's card (JSON, from `bulkdaq officer keygen`)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Print an officer's card: service number, name and the fingerprint of its key."""
    card = load_officer_card(card_file)
    if as_json:
        print(json_text(card.as_document() | {"fingerprint": card.fingerprint}))
        return
    console.print(f"officer {escape(card.officer_id)}", highlight=False)
    console.print(f"name {escape(card.name)}", highlight=False)
    console.print(f"fingerprint {card.fingerprint}", highlight=False)


SiteOption = typer.Option(None, "--site", help="Site file (TOML): the registry, and InfluxDB for the clearance state; default $BULKDAQ_SITE.")
PassphraseEnvOption = typer.Option(
    None, "--passphrase-env", help=f"Environment variable holding the key's passphrase (default {DEFAULT_PASSPHRASE_ENV}; an unencrypted key needs none).",
)
PassphraseFileOption = typer.Option(None, "--passphrase-file", help="Or a file holding the key's passphrase (its first line).")


DecisionRegistryOption = typer.Option(
    None, "--registry",
    help="Where decisions are recorded: a registry file, or an office's postgresql://ROLE@HOST:PORT/DATABASE (password in "
         "$BULKDAQ_OFFICE_PASSWORD). Default: the site's [office] registry, else the site's own.",
)


def _passphrase(passphrase_env: str | None, passphrase_file: Path | None) -> bytes | None:
    """The passphrase of --passphrase-file, else of --passphrase-env (default BULKDAQ_OFFICER_PASSPHRASE); never both."""
    if passphrase_file is not None and passphrase_env is not None:
        raise InputError("command line", "--passphrase-env, --passphrase-file", "give the passphrase one way, not both")
    return read_passphrase(passphrase_env if passphrase_env is not None else DEFAULT_PASSPHRASE_ENV, passphrase_file)


def _officer_command(name: str, state: str, summary: str) -> None:
    def command(
        shipment_id: str = typer.Argument(..., metavar="SHIPMENT", help="The shipment's id."),
        key: Path = typer.Option(..., "--key", help="The officer's own private key (OFFICER.key, from `bulkdaq officer keygen`)."),
        reason: str = typer.Option(..., "--reason", help="Why (recorded in the event)."),
        evidence: list[Path] = typer.Option([], "--evidence", help="A file the decision rests on (hashed into the event); repeatable."),
        registry: str | None = DecisionRegistryOption,
        site: Path | None = SiteOption,
        passphrase_env: str | None = PassphraseEnvOption,
        passphrase_file: Path | None = PassphraseFileOption,
    ) -> None:
        officer_key = load_officer_key(key, _passphrase(passphrase_env, passphrase_file))
        loaded = site_option(site)
        with decision_registry(registry, loaded) as opened:
            result = officer_step(opened, shipment_id, state, officer_key, reason, loaded, evidence)
        print_events(result)
        for event in result.events:
            console.print(f"signed by officer {escape(event.actor)} (key {event.signer})", highlight=False)

    command.__doc__ = summary
    officer_app.command(name)(command)


_officer_command("investigate", "investigating", "Open an investigation of a discrepancy, signed with the officer's own key.")
_officer_command("resolve", "resolved", "Close the investigation with its outcome, signed with the officer's own key.")
_officer_command("certify", "certified", "Certify the weight (after verified or resolved), signed with the officer's own key.")
_officer_command("release", "released", "Release the cargo (放行), signed with the officer's own key.")


@officer_app.command("register")
def register(
    card_file: Path = typer.Argument(..., metavar="CARD", help="The officer's card (JSON, from `bulkdaq officer keygen`)."),
    registry: str | None = DecisionRegistryOption,
    site: Path | None = SiteOption,
    actor: str = typer.Option(..., "--actor", help="Who registers the card (recorded with it)."),
) -> None:
    """Register an officer's card with the registry: from then on the officer's key signs the officer's decisions.

    The same card again changes nothing; another card under a registered service number or key is refused.
    """
    card = load_officer_card(card_file)
    with decision_registry(registry, site_option(site)) as opened:
        officer = register_officer(opened, card, actor)
    console.print(f"officer {escape(officer.officer_id)} {escape(officer.name)} registered by {escape(officer.registered_by)} "
                  f"at {officer.registered_at}", highlight=False)
    console.print(f"fingerprint {officer.fingerprint}", highlight=False)


@officer_app.command("revoke")
def revoke(
    officer_id: str = typer.Argument(..., metavar="OFFICER_ID", help="The officer's service number, as registered."),
    reason: str = typer.Option(..., "--reason", help="Why (a lost key, an officer who left); recorded with the revocation."),
    actor: str = typer.Option(..., "--actor", help="Who revokes it (recorded with it)."),
    registry: str | None = DecisionRegistryOption,
    site: Path | None = SiteOption,
) -> None:
    """Revoke an officer's key from now on: no decision is signed with it after, and verification names any recorded after."""
    with decision_registry(registry, site_option(site)) as opened:
        revoked = revoke_officer(opened, officer_id, reason, actor)
    console.print(f"officer {escape(officer_id)}: key {revoked} revoked by {escape(actor)} ({escape(reason)})", highlight=False)


@officer_app.command("list")
def list_command(
    registry: str | None = DecisionRegistryOption,
    site: Path | None = SiteOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """The officers the registry holds: service number, name, key fingerprint, when and by whom registered."""
    with decision_registry(registry, site_option(site)) as opened:
        officers = registered_officers(opened)
        where = str(opened.path)
    if as_json:
        print(json_text({"registry": where, "officers": [
            {"officer_id": o.officer_id, "name": o.name, "fingerprint": o.fingerprint, "registered_at": o.registered_at,
             "registered_by": o.registered_by, "revoked_at": o.revoked_at}
            for o in officers
        ]}))
        return
    console.print(Text(f"{len(officers)} officer{'' if len(officers) == 1 else 's'} registered in {where}"))
    table = Table(title="Officers")
    table.add_column("id", no_wrap=True)
    table.add_column("name")
    table.add_column("fingerprint", no_wrap=True)  # copied from here: never folded
    table.add_column("registered (UTC)")
    table.add_column("by")
    table.add_column("revoked (UTC)")
    for o in officers:
        table.add_row(Text(o.officer_id), Text(o.name), o.fingerprint, o.registered_at, Text(o.registered_by), o.revoked_at or "")
    print_whole(table)


__all__ = ["keygen", "list_command", "officer_app", "register", "revoke", "show"]
