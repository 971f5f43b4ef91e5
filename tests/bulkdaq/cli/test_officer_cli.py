"""`bulkdaq officer keygen|show`, run as a person runs them: the key is encrypted with a passphrase from the
environment or a file (never the command line), refused without one unless --no-passphrase, never overwritten;
`show` prints the card's fingerprint, and --json is valid JSON. Every refusal is one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bulkdaq.cli.main import app
from bulkdaq.evidence.chain import fingerprint
from bulkdaq.office.officer_key import OfficerKeyError, load_officer_card, load_officer_key

OUT = "keys/officer-4401-0231"
KEY, CARD = f"{OUT}.key", f"{OUT}.card.json"
PASSPHRASE_ENV = "BULKDAQ_OFFICER_PASSPHRASE"


def bulkdaq(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`bulkdaq …` in a process of its own, as a person runs it (the console entry point's error handling)."""
    environment = {**os.environ, "COLUMNS": "250"}
    environment.pop(PASSPHRASE_ENV, None)  # only the passphrase a test gives
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "bulkdaq.cli.main", *args], capture_output=True, text=True, timeout=120, cwd=folder, env=environment)


def cli(folder: Path, *args: str, env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess[str]:
    """The same command in process (typer's CliRunner): faster, for the runs that succeed."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250", PASSPHRASE_ENV: None, **(env or {})})
    finally:
        os.chdir(previous)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.rstrip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0].removeprefix("error: ")


def keygen(*extra: str) -> tuple[str, ...]:
    return ("officer", "keygen", "--id", "4401-0231", "--name", "李伟", "--out", OUT, *extra)


def test_keygen_with_the_passphrase_from_the_environment(tmp_path: Path) -> None:
    result = bulkdaq(tmp_path, *keygen(), env={PASSPHRASE_ENV: "海关 secret"})
    assert result.returncode == 0, result.stderr
    key = load_officer_key(tmp_path / KEY, "海关 secret".encode())
    card = load_officer_card(tmp_path / CARD)
    assert card.officer_id == "4401-0231" and card.name == "李伟" and card.fingerprint == fingerprint(key.public_key())
    assert (tmp_path / KEY).stat().st_mode & 0o777 == 0o600
    assert result.stdout.splitlines() == [
        "officer 4401-0231 李伟",
        f"private key {KEY} (owner-only, mode 0600, encrypted with the passphrase; keep it with the officer only)",
        f"card {CARD} (give it to the office registry)",
        f"fingerprint {card.fingerprint} (the office checks it against the card it registers)",
    ]
    with pytest.raises(OfficerKeyError, match="its passphrase is needed"):
        load_officer_key(tmp_path / KEY, None)


def test_keygen_with_a_named_environment_variable_or_a_file(tmp_path: Path) -> None:
    result = cli(tmp_path, *keygen("--passphrase-env", "MY_PASSPHRASE"), env={"MY_PASSPHRASE": "from the environment"})
    assert result.returncode == 0, result.stdout
    load_officer_key(tmp_path / KEY, b"from the environment")
    (tmp_path / "passphrase.txt").write_text("from the file\n", encoding="utf-8")
    second = ("officer", "keygen", "--id", "4401-0232", "--name", "王芳", "--out", "keys/officer-4401-0232", "--passphrase-file", "passphrase.txt")
    result = cli(tmp_path, *second)
    assert result.returncode == 0, result.stdout
    load_officer_key(tmp_path / "keys" / "officer-4401-0232.key", b"from the file")


def test_keygen_without_a_passphrase_is_refused(tmp_path: Path) -> None:
    message = one_line_error(bulkdaq(tmp_path, *keygen()))
    assert message.startswith("command line: passphrase: no passphrase: set the environment variable BULKDAQ_OFFICER_PASSPHRASE or give --passphrase-file")
    assert "shared office PC must be encrypted" in message and "--no-passphrase" in message
    assert not (tmp_path / "keys").exists()
    message = one_line_error(bulkdaq(tmp_path, *keygen("--passphrase-env", "NOT_SET_ANYWHERE")))
    assert "set the environment variable NOT_SET_ANYWHERE" in message


def test_keygen_with_no_passphrase_writes_an_unencrypted_key(tmp_path: Path) -> None:
    result = cli(tmp_path, *keygen("--no-passphrase"))
    assert result.returncode == 0, result.stdout
    assert f"private key {KEY} (owner-only, mode 0600, NOT encrypted; keep it with the officer only)" in result.stdout
    key = load_officer_key(tmp_path / KEY, None)
    assert load_officer_card(tmp_path / CARD).fingerprint == fingerprint(key.public_key())


def test_the_passphrase_is_given_one_way(tmp_path: Path) -> None:
    (tmp_path / "passphrase.txt").write_text("p\n", encoding="utf-8")
    message = one_line_error(bulkdaq(tmp_path, *keygen("--no-passphrase"), env={PASSPHRASE_ENV: "p"}))
    assert message.startswith("command line: --no-passphrase: but the environment variable BULKDAQ_OFFICER_PASSPHRASE is set")
    message = one_line_error(bulkdaq(tmp_path, *keygen("--no-passphrase", "--passphrase-file", "passphrase.txt")))
    assert message.startswith("command line: --no-passphrase: but --passphrase-file passphrase.txt")
    message = one_line_error(bulkdaq(tmp_path, *keygen("--passphrase-env", "X", "--passphrase-file", "passphrase.txt")))
    assert message == "command line: --passphrase-env, --passphrase-file: give the passphrase one way, not both"
    assert "--passphrase " not in " ".join(keygen())  # there is no option taking the passphrase itself
    assert not (tmp_path / "keys").exists()


def test_keygen_never_overwrites_and_checks_what_it_is_given(tmp_path: Path) -> None:
    assert cli(tmp_path, *keygen("--no-passphrase")).returncode == 0
    before = (tmp_path / KEY).read_bytes(), (tmp_path / CARD).read_bytes()
    message = one_line_error(bulkdaq(tmp_path, *keygen(), env={PASSPHRASE_ENV: "p"}))
    assert message.startswith(f"{KEY}: (file): exists; refusing to overwrite an officer's private key")
    assert ((tmp_path / KEY).read_bytes(), (tmp_path / CARD).read_bytes()) == before
    bad_id = ("officer", "keygen", "--id", "4401 0231", "--name", "李伟", "--out", "k/o", "--no-passphrase")
    assert one_line_error(bulkdaq(tmp_path, *bad_id)).startswith("command line: --id: '4401 0231' is not a service number")
    bad_name = ("officer", "keygen", "--id", "4401-0231", "--name", "李\n伟", "--out", "k/o", "--no-passphrase")
    assert one_line_error(bulkdaq(tmp_path, *bad_name)).startswith("command line: --name: '李\\n伟' holds more than one line")
    assert not (tmp_path / "k").exists()


def test_show_prints_the_card_and_its_fingerprint(tmp_path: Path) -> None:
    assert cli(tmp_path, *keygen("--no-passphrase")).returncode == 0
    card = load_officer_card(tmp_path / CARD)
    result = bulkdaq(tmp_path, "officer", "show", CARD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["officer 4401-0231", "name 李伟", f"fingerprint {card.fingerprint}"]


def test_show_json_is_valid_json(tmp_path: Path) -> None:
    assert cli(tmp_path, *keygen("--no-passphrase")).returncode == 0
    card = load_officer_card(tmp_path / CARD)
    result = cli(tmp_path, "officer", "show", CARD, "--json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout) == card.as_document() | {"fingerprint": card.fingerprint}


def test_show_refuses_a_bad_card_in_one_line(tmp_path: Path) -> None:
    assert one_line_error(bulkdaq(tmp_path, "officer", "show", "nowhere.card.json")) == "nowhere.card.json: (file): no such file (an officer card, JSON)"
    (tmp_path / "bad.card.json").write_text('{"format": "bulkdaq-officer-card/1", "officer_id": "4401-0231"}', encoding="utf-8")
    assert one_line_error(bulkdaq(tmp_path, "officer", "show", "bad.card.json")).startswith("bad.card.json: name: missing")
