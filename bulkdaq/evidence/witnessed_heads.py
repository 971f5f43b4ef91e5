"""Reading back the chain heads a site published (measurement `evidence_head`), to check bundles against them."""

from __future__ import annotations

from bulkdaq.config.site_file import Credentials
from bulkdaq.config.validation import redacted_url
from bulkdaq.errors import InputError
from bulkdaq.evidence.heads import ChainHead
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader, quote_identifier, quote_string


def query_heads(url: str, database: str, site: str | None, credentials: Credentials = Credentials(None, None)) -> list[ChainHead]:
    """Every head stored for `site` (every site when None), oldest first."""
    head = contract.EVIDENCE_HEAD
    where = "" if site is None else f" WHERE {quote_identifier(contract.SITE_TAG)} = {quote_string(site)}"
    with InfluxReader(url, database, credentials) as reader:
        series = reader.query(f'SELECT "seq", "hash", "signature" FROM {quote_identifier(head.name)}{where} GROUP BY {quote_identifier(contract.SITE_TAG)}')
    heads = []
    for found in series:
        for row in found.rows():
            time_ms = round(row["time"].timestamp() * 1000)
            if not (isinstance(row["seq"], int) and isinstance(row["hash"], str) and isinstance(row["signature"], str)):
                raise InputError(redacted_url(url), f"{head.name} at {row['time'].isoformat()}", "a head point needs an integer seq and string hash and signature")
            heads.append(ChainHead(found.tags[contract.SITE_TAG], row["seq"], row["hash"], time_ms, row["signature"]))
    return sorted(heads, key=lambda h: (h.time_ms, h.seq))


__all__ = ["query_heads"]
