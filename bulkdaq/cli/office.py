"""`bulkdaq office …`: the customs office's registry over many terminals (docs/office.md): its schema and
roles (its owner), the terminals' site keys, a terminal's push, and what the office holds.

The registry is named by `--registry` (a PostgreSQL URL without its password, or a SQLite file) with the
password from the environment variable `--password-env` (default BULKDAQ_OFFICE_PASSWORD), or by a site
file's `[office]` section (`--site`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bulkdaq.app.terminal_push import build_pusher, office_settings, open_office_registry, push_until_stopped
from bulkdaq.cli.json_output import json_text
from bulkdaq.cli.shipment import open_registry
from bulkdaq.cli.step_options import actor_name
from bulkdaq.config.site_file import LoadedSite, load_site
from bulkdaq.errors import InputError
from bulkdaq.evidence.chain import BadKey, load_public_key
from bulkdaq.office.decision_record import decision_record
from bulkdaq.office.intake import conflicts, register_site_key, site_intake
from bulkdaq.office.pusher import PushReport
from bulkdaq.office.roles import grant_office, grant_terminal
from bulkdaq.shipments.registry import ShipmentRegistry
from bulkdaq.shipments.registry_database import is_database_url, migrate_registry
from bulkdaq.wording.shown_text import shown

office_app = typer.Typer(help="The customs office over many terminals: its registry, roles, site keys, pushes and health.",
                         no_args_is_help=True)
console = Console(soft_wrap=True, emoji=False)

PASSWORD_ENV = "BULKDAQ_OFFICE_PASSWORD"
RegistryOption = typer.Option(None, "--registry", help="The office registry: postgresql://ROLE@HOST:PORT/DATABASE (no password), or a SQLite file.")
PasswordEnvOption = typer.Option(PASSWORD_ENV, "--password-env", help="Environment variable holding the role's password.")
SiteOption = typer.Option(None, "--site", help="A site file whose [office] section names the registry (instead of --registry).")
JsonOption = typer.Option(False, "--json", help="Print one JSON object.")


def _text(value: str) -> str:
    """Text from a terminal, a card or a push, printed as itself: markup escaped, hidden characters made visible."""
    return escape(shown(value))


def _password(env_name: str) -> str | None:
    return os.environ.get(env_name) or None


def decision_registry(registry: str | None, site: LoadedSite | None, password_env: str = PASSWORD_ENV) -> ShipmentRegistry:
    """Where an officer's decision is recorded: --registry (an office URL or a registry file), else the site's
    `[office]` registry, else the site's own registry (a single terminal)."""
    if registry is not None:
        if is_database_url(registry):
            return ShipmentRegistry(registry, password=_password(password_env), create=False)
        return open_registry(Path(registry), site)
    if site is not None and site.config.office is not None:
        return open_office_registry(site)
    return open_registry(None, site)


def _registry(registry: str | None, password_env: str, site: Path | None) -> ShipmentRegistry:
    if registry is not None and site is not None:
        raise InputError("command line", "--registry, --site", "name the registry one way, not both")
    if registry is not None:
        if is_database_url(registry):
            return ShipmentRegistry(registry, password=_password(password_env), create=False)
        return ShipmentRegistry(Path(registry), create=False)
    if site is not None:
        return open_office_registry(load_site(site))
    raise InputError("command line", "--registry", "name the office registry (--registry URL) or a site file with an [office] section (--site)")


@office_app.command("migrate")
def migrate_command(registry: str = typer.Option(..., "--registry", help="The office database, as its owner: postgresql://OWNER@HOST:PORT/DATABASE."),
                    password_env: str = PasswordEnvOption) -> None:
    """Create the office registry's schema, or bring it to the newest revision (its owner only; Alembic)."""
    revision = migrate_registry(registry if is_database_url(registry) else Path(registry), _password(password_env))
    console.print(f"registry at schema revision {revision}", highlight=False)


@office_app.command("grant")
def grant_command(role: str = typer.Argument(..., help="An existing PostgreSQL role."),
                  terminal: str | None = typer.Option(None, "--terminal", help="The site the role pushes for (sees and appends only its rows)."),
                  officers: bool = typer.Option(False, "--officers", help="The role officers record their steps with (reads every site)."),
                  registry: str = typer.Option(..., "--registry", help="The office database, as its owner."),
                  password_env: str = PasswordEnvOption) -> None:
    """Grant a role what a terminal or the officers need, and nothing more (its owner only)."""
    if (terminal is None) == (not officers):
        raise InputError("command line", "--terminal, --officers", "give one: --terminal SITE for a terminal's role, or --officers")
    with _registry(registry, password_env, None) as opened:
        if terminal is not None:
            grant_terminal(opened, role, terminal)
            console.print(f"role {escape(role)}: pushes for site {escape(terminal)} (its rows only; append only)", highlight=False)
        else:
            grant_office(opened, role)
            console.print(f"role {escape(role)}: reads every site, appends officers' steps", highlight=False)


@office_app.command("add-site")
def add_site_command(site_name: str = typer.Argument(..., help="The terminal's site name, as in its site file."),
                     public_key: Path = typer.Option(..., "--public-key", help="The terminal's site key, public half (PEM; `bulkdaq evidence keygen` writes it)."),
                     id_prefix: str | None = typer.Option(None, "--id-prefix", help="The site's own shipment ids begin with this (e.g. ZJ-): "
                                                          "the office then takes no other id from it, and no id in it from another site."),
                     actor: str | None = typer.Option(None, "--actor", help="Who registers it (default $BULKDAQ_ACTOR or the login name)."),
                     registry: str = typer.Option(..., "--registry", help="The office database, as its owner."),
                     password_env: str = PasswordEnvOption) -> None:
    """Register a terminal's site key: every event and head it pushes is checked against it."""
    try:
        key = load_public_key(public_key.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError("command line", "--public-key", f"cannot read {public_key}: {error.strerror}") from None
    except (BadKey, ValueError) as error:
        raise InputError(public_key, "public key", f"not an Ed25519 public key in PEM ({error})") from None
    with _registry(registry, password_env, None) as opened:
        digest = register_site_key(opened, site_name, key, actor_name(actor), id_prefix=id_prefix)
    console.print(f"site {escape(site_name)}: key {digest}" + (f", shipment ids {escape(id_prefix)}…" if id_prefix else ""), highlight=False)


@office_app.command("push")
def push_command(site: Path = typer.Option(..., "--site", help="The terminal's site file (its [office] section names the office)."),
                 registry: Path | None = typer.Option(None, "--local-registry", help="The terminal's own registry (default: as `shipment` commands find it)."),
                 once: bool = typer.Option(False, "--once", help="Push once and stop (default: push every [office] push_interval_s until stopped)."),
                 release_holds: bool = typer.Option(False, "--release-holds", help="Push again what the office refused before (after an operator has looked)."),
                 as_json: bool = JsonOption) -> None:
    """Push this terminal's events, figures, chain heads and bundle manifests to the office, with retries."""
    loaded = load_site(site)
    office_settings(loaded)
    with open_registry(registry, loaded) as local:
        pusher = build_pusher(loaded, local)
        if release_holds:
            released = pusher.outbox.release_holds()
            console.print(f"{released} held subject(s) released", highlight=False)
        if once:
            pusher.take_head()
            try:
                report = pusher.push_once()
            finally:
                pusher.close()
            _print_report(report, as_json)
            if report.unreachable is not None:
                raise typer.Exit(1)
            return
        stop = asyncio.Event()

        async def run() -> None:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await push_until_stopped(pusher, loaded, stop, lambda report: _print_report(report, as_json, quiet=True))

        asyncio.run(run())


def _report_document(report: PushReport) -> dict[str, object]:
    def outcome(o: object) -> dict[str, object]:
        return {"accepted": o.accepted, "duplicates": o.duplicates, "conflicts": o.conflicts}  # type: ignore[attr-defined]
    return {"events": outcome(report.events), "heads": outcome(report.heads), "manifests": outcome(report.manifests),
            "held": report.held, "unreachable": report.unreachable, "queued": report.queued,
            "decisions_pulled": report.decisions_pulled, "pull_refused": report.pull_refused}


def _print_report(report: PushReport, as_json: bool, *, quiet: bool = False) -> None:
    if as_json:
        print(json_text(_report_document(report)), flush=True)
        return
    moved = report.events.accepted + report.heads.accepted + report.manifests.accepted + report.decisions_pulled
    if quiet and not moved and report.unreachable is None and not report.held:
        return
    stamp = time.strftime("%H:%M:%S")
    if report.unreachable is not None:
        console.print(f"{stamp} office not reached: {escape(report.unreachable)}; {report.queued} queued, nothing lost", highlight=False)
    else:
        console.print(
            f"{stamp} pushed {report.events.accepted} events ({report.events.duplicates} already held), "
            f"{report.heads.accepted} heads, {report.manifests.accepted} manifests; {report.queued} queued; "
            f"{report.decisions_pulled} officers' decisions brought back",
            highlight=False,
        )
    for shipment, reason in report.pull_refused.items():
        console.print(f"  NOT TAKEN from the office for {_text(shipment)}: {_text(reason)}", highlight=False)
    for subject, reason in report.held.items():
        console.print(f"  HELD {_text(subject)}: {_text(reason)}", highlight=False)


@office_app.command("status")
def status_command(registry: str | None = RegistryOption, password_env: str = PasswordEnvOption, site: Path | None = SiteOption,
                   stale_after_s: float = typer.Option(180.0, "--stale-after", help="A site whose newest chain head is older than this is STALE [s]."),
                   as_json: bool = JsonOption) -> None:
    """What the office holds of each terminal, and which have gone quiet."""
    with _registry(registry, password_env, site) as opened:
        rows = site_intake(opened)
    now_ms = time.time_ns() // 1_000_000
    documents = []
    for row in rows:
        documents.append({**row.__dict__, "head_age_s": row.head_age_s(now_ms), "stale": row.stale(now_ms, stale_after_s)})
    if as_json:
        print(json_text({"sites": documents, "stale_after_s": stale_after_s}))
        return
    table = Table("site", "key", "events", "last event", "heads", "last head", "head age", "yard head", "manifests", "conflicts", "")
    for document in documents:
        age = document["head_age_s"]
        table.add_row(
            _text(str(document["site"])), str(document["key_fingerprint"])[:16] + "…", f"{document['events']:,}", str(document["last_event_at"] or "—"),
            f"{document['heads']:,}", "—" if document["last_head_seq"] is None else f"#{document['last_head_seq']:,}",
            "—" if age is None else f"{age:,.0f} s",
            "—" if document["last_yard_head_seq"] is None else f"{document['last_yard_head_seq']}:{document['last_yard_head_hash']}",
            f"{document['manifests']:,}", f"{document['conflicts']:,}",
            "STALE" if document["stale"] else "",
        )
    console.print(table)


@office_app.command("conflicts")
def conflicts_command(registry: str | None = RegistryOption, password_env: str = PasswordEnvOption, site: Path | None = SiteOption,
                      site_name: str | None = typer.Option(None, "--site-name", help="Only this site's."), as_json: bool = JsonOption) -> None:
    """Every push that contradicted what the office already held (a rewritten history, a replayed forgery)."""
    with _registry(registry, password_env, site) as opened:
        found = conflicts(opened, site_name)
    if as_json:
        print(json_text({"conflicts": found}))
        return
    if not found:
        console.print("no conflicts", highlight=False)
    for item in found:
        checked = "CONFIRMED: signed by the site, contradicting what the office holds" if item["confirmed"] else \
            "NOT CONFIRMED: the offered document is not the site's signed one, or the office holds no such hash (written without bulkdaq?)"
        console.print(f"{_text(item['received_at'])} site {_text(item['site'])}: {checked}", highlight=False)
        console.print(f"  {_text(item['what'])}: held {_text(item['held_hash'])}, offered {_text(item['offered_hash'])}", highlight=False)


@office_app.command("verify")
def verify_command(shipment_id: str, registry: str | None = RegistryOption, password_env: str = PasswordEnvOption, site: Path | None = SiteOption,
                   as_json: bool = JsonOption) -> None:
    """Check a shipment's history whole and list who decided what, when, on which evidence."""
    with _registry(registry, password_env, site) as opened:
        steps = decision_record(opened, shipment_id)
    if as_json:
        print(json_text({"shipment": shipment_id, "history": "intact", "steps": [
            {"number": s.number, "time": s.time.isoformat(), "from": s.from_state, "to": s.to_state, "decided_by": s.decided_by,
             "key": s.key_fingerprint, "reason": s.reason, "evidence": [{"hash": e.hash, "kind": e.kind} for e in s.evidence], "hash": s.hash}
            for s in steps]}))
        return
    console.print(f"shipment {_text(shipment_id)}: history intact, {len(steps)} steps, every signature checked", highlight=False)
    for step in steps:
        cited = ", ".join(f"{_text(e.kind)} {e.hash[:12]}…" for e in step.evidence) or "no evidence"
        key = f" key {step.key_fingerprint[:16]}…" if step.key_fingerprint else " (unsigned)"
        console.print(f"#{step.number} {step.time.isoformat()} {step.from_state or '—'} → {step.to_state}: {_text(step.decided_by)}{key}; "
                      f"{_text(step.reason)}; on {cited}", highlight=False)


__all__ = ["decision_registry", "office_app"]
