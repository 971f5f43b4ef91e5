"""`bulkdaq evidence keygen` (issue 14): a key file named `x.pub` used to be overwritten by its own public
key, with success reported. Now a key pair is written only where neither half exists, the private key
is owner-only (0600) whatever the umask, and every refusal is one line, exit 2, with nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from bad_inputs import BadInput, ids
from bulkdaq.evidence.chain import fingerprint, load_private_key, load_public_key

SITE = """
[site]
name = "demo-terminal"

[influxdb]
url = "http://127.0.0.1:8086"
database = "bulkdaq"

[evidence]
key_file = "{key_file}"
"""


def keygen(folder: Path, key_file: str, *, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    site = folder / "site.toml"
    site.write_text(SITE.format(key_file=key_file), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bulkdaq.cli.main", "evidence", "keygen", "--site", str(site)],
        capture_output=True, text=True, timeout=60, cwd=folder, env={**os.environ, "COLUMNS": "250"},
        preexec_fn=lambda: os.umask(umask),  # noqa: PLW1509 (the child's umask, as a person's shell would have it)
    )


def files(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*")) if p.name != "site.toml"}


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_keygen_writes_an_owner_only_private_key_and_its_public_half(tmp_path: Path, umask: int) -> None:
    result = keygen(tmp_path, "keys/site.key", umask=umask)
    assert result.returncode == 0, result.stderr
    private, public = tmp_path / "keys" / "site.key", tmp_path / "keys" / "site.pub"
    assert private.stat().st_mode & 0o777 == 0o600
    key = load_private_key(private)
    assert load_public_key(public.read_bytes()).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == \
        key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert f"fingerprint {fingerprint(key.public_key())}" in result.stdout
    assert "private key keys/site.key (owner-only, mode 0600; keep it on the collector only), public key keys/site.pub" in result.stdout


def _existing(folder: Path, name: str, content: bytes = b"-----BEGIN PRIVATE KEY-----\nthe site's key\n-----END PRIVATE KEY-----\n") -> None:
    (folder / name).write_bytes(content)


CASES = [
    BadInput("site file", "key file named like its own public key", 'key_file = "site.pub"',
             "evidence.key_file: site.pub: the private key and its public key would be the same file; name the private key with another suffix"),
    BadInput("site file", "key file whose name ends in .pub", 'key_file = "keys/collector.pub"',
             "evidence.key_file: keys/collector.pub: the private key and its public key would be the same file"),
    BadInput("site file", "key file that exists", 'key_file = "site.key" (site.key there already)',
             "evidence.key_file: site.key exists; refusing to overwrite a site key (move it away yourself if you mean to replace the key)"),
    BadInput("site file", "public key that exists without its private key", 'key_file = "site.key" (site.pub there already)',
             "evidence.key_file: site.pub exists; refusing to overwrite a site key"),
    BadInput("site file", "key file that is a folder", 'key_file = "keys" (a folder)', "evidence.key_file: keys: is a folder; name the private key's file"),
    BadInput("site file", "key file in a folder that is a file", 'key_file = "blocker/site.key" (blocker is a file)',
             "evidence.key_file: blocker/site.key: blocker is a file, not a folder"),
]
SETUP = {
    "key file that exists": lambda folder: _existing(folder, "site.key"),
    "public key that exists without its private key": lambda folder: _existing(folder, "site.pub", b"-----BEGIN PUBLIC KEY-----\nanother key\n-----END PUBLIC KEY-----\n"),
    "key file that is a folder": lambda folder: (folder / "keys").mkdir(),
    "key file in a folder that is a file": lambda folder: _existing(folder, "blocker", b"not a folder"),
}


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_keygen_refuses_without_writing_anything(tmp_path: Path, case: BadInput) -> None:
    SETUP.get(case.what, lambda _folder: None)(tmp_path)
    before = files(tmp_path)
    result = keygen(tmp_path, case.given.split('"')[1])
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{tmp_path / 'site.toml'}: {case.expected_message_part}" in result.stderr
    assert "fingerprint" not in result.stdout
    assert files(tmp_path) == before  # the existing key (or anything else) untouched, nothing new


BAD_INPUTS = CASES
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
