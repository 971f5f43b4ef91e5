"""What every recording step of the command line asks: who acts, which site, and when (each option's value
checked here once, for `bulkdaq shipment …` and `bulkdaq yard …` alike)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from bulkdaq.config.site_file import LoadedSite, load_site
from bulkdaq.errors import InputError


def actor_name(actor: str | None) -> str:
    """--actor, else $BULKDAQ_ACTOR, else $USER: every recorded step names who took it."""
    name = actor or os.environ.get("BULKDAQ_ACTOR") or os.environ.get("USER")
    if not name:
        raise InputError("command line", "--actor", "who is acting? give --actor NAME (or set BULKDAQ_ACTOR)")
    return name


def moment_option(text: str | None, option: str) -> datetime | None:
    """An ISO 8601 time with its zone (None for none given or ``now``)."""
    if text is None or text == "now":
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError("command line", option, f"expected an ISO 8601 time such as 2026-04-17T08:00:00Z, got {text!r}") from None
    if moment.tzinfo is None:
        raise InputError("command line", option, f"{text!r} has no time zone; add Z (UTC) or an offset such as +08:00")
    return moment


def required_moment(text: str, option: str) -> datetime:
    """An ISO 8601 time with its zone, or ``now``."""
    moment = moment_option(text, option)
    return moment if moment is not None else datetime.now(timezone.utc)


def site_option(path: Path | None) -> LoadedSite | None:
    """The site of --site, else of $BULKDAQ_SITE (set it once for the terminal: every step then publishes to the
    boards and uses the site's registry and ledger), else none."""
    given = path or (Path(os.environ["BULKDAQ_SITE"]) if os.environ.get("BULKDAQ_SITE") else None)
    return None if given is None else load_site(given)


__all__ = ["actor_name", "moment_option", "required_moment", "site_option"]
