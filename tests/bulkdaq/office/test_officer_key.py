"""An officer's own signing key and card (bulkdaq/office/officer_key.py): the card round-trips with its fingerprint
computed from its key, an encrypted key opens only with its passphrase, nothing is overwritten, a key others may
read is refused, every bad card field is named, and a key that is not the card's is refused before it signs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bad_inputs import BadInput, ids
from bulkdaq.errors import BulkdaqError
from bulkdaq.evidence.chain import fingerprint, public_pem
from bulkdaq.office.officer_key import (
    CARD_FORMAT,
    OfficerCard,
    OfficerKeyError,
    OfficerKeyExists,
    generate_officer_key,
    load_officer_card,
    load_officer_key,
    officer_card_from_document,
    officer_key_paths,
    officer_signs,
    read_passphrase,
)

PASSPHRASE = "海关 passphrase".encode()


def _new(folder: Path, passphrase: bytes | None = PASSPHRASE, officer_id: str = "4401-0231", name: str = "李伟") -> tuple[OfficerCard, Path, Path]:
    key_path, card_path = officer_key_paths(folder / "keys" / f"officer-{officer_id}")
    return generate_officer_key(officer_id, name, key_path, card_path, passphrase), key_path, card_path


def test_the_paths_of_an_officer_key_sit_beside_each_other() -> None:
    assert officer_key_paths(Path("keys/officer-4401-0231")) == (Path("keys/officer-4401-0231.key"), Path("keys/officer-4401-0231.card.json"))
    assert officer_key_paths("keys/officer.4401") == (Path("keys/officer.4401.key"), Path("keys/officer.4401.card.json"))


@pytest.mark.parametrize("passphrase", [PASSPHRASE, None], ids=["encrypted", "unencrypted"])
def test_round_trip(tmp_path: Path, passphrase: bytes | None) -> None:
    card, key_path, card_path = _new(tmp_path, passphrase)
    assert key_path.stat().st_mode & 0o777 == 0o600
    key = load_officer_key(key_path, passphrase)
    assert card.fingerprint == fingerprint(key.public_key())
    officer_signs(key, card)  # its own key: nothing to say
    loaded = load_officer_card(card_path)
    assert loaded == card and loaded.fingerprint == card.fingerprint
    assert (loaded.officer_id, loaded.name) == ("4401-0231", "李伟")
    assert loaded.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == \
        key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    text = card_path.read_text(encoding="utf-8")
    assert text == json.dumps(card.as_document(), indent=2, ensure_ascii=False) + "\n"
    assert '"name": "李伟"' in text and "fingerprint" not in text  # the name as written; the fingerprint never stored
    assert list(json.loads(text)) == ["format", "officer_id", "name", "public_key"]
    assert json.loads(text)["format"] == CARD_FORMAT == "bulkdaq-officer-card/1"
    header = key_path.read_bytes().splitlines()[0]
    assert header == (b"-----BEGIN ENCRYPTED PRIVATE KEY-----" if passphrase else b"-----BEGIN PRIVATE KEY-----")


def test_the_key_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        _, key_path, _ = _new(tmp_path)
    finally:
        os.umask(previous)
    assert key_path.stat().st_mode & 0o777 == 0o600


def test_an_encrypted_key_needs_its_passphrase(tmp_path: Path) -> None:
    _, key_path, _ = _new(tmp_path)
    with pytest.raises(OfficerKeyError, match="passphrase: the key is encrypted: its passphrase is needed") as needed:
        load_officer_key(key_path, None)
    assert str(key_path) in str(needed.value)
    with pytest.raises(OfficerKeyError, match="passphrase: wrong passphrase") as wrong:
        load_officer_key(key_path, b"not the passphrase")
    assert str(wrong.value).startswith(f"{key_path}: ")


def test_a_passphrase_for_an_unencrypted_key_is_refused(tmp_path: Path) -> None:
    _, key_path, _ = _new(tmp_path, None)
    with pytest.raises(OfficerKeyError, match="the key is not encrypted, but a passphrase was given"):
        load_officer_key(key_path, PASSPHRASE)


def test_an_empty_passphrase_is_refused(tmp_path: Path) -> None:
    key_path, card_path = officer_key_paths(tmp_path / "o")
    with pytest.raises(OfficerKeyError, match="passphrase: is empty"):
        generate_officer_key("4401-0231", "李伟", key_path, card_path, b"")
    assert not key_path.exists() and not card_path.exists()


@pytest.mark.parametrize("existing", ["key", "card"])
def test_an_existing_key_or_card_is_never_overwritten(tmp_path: Path, existing: str) -> None:
    key_path, card_path = officer_key_paths(tmp_path / "keys" / "officer-4401-0231")
    there = key_path if existing == "key" else card_path
    there.parent.mkdir(parents=True)
    there.write_bytes(b"someone's file\n")
    with pytest.raises(OfficerKeyExists, match="exists; refusing to overwrite") as refused:
        generate_officer_key("4401-0231", "李伟", key_path, card_path, PASSPHRASE)
    assert str(refused.value).startswith(f"{there}: ")
    assert isinstance(refused.value, OfficerKeyError) and isinstance(refused.value, FileExistsError)
    assert there.read_bytes() == b"someone's file\n"
    assert sorted(p.name for p in there.parent.iterdir()) == [there.name]  # nothing else written


def test_a_second_keygen_for_the_same_officer_is_refused(tmp_path: Path) -> None:
    card, key_path, card_path = _new(tmp_path)
    before = key_path.read_bytes(), card_path.read_bytes()
    with pytest.raises(OfficerKeyExists):
        _new(tmp_path)
    assert (key_path.read_bytes(), card_path.read_bytes()) == before


def test_key_and_card_at_one_path_or_a_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OfficerKeyError, match="would be the same file"):
        generate_officer_key("4401-0231", "李伟", tmp_path / "o", tmp_path / "o", None)
    (tmp_path / "folder.key").mkdir()
    with pytest.raises(OfficerKeyError, match="is a folder"):
        generate_officer_key("4401-0231", "李伟", tmp_path / "folder.key", tmp_path / "o.card.json", None)
    (tmp_path / "blocker").write_text("a file", encoding="utf-8")
    with pytest.raises(OfficerKeyError, match="blocker is a file, not a folder"):
        generate_officer_key("4401-0231", "李伟", tmp_path / "blocker" / "o.key", tmp_path / "o.card.json", None)
    assert not (tmp_path / "o.card.json").exists()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_that_others_may_open_is_refused(tmp_path: Path, mode: int) -> None:
    _, key_path, _ = _new(tmp_path)
    key_path.chmod(mode)
    with pytest.raises(OfficerKeyError) as refused:
        load_officer_key(key_path, PASSPHRASE)
    assert f"mode {mode:04o}" in str(refused.value) and f"chmod 600 {key_path}" in str(refused.value)
    key_path.chmod(0o400)  # owner-only, read-only: fine
    load_officer_key(key_path, PASSPHRASE)


def test_a_missing_key_and_a_key_that_is_not_ed25519_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OfficerKeyError, match="no such file"):
        load_officer_key(tmp_path / "nowhere.key", None)
    other = tmp_path / "ec.key"
    other.write_bytes(generate_private_key(SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    other.chmod(0o600)
    with pytest.raises(OfficerKeyError, match=r"\(file\): not an Ed25519 private key"):
        load_officer_key(other, None)
    garbage = tmp_path / "garbage.key"
    garbage.write_bytes(b"not a key\n")
    garbage.chmod(0o600)
    with pytest.raises(OfficerKeyError, match=r"\(file\): not a private key in PEM"):
        load_officer_key(garbage, None)


def test_a_key_that_is_not_the_cards_is_refused(tmp_path: Path) -> None:
    card, key_path, _ = _new(tmp_path)
    other, other_key_path, _ = _new(tmp_path, officer_id="4401-0232", name="王芳")
    key = load_officer_key(key_path, PASSPHRASE)
    with pytest.raises(OfficerKeyError) as refused:
        officer_signs(key, other)
    message = str(refused.value)
    assert message.startswith("officer 4401-0232: key: ")
    assert card.fingerprint in message and other.fingerprint in message
    # A card forged with another officer's public key but this officer's id is refused the same way.
    forged = OfficerCard(card.officer_id, card.name, other.public_key_pem)
    with pytest.raises(OfficerKeyError):
        officer_signs(key, forged)
    officer_signs(load_officer_key(other_key_path, PASSPHRASE), other)


def test_errors_are_bulkdaq_errors_and_value_errors(tmp_path: Path) -> None:
    with pytest.raises(BulkdaqError):
        load_officer_card(tmp_path / "nowhere.card.json")
    with pytest.raises(ValueError):
        load_officer_card(tmp_path / "nowhere.card.json")


# --- the card, read strictly ---------------------------------------------------------------------------------------

PUBLIC = public_pem(Ed25519PrivateKey.generate().public_key())
GOOD = {"format": CARD_FORMAT, "officer_id": "4401-0231", "name": "李伟", "public_key": PUBLIC}
EC_PUBLIC = generate_private_key(SECP256R1()).public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
_MISSING = object()

CARD_CASES = [
    # (case, the member changed (or removed with _MISSING), its value)
    (BadInput("officer card", "missing officer id", "no officer_id", "officer_id: missing"), "officer_id", _MISSING),
    (BadInput("officer card", "missing name", "no name", "name: missing"), "name", _MISSING),
    (BadInput("officer card", "missing public key", "no public_key", "public_key: missing"), "public_key", _MISSING),
    (BadInput("officer card", "missing format", "no format", "format: missing"), "format", _MISSING),
    (BadInput("officer card", "unknown field", '"fingerprint": "ab…"', "fingerprint: unknown field; a card holds only format, officer_id, name, public_key"),
     "fingerprint", "ab" * 32),
    (BadInput("officer card", "wrong format tag", '"format": "bulkdaq-officer-card/2"', "format: 'bulkdaq-officer-card/2' is not an officer card's format"),
     "format", "bulkdaq-officer-card/2"),
    (BadInput("officer card", "format tag not text", '"format": 1', "format: a number is not an officer card's format"), "format", 1),
    (BadInput("officer card", "officer id a number", '"officer_id": 4401', "officer_id: expected text (the officer's service number"), "officer_id", 4401),
    (BadInput("officer card", "officer id with a space", '"officer_id": "4401 0231"', "officer_id: '4401 0231' is not a service number"),
     "officer_id", "4401 0231"),
    (BadInput("officer card", "officer id with a slash", '"officer_id": "../4401"', "officer_id: '../4401' is not a service number"), "officer_id", "../4401"),
    (BadInput("officer card", "officer id empty", '"officer_id": ""', "officer_id: '' is not a service number"), "officer_id", ""),
    (BadInput("officer card", "officer id too long", '"officer_id": "4" * 41', "officer_id: '" + "4" * 41 + "' is not a service number: expected 1 to 40"),
     "officer_id", "4" * 41),
    (BadInput("officer card", "officer id in chinese", '"officer_id": "关员1"', "officer_id: '关员1' is not a service number"), "officer_id", "关员1"),
    (BadInput("officer card", "name on two lines", '"name": "李伟\\nWang"', "name: '李伟\\nWang' holds more than one line; expected one line"),
     "name", "李伟\nWang"),
    (BadInput("officer card", "name with a line separator", '"name": "李\\u2028伟"', "holds more than one line"), "name", "李\u2028伟"),
    (BadInput("officer card", "name with a tab", '"name": "李\\t伟"', "name: '李\\t伟' holds a control character"), "name", "李\t伟"),
    (BadInput("officer card", "name empty", '"name": " "', "name: is empty; expected the officer's name"), "name", " "),
    (BadInput("officer card", "name with spaces around it", '"name": " 李伟"', "name: ' 李伟' starts or ends with a space"), "name", " 李伟"),
    (BadInput("officer card", "name too long", '"name": "李" * 81', "name: is 81 characters long; expected at most 80"), "name", "李" * 81),
    (BadInput("officer card", "name not text", '"name": null', "name: expected text (the officer's name, one line), got null"), "name", None),
    (BadInput("officer card", "public key not text", '"public_key": ["…"]', "public_key: expected text (an Ed25519 public key in PEM), got a list"),
     "public_key", [PUBLIC]),
    (BadInput("officer card", "public key not pem", '"public_key": "ssh-ed25519 AAAA…"', "public_key: not an Ed25519 public key in PEM"),
     "public_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA"),
    (BadInput("officer card", "public key of another kind", '"public_key": "(an EC P-256 key)"', "public_key: not an Ed25519 public key in PEM"),
     "public_key", EC_PUBLIC),
    (BadInput("officer card", "public key not ascii", '"public_key": "李伟"', "public_key: not an Ed25519 public key in PEM"), "public_key", "李伟"),
]


@pytest.mark.parametrize(("case", "member", "value"), CARD_CASES, ids=ids([c for c, _, _ in CARD_CASES]))
def test_each_bad_card_field_is_named(tmp_path: Path, case: BadInput, member: str, value: object) -> None:
    document: dict[str, object] = dict(GOOD)
    if value is _MISSING:
        del document[member]
    else:
        document[member] = value
    path = tmp_path / "officer.card.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(OfficerKeyError) as refused:
        load_officer_card(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert case.expected_message_part in str(refused.value)
    with pytest.raises(OfficerKeyError) as from_document:
        officer_card_from_document(document, "office intake")
    assert str(from_document.value) == str(refused.value).replace(str(path), "office intake", 1)


FILE_CASES = [
    BadInput("officer card", "not json", "{format: …", "(file): not JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
    BadInput("officer card", "a list", '["4401-0231"]', "(document): expected a JSON object with format, officer_id, name, public_key, got a list"),
    BadInput("officer card", "a field twice", '{"name": "李伟", "name": "王芳", …}', "name: given twice; expected each field once"),
    BadInput("officer card", "not utf-8", "GB 18030 text", "(file): not UTF-8 text"),
    BadInput("officer card", "no such file", "(nothing there)", "(file): no such file (an officer card, JSON)"),
]
FILE_TEXT = {
    "not json": b"{format: 1}",
    "a list": b'["4401-0231"]',
    "a field twice": json.dumps(GOOD, ensure_ascii=False).replace('"name": "李伟"', '"name": "李伟", "name": "王芳"').encode(),
    "not utf-8": json.dumps(GOOD, ensure_ascii=False).encode("gb18030"),
}


@pytest.mark.parametrize("case", FILE_CASES, ids=ids(FILE_CASES))
def test_a_card_file_that_is_not_a_card_is_refused(tmp_path: Path, case: BadInput) -> None:
    path = tmp_path / "officer.card.json"
    if case.what in FILE_TEXT:
        path.write_bytes(FILE_TEXT[case.what])
    with pytest.raises(OfficerKeyError) as refused:
        load_officer_card(path)
    assert str(refused.value).startswith(f"{path}: ") and case.expected_message_part in str(refused.value), str(refused.value)


def test_a_card_made_in_code_is_checked_too() -> None:
    with pytest.raises(OfficerKeyError, match="officer card: officer_id: '4401 0231' is not a service number"):
        OfficerCard("4401 0231", "李伟", PUBLIC)
    with pytest.raises(OfficerKeyError, match="officer card: public_key: not an Ed25519 public key"):
        OfficerCard("4401-0231", "李伟", EC_PUBLIC)
    card = OfficerCard("A.b_c-9", "Wang Fang", PUBLIC)
    assert card.as_document() == {"format": CARD_FORMAT, "officer_id": "A.b_c-9", "name": "Wang Fang", "public_key": PUBLIC}
    assert officer_card_from_document(card.as_document(), "memory") == card


def test_read_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OFFICER_TEST_PASSPHRASE", raising=False)
    assert read_passphrase("OFFICER_TEST_PASSPHRASE", None) is None
    monkeypatch.setenv("OFFICER_TEST_PASSPHRASE", "海关")
    assert read_passphrase("OFFICER_TEST_PASSPHRASE", None) == "海关".encode()
    file = tmp_path / "passphrase"
    file.write_bytes(b"from the file\n")
    assert read_passphrase("OFFICER_TEST_PASSPHRASE", file) == b"from the file"  # the file, when given
    file.write_bytes(b"\n")
    with pytest.raises(OfficerKeyError, match="is empty"):
        read_passphrase(None, file)
    monkeypatch.setenv("OFFICER_TEST_PASSPHRASE", "")
    with pytest.raises(OfficerKeyError, match="OFFICER_TEST_PASSPHRASE: the environment variable is set but empty"):
        read_passphrase("OFFICER_TEST_PASSPHRASE", None)
    with pytest.raises(OfficerKeyError, match="no such file"):
        read_passphrase(None, tmp_path / "nowhere")

# The cases as docs/reliability.md tables them (tests/bad_inputs.py reads BAD_INPUTS).
BAD_INPUTS = [case for case, *_ in CARD_CASES] + FILE_CASES
