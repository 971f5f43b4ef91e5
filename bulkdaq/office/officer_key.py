"""An officer's own signing key and the public card the office registers for it.

A customs officer's decisions (certify, release, investigate, resolve a shipment) are signed with the
officer's own Ed25519 key, never with the terminal's. The private key stays with the officer (PKCS8 PEM,
owner-only, encrypted with a passphrase unless the officer chose otherwise); the *card* is what the
office registers: the officer's service number, name and public key, as JSON::

    {"format": "bulkdaq-officer-card/1", "officer_id": "4401-0231", "name": "李伟", "public_key": "-----BEGIN PUBLIC KEY-----…"}

The fingerprint is never stored: it is computed from the public key, the same way as the site key's
(`bulkdaq.evidence.chain.fingerprint`), so a card cannot carry a fingerprint that is not its key's.
A card is read strictly: a missing, unknown or mistyped field, a bad format tag, an id outside the
pattern, a name of more than one line or a key that is not an Ed25519 public key is refused, naming the
file, the field and what was expected.
"""

from __future__ import annotations

import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bulkdaq.errors import BulkdaqError
from bulkdaq.evidence.chain import BadKey, fingerprint, load_public_key, public_pem
from bulkdaq.wording.shown_text import hidden_characters, shown

CARD_FORMAT = "bulkdaq-officer-card/1"
"""The card's format tag: the first member of every card, checked before anything else is trusted."""

CARD_FIELDS = ("format", "officer_id", "name", "public_key")
"""The members of a card, in the order it is written; no other member is accepted."""

OFFICER_ID_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,40}")
"""An officer's service number ("4401-0231"): letters, digits, '-', '_', '.', 1 to 40 characters."""

NAME_MAX_CHARS = 80

DEFAULT_PASSPHRASE_ENV = "BULKDAQ_OFFICER_PASSPHRASE"
"""The environment variable an officer's passphrase is read from when no other is named."""

KEY_SUFFIX, CARD_SUFFIX = ".key", ".card.json"


class OfficerKeyError(BulkdaqError, ValueError):
    """A bad officer card or key file, or a key that cannot be used: ``SOURCE: FIELD: PROBLEM``."""

    def __init__(self, source: str | os.PathLike[str], field: str, problem: str) -> None:
        self.source = str(source)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.source}: {field}: {problem}")


class OfficerKeyExists(OfficerKeyError, FileExistsError):
    """An officer's key or card is already where a new one would go; it is never overwritten."""


@dataclass(frozen=True)
class OfficerCard:
    """What the office registers for an officer: service number, name and public key (PEM).

    Constructing one checks the three fields (OfficerKeyError naming ``officer card`` and the field);
    `officer_card_from_document` checks them first, naming the file they came from.
    """

    officer_id: str
    name: str
    public_key_pem: str

    def __post_init__(self) -> None:
        check_officer_id(self.officer_id, "officer card")
        check_officer_name(self.name, "officer card")
        _check_public_key(self.public_key_pem, "officer card", "public_key")

    def public_key(self) -> Ed25519PublicKey:
        return load_public_key(self.public_key_pem)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the raw public key, hex (as `bulkdaq.evidence.chain.fingerprint`): computed, never stored."""
        return fingerprint(self.public_key())

    def as_document(self) -> dict[str, str]:
        """The card as written to its JSON file (no fingerprint: it is the key's, computed on reading)."""
        return {"format": CARD_FORMAT, "officer_id": self.officer_id, "name": self.name, "public_key": self.public_key_pem}


def check_officer_id(value: object, source: str | os.PathLike[str], field: str = "officer_id") -> str:
    """`value` if it is a service number (OFFICER_ID_PATTERN); OfficerKeyError naming `source` and `field` if not."""
    if not isinstance(value, str):
        raise OfficerKeyError(source, field, f"expected text (the officer's service number, e.g. \"4401-0231\"), got {_type_name(value)}")
    if not OFFICER_ID_PATTERN.fullmatch(value):
        raise OfficerKeyError(source, field, f"{value!r} is not a service number: expected 1 to 40 letters, digits, '-', '_' or '.' (e.g. \"4401-0231\")")
    return value


def check_officer_name(value: object, source: str | os.PathLike[str], field: str = "name") -> str:
    """`value` if it is an officer's name: one line of 1 to 80 characters, no control or invisible formatting
    characters (bidi overrides, zero-width characters), no space at either end."""
    if not isinstance(value, str):
        raise OfficerKeyError(source, field, f"expected text (the officer's name, one line), got {_type_name(value)}")
    if not value.strip():
        raise OfficerKeyError(source, field, "is empty; expected the officer's name (one line, 1 to 80 characters)")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        kind = "more than one line" if any(c in value for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029") else "a control character"
        raise OfficerKeyError(source, field, f"{value!r} holds {kind}; expected one line of text")
    hidden = hidden_characters(value)
    if hidden:  # a right-to-left override or a zero-width character makes one name pass for another
        raise OfficerKeyError(source, field, f"{shown(value)!r} holds invisible formatting ({', '.join(hidden)}); expected the name as it is read")
    if value != value.strip():
        raise OfficerKeyError(source, field, f"{value!r} starts or ends with a space; expected the name without them")
    if len(value) > NAME_MAX_CHARS:
        raise OfficerKeyError(source, field, f"is {len(value)} characters long; expected at most {NAME_MAX_CHARS}")
    return value


def _check_public_key(value: object, source: str | os.PathLike[str], field: str) -> str:
    if not isinstance(value, str):
        raise OfficerKeyError(source, field, f"expected text (an Ed25519 public key in PEM), got {_type_name(value)}")
    try:
        value.encode("ascii")
        load_public_key(value)
    except UnicodeEncodeError:
        raise OfficerKeyError(source, field, "not an Ed25519 public key in PEM: PEM is ASCII text") from None
    except (BadKey, UnsupportedAlgorithm) as error:
        raise OfficerKeyError(source, field, f"not an Ed25519 public key in PEM ({error})") from None
    return value


def _type_name(value: object) -> str:
    """The JSON name of a value's type, as a person who wrote the JSON knows it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def officer_card_from_document(document: object, source: str | os.PathLike[str]) -> OfficerCard:
    """The card in `document` (parsed JSON), checked strictly; OfficerKeyError names `source`, the field and what was expected."""
    if not isinstance(document, dict):
        raise OfficerKeyError(source, "(document)", f"expected a JSON object with {', '.join(CARD_FIELDS)}, got {_type_name(document)}")
    unknown = [key for key in document if key not in CARD_FIELDS]
    if unknown:
        raise OfficerKeyError(source, str(unknown[0]), f"unknown field; a card holds only {', '.join(CARD_FIELDS)}")
    for key in CARD_FIELDS:
        if key not in document:
            raise OfficerKeyError(source, key, f"missing; a card holds {', '.join(CARD_FIELDS)}")
    tag = document["format"]
    if tag != CARD_FORMAT:
        shown = repr(tag) if isinstance(tag, str) else _type_name(tag)
        raise OfficerKeyError(source, "format", f"{shown} is not an officer card's format; expected {CARD_FORMAT!r}")
    officer_id = check_officer_id(document["officer_id"], source)
    name = check_officer_name(document["name"], source)
    pem = _check_public_key(document["public_key"], source, "public_key")
    return OfficerCard(officer_id, name, pem)


def load_officer_card(path: str | os.PathLike[str]) -> OfficerCard:
    """The officer card in the JSON file `path`, checked strictly (`officer_card_from_document`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OfficerKeyError(path, "(file)", "no such file (an officer card, JSON)") from None
    except IsADirectoryError:
        raise OfficerKeyError(path, "(file)", "is a folder; expected an officer card (JSON)") from None
    except UnicodeDecodeError as error:
        raise OfficerKeyError(path, "(file)", f"not UTF-8 text: {error}") from None
    except OSError as error:
        raise OfficerKeyError(path, "(file)", f"cannot read it: {error.strerror or error}") from None
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        raise OfficerKeyError(path, "(file)", f"not JSON: {error.msg} at line {error.lineno} column {error.colno}; expected an officer card") from None
    except _DuplicateKey as duplicate:
        raise OfficerKeyError(path, duplicate.key, "given twice; expected each field once") from None
    return officer_card_from_document(document, path)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _DuplicateKey(key)
        document[key] = value
    return document


def officer_key_paths(out: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The private key and card files for the stem `out`: ``<out>.key`` and ``<out>.card.json``."""
    out = Path(out)
    return out.with_name(out.name + KEY_SUFFIX), out.with_name(out.name + CARD_SUFFIX)


def read_passphrase(env_name: str | None, passphrase_file: str | os.PathLike[str] | None, source: str = "command line") -> bytes | None:
    """An officer's passphrase from the file `passphrase_file` (its one line; a final line break is not part
    of it) or else from the environment variable `env_name`; None when neither is given or set.

    A passphrase is never taken from the command line itself. An empty one is refused (OfficerKeyError)."""
    if passphrase_file is not None:
        path = Path(passphrase_file)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise OfficerKeyError(path, "(file)", "no such file (the officer's passphrase)") from None
        except IsADirectoryError:
            raise OfficerKeyError(path, "(file)", "is a folder; expected the file holding the officer's passphrase") from None
        except OSError as error:
            raise OfficerKeyError(path, "(file)", f"cannot read it: {error.strerror or error}") from None
        passphrase = data.removesuffix(b"\n").removesuffix(b"\r")
        if not passphrase:
            raise OfficerKeyError(path, "(file)", "is empty; expected the officer's passphrase")
        return passphrase
    if env_name is None:
        return None
    value = os.environ.get(env_name)
    if value is None:
        return None
    if not value:
        raise OfficerKeyError(source, env_name, "the environment variable is set but empty; expected the officer's passphrase")
    return value.encode("utf-8")


def generate_officer_key(
    officer_id: str, name: str, key_path: str | os.PathLike[str], card_path: str | os.PathLike[str], passphrase: bytes | None,
) -> OfficerCard:
    """Create an officer's Ed25519 key: the private key (PKCS8 PEM, encrypted with `passphrase` unless it is
    None) at `key_path`, mode 0600 whatever the umask, and the card (JSON) at `card_path`; returns the card.

    Neither file is ever overwritten: an existing key or card, the two paths being one file, a folder where
    a file should go, is refused before anything is written (OfficerKeyExists, OfficerKeyError). Folders are
    made as needed. If the card cannot be written, the key just written is removed: no key without its card.
    """
    key_path, card_path = Path(key_path), Path(card_path)
    check_officer_id(officer_id, card_path)
    check_officer_name(name, card_path)
    if passphrase is not None and not passphrase:
        raise OfficerKeyError(key_path, "passphrase", "is empty; give a passphrase, or none to leave the key unencrypted")
    if key_path.absolute() == card_path.absolute():
        raise OfficerKeyError(key_path, "(file)", "the private key and the card would be the same file; name them apart")
    for path, what in ((key_path, "private key"), (card_path, "card")):
        if path.is_dir():
            raise OfficerKeyError(path, "(file)", f"is a folder; name the officer's {what} file")
        folder = next(parent for parent in path.parents if parent.exists() or parent == parent.parent)
        if not folder.is_dir():
            raise OfficerKeyError(path, "(file)", f"{folder} is a file, not a folder")
        if path.exists() or path.is_symlink():
            raise OfficerKeyExists(path, "(file)", f"exists; refusing to overwrite an officer's {what} (move it away yourself if you mean to replace the key)")
    key = Ed25519PrivateKey.generate()
    card = OfficerCard(officer_id, name, public_pem(key.public_key()))
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption() if passphrase is None else serialization.BestAvailableEncryption(passphrase)
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    try:
        key_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise OfficerKeyExists(key_path, "(file)", "exists; refusing to overwrite an officer's private key") from None
    except OSError as error:
        raise OfficerKeyError(key_path, "(file)", f"cannot write it: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)  # whatever the umask: owner read/write only
            handle.write(pem)
        card_path.parent.mkdir(parents=True, exist_ok=True)
        with open(card_path, "x", encoding="utf-8") as card_file:
            card_file.write(json.dumps(card.as_document(), indent=2, ensure_ascii=False) + "\n")
    except BaseException as error:
        key_path.unlink(missing_ok=True)  # no private key without its card
        if isinstance(error, FileExistsError):
            raise OfficerKeyExists(card_path, "(file)", "exists; refusing to overwrite an officer's card") from None
        if isinstance(error, OSError):
            raise OfficerKeyError(card_path, "(file)", f"cannot write it: {error.strerror or error}") from None
        raise
    return card


def load_officer_key(key_path: str | os.PathLike[str], passphrase: bytes | None) -> Ed25519PrivateKey:
    """The officer's private key at `key_path`, decrypted with `passphrase` when it is encrypted.

    Refused with OfficerKeyError: a missing file, a file group or others may open (the mode is named, with
    ``chmod 600``), an encrypted key without a passphrase or with the wrong one, a passphrase for a key that
    is not encrypted, and anything that is not an Ed25519 private key in PEM.
    """
    path = Path(key_path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise OfficerKeyError(path, "(file)", "no such file (an officer's private key, PEM)") from None
    except OSError as error:
        raise OfficerKeyError(path, "(file)", f"cannot read it: {error.strerror or error}") from None
    if stat.S_ISDIR(status.st_mode):
        raise OfficerKeyError(path, "(file)", "is a folder; expected an officer's private key (PEM)")
    mode = stat.S_IMODE(status.st_mode)
    if os.name == "posix" and mode & 0o077:
        raise OfficerKeyError(path, "(file)", f"mode {mode:04o} lets group or others open an officer's private key; "
                                              f"make it owner-only first: chmod 600 {path}")
    if passphrase is not None and not passphrase:
        raise OfficerKeyError(path, "passphrase", "is empty; expected the key's passphrase")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise OfficerKeyError(path, "(file)", f"cannot read it: {error.strerror or error}") from None
    encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        if encrypted or passphrase is None:
            raise OfficerKeyError(path, "passphrase", "the key is encrypted: its passphrase is needed") from None
        raise OfficerKeyError(path, "passphrase", "the key is not encrypted, but a passphrase was given; give none") from None
    except ValueError as error:
        if encrypted and passphrase is not None:
            raise OfficerKeyError(path, "passphrase", "wrong passphrase: the key cannot be decrypted with it") from None
        raise OfficerKeyError(path, "(file)", f"not a private key in PEM ({error})") from None
    except UnsupportedAlgorithm as error:
        raise OfficerKeyError(path, "(file)", f"not an Ed25519 private key ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise OfficerKeyError(path, "(file)", f"not an Ed25519 private key (it is {type(key).__name__.removeprefix('_')})")
    return key


def officer_signs(key: Ed25519PrivateKey, card: OfficerCard) -> None:
    """Nothing if `key` is the private half of `card`'s public key; OfficerKeyError (both fingerprints named)
    if not. Call it before signing an officer's step with `key` on behalf of `card`'s officer."""
    held = fingerprint(key.public_key())
    if held != card.fingerprint:
        raise OfficerKeyError(f"officer {card.officer_id}", "key",
                              f"this private key (fingerprint {held}) is not the key of the officer's card (fingerprint {card.fingerprint}); "
                              "sign with the key the card was made from")


__all__ = [
    "CARD_FIELDS",
    "CARD_FORMAT",
    "DEFAULT_PASSPHRASE_ENV",
    "OFFICER_ID_PATTERN",
    "OfficerCard",
    "OfficerKeyError",
    "OfficerKeyExists",
    "check_officer_id",
    "check_officer_name",
    "generate_officer_key",
    "load_officer_card",
    "load_officer_key",
    "officer_card_from_document",
    "officer_key_paths",
    "officer_signs",
    "read_passphrase",
]
