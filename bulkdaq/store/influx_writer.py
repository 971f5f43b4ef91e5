"""Writes line protocol to InfluxDB's v1 ``POST /write`` — the one write surface every InfluxDB serves.

Rules learned on a real server (docs/design.md, "Storage and dashboards, and why"):

* ``204``: stored.
* ``400``: may be a *partial write* (the valid lines were stored). Never retried: the batch is put in
  quarantine on disk with the server's reason and logged, so nothing vanishes silently.
* ``413``: the batch is too large: split in half and write each half.
* ``429``, ``5xx``, connection errors and timeouts: retried with capped exponential backoff with jitter
  (`bulkdaq/backoff.py`), for as long as it takes — replay is safe because writing the same point twice overwrites it.
* ``401``/``403``/``404`` (credentials refused, no right to write, no such database): an operator must act,
  and can without losing readings. The writer says so once, as an error naming the cause and the fix
  (`WriterStats.blocked` holds the same text while it lasts), keeps the batch, and tries again quietly at
  the backoff's cap until the server takes it; then it says once that writes go through again.
* A missing database is created, as Telegraf's InfluxDB output does (it sends ``CREATE DATABASE`` when it
  connects and again when a write finds the database gone, unless ``skip_database_creation = true``):
  `prepare` creates it at start and a ``404 database not found`` creates it again, unless
  ``create_database`` is off (an account that may not create databases; InfluxDB 2.x/3.x, whose v1 API
  creates none). ``CREATE DATABASE`` of a database that exists changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx

from bulkdaq.backoff import Backoff
from bulkdaq.config.site_file import Credentials, LoadedSite, resolve_credentials
from bulkdaq.config.validation import redacted_url, url_without_credentials
from bulkdaq.store.influx_reader import quote_identifier

log = logging.getLogger(__name__)


@dataclass
class WriterStats:
    lines_written: int = 0
    batches_written: int = 0
    retries: int = 0
    batches_quarantined: int = 0
    lines_quarantined: int = 0
    last_error: str | None = None
    quarantine_files: list[Path] = field(default_factory=list)
    # While InfluxDB refuses writes for a reason an operator must fix (HTTP 401, 403, 404): the cause and
    # the fix, as logged once; None while writes go through.
    blocked: str | None = None


class InfluxWriter:
    """Sends batches of lines to one database; each `write` returns once the batch is stored or quarantined."""

    def __init__(
        self,
        url: str,
        database: str,
        credentials: Credentials = Credentials(None, None),
        *,
        timeout_s: float = 10.0,
        max_retry_delay_s: float = 30.0,
        first_retry_delay_s: float = 0.2,
        quarantine_dir: Path = Path("var/quarantine"),
        retention_policy: str | None = None,
        create_database: bool = True,
    ) -> None:
        # A URL's user and password (a command line's --influx http://user:pw@host) become the credentials,
        # so that the URL kept, and every line that prints it (httpx's own log too), holds no secret.
        url, url_user, url_password = url_without_credentials(url)
        if credentials.password is None and url_password is not None:
            credentials = Credentials(credentials.username or url_user, url_password)
        self.url = url.rstrip("/")
        self.database = database
        self.create_database = create_database
        self._username = credentials.username or ("bulkdaq" if credentials.password is not None else None)
        self.quarantine_dir = Path(quarantine_dir)
        self.max_retry_delay_s = max_retry_delay_s
        self.first_retry_delay_s = first_retry_delay_s
        self.stats = WriterStats()
        self._params = {"db": database, "precision": "ms"}
        if retention_policy:
            self._params["rp"] = retention_policy
        auth = (credentials.username or "bulkdaq", credentials.password) if credentials.password is not None else None
        self._client = httpx.AsyncClient(timeout=timeout_s, auth=auth)

    async def write(self, lines: Sequence[str]) -> None:
        """Store `lines` (retrying as the rules above say) or quarantine them; never drop them."""
        if lines:
            await self.write_text("\n".join(lines), len(lines))

    async def write_text(self, text: str, line_count: int) -> None:
        """`write` for `line_count` lines already joined by newlines (as the spool keeps them)."""
        backoff = Backoff(self.first_retry_delay_s, self.max_retry_delay_s)
        body = (text + "\n").encode("utf-8")
        created = False  # the database was just created: a 404 right after it waits like any other
        while True:
            try:
                response = await self._client.post(f"{self.url}/write", params=self._params, content=body)
            except httpx.HTTPError as error:
                reason = f"{type(error).__name__}: {error}"
            else:
                status = response.status_code
                if status == 204:
                    self.stats.lines_written += line_count
                    self.stats.batches_written += 1
                    if self.stats.blocked is not None:
                        log.info("InfluxDB at %s takes writes again (%s was fixed)", redacted_url(self.url), self.stats.blocked.split(":")[0])
                        self.stats.blocked = None
                    return
                if status == 413 and line_count > 1:
                    lines = text.split("\n")
                    half = len(lines) // 2
                    await self.write(lines[:half])
                    await self.write(lines[half:])
                    return
                answer = response.text.strip()[:500]
                reason = f"HTTP {status}: {answer}"
                if status in _OPERATOR_STATUSES:
                    if status == 404 and _DATABASE_NOT_FOUND in answer and self.create_database and not created:
                        problem = await self._create()
                        if problem is None:
                            created = True
                            continue  # created: write again at once
                        answer += f"; creating it failed: {problem}"
                    self._blocked(self._cause_and_fix(status, answer), reason)
                    await asyncio.sleep(backoff.next_delay())
                    created = False
                    continue
                if status == 400 or (400 <= status < 500 and status not in {408, 429}):
                    self._quarantine(text, line_count, reason)
                    return
            self.stats.retries += 1
            self.stats.last_error = reason
            delay = backoff.next_delay()
            log.warning("InfluxDB write of %d lines failed (%s); retrying in %.1f s", line_count, reason, delay)
            await asyncio.sleep(delay)

    async def prepare(self) -> None:
        """Before the first write: create the database unless `create_database` is off. A failure is logged
        once as a warning (the writes then say what stands in their way) and does not stop anything."""
        if not self.create_database:
            return
        problem = await self._create()
        if problem is not None:
            log.warning(
                "could not create database %r on InfluxDB at %s (%s); writes go on, and say what stands in their way",
                self.database, redacted_url(self.url), problem,
            )

    async def _create(self) -> str | None:
        """Send ``CREATE DATABASE``; None when done, else what the server (or the network) said."""
        statement = f"CREATE DATABASE {quote_identifier(self.database)}"
        try:
            response = await self._client.post(f"{self.url}/query", data={"q": statement})
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"
        answer = response.text.strip()[:500]
        if response.status_code == 200 and '"error"' not in answer:
            log.info("created database %r on InfluxDB at %s", self.database, redacted_url(self.url))
            return None
        return f"HTTP {response.status_code}: {answer}"

    def _cause_and_fix(self, status: int, answer: str) -> str:
        """What an operator reads when InfluxDB refuses writes with 401, 403 or 404: the cause, then the fix."""
        where = f"InfluxDB at {redacted_url(self.url)}"
        if status == 401:
            if self._username is None:
                return (
                    f"HTTP 401, no credentials: {where} requires a user and password ({answer}); give [influxdb] "
                    "username and password_env or password_file in the site file"
                )
            return (
                f"HTTP 401, credentials refused: {where} does not accept user {self._username!r} with the password "
                f"given ({answer}); check [influxdb] username (or username_env) and password_env or password_file in the site file"
            )
        if status == 403:
            user = self._username or "the user given"
            return (
                f"HTTP 403, not allowed: {where} does not let {user!r} write to database {self.database!r} ({answer}); "
                f'grant it: GRANT WRITE ON "{self.database}" TO "{user}"'
            )
        if _DATABASE_NOT_FOUND in answer:
            fix = (
                f'create it with an admin account (CREATE DATABASE "{self.database}"): the account bulkdaq uses may not'
                if self.create_database
                else f'create it (CREATE DATABASE "{self.database}") or set [influxdb] create_database = true'
            )
            return f"HTTP 404, no database: {where} has no database {self.database!r} ({answer}); {fix}"
        return (
            f"HTTP 404, not an InfluxDB v1 API: {where} has no /write ({answer}); check [influxdb] url "
            "(the server's base URL, e.g. http://influxdb:8086)"
        )

    def _blocked(self, cause_and_fix: str, reason: str) -> None:
        """Note that InfluxDB refuses writes until an operator acts: logged once per cause, then quietly retried."""
        self.stats.retries += 1
        self.stats.last_error = reason
        if cause_and_fix != self.stats.blocked:
            log.error("%s; the readings wait in the spool and go to InfluxDB once this is fixed (checked every %g s at most)",
                      cause_and_fix, self.max_retry_delay_s)
            self.stats.blocked = cause_and_fix
        else:
            log.debug("InfluxDB still refuses writes: %s", reason)

    def _quarantine(self, text: str, line_count: int, reason: str) -> None:
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        safe_name = re.sub(r"[^A-Za-z0-9_.-]", "_", self.database)  # a database name is not always a file name
        path = self.quarantine_dir / f"{safe_name}-{stamp}-{self.stats.batches_quarantined}.lp"
        header = f"# quarantined {stamp}: {reason}\n# database {self.database}; valid lines may already be stored (partial write)\n"
        path.write_text(header + text + "\n", encoding="utf-8")
        self.stats.batches_quarantined += 1
        self.stats.lines_quarantined += line_count
        self.stats.last_error = reason
        self.stats.quarantine_files.append(path)
        log.error("InfluxDB rejected a batch of %d lines (%s); quarantined in %s", line_count, reason, path)

    async def aclose(self) -> None:
        await self._client.aclose()


# Answers an operator must act on (credentials, rights, the database or the URL); never a quarantine.
_OPERATOR_STATUSES = frozenset({401, 403, 404})
_DATABASE_NOT_FOUND = "database not found"


def writer_for(site: LoadedSite) -> InfluxWriter:
    """An InfluxWriter to the site's database as its ``[influxdb]`` table says (timeouts, retry cap,
    quarantine folder, whether to create the database), credentials from the environment or file it names."""
    target = site.config.influxdb
    return InfluxWriter(
        target.url, target.database, resolve_credentials(target, site.path),
        timeout_s=target.timeout_s, max_retry_delay_s=target.max_retry_delay_s, quarantine_dir=target.quarantine_dir,
        create_database=target.create_database,
    )


__all__ = [
    "InfluxWriter",
    "WriterStats",
    "writer_for",
]
