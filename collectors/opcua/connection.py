"""Opening an OPC UA session the way a site file (or `bulkdaq opcua browse`) asks, and saying clearly why not.

Security: None, or Basic256Sha256 Sign / SignAndEncrypt with the collector's own certificate. The
server's certificate is either pinned (`server_certificate`) or checked against a trust list
(`trusted_certificates`); with neither, it is accepted as the server presents it (trust on first use,
logged). A pinned certificate is compared with the one the server offers before the secure channel is
opened, so a mismatch is named with both fingerprints (a channel encrypted for the wrong certificate
would only time out). A password is never sent in clear (security mode None, or a server whose user
token policy does not encrypt it on a channel that is not encrypted) unless the settings allow it
explicitly. Every failure becomes an `OpcUaConnectError` whose message a person can act on: wrong
password, certificate not trusted by the server, server certificate not trusted by us or not the pinned
one, a password that would travel in clear, no such endpoint, server down.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from asyncua import Client, ua
from asyncua.crypto import security_policies
from asyncua.crypto.truststore import TrustStore
from asyncua.crypto.validator import CertificateValidator, CertificateValidatorOptions
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from bulkdaq.config.opcua_section import OpcUaServer, SecurityMode
from bulkdaq.errors import BulkdaqError
from collectors.opcua.x509 import application_uri_of, certificate_fingerprint, load_certificate

log = logging.getLogger(__name__)

COLLECTOR_NAME = "bulkdaq collector"
DEFAULT_APPLICATION_URI = "urn:bulkdaq:collector"

_MODES = {
    "Sign": ua.MessageSecurityMode.Sign,
    "SignAndEncrypt": ua.MessageSecurityMode.SignAndEncrypt,
}
_USER_REJECTED = {"BadUserAccessDenied", "BadIdentityTokenRejected", "BadIdentityTokenInvalid", "BadUserSignatureInvalid"}
_CERTIFICATE_REJECTED = {
    "BadCertificateUntrusted", "BadCertificateInvalid", "BadCertificateUriInvalid", "BadCertificateTimeInvalid",
    "BadCertificateUseNotAllowed", "BadCertificateRevoked", "BadCertificateIssuerRevoked", "BadSecurityChecksFailed",
    "BadCertificateHostNameInvalid",
}


class OpcUaConnectError(BulkdaqError):
    """A session could not be opened; the message says why and what to change."""


class ServerCertificateUntrusted(BulkdaqError):
    """The server's certificate is not in our trust list (raised by our validator, so it is told apart
    from the server rejecting *our* certificate, which arrives as the same status code)."""


class PasswordInClearRefused(BulkdaqError):
    """The session would carry the user's password unencrypted, and the settings do not allow it."""


def clear_password_refusal(settings: ConnectionSettings) -> str:
    return (
        f"{settings.endpoint}: refusing to send the password of user {settings.username!r} in clear: security mode "
        f"{settings.security_mode} does not encrypt it; use Sign or SignAndEncrypt, or allow it explicitly "
        "(allow_password_without_encryption = true in the site file, --allow-password-without-encryption for `opcua browse`)"
    )


class _GuardedClient(Client):
    """asyncua's client, which refuses to put a password on the wire in clear unless allowed.

    asyncua sends the password unencrypted whenever the server's user token policy names no encryption;
    on a channel that is not encrypted (None, Sign) anyone on the network can read it. The check sits
    where asyncua picks the token policy, just before the password is written into ActivateSession.
    """

    def __init__(self, settings: ConnectionSettings) -> None:
        super().__init__(settings.endpoint, timeout=settings.timeout_s, watchdog_intervall=min(1.0, settings.timeout_s))
        self._settings = settings

    def server_policy(self, token_type: ua.UserTokenType) -> ua.UserTokenPolicy:
        policy = super().server_policy(token_type)
        settings = self._settings
        if token_type == ua.UserTokenType.UserName and settings.username and not settings.allow_password_without_encryption:
            token_in_clear = policy.SecurityPolicyUri in (None, "", security_policies.SecurityPolicyNone.URI)
            if token_in_clear and self.security_policy.Mode != ua.MessageSecurityMode.SignAndEncrypt:
                raise PasswordInClearRefused(clear_password_refusal(settings))
        return policy


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything needed to open a session; built from a site file's server or from CLI options."""

    endpoint: str
    security_mode: SecurityMode = "None"
    certificate: Path | None = None
    private_key: Path | None = None
    server_certificate: Path | None = None
    trusted_certificates: Path | None = None
    username: str | None = None
    password: str | None = None
    timeout_s: float = 4.0
    allow_password_without_encryption: bool = False

    @classmethod
    def for_server(cls, server: OpcUaServer, password: str | None) -> ConnectionSettings:
        return cls(
            endpoint=server.endpoint,
            security_mode=server.security_mode,
            certificate=server.certificate,
            private_key=server.private_key,
            server_certificate=server.server_certificate,
            trusted_certificates=server.trusted_certificates,
            username=server.username,
            password=password,
            timeout_s=server.timeout_s,
            allow_password_without_encryption=server.allow_password_without_encryption,
        )


async def open_client(settings: ConnectionSettings) -> Client:
    """Connect and activate a session; raises `OpcUaConnectError` with a clear reason.

    The client's own reconnect machinery stays off: the collector re-creates the session itself so it
    can re-resolve namespace URIs and record the gap.
    """
    if settings.username and settings.security_mode == "None" and not settings.allow_password_without_encryption:
        raise OpcUaConnectError(clear_password_refusal(settings))
    client = _GuardedClient(settings)
    client.name = client.description = COLLECTOR_NAME
    client.application_uri = DEFAULT_APPLICATION_URI
    if settings.username:
        client.set_user(settings.username)
        client.set_password(settings.password or "")
    try:
        if settings.security_mode != "None":
            if settings.certificate is None or settings.private_key is None:
                raise OpcUaConnectError(f"security mode {settings.security_mode} needs the collector's certificate and private key")
            # The server compares the URI in our certificate with the one we announce; take it from the certificate.
            client.application_uri = application_uri_of(settings.certificate)
            if settings.server_certificate is not None:
                async with asyncio.timeout(settings.timeout_s * 2):
                    await _check_pinned_certificate(client, settings, settings.server_certificate)
            async with asyncio.timeout(settings.timeout_s * 2):  # not wait_for: see collectors/modbus/adapter.py, _read
                await client.set_security(
                    security_policies.SecurityPolicyBasic256Sha256,
                    str(settings.certificate),
                    str(settings.private_key),
                    server_certificate=str(settings.server_certificate) if settings.server_certificate else None,
                    mode=_MODES[settings.security_mode],
                )
            if settings.trusted_certificates is not None:
                client.certificate_validator = await _trust_list_validator(settings.trusted_certificates)
            elif settings.server_certificate is None:
                log.warning("%s: the server's certificate is accepted unchecked (no server_certificate or trusted_certificates)", settings.endpoint)
        async with asyncio.timeout(settings.timeout_s * 2):
            await client.connect()
    except OpcUaConnectError:
        await _abandon(client)
        raise
    except Exception as error:  # translated into one clear sentence below; the client is cleaned up
        await _abandon(client)
        raise OpcUaConnectError(explain(error, settings)) from error
    return client


def explain(error: BaseException, settings: ConnectionSettings) -> str:
    """One sentence saying why connecting to `settings.endpoint` failed and what to do about it."""
    endpoint = settings.endpoint
    if isinstance(error, ServerCertificateUntrusted):
        return f"{endpoint}: {error}"
    if isinstance(error, PasswordInClearRefused):
        return str(error)
    if isinstance(error, ua.UaStatusCodeError):
        name = ua.StatusCode(error.code).name
        if name in _USER_REJECTED:
            who = f"user {settings.username!r}" if settings.username else "anonymous access"
            hint = "wrong username or password" if settings.username else "configure username and password_env"
            return f"{endpoint}: the server rejected {who} ({name}): {hint}"
        if name in _CERTIFICATE_REJECTED:
            return (
                f"{endpoint}: the server rejected our certificate {settings.certificate} ({name}): "
                "add it to the server's trusted certificates, or check its application URI and validity"
            )
        return f"{endpoint}: the server answered {name}"
    if isinstance(error, ua.UaError) and "No matching endpoints" in str(error):
        return f"{endpoint}: the server offers no endpoint with security mode {settings.security_mode} and policy Basic256Sha256"
    if isinstance(error, ua.UaError) and "certificate mismatch" in str(error):
        return f"{endpoint}: the server's certificate differs from the pinned server_certificate {settings.server_certificate}"
    if isinstance(error, (TimeoutError, asyncio.TimeoutError)):
        return f"{endpoint}: no answer within {settings.timeout_s * 2:g} s"
    if isinstance(error, ConnectionRefusedError):
        return f"{endpoint}: connection refused (server down or wrong port)"
    if isinstance(error, OSError):
        return f"{endpoint}: cannot reach the server: {error.strerror or error}"
    text = str(error)
    if "Bad" in text and "Certificate" in text:
        return f"{endpoint}: certificate problem: {text}"
    return f"{endpoint}: {type(error).__name__}: {text}"


async def _check_pinned_certificate(client: Client, settings: ConnectionSettings, pinned_path: Path) -> None:
    """Compare the certificate the server offers for our mode and policy with the pinned one.

    Asked over an unsecured discovery channel (GetEndpoints, as every client does before it opens a secure
    one): the answer is only a diagnosis. It is not what the pin protects with: the secure channel is still
    opened with the pinned certificate, so a server that offers the right certificate here and holds
    another key cannot open it.
    """
    pinned = load_certificate(pinned_path)
    endpoints = await client.connect_and_get_server_endpoints()
    offered_der = Client.find_endpoint(endpoints, _MODES[settings.security_mode], security_policies.SecurityPolicyBasic256Sha256.URI).ServerCertificate
    if not offered_der:
        return  # nothing offered to compare; the channel decides
    offered = x509.load_der_x509_certificate(_first_certificate(offered_der))
    if offered.fingerprint(hashes.SHA256()) != pinned.fingerprint(hashes.SHA256()):
        raise OpcUaConnectError(
            f"{settings.endpoint}: the server's certificate does not match the pinned one: the server offers "
            f"{offered.subject.rfc4514_string()} (SHA-256 {certificate_fingerprint(offered)}), the pinned server_certificate {pinned_path} is "
            f"{pinned.subject.rfc4514_string()} (SHA-256 {certificate_fingerprint(pinned)}); if the server's certificate was renewed, "
            "pin the new one after checking its fingerprint with the server's administrator"
        )


def _first_certificate(der: bytes) -> bytes:
    """The first certificate of a DER chain (a server may send its certificate followed by its issuers)."""
    if len(der) < 2 or der[0] != 0x30:
        return der
    if der[1] < 0x80:
        return der[: 2 + der[1]]
    size = der[1] & 0x7F
    return der[: 2 + size + int.from_bytes(der[2 : 2 + size], "big")]


async def close_client(client: Client) -> None:
    """Close the session and socket; a server that is already gone is not an error here."""
    try:
        async with asyncio.timeout(2.0):
            await client.disconnect()
    except Exception:  # the connection is being dropped anyway
        log.debug("disconnect failed", exc_info=True)
        client.disconnect_socket()


async def _abandon(client: Client) -> None:
    try:
        client.disconnect_socket()
    except Exception:
        log.debug("socket close failed", exc_info=True)


async def _trust_list_validator(location: Path):  # noqa: ANN202 - asyncua's CertificateValidatorMethod
    store = TrustStore([location], [])
    await store.load()
    options = CertificateValidatorOptions.TRUSTED_VALIDATION | CertificateValidatorOptions.PEER_SERVER
    validator = CertificateValidator(options, store)

    async def validate(certificate: x509.Certificate, description: ua.ApplicationDescription) -> None:
        try:
            await validator.validate(certificate, description)
        except Exception as error:
            code = getattr(error, "code", None)
            name = ua.StatusCode(code).name if isinstance(code, int) else type(error).__name__  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
            subject = certificate.subject.rfc4514_string()
            raise ServerCertificateUntrusted(
                f"the server's certificate ({subject}) is not accepted by our trusted_certificates {location} ({name}): "
                "add the server's certificate there"
            ) from error

    return validate


__all__ = [
    "COLLECTOR_NAME",
    "DEFAULT_APPLICATION_URI",
    "ConnectionSettings",
    "OpcUaConnectError",
    "PasswordInClearRefused",
    "ServerCertificateUntrusted",
    "close_client",
    "explain",
    "open_client",
]
