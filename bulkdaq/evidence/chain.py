"""The evidence chain: what the collector acquires is hashed, chained and signed as it is committed.

Every commit of the durable spool is one *block*: its readings (line protocol, exactly as sent to
InfluxDB), a sequence number, the hash of the previous block and the commit time. The block's hash is
SHA-256 over its canonical JSON; it is signed with the site's Ed25519 key. Blocks are kept in an
append-only table of the spool's SQLite file, written in the same transaction as the readings, so a
reading is never acknowledged without its evidence.

A gap (missing sequence number), a reordering, an altered reading or a different key are each
provable from the blocks alone (`bulkdaq/evidence/bundle.py` exports and verifies them).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bulkdaq.errors import BulkdaqError
from bulkdaq.evidence.heads import ChainHead, sign_head

GENESIS = "0" * 64


@dataclass(frozen=True)
class Block:
    seq: int
    prev_hash: str
    created: float  # Unix time of the commit [s]
    lines: tuple[str, ...]
    hash: str
    signature: str  # hex; empty when the site has no signing key

    def as_dict(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "prev_hash": self.prev_hash,
            "created": self.created,
            "lines": list(self.lines),
            "hash": self.hash,
            "signature": self.signature,
        }


def block_hash(seq: int, prev_hash: str, created: float, lines: list[str] | tuple[str, ...]) -> str:
    """SHA-256 (hex) of the block's canonical JSON: keys sorted, no spaces, UTF-8."""
    return _hash_of(seq, prev_hash, created, _lines_json(lines))


def _lines_json(lines: list[str] | tuple[str, ...]) -> str:
    """The lines as a compact JSON array: the `lines` member of the canonical JSON, and what a block stores."""
    return json.dumps(list(lines), separators=(",", ":"), ensure_ascii=False)


def _hash_of(seq: int, prev_hash: str, created: float, lines_json: str) -> str:
    # The canonical JSON written out, keys in sorted order, so the lines (nearly all of it) are encoded once
    # per block for both the hash and the stored copy; identical to json.dumps(..., sort_keys=True,
    # separators=(",", ":"), ensure_ascii=False) of the whole block (tests/bulkdaq/evidence/test_evidence.py checks it).
    canonical = (
        f'{{"created":{json.dumps(created)},"lines":{lines_json},"prev_hash":{json.dumps(prev_hash, ensure_ascii=False)},"seq":{json.dumps(seq)}}}'
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class SiteKeyExists(BulkdaqError, FileExistsError):
    """A site key (or its public half) is already where a new one would go; it is never overwritten."""


class KeyFileRefused(BulkdaqError, ValueError):
    """Key file paths that cannot hold a key pair: the private and the public key at one path, a folder."""


def create_site_key(private_path: Path, public_path: Path) -> str:
    """Write a new Ed25519 key pair and return the key fingerprint.

    The private key is created with mode 0600 (owner read and write only, whatever the umask) and never
    replaces a file: an existing private or public key file, or the two paths being one file (a key file
    named ``site.pub`` whose public half would be ``site.pub`` too), is refused before anything is written.
    A site key signs the registry and the evidence chain and customs trusts its fingerprint, so replacing
    one is a person's deliberate act (move the old pair away first), never a side effect.

    Raises
    ------
    KeyFileRefused, SiteKeyExists
    """
    private_path, public_path = Path(private_path), Path(public_path)
    if private_path.absolute() == public_path.absolute():
        raise KeyFileRefused(f"{private_path}: the private key and its public key would be the same file; "
                             "name the private key with another suffix, e.g. site.key (the public key goes beside it as site.pub)")
    for path, what in ((private_path, "private"), (public_path, "public")):
        if path.is_dir():
            raise KeyFileRefused(f"{path}: is a folder; name the {what} key's file")
        folder = next(parent for parent in path.parents if parent.exists() or parent == parent.parent)
        if not folder.is_dir():
            raise KeyFileRefused(f"{path}: {folder} is a file, not a folder")
        if path.exists() or path.is_symlink():
            raise SiteKeyExists(f"{path} exists; refusing to overwrite a site key (move it away yourself if you mean to replace the key)")
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # whatever the umask: owner read/write only
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    try:
        public_path.parent.mkdir(parents=True, exist_ok=True)
        with open(public_path, "xb") as handle:
            handle.write(public_pem(key.public_key()).encode("ascii"))
    except BaseException:
        private_path.unlink()  # no private key without its public half
        raise
    return fingerprint(key.public_key())


class BadKey(BulkdaqError, ValueError):
    """PEM that is not an Ed25519 key (the cryptography library's reason, or the key's type)."""


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as error:
        raise BadKey(str(error)) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise BadKey(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii") if isinstance(pem, str) else pem)
    except ValueError as error:
        raise BadKey(str(error)) from error
    if not isinstance(key, Ed25519PublicKey):
        raise BadKey("not an Ed25519 public key")
    return key


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex: short enough to read out over the phone, long enough to trust."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


class EvidenceLedger:
    """Appends one signed block per spool commit, inside the spool's own transaction."""

    TABLE = (
        "CREATE TABLE IF NOT EXISTS evidence_block (seq INTEGER PRIMARY KEY, prev_hash TEXT NOT NULL, "
        "created REAL NOT NULL, lines TEXT NOT NULL, hash TEXT NOT NULL, signature TEXT NOT NULL)"
    )

    def __init__(self, key: Ed25519PrivateKey | None, *, keep_s: float | None = None) -> None:
        self.key = key
        self.keep_s = keep_s  # None: every block is kept
        self._seq: int | None = None
        self._prev_hash = GENESIS
        self._head: tuple[int, str] = (0, GENESIS)  # one tuple, so a reader on another thread sees a consistent pair

    def attach(self, db: sqlite3.Connection) -> None:
        """Create the table if needed and continue the chain where it stopped."""
        db.execute(self.TABLE)
        row = db.execute("SELECT seq, hash FROM evidence_block ORDER BY seq DESC LIMIT 1").fetchone()
        self._seq, self._prev_hash = (row[0], row[1]) if row else (0, GENESIS)
        self._head = (self._seq, self._prev_hash)

    def append(self, db: sqlite3.Connection, lines: list[str], created: float) -> Block:
        """Write the next block (call inside the transaction that stores `lines`), then `advance` to it
        once that transaction has committed: a commit that fails leaves the chain where it was."""
        assert self._seq is not None, "attach() first"
        seq = self._seq + 1
        lines_json = _lines_json(lines)
        digest = _hash_of(seq, self._prev_hash, created, lines_json)
        signature = self.key.sign(bytes.fromhex(digest)).hex() if self.key else ""
        db.execute(
            "INSERT INTO evidence_block (seq, prev_hash, created, lines, hash, signature) VALUES (?, ?, ?, ?, ?, ?)",
            (seq, self._prev_hash, created, lines_json, digest, signature),
        )
        return Block(seq, self._prev_hash, created, tuple(lines), digest, signature)

    def advance(self, block: Block) -> None:
        """The block is committed: the next one chains to it, and heads name it."""
        self._seq, self._prev_hash = block.seq, block.hash
        self._head = (block.seq, block.hash)

    def signed_head(self, site: str, not_before_ms: int = 0) -> ChainHead | None:
        """The newest committed block's sequence number and hash, signed for publication and stamped now
        (at least `not_before_ms`, Unix ms); None without a key.

        The head is read before the clock, so every block it counts was committed (and stamped) before
        the head's time: a verifier may hold the chain to that order."""
        if self.key is None:
            return None
        seq, digest = self._head
        time_ms = max(time.time_ns() // 1_000_000, not_before_ms)
        return sign_head(self.key, site, seq, digest, time_ms)

    def prune(self, db: sqlite3.Connection, before: float) -> int:
        """Delete the blocks created before `before` [Unix s] (call inside a transaction); returns how many.
        The newest block always stays: the chain goes on from its hash, also after a restart."""
        assert self._seq is not None, "attach() first"
        return db.execute("DELETE FROM evidence_block WHERE created < ? AND seq < ?", (before, self._seq)).rowcount


def read_blocks(db_path: Path, start: float | None = None, end: float | None = None, *, seq: int | None = None) -> list[Block]:
    """The blocks from the first committed at or after `start` to the last committed at or before `end`
    (Unix seconds), every block between them included, in sequence order; or the one block `seq`.

    Selecting by sequence between the two ends, not by commit time, keeps the run contiguous even if
    the machine's clock stepped back while committing."""
    with sqlite3.connect(db_path) as db:
        columns = "SELECT seq, prev_hash, created, lines, hash, signature FROM evidence_block"
        if seq is not None:
            rows = db.execute(f"{columns} WHERE seq = ?", (seq,)).fetchall()
        else:
            low, high = db.execute(
                "SELECT (SELECT min(seq) FROM evidence_block WHERE created >= ?), (SELECT max(seq) FROM evidence_block WHERE created <= ?)",
                (start if start is not None else float("-inf"), end if end is not None else float("inf")),
            ).fetchone()
            rows = [] if low is None or high is None else db.execute(f"{columns} WHERE seq BETWEEN ? AND ? ORDER BY seq", (low, high)).fetchall()
    return [Block(seq, prev, created, tuple(json.loads(lines)), digest, signature) for seq, prev, created, lines, digest, signature in rows]


def chain_head(db_path: Path) -> tuple[int, str]:
    """The newest block's sequence number and hash (0 and the genesis hash for an empty chain)."""
    with sqlite3.connect(db_path) as db:
        row = db.execute("SELECT seq, hash FROM evidence_block ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


__all__ = [
    "GENESIS",
    "BadKey",
    "Block",
    "EvidenceLedger",
    "KeyFileRefused",
    "SiteKeyExists",
    "block_hash",
    "chain_head",
    "create_site_key",
    "fingerprint",
    "load_private_key",
    "load_public_key",
    "public_pem",
    "read_blocks",
]
