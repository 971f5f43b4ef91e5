"""`bulkdaq officer investigate|resolve|certify|release|register|list`, run as a person runs them: a registered
officer's own key (encrypted, the passphrase from the environment) signs the decision and `shipment show`
names the officer; an unregistered key, a wrong passphrase and the old `shipment certify` are refused in one
line (exit 2); registering the same card twice is fine, another card under the same service number is not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from bulkdaq.cli.main import app
from bulkdaq.office.officer_key import load_officer_card

REPO = Path(__file__).resolve().parents[3]
ORE = REPO / "examples" / "shipments" / "ore-import.toml"
ORE_FIGURES = REPO / "examples" / "shipments" / "ore-import.figures.toml"
RULES = REPO / "examples" / "tolerances.toml"
SID = "IMP-2026-0522"
PASSPHRASE_ENV = "BULKDAQ_OFFICER_PASSPHRASE"
REGISTRY = "shipments.sqlite"


def bulkdaq(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`bulkdaq …` in a process of its own, as a person runs it (the console entry point's error handling)."""
    environment = {**os.environ, "COLUMNS": "250", "BULKDAQ_ACTOR": "terminal"}
    for name in (PASSPHRASE_ENV, "BULKDAQ_REGISTRY", "BULKDAQ_SITE"):
        environment.pop(name, None)
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "bulkdaq.cli.main", *args], capture_output=True, text=True, timeout=120, cwd=folder, env=environment)


def cli(folder: Path, *args: str, env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess[str]:
    """The same command in process (typer's CliRunner): faster, for the runs that succeed."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250", "BULKDAQ_ACTOR": "terminal", PASSPHRASE_ENV: None,
                                                           "BULKDAQ_REGISTRY": None, "BULKDAQ_SITE": None, **(env or {})})
    finally:
        os.chdir(previous)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.rstrip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0].removeprefix("error: ")


def verified(folder: Path) -> None:
    """The ore import, declared and taken to verified (no meters: no site needed)."""
    cli(folder, "shipment", "declare", str(ORE), "--registry", REGISTRY)
    cli(folder, "shipment", "start", SID, "--registry", REGISTRY)
    cli(folder, "shipment", "complete", SID, "--registry", REGISTRY)
    cli(folder, "shipment", "measure", SID, str(ORE_FIGURES), "--registry", REGISTRY)
    assert "reconciled → verified" in cli(folder, "shipment", "reconcile", SID, "--rules", str(RULES), "--registry", REGISTRY).stdout


def keygen(folder: Path, officer_id: str, name: str, out: str, passphrase: str | None = None) -> None:
    extra = ("--no-passphrase",) if passphrase is None else ()
    cli(folder, "officer", "keygen", "--id", officer_id, "--name", name, "--out", out, *extra, env={PASSPHRASE_ENV: passphrase})


def test_a_registered_officer_certifies_and_releases_with_an_encrypted_key(tmp_path: Path) -> None:
    verified(tmp_path)
    keygen(tmp_path, "4401-0231", "李伟", "keys/li", passphrase="海关 secret")
    card = load_officer_card(tmp_path / "keys/li.card.json")
    registered = cli(tmp_path, "officer", "register", "keys/li.card.json", "--registry", REGISTRY, "--actor", "office clerk Zhao").stdout
    assert "officer 4401-0231 李伟 registered by office clerk Zhao" in registered and f"fingerprint {card.fingerprint}" in registered

    certified = bulkdaq(tmp_path, "officer", "certify", SID, "--key", "keys/li.key", "--reason", "weight determined by draft survey",
                        "--registry", REGISTRY, env={PASSPHRASE_ENV: "海关 secret"})
    assert certified.returncode == 0, certified.stderr
    assert f"{SID}: verified → certified  (weight determined by draft survey)" in certified.stdout
    assert f"signed by officer 4401-0231 李伟 (key {card.fingerprint})" in certified.stdout
    secret = tmp_path / "passphrase.txt"
    secret.write_text("海关 secret\n", encoding="utf-8")
    released = cli(tmp_path, "officer", "release", SID, "--key", "keys/li.key", "--reason", "duties paid", "--registry", REGISTRY,
                   "--passphrase-file", str(secret))
    assert "certified → released" in released.stdout

    shown = json.loads(cli(tmp_path, "shipment", "show", SID, "--registry", REGISTRY, "--json").stdout)
    assert shown["state"] == "released" and shown["history"] == "intact"
    decisions = [(e["to"], e["actor"], e.get("signer"), e["format"]) for e in shown["events"] if e["to"] in ("certified", "released")]
    assert decisions == [("certified", "4401-0231 李伟", card.fingerprint, 3), ("released", "4401-0231 李伟", card.fingerprint, 3)]
    assert all("signer" not in e for e in shown["events"] if e["to"] not in ("certified", "released"))


def test_an_unregistered_key_and_a_wrong_passphrase_are_refused_in_one_line(tmp_path: Path) -> None:
    verified(tmp_path)
    keygen(tmp_path, "4401-0231", "李伟", "keys/li", passphrase="right one")
    card = load_officer_card(tmp_path / "keys/li.card.json")
    unregistered = one_line_error(bulkdaq(tmp_path, "officer", "certify", SID, "--key", "keys/li.key", "--reason", "ok", "--registry", REGISTRY,
                                          env={PASSPHRASE_ENV: "right one"}))
    assert card.fingerprint in unregistered, unregistered
    cli(tmp_path, "officer", "register", "keys/li.card.json", "--registry", REGISTRY, "--actor", "office")
    wrong = one_line_error(bulkdaq(tmp_path, "officer", "certify", SID, "--key", "keys/li.key", "--reason", "ok", "--registry", REGISTRY,
                                   env={PASSPHRASE_ENV: "wrong one"}))
    assert wrong == "keys/li.key: passphrase: wrong passphrase: the key cannot be decrypted with it"
    missing = one_line_error(bulkdaq(tmp_path, "officer", "certify", SID, "--key", "keys/li.key", "--reason", "ok", "--registry", REGISTRY))
    assert missing == "keys/li.key: passphrase: the key is encrypted: its passphrase is needed"
    # nothing was recorded by the refusals
    shown = json.loads(cli(tmp_path, "shipment", "show", SID, "--registry", REGISTRY, "--json").stdout)
    assert shown["state"] == "verified"
    # the refusal of an unregistered key names the command that registers it
    assert "`bulkdaq officer register CARD --actor NAME`" in unregistered, unregistered


def test_shipment_certify_no_longer_exists(tmp_path: Path) -> None:
    verified(tmp_path)
    for step in ("investigate", "resolve", "certify", "release"):
        old = bulkdaq(tmp_path, "shipment", step, SID, "--reason", "ok", "--registry", REGISTRY)
        assert old.returncode == 2 and "No such command" in old.stderr and f"'{step}'" in old.stderr, old.stderr
    listed = bulkdaq(tmp_path, "shipment", "--help").stdout
    assert " certify " not in listed and " release " not in listed
    assert all(f" {step} " in bulkdaq(tmp_path, "officer", "--help").stdout for step in ("investigate", "resolve", "certify", "release"))


def test_register_is_idempotent_for_one_card_and_refuses_another_under_the_same_id(tmp_path: Path) -> None:
    verified(tmp_path)
    keygen(tmp_path, "4401-0231", "李伟", "keys/li")
    keygen(tmp_path, "4401-0231", "李伟", "keys/impostor")
    first = cli(tmp_path, "officer", "register", "keys/li.card.json", "--registry", REGISTRY, "--actor", "office").stdout
    again = cli(tmp_path, "officer", "register", "keys/li.card.json", "--registry", REGISTRY, "--actor", "office").stdout
    assert first == again
    impostor = load_officer_card(tmp_path / "keys/impostor.card.json")
    refused = one_line_error(bulkdaq(tmp_path, "officer", "register", "keys/impostor.card.json", "--registry", REGISTRY, "--actor", "office"))
    assert "4401-0231" in refused and impostor.fingerprint in refused and "refused" in refused
    # the unencrypted key of the registered card needs no passphrase
    assert "verified → certified" in cli(tmp_path, "officer", "certify", SID, "--key", "keys/li.key", "--reason", "ok", "--registry", REGISTRY).stdout


def test_list_json_is_valid_json(tmp_path: Path) -> None:
    verified(tmp_path)
    empty = json.loads(cli(tmp_path, "officer", "list", "--registry", REGISTRY, "--json").stdout)
    assert empty["officers"] == []
    keygen(tmp_path, "4401-0231", "李伟", "keys/li")
    keygen(tmp_path, "4401-0007", "[bold]王 :cd:", "keys/wang")
    for card in ("keys/li.card.json", "keys/wang.card.json"):
        cli(tmp_path, "officer", "register", card, "--registry", REGISTRY, "--actor", "office")
    listed = json.loads(cli(tmp_path, "officer", "list", "--registry", REGISTRY, "--json").stdout)
    assert Path(listed["registry"]).name == REGISTRY
    assert [(o["officer_id"], o["name"], o["registered_by"]) for o in listed["officers"]] == [("4401-0007", "[bold]王 :cd:", "office"), ("4401-0231", "李伟", "office")]
    assert [o["fingerprint"] for o in listed["officers"]] == [load_officer_card(tmp_path / f"keys/{n}.card.json").fingerprint for n in ("wang", "li")]
    table = bulkdaq(tmp_path, "officer", "list", "--registry", REGISTRY)
    assert table.returncode == 0 and "2 officers registered in" in table.stdout and "[bold]王 :cd:" in table.stdout
    assert listed["officers"][1]["fingerprint"] in table.stdout


def test_a_revoked_officer_key_is_refused_and_listed_as_revoked(tmp_path: Path) -> None:
    verified(tmp_path)
    keygen(tmp_path, "4401-0231", "李伟", "keys/li")
    cli(tmp_path, "officer", "register", "keys/li.card.json", "--registry", REGISTRY, "--actor", "office")
    card = load_officer_card(tmp_path / "keys/li.card.json")
    revoked = cli(tmp_path, "officer", "revoke", "4401-0231", "--reason", "key lost with a laptop", "--actor", "registry admin",
                  "--registry", REGISTRY).stdout
    assert f"officer 4401-0231: key {card.fingerprint} revoked by registry admin (key lost with a laptop)" in revoked
    refused = one_line_error(bulkdaq(tmp_path, "officer", "certify", SID, "--key", "keys/li.key", "--reason", "ok", "--registry", REGISTRY))
    assert f"officer 4401-0231 李伟's key {card.fingerprint} was revoked at " in refused and "(key lost with a laptop)" in refused
    listed = json.loads(cli(tmp_path, "officer", "list", "--registry", REGISTRY, "--json").stdout)["officers"]
    assert listed[0]["revoked_at"] is not None and listed[0]["revoked_at"].endswith("Z")
    unknown = one_line_error(bulkdaq(tmp_path, "officer", "revoke", "4401-9999", "--reason", "x", "--actor", "a", "--registry", REGISTRY))
    assert unknown == "no officer '4401-9999' is registered (officers: 4401-0231)"
    assert json.loads(cli(tmp_path, "shipment", "show", SID, "--registry", REGISTRY, "--json").stdout)["state"] == "verified"
