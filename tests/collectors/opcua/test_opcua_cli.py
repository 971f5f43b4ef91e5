"""`bulkdaq certs create`, `bulkdaq simulate plant` and `bulkdaq opcua browse`, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bulkdaq.store.local_influxd import free_port, wait_listening
from collectors.opcua.x509 import application_uri_of, load_certificate

BULKDAQ = [sys.executable, "-m", "bulkdaq.cli.main"]
REPO = Path(__file__).resolve().parents[3]


def _bulkdaq(*args: str, env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BULKDAQ, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, "COLUMNS": "250", **(env or {})})


def test_certs_create_writes_a_usable_pair_and_refuses_to_overwrite(tmp_path: Path) -> None:
    cert, key = tmp_path / "pki" / "collector.der", tmp_path / "pki" / "collector.key.pem"
    result = _bulkdaq("certs", "create", "--cert", str(cert), "--key", str(key), "--uri", "urn:terminal-a:bulkdaq:collector",
                      "--host", "127.0.0.1", "--host", "collector.terminal-a")
    assert result.returncode == 0, result.stderr
    assert application_uri_of(cert) == "urn:terminal-a:bulkdaq:collector"
    assert load_certificate(cert).public_key().key_size == 2048
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----") and (key.stat().st_mode & 0o777) == 0o600
    again = _bulkdaq("certs", "create", "--cert", str(cert), "--key", str(key), "--uri", "urn:x:y")
    assert again.returncode == 2 and "exists already; pass --force" in again.stderr and "Traceback" not in again.stderr


def test_simulated_plant_can_be_browsed_with_security_and_a_user(tmp_path: Path) -> None:
    plant_cert, plant_key = tmp_path / "plant.der", tmp_path / "plant.key.pem"
    cert, key = tmp_path / "me.der", tmp_path / "me.key.pem"
    assert _bulkdaq("certs", "create", "--cert", str(plant_cert), "--key", str(plant_key), "--uri", "urn:bulkdaq:simulators:plant",
                    "--role", "server", "--host", "127.0.0.1").returncode == 0
    assert _bulkdaq("certs", "create", "--cert", str(cert), "--key", str(key), "--uri", "urn:test:browser").returncode == 0
    port = free_port()
    env = {"PLANT_PASSWORD": "open-sesame"}
    plant = subprocess.Popen(
        [*BULKDAQ, "simulate", "plant", "--port", str(port), "--security-mode", "SignAndEncrypt", "--certificate", str(plant_cert),
         "--private-key", str(plant_key), "--user", "operator", "--password-env", "PLANT_PASSWORD", "--no-anonymous"],
        cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_listening(port, timeout_s=20.0)
        endpoint = f"opc.tcp://127.0.0.1:{port}/bulkdaq/plant"
        listing = _bulkdaq("opcua", "browse", endpoint, "--security-mode", "SignAndEncrypt", "--certificate", str(cert),
                           "--private-key", str(key), "--username", "operator", "--password-env", "PLANT_PASSWORD", env=env)
        assert listing.returncode == 0, listing.stderr
        assert "Plant/Tanks/T-101/Level" in listing.stdout and "s=T-101.Level" in listing.stdout and "urn:bulkdaq:plant" in listing.stdout
        assert "Plant/Vessel/MT-NORDIC-STAR/DraftAftStbd" in listing.stdout and "variables below Objects of" in listing.stdout
        refused = _bulkdaq("opcua", "browse", endpoint, "--security-mode", "SignAndEncrypt", "--certificate", str(cert),
                           "--private-key", str(key), "--username", "operator", "--password-env", "WRONG", env={"WRONG": "guess"})
        assert refused.returncode == 2 and "rejected user 'operator'" in refused.stderr and "Traceback" not in refused.stderr
        assert "guess" not in refused.stderr
    finally:
        plant.terminate()
        output, _ = plant.communicate(timeout=15)
    assert "plant DCS on opc.tcp://127.0.0.1" in output
