"""Writes line protocol to InfluxDB's v1 ``POST /write`` — the one write surface every InfluxDB serves.

Rules learned on a real server (docs/design.md, "Storage and dashboards, and why"):

* ``204``: stored.
* ``400``: may be a *partial write* (the valid lines were stored). Never retried: the batch is put in
  quarantine on disk with the server's reason and logged, so nothing vanishes silently.
* ``413``: the batch is too large: split in half and write each half.
* ``429``, ``5xx``, connection errors and timeouts: retried with capped exponential backoff with jitter
  (`bulkdaq/backoff.py`), for as long as it takes — replay is safe because writing the same point twice overwrites it.
* ``401``/``403``/``404`` (bad credentials, unknown database): also retried, loudly, because an
  operator can fix them without losing readings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx

from bulkdaq.backoff import Backoff
from bulkdaq.config.site_file import Credentials

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
    ) -> None:
        self.url = url.rstrip("/")
        self.database = database
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
        while True:
            try:
                response = await self._client.post(f"{self.url}/write", params=self._params, content=body)
            except httpx.HTTPError as error:
                reason = f"{type(error).__name__}: {error}"
            else:
                if response.status_code == 204:
                    self.stats.lines_written += line_count
                    self.stats.batches_written += 1
                    return
                if response.status_code == 413 and line_count > 1:
                    lines = text.split("\n")
                    half = len(lines) // 2
                    await self.write(lines[:half])
                    await self.write(lines[half:])
                    return
                reason = f"HTTP {response.status_code}: {response.text.strip()[:500]}"
                if response.status_code == 400 or (400 <= response.status_code < 500 and response.status_code not in {401, 403, 404, 408, 429}):
                    self._quarantine(text, line_count, reason)
                    return
            self.stats.retries += 1
            self.stats.last_error = reason
            delay = backoff.next_delay()
            log.warning("InfluxDB write of %d lines failed (%s); retrying in %.1f s", line_count, reason, delay)
            await asyncio.sleep(delay)

    def _quarantine(self, text: str, line_count: int, reason: str) -> None:
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.quarantine_dir / f"{self.database}-{stamp}-{self.stats.batches_quarantined}.lp"
        header = f"# quarantined {stamp}: {reason}\n# database {self.database}; valid lines may already be stored (partial write)\n"
        path.write_text(header + text + "\n", encoding="utf-8")
        self.stats.batches_quarantined += 1
        self.stats.lines_quarantined += line_count
        self.stats.last_error = reason
        self.stats.quarantine_files.append(path)
        log.error("InfluxDB rejected a batch of %d lines (%s); quarantined in %s", line_count, reason, path)

    async def aclose(self) -> None:
        await self._client.aclose()


__all__ = [
    "InfluxWriter",
    "WriterStats",
]
