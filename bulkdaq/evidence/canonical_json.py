"""Canonical JSON: the one byte form of a document that bulkdaq hashes or signs.

Keys sorted, no spaces, UTF-8 (not ASCII-escaped), floats as Python's shortest repr, NaN and infinity
refused. Every hash of the evidence chain, the chain heads, the bundle manifest and the shipment
registry is SHA-256 over these bytes, so any verifier that writes JSON this way gets the same hashes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(document: Any) -> bytes:
    """The canonical bytes of a JSON document: sorted keys, no spaces, UTF-8, floats as Python's repr."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def sha256_hex(document: Any) -> str:
    """SHA-256 (hex) of a document's canonical JSON."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


__all__ = ["canonical_json", "sha256_hex"]
