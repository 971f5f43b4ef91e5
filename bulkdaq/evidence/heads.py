"""Chain heads: the evidence chain's newest block, signed and published where the terminal cannot take it back.

A head says "at `time_ms` the site's chain had reached block `seq`, whose hash is `hash`", signed with
the site key. The collector publishes one at a fixed cadence to InfluxDB (measurement `evidence_head`),
in the manner of Certificate Transparency's signed tree heads. Once a head has left the terminal, a
chain rewritten behind it no longer matches: a block the bundle gives at that sequence number has
another hash, or the bundle stops before a block that was already witnessed inside its window.
`bulkdaq/evidence/bundle.py` checks a bundle against the heads; docs/evidence.md states what this
proves against whom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bulkdaq.evidence.canonical_json import canonical_json
from bulkdaq.store import contract
from bulkdaq.store.line_protocol import Point

HEAD_FORMAT = "bulkdaq-head/1"  # the readings' evidence chain (the spool's blocks)
YARD_HEAD_FORMAT = "bulkdaq-yard-head/1"  # the yard ledger's chain of entries (bulkdaq/yard/ledger.py)
HEAD_FORMATS = (HEAD_FORMAT, YARD_HEAD_FORMAT)


@dataclass(frozen=True)
class ChainHead:
    """The chain's newest block at a moment, signed by the site."""

    site: str
    seq: int
    hash: str
    time_ms: int  # when the head was taken, Unix time [ms]
    signature: str  # hex Ed25519 signature over `signed_bytes()`
    format: str = HEAD_FORMAT  # which chain: the readings' (HEAD_FORMAT) or the yard ledger's (YARD_HEAD_FORMAT)

    def signed_bytes(self) -> bytes:
        return head_message(self.site, self.seq, self.hash, self.time_ms, self.format)

    def verify(self, key: Ed25519PublicKey) -> bool:
        """True when the signature is the given key's over this head."""
        try:
            key.verify(bytes.fromhex(self.signature), self.signed_bytes())
        except (InvalidSignature, ValueError):
            return False
        return True

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {"site": self.site, "seq": self.seq, "hash": self.hash, "time_ms": self.time_ms, "signature": self.signature}
        if self.format != HEAD_FORMAT:  # a readings head is written as it always was
            document["format"] = self.format
        return document

    def to_point(self) -> Point:
        """The head as an `evidence_head` point of the data contract."""
        return Point(
            contract.EVIDENCE_HEAD.name,
            {contract.SITE_TAG: self.site},
            {"seq": self.seq, "hash": self.hash, "signature": self.signature},
            self.time_ms,
        )


def head_message(site: str, seq: int, digest: str, time_ms: int, format_: str = HEAD_FORMAT) -> bytes:
    """What a head's signature covers: its canonical JSON with the format name (so a head signature can
    never be taken for a block's, which signs a bare SHA-256, nor a yard ledger's head for a readings head)."""
    return canonical_json({"format": format_, "site": site, "seq": seq, "hash": digest, "time_ms": time_ms})


def sign_head(key: Ed25519PrivateKey, site: str, seq: int, digest: str, time_ms: int, format_: str = HEAD_FORMAT) -> ChainHead:
    return ChainHead(site, seq, digest, time_ms, key.sign(head_message(site, seq, digest, time_ms, format_)).hex(), format_)


__all__ = ["HEAD_FORMAT", "HEAD_FORMATS", "YARD_HEAD_FORMAT", "ChainHead", "head_message", "sign_head"]
