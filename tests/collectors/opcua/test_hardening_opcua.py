"""OPC UA hardening (issue 14), against the plant simulator (a real asyncua server) and a byte relay that
keeps what the client sends, as a capture on the wire would:

* security mode None with a username sends the password in clear: the site file must say so explicitly
  (`allow_password_without_encryption = true`), and only then does the password travel; Sign and
  SignAndEncrypt never put it on the wire;
* a pinned server certificate that is not the server's is named as such, with both fingerprints
  (it used to end as "no answer within 8 s");
* `bulkdaq opcua browse` takes the trust options the collector has, under the same rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from bad_inputs import BadInput, ids
from bulkdaq.config.site_file import load_site
from bulkdaq.errors import InputError
from bulkdaq.store.local_influxd import free_port
from collectors.opcua.connection import ConnectionSettings, OpcUaConnectError, close_client, open_client
from opcua_support import pki, plant_model
from simulators.plant import PlantSecurity, PlantServer
from simulators.scenario_clock import ScenarioClock
from site_files import write_site

PASSWORD = "Pump-Passw0rd-on-the-wire"
REPO = Path(__file__).resolve().parents[3]


class Relay:
    """A TCP relay in front of the plant that keeps every byte the client sends."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.sent = bytearray()
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Relay:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def endpoint(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}/bulkdaq/plant"

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, keep: bool) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await reader.read(65536):
                    if keep:
                        self.sent.extend(data)
                    writer.write(data)
                    await writer.drain()
            with contextlib.suppress(ConnectionError, OSError):
                writer.close()

        await asyncio.gather(pump(client_reader, server_writer, True), pump(server_reader, client_writer, False))


@contextlib.asynccontextmanager
async def running(security: PlantSecurity) -> AsyncIterator[PlantServer]:
    plant = PlantServer(plant_model(), ScenarioClock(100.0), port=free_port(), security=security)
    await plant.start()
    try:
        yield plant
    finally:
        await plant.stop()


async def session(settings: ConnectionSettings) -> str:
    """Open a session, read the plant's tank level, close; returns the value as text."""
    client = await open_client(settings)
    try:
        index = await client.get_namespace_index("urn:bulkdaq:plant")
        return str(await client.get_node(f"ns={index};s=T-101.Level").read_value())
    finally:
        await close_client(client)


# -- a password in clear -------------------------------------------------------------------------------

SERVER = """
[[opcua.servers]]
name = "dcs"
endpoint = "opc.tcp://127.0.0.1:4840"
namespace_uri = "urn:bulkdaq:plant"
{server}

[[opcua.servers.nodes]]
node_id = "s=T-101.Level"
measurement = "tank"
asset = "T-101"
field = "level_m"
"""

SITE_CASES = [
    BadInput("site file", "password in clear without saying so", 'security_mode = "None"\nusername = "collector"\npassword_env = "PLANT_PASSWORD"',
             "opcua.servers[0].security_mode: 'None' would send the password of user 'collector' in clear over the network (anyone on it can read it); "
             "use 'Sign' or 'SignAndEncrypt' with certificates from `bulkdaq certs create`, or accept this explicitly with allow_password_without_encryption = true"),
    BadInput("site file", "password in clear by default mode", 'username = "collector"\npassword_file = "/run/secrets/plant"',
             "opcua.servers[0].security_mode: 'None' would send the password of user 'collector' in clear"),
    BadInput("site file", "allowing the password in clear with a word", 'username = "collector"\npassword_env = "PLANT_PASSWORD"\nallow_password_without_encryption = "yes"',
             "opcua.servers[0].allow_password_without_encryption: Input should be a valid boolean"),
    BadInput("site file", "allowing the password in clear with a number", 'username = "collector"\npassword_env = "PLANT_PASSWORD"\nallow_password_without_encryption = 1',
             "opcua.servers[0].allow_password_without_encryption: Input should be a valid boolean"),
]


@pytest.mark.parametrize("case", SITE_CASES, ids=ids(SITE_CASES))
def test_a_password_in_clear_is_refused_unless_the_site_file_says_so(tmp_path: Path, case: BadInput) -> None:
    path = write_site(tmp_path, SERVER.format(server=case.given))
    with pytest.raises(InputError) as refused:
        load_site(path)
    assert f"{path}: {case.expected_message_part}" in str(refused.value)


async def test_only_an_explicit_allow_puts_the_password_on_the_wire(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANT_PASSWORD", PASSWORD)
    path = write_site(tmp_path, SERVER.format(server='security_mode = "None"\nusername = "collector"\npassword_env = "PLANT_PASSWORD"\n'
                                                     "allow_password_without_encryption = true"))
    server = load_site(path).config.opcua.servers[0]
    assert server.allow_password_without_encryption is True
    security = PlantSecurity(modes=("None",), users={"collector": PASSWORD}, allow_anonymous=False)
    async with running(security) as plant:
        # Without the setting (a ConnectionSettings made in code): refused before a byte is sent.
        async with Relay(plant.port) as relay:
            refused = ConnectionSettings(relay.endpoint(), username="collector", password=PASSWORD)
            with pytest.raises(OpcUaConnectError) as caught:
                await session(refused)
            assert str(caught.value) == (
                f"{relay.endpoint()}: refusing to send the password of user 'collector' in clear: security mode None does not encrypt it; "
                "use Sign or SignAndEncrypt, or allow it explicitly (allow_password_without_encryption = true in the site file, "
                "--allow-password-without-encryption for `opcua browse`)"
            )
            assert relay.connections == 0 and not relay.sent
        # With it, the session works, and the password is readable on the wire: what the setting accepts.
        async with Relay(plant.port) as relay:
            allowed = ConnectionSettings.for_server(server.model_copy(update={"endpoint": relay.endpoint()}), PASSWORD)
            assert float(await session(allowed)) > 0
            assert PASSWORD.encode("utf-8") in relay.sent


@pytest.mark.parametrize("mode", ["Sign", "SignAndEncrypt"])
async def test_sign_and_sign_and_encrypt_never_put_the_password_on_the_wire(tmp_path: Path, mode: str) -> None:
    paths = pki(tmp_path)
    security = PlantSecurity(modes=("Sign", "SignAndEncrypt"), certificate=paths["plant_cert"], private_key=paths["plant_key"],
                             trusted_clients=paths["plant_trusts"], users={"collector": PASSWORD}, allow_anonymous=False)
    async with running(security) as plant, Relay(plant.port) as relay:
        settings = ConnectionSettings(relay.endpoint(), security_mode=mode, certificate=paths["collector_cert"],  # type: ignore[arg-type]
                                      private_key=paths["collector_key"], trusted_certificates=paths["collector_trusts"],
                                      username="collector", password=PASSWORD)
        assert float(await session(settings)) > 0
        assert relay.sent and PASSWORD.encode("utf-8") not in relay.sent and PASSWORD.encode("utf-16-le") not in relay.sent


# -- a pinned certificate that is not the server's ------------------------------------------------------

def openssl_fingerprint(path: Path) -> str:
    """SHA-256 of a DER certificate file, as `openssl x509 -fingerprint -sha256` prints it."""
    return x509.load_der_x509_certificate(path.read_bytes()).fingerprint(hashes.SHA256()).hex(":").upper()


async def test_a_pinned_certificate_that_does_not_match_says_so_with_both_fingerprints(tmp_path: Path) -> None:
    paths = pki(tmp_path)
    security = PlantSecurity(modes=("SignAndEncrypt",), certificate=paths["plant_cert"], private_key=paths["plant_key"],
                             trusted_clients=paths["plant_trusts"], allow_anonymous=True)
    async with running(security) as plant:
        pinned_wrong = ConnectionSettings(plant.endpoint, security_mode="SignAndEncrypt", certificate=paths["collector_cert"],
                                          private_key=paths["collector_key"], server_certificate=paths["stranger_cert"], timeout_s=4.0)
        started = time.monotonic()
        with pytest.raises(OpcUaConnectError) as caught:
            await session(pinned_wrong)
        assert time.monotonic() - started < 4.0  # said at once, not after the 8 s it used to wait for an answer
        assert str(caught.value) == (
            f"{plant.endpoint}: the server's certificate does not match the pinned one: the server offers "
            f"CN=plant (SHA-256 {openssl_fingerprint(paths['plant_cert'])}), the pinned server_certificate {paths['stranger_cert']} is "
            f"CN=stranger (SHA-256 {openssl_fingerprint(paths['stranger_cert'])}); if the server's certificate was renewed, "
            "pin the new one after checking its fingerprint with the server's administrator"
        )
        pinned_right = ConnectionSettings(plant.endpoint, security_mode="SignAndEncrypt", certificate=paths["collector_cert"],
                                          private_key=paths["collector_key"], server_certificate=paths["plant_cert"])
        assert float(await session(pinned_right)) > 0


# -- `opcua browse`: the collector's trust options, the same rules ----------------------------------------

def browse(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bulkdaq.cli.main", "opcua", "browse", *args], capture_output=True, text=True,
                          timeout=60, cwd=REPO, env={**os.environ, "COLUMNS": "250", **(env or {})})


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr.removeprefix("error: ").rstrip("\n")


BROWSE_CASES = [
    BadInput("command line", "browse password in clear without saying so", "--username operator --password-env PLANT_PASSWORD",
             "command line: --security-mode: 'None' would send the password of user 'operator' in clear over the network (anyone on it can read it); "
             "use 'Sign' or 'SignAndEncrypt' with certificates from `bulkdaq certs create`, or accept this explicitly with --allow-password-without-encryption"),
    BadInput("command line", "browse pinning a certificate without security", "--server-certificate plant.der",
             "command line: --server-certificate: security_mode is 'None', which uses no certificates; set security_mode = 'Sign' or 'SignAndEncrypt', "
             "or remove --server-certificate"),
    BadInput("command line", "browse with security but without our certificate", "--security-mode SignAndEncrypt --private-key me.key.pem",
             "command line: --certificate: security_mode 'SignAndEncrypt' needs the collector's certificate (make one with `bulkdaq certs create`)"),
    BadInput("command line", "browse with a username but no password", "--security-mode SignAndEncrypt --certificate me.der --private-key me.key.pem --username operator",
             "command line: --username: a --username needs --password-env naming the variable that holds its password"),
]


@pytest.mark.parametrize("case", BROWSE_CASES, ids=ids(BROWSE_CASES))
def test_browse_refuses_before_connecting(case: BadInput) -> None:
    port = free_port()  # nothing listens there: a refusal that tried to connect would say "connection refused"
    message = one_line(browse(f"opc.tcp://127.0.0.1:{port}/x", *case.given.split(" "), env={"PLANT_PASSWORD": PASSWORD}))
    assert message.startswith(case.expected_message_part), message
    assert PASSWORD not in message


async def test_browse_has_the_collectors_trust_options(tmp_path: Path) -> None:
    paths = pki(tmp_path)
    security = PlantSecurity(modes=("None", "SignAndEncrypt"), certificate=paths["plant_cert"], private_key=paths["plant_key"],
                             trusted_clients=paths["plant_trusts"], users={"operator": PASSWORD}, allow_anonymous=False)
    ours = ["--security-mode", "SignAndEncrypt", "--certificate", str(paths["collector_cert"]), "--private-key", str(paths["collector_key"]),
            "--username", "operator", "--password-env", "PLANT_PASSWORD"]
    env = {"PLANT_PASSWORD": PASSWORD}
    strangers_only = tmp_path / "trusts-only-the-stranger"
    strangers_only.mkdir()
    (strangers_only / "stranger.der").write_bytes(paths["stranger_cert"].read_bytes())
    async with running(security) as plant:
        def run(*extra: str) -> subprocess.CompletedProcess[str]:
            return browse(plant.endpoint, *ours, *extra, env=env)

        pinned_right, trusted, pinned_wrong, untrusted = await asyncio.gather(
            asyncio.to_thread(run, "--server-certificate", str(paths["plant_cert"])),
            asyncio.to_thread(run, "--trusted-certificates", str(paths["collector_trusts"])),
            asyncio.to_thread(run, "--server-certificate", str(paths["stranger_cert"])),
            asyncio.to_thread(run, "--trusted-certificates", str(strangers_only)),
        )
        in_clear = await asyncio.to_thread(browse, plant.endpoint, "--username", "operator", "--password-env", "PLANT_PASSWORD",
                                           "--allow-password-without-encryption", env=env)
    for listing in (pinned_right, trusted, in_clear):
        assert listing.returncode == 0, listing.stderr
        assert "Plant/Tanks/T-101/Level" in listing.stdout and "s=T-101.Level" in listing.stdout
    assert one_line(pinned_wrong).startswith(
        f"command line: ENDPOINT: {plant.endpoint}: the server's certificate does not match the pinned one: the server offers "
        f"CN=plant (SHA-256 {openssl_fingerprint(paths['plant_cert'])}), the pinned server_certificate {paths['stranger_cert']} is "
        f"CN=stranger (SHA-256 {openssl_fingerprint(paths['stranger_cert'])})"
    )
    assert one_line(untrusted).startswith(
        f"command line: ENDPOINT: {plant.endpoint}: the server's certificate (CN=plant) is not accepted by our trusted_certificates {strangers_only}"
    )
    for result in (pinned_right, trusted, pinned_wrong, untrusted, in_clear):
        assert PASSWORD not in result.stdout + result.stderr


BAD_INPUTS = [*SITE_CASES, *BROWSE_CASES]
"""Every bad input this module tries (tests/bad_inputs.py: the table of docs/reliability.md)."""
