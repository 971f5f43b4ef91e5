"""Site configuration of the OPC UA sources (the plant's control system): the `[opcua]` section.

One `[[opcua.servers]]` entry per server, with its endpoint, security, user and subscription settings,
and one `[[opcua.servers.nodes]]` entry per variable, mapped onto the data contract. Nodes are named
by browse path or node id *together with a namespace URI*: namespace indexes may change when a server
restarts, so the collector resolves the URI to an index on every connection, and an index written in
the file (``ns=2;…``) is refused.

Credentials never live in the file: the password comes from an environment variable or a file. A
password is never sent in clear (security_mode "None") unless the file says so explicitly
(`allow_password_without_encryption = true`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from bulkdaq.config.integrity_limits import IntegrityLimits
from bulkdaq.config.strict_model import PathText, StrictTypedModel
from bulkdaq.config.validation import Name, environment_value
from bulkdaq.errors import InputError
from bulkdaq.store import contract

SecurityMode = Literal["None", "Sign", "SignAndEncrypt"]
SecurityPolicy = Literal["Basic256Sha256"]
DeadbandType = Literal["none", "absolute", "percent"]

# A node id without its namespace: numeric, string, GUID or opaque (OPC 10000-6 §5.3.1.10).
NODE_IDENTIFIER = re.compile(r"^(i=\d+|s=.+|g=[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|b=[A-Za-z0-9+/=]+)$")


class Deadband(StrictTypedModel):
    """A data-change filter: report a change only when it exceeds `value` (absolute units or % of EURange)."""

    type: DeadbandType = "none"
    value: Annotated[float, Field(ge=0)] = 0.0

    @model_validator(mode="after")
    def _value_fits_type(self) -> Deadband:
        if self.type == "percent" and self.value > 100:
            raise ValueError(f"a percent deadband is 0…100 % of the EURange; got {self.value}")
        if self.type == "none" and self.value != 0:
            raise ValueError("a deadband value needs type = 'absolute' or 'percent'")
        return self


class OpcUaNode(StrictTypedModel):
    """One server variable and where its value goes in the data contract."""

    browse_path: Annotated[str, Field(min_length=1)] | None = None
    node_id: Annotated[str, Field(min_length=1)] | None = None
    namespace_uri: Annotated[str, Field(min_length=1)] | None = None
    measurement: Literal["meter", "tank", "scale", "draft", "signal"]
    asset: Name
    field: Annotated[str, Field(min_length=1)]
    sampling_interval_ms: Annotated[float, Field(ge=0, le=3_600_000)] | None = None
    queue_size: Annotated[int, Field(ge=1, le=10_000)] | None = None
    deadband: Deadband | None = None

    @property
    def label(self) -> str:
        """How logs and errors name this node: its browse path or node id."""
        return self.browse_path or self.node_id or "?"

    def path_elements(self) -> list[str]:
        """The browse path split at '/', below the Objects folder."""
        return [part for part in (self.browse_path or "").strip("/").split("/") if part]


class OpcUaServer(StrictTypedModel):
    """One OPC UA server (a DCS, a PLC gateway) and the nodes read from it."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]
    endpoint: Annotated[str, Field(pattern=r"^opc\.tcp://[^/\s]+")]
    security_mode: SecurityMode = "None"
    security_policy: SecurityPolicy = "Basic256Sha256"
    certificate: PathText | None = None
    private_key: PathText | None = None
    server_certificate: PathText | None = None
    trusted_certificates: PathText | None = None
    username: Annotated[str, Field(min_length=1)] | None = None
    password_env: Annotated[str, Field(min_length=1)] | None = None
    password_file: PathText | None = None
    # security_mode "None" sends the password as it is: only where the file accepts it in so many words
    # (`true`, strictly: "yes" or 1 are refused, not read as true).
    allow_password_without_encryption: Annotated[bool, Field(strict=True)] = False
    namespace_uri: Annotated[str, Field(min_length=1)] | None = None
    publishing_interval_ms: Annotated[float, Field(gt=0, le=3_600_000)] = 500.0
    sampling_interval_ms: Annotated[float, Field(ge=0, le=3_600_000)] = 250.0
    queue_size: Annotated[int, Field(ge=1, le=10_000)] = 10
    deadband: Deadband = Deadband()
    stale_after_s: Annotated[float, Field(gt=0, le=86_400)] = 10.0
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 4.0
    reconnect_max_delay_s: Annotated[float, Field(gt=0, le=60)] = 5.0
    health_interval_s: Annotated[float, Field(gt=0, le=3600)] = 1.0
    integrity: IntegrityLimits = IntegrityLimits()  # for the meters' and belt scales' totalizers among the nodes
    nodes: Annotated[list[OpcUaNode], Field(min_length=1)]

    @field_validator("endpoint")
    @classmethod
    def _no_credentials_in_endpoint(cls, endpoint: str) -> str:
        if "@" in endpoint.split("://", 1)[1].split("/", 1)[0]:
            raise ValueError(
                "the endpoint holds credentials (user:password@host); they must not be written in the site file: "
                "give username and password_env or password_file instead"
            )
        return endpoint

    @model_validator(mode="before")
    @classmethod
    def _no_secrets_in_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise ValueError(
                "'password' must not be written in the site file; "
                "name an environment variable (password_env) or a file (password_file) instead"
            )
        return data

    def namespace_of(self, node: OpcUaNode) -> str | None:
        """The namespace URI of `node`: its own, else the server's default."""
        return node.namespace_uri or self.namespace_uri

    def sampling_interval_of(self, node: OpcUaNode) -> float:
        return self.sampling_interval_ms if node.sampling_interval_ms is None else node.sampling_interval_ms

    def queue_size_of(self, node: OpcUaNode) -> int:
        return self.queue_size if node.queue_size is None else node.queue_size

    def deadband_of(self, node: OpcUaNode) -> Deadband:
        return node.deadband or self.deadband


class OpcUaSection(StrictTypedModel):
    """The `[opcua]` section: the site's OPC UA servers."""

    servers: list[OpcUaServer] = []


def opcua_cross_checks(section: OpcUaSection) -> Iterable[tuple[str, str]]:
    """Problems pydantic cannot see on its own, as (key path, problem)."""
    seen_servers: dict[str, int] = {}
    destinations: dict[tuple[str, str, str], str] = {}
    for s, server in enumerate(section.servers):
        where = f"opcua.servers[{s}]"
        if server.name in seen_servers:
            yield f"{where}.name", f"server name {server.name!r} is already used by opcua.servers[{seen_servers[server.name]}]"
        seen_servers.setdefault(server.name, s)
        yield from _security_checks(server, where)
        for n, node in enumerate(server.nodes):
            yield from _node_checks(server, node, f"{where}.nodes[{n}]", destinations)


ALLOW_CLEAR_PASSWORD = "allow_password_without_encryption"


def transport_problems(
    security_mode: str,
    *,
    certificate: Path | None,
    private_key: Path | None,
    server_certificate: Path | None,
    trusted_certificates: Path | None,
    username: str | None,
    allow_password_without_encryption: bool,
    spell: Callable[[str], str] = lambda key: key,
) -> list[tuple[str, str]]:
    """What is wrong with a server's security settings, as (key, problem): certificates that the mode does
    not use or lacks, and a password the mode would send in clear. The site file and `bulkdaq opcua browse`
    share these rules; `spell` writes a key as the person writes it (``--server-certificate`` on the
    command line; ``allow_password_without_encryption = true`` in the file)."""
    problems = []
    if security_mode == "None":
        given = {"certificate": certificate, "private_key": private_key, "server_certificate": server_certificate,
                 "trusted_certificates": trusted_certificates}
        for key, value in given.items():
            if value is not None:
                problems.append((key, f"security_mode is 'None', which uses no certificates; set security_mode = 'Sign' or 'SignAndEncrypt', or remove {spell(key)}"))
        if username and not allow_password_without_encryption:
            problems.append((
                "security_mode",
                f"'None' would send the password of user {username!r} in clear over the network (anyone on it can read it); "
                f"use 'Sign' or 'SignAndEncrypt' with certificates from `bulkdaq certs create`, or accept this explicitly with {spell(ALLOW_CLEAR_PASSWORD)}",
            ))
    else:
        for key, value in (("certificate", certificate), ("private_key", private_key)):
            if value is None:
                problems.append((key, f"security_mode {security_mode!r} needs the collector's {key.replace('_', ' ')} (make one with `bulkdaq certs create`)"))
    return problems


def _spell_in_site_file(key: str) -> str:
    return f"{key} = true" if key == ALLOW_CLEAR_PASSWORD else key


def _security_checks(server: OpcUaServer, where: str) -> Iterable[tuple[str, str]]:
    problems = transport_problems(
        server.security_mode, certificate=server.certificate, private_key=server.private_key, server_certificate=server.server_certificate,
        trusted_certificates=server.trusted_certificates, username=server.username,
        allow_password_without_encryption=server.allow_password_without_encryption, spell=_spell_in_site_file,
    )
    for key, problem in problems:
        yield f"{where}.{key}", problem
    if server.password_env and server.password_file:
        yield f"{where}.password_file", "give either password_env or password_file, not both"
    has_password = bool(server.password_env or server.password_file)
    if server.username and not has_password:
        yield f"{where}.username", "a username needs a password: name an environment variable (password_env) or a file (password_file)"
    if has_password and not server.username:
        yield f"{where}.username", "a password is configured but no username"


def _node_checks(server: OpcUaServer, node: OpcUaNode, at: str, destinations: dict[tuple[str, str, str], str]) -> Iterable[tuple[str, str]]:
    if (node.browse_path is None) == (node.node_id is None):
        yield at, "give exactly one of browse_path (e.g. 'Plant/Tanks/T-101/Level') or node_id (e.g. 's=T-101.Level')"
    if node.node_id is not None:
        if node.node_id.startswith("ns=") or ";" in node.node_id.split("=", 1)[0]:
            yield f"{at}.node_id", "write the node id without 'ns=…' (indexes change when a server restarts) and name its namespace_uri"
        elif not NODE_IDENTIFIER.match(node.node_id):
            yield f"{at}.node_id", f"expected i=NUMBER, s=STRING, g=GUID or b=BASE64; got {node.node_id!r}"
    if node.browse_path is not None and not node.path_elements():
        yield f"{at}.browse_path", "the browse path has no elements"
    if server.namespace_of(node) is None:
        yield f"{at}.namespace_uri", "no namespace_uri on the node nor on its server; name the namespace URI the node lives in"
    measurement = contract.MEASUREMENTS[node.measurement]
    writable = measurement.all_fields - measurement.string_fields
    if node.field not in writable:
        yield f"{at}.field", f"{node.field!r} is not a numeric field of measurement {node.measurement!r}; expected one of {sorted(writable)}"
    destination = (node.measurement, node.asset, node.field)
    if destination in destinations:
        yield f"{at}.field", f"{node.measurement}/{node.asset}/{node.field} is already written by {destinations[destination]}"
    destinations.setdefault(destination, at)


def resolve_opcua_password(server: OpcUaServer, source: str | Path = "site file", where: str = "opcua.servers[]") -> str | None:
    """Read the server's password from the environment variable or file the site names (None if none)."""
    if server.password_env:
        return environment_value(server.password_env, source, f"{where}.password_env")
    if server.password_file:
        try:
            return server.password_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise InputError(source, f"{where}.password_file", f"cannot read {server.password_file}: {error.strerror}") from None
    return None


__all__ = [
    "ALLOW_CLEAR_PASSWORD",
    "NODE_IDENTIFIER",
    "Deadband",
    "DeadbandType",
    "OpcUaNode",
    "OpcUaSection",
    "OpcUaServer",
    "SecurityMode",
    "SecurityPolicy",
    "opcua_cross_checks",
    "resolve_opcua_password",
    "transport_problems",
]
