"""Wiring of a terminal's push to the customs office: the site's registry, outbox, key and spool put
together into an `OfficePusher` (bulkdaq/office/pusher.py), and the loop that runs it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bulkdaq.config.site_file import LoadedSite, OfficeSettings, office_password
from bulkdaq.errors import InputError
from bulkdaq.office.outbox import TerminalOutbox
from bulkdaq.office.pusher import OfficePusher, PushReport, queue_bundle_manifest
from bulkdaq.shipments.registry import ShipmentRegistry
from bulkdaq.shipments.workflow import registry_signing_key


def office_settings(site: LoadedSite) -> OfficeSettings:
    if site.config.office is None:
        raise InputError(site.path, "office", "no [office] section: name the customs office's registry (registry = \"postgresql://ROLE@HOST:PORT/DATABASE\")")
    return site.config.office


def outbox_path(site: LoadedSite) -> Path:
    office = office_settings(site)
    return office.outbox or Path("var/office-outbox") / f"{site.config.site.name}.sqlite"


def open_office_registry(site: LoadedSite) -> ShipmentRegistry:
    """The office's registry as the site's `[office]` section names it, with the role's password."""
    office = office_settings(site)
    return ShipmentRegistry(office.registry, password=office_password(office, site.path), create=False)


def build_pusher(site: LoadedSite, local: ShipmentRegistry) -> OfficePusher:
    """A pusher for the terminal `site`, pushing the history in `local` (its registry)."""
    outbox = TerminalOutbox(outbox_path(site))
    key = registry_signing_key(site)
    if key is None:
        raise InputError(site.path, "evidence.key_file", "pushing to the office needs the site key: the office takes signed events and heads only")
    spool = site.config.spool.path_for(site.config.site.name)
    return OfficePusher(site.config.site.name, local, outbox, lambda: open_office_registry(site), key, spool, site.config.yard.ledger)


def queue_manifest_for_office(site: LoadedSite, bundle: dict[str, Any]) -> Path | None:
    """With an `[office]` section, queue the bundle's signed manifest for the office (the next push sends
    it); returns the outbox, or None for a site without an office."""
    if site.config.office is None:
        return None
    path = outbox_path(site)
    with TerminalOutbox(path) as outbox:
        queue_bundle_manifest(outbox, bundle)
    return path


async def push_until_stopped(pusher: OfficePusher, site: LoadedSite, stop: asyncio.Event,
                             on_report: Callable[[PushReport], None] | None = None) -> None:
    office = office_settings(site)
    try:
        await pusher.run(office.push_interval_s, office.max_retry_delay_s, stop, on_report)
    finally:
        pusher.close()


__all__ = ["build_pusher", "office_settings", "open_office_registry", "outbox_path", "push_until_stopped", "queue_manifest_for_office"]
