"""OPC UA application instance certificates: self-signed, RSA 2048, SHA-256 (what Basic256Sha256 needs).

The certificate names the application by its URI in the subjectAltName (OPC 10000-6 §6.2.2); a server
checks that URI against the one the client announces, so the collector reads it back from its own
certificate (`application_uri_of`) instead of asking for it twice in the site file.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bulkdaq.errors import BulkdaqError, InputError

Role = Literal["client", "server", "both"]
KEY_BITS = 2048  # Basic256Sha256 accepts 2048…4096 bit keys (OPC 10000-7, security policy table)


class CertificateRequestRefused(BulkdaqError, ValueError):
    """A certificate that cannot be made as asked: no validity, or an application URI that is not a URI."""


@dataclass(frozen=True)
class CertificatePair:
    """Where a created certificate and its private key were written."""

    certificate: Path
    private_key: Path
    application_uri: str


def create_application_certificate(
    certificate_path: str | Path,
    private_key_path: str | Path,
    *,
    application_uri: str,
    common_name: str,
    hostnames: list[str] | None = None,
    role: Role = "client",
    days: int = 365,
    organization: str | None = None,
) -> CertificatePair:
    """Create a self-signed application instance certificate and its key.

    The certificate is written as DER (``.der``) or PEM (any other suffix); the key as unencrypted PEM
    with file mode 0600, because the collector must read it unattended.
    """
    if days <= 0:
        raise CertificateRequestRefused(f"days must be > 0, got {days}")
    if not application_uri or ":" not in application_uri:
        raise CertificateRequestRefused(f"application URI must be a URI such as 'urn:site:bulkdaq:collector'; got {application_uri!r}")
    certificate_path, private_key_path = Path(certificate_path), Path(private_key_path)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        + ([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)] if organization else [])
    )
    alt_names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(application_uri)]
    for host in hostnames or ["localhost"]:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    usages = {
        "client": [ExtendedKeyUsageOID.CLIENT_AUTH],
        "server": [ExtendedKeyUsageOID.SERVER_AUTH],
        "both": [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
    }[role]
    now = datetime.datetime.now(datetime.timezone.utc)
    serial = x509.random_serial_number()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - datetime.timedelta(minutes=5))  # tolerate a peer whose clock is a little behind
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        # A self-signed application certificate is its own trust anchor: the trust-list check of
        # `cryptography`'s verifier (used by asyncua) only accepts anchors that are CA certificates.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=True,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    )
    certificate = builder.sign(key, hashes.SHA256())
    certificate_path.parent.mkdir(parents=True, exist_ok=True)
    private_key_path.parent.mkdir(parents=True, exist_ok=True)
    encoding = serialization.Encoding.DER if certificate_path.suffix.lower() == ".der" else serialization.Encoding.PEM
    certificate_path.write_bytes(certificate.public_bytes(encoding))
    key_bytes = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    private_key_path.touch(mode=0o600, exist_ok=True)
    private_key_path.chmod(0o600)
    private_key_path.write_bytes(key_bytes)
    return CertificatePair(certificate_path, private_key_path, application_uri)


def load_certificate(path: str | Path) -> x509.Certificate:
    """Read a DER or PEM certificate; an unreadable file is an `InputError` naming it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(path, "(file)", f"cannot read certificate: {error.strerror}") from None
    try:
        return x509.load_pem_x509_certificate(data) if data.lstrip().startswith(b"-----BEGIN") else x509.load_der_x509_certificate(data)
    except ValueError as error:
        raise InputError(path, "(file)", f"not a DER or PEM certificate: {error}") from None


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, as `openssl x509 -fingerprint -sha256` prints it (AB:CD:…)."""
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def application_uri_of(path: str | Path) -> str:
    """The application URI in a certificate's subjectAltName."""
    certificate = load_certificate(path)
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise InputError(path, "subjectAltName", "the certificate names no application URI (no subjectAltName)") from None
    uris = names.get_values_for_type(x509.UniformResourceIdentifier)
    if not uris:
        raise InputError(path, "subjectAltName", "the certificate names no application URI (no URI entry)")
    return uris[0]


__all__ = [
    "KEY_BITS",
    "CertificatePair",
    "CertificateRequestRefused",
    "Role",
    "application_uri_of",
    "certificate_fingerprint",
    "create_application_certificate",
    "load_certificate",
]
