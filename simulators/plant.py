"""The plant's control system (DCS) as an OPC UA server (asyncua), driven by a `PlantModel` and a clock.

* Address space: ``Objects/Plant/Tanks/T-101/Level`` … in the namespace ``urn:bulkdaq:simulators:plant``,
  string node ids (``T-101.Level``); optionally ``Objects/Plant/Bulk/G000/B00000`` … thousands of extra
  variables for load tests. asyncua checks every existing reference of a parent before adding a child,
  so thousands of children under one parent cost O(n²) (5,000 take ~16 s); the plant therefore builds
  its nodes as one batch of AddNodes items in folders of at most `bulk_group_size` children (~1 s).
* Values are written the way a DCS writes them: only when they change, with the source timestamp of
  the sample, and a status code: Good, or the fault a test injected (`set_status`), e.g.
  ``UncertainSensorNotAccurate`` for a drifting sensor or ``BadSensorFailure`` for a broken transmitter.
* Rates (a tag whose unit is per hour, the belt scale's ``t/h``) are served on the collector's clock, as
  the Modbus simulators serve theirs (`simulators/flowmeter.py`): the scenario rate × the clock's
  `speedup`, the pace at which the totals move per real hour, so the collector's totalizer-jump check
  holds however fast the scenario runs. At speedup 1 they are the model's own.
* Totalizer faults a test can inject: `reset_total`, `jump_total`.
* Security: endpoints None, Sign and SignAndEncrypt with Basic256Sha256, a trust list of client
  certificates, and username/password users. The clients only read: every variable is read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from asyncua import Server, ua
from asyncua.common.callback import CallbackType
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.crypto.truststore import TrustStore
from asyncua.crypto.validator import CertificateValidator, CertificateValidatorOptions

from bulkdaq.config.opcua_section import SecurityMode
from simulators.plant_model import PLANT_NAMESPACE_URI, PlantModel, PlantTag
from simulators.scenario_clock import ScenarioClock
from simulators.setup_error import SetupError

log = logging.getLogger(__name__)

PLANT_APPLICATION_URI = "urn:bulkdaq:simulators:plant"
BULK_FOLDER = ("Plant", "Bulk")

_POLICY_TYPES = {
    "None": ua.SecurityPolicyType.NoSecurity,
    "Sign": ua.SecurityPolicyType.Basic256Sha256_Sign,
    "SignAndEncrypt": ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
}


@dataclass(frozen=True)
class PlantSecurity:
    """Which endpoints the plant offers and whom it lets in."""

    modes: tuple[SecurityMode, ...] = ("None",)
    certificate: Path | None = None
    private_key: Path | None = None
    trusted_clients: Path | None = None  # folder (or file) of client certificates; None: any certificate
    users: Mapping[str, str] = field(default_factory=dict)  # username -> password
    allow_anonymous: bool = True

    def __post_init__(self) -> None:
        if not self.modes:
            raise SetupError("the plant needs at least one security mode")
        secured = [m for m in self.modes if m != "None"]
        if secured and (self.certificate is None or self.private_key is None):
            raise SetupError(f"security modes {secured} need the server's certificate and private key")
        if not self.allow_anonymous and not self.users:
            raise SetupError("anonymous access is off and no users are defined: nobody could connect")


class _PlantUsers:
    """asyncua user manager: anonymous (if allowed) or a known username with its password."""

    def __init__(self, users: Mapping[str, str], allow_anonymous: bool) -> None:
        self.users = dict(users)
        self.allow_anonymous = allow_anonymous

    def get_user(self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None) -> User | None:
        if username is None:
            return User(role=UserRole.User) if self.allow_anonymous else None
        if username in self.users and password == self.users[username]:
            return User(role=UserRole.User, name=username)
        log.warning("plant: rejected user %r (unknown user or wrong password)", username)
        return None


class PlantServer:
    """A DCS serving `model`'s tags (and optional bulk variables), updated from `clock`."""

    def __init__(
        self,
        model: PlantModel,
        clock: ScenarioClock,
        *,
        host: str = "127.0.0.1",
        port: int = 4840,
        security: PlantSecurity = PlantSecurity(),
        update_interval_s: float = 0.2,
        bulk_variables: int = 0,
        bulk_group_size: int = 100,
        namespaces_before: Sequence[str] = (),
        record_history: bool = False,
    ) -> None:
        if update_interval_s <= 0:
            raise SetupError(f"update interval must be > 0 s, got {update_interval_s}")
        if bulk_variables < 0 or bulk_group_size < 1:
            raise SetupError("bulk_variables must be ≥ 0 and bulk_group_size ≥ 1")
        self.model = model
        self.clock = clock
        self.host = host
        self.port = port
        self.security = security
        self.update_interval_s = update_interval_s
        self.bulk_variables = bulk_variables
        self.bulk_group_size = bulk_group_size
        # Namespaces registered before the plant's own, so its index differs between two servers: a client
        # that remembered an index instead of resolving the URI would read the wrong nodes.
        self.namespaces_before = tuple(namespaces_before)
        self.namespace_index = 0
        self.updates = 0  # update cycles completed
        self.client_writes = 0  # values clients tried to write (a collector must never)
        self.values_written = 0
        self._server: Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._status: dict[str, ua.StatusCode] = {}
        self._last: dict[str, tuple[Any, int]] = {}
        self._nodeids: dict[str, ua.NodeId] = {}
        self._kinds: dict[str, str] = {}
        self._per_hour = {tag.identifier for tag in model.tags if tag.unit.endswith("/h")}
        self._offsets: dict[str, float] = {}  # injected: added to a tag's model value (reset_total, jump_total)
        # What was served, for tests: identifier -> [(source time ms, value or None when Bad, status code)].
        self.history: dict[str, list[tuple[int, float | bool | None, int]]] | None = {} if record_history else None

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://{self.host}:{self.port}/bulkdaq/plant"

    @property
    def tags(self) -> tuple[PlantTag, ...]:
        return self.model.tags

    @staticmethod
    def bulk_identifier(index: int) -> str:
        """Node id (string, plant namespace) of bulk variable `index`."""
        return f"B{index:05d}"

    def bulk_browse_path(self, index: int) -> str:
        return "/".join((*BULK_FOLDER, f"G{index // self.bulk_group_size:03d}", self.bulk_identifier(index)))

    async def start(self) -> None:
        """Build the address space, open the endpoints and start updating values."""
        server = Server(user_manager=_PlantUsers(self.security.users, self.security.allow_anonymous))  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name("bulkdaq plant simulator (DCS)")
        await server.set_application_uri(PLANT_APPLICATION_URI)
        server.set_security_policy([_POLICY_TYPES[mode] for mode in self.security.modes])
        tokens: list[type] = [ua.UserNameIdentityToken] if self.security.users else []
        if self.security.allow_anonymous:
            tokens.append(ua.AnonymousIdentityToken)
        server.set_identity_tokens(tokens)
        if self.security.certificate is not None and self.security.private_key is not None:
            await server.load_certificate(str(self.security.certificate))
            await server.load_private_key(str(self.security.private_key))
        if self.security.trusted_clients is not None:
            store = TrustStore([self.security.trusted_clients], [])
            await store.load()
            options = CertificateValidatorOptions.TRUSTED_VALIDATION | CertificateValidatorOptions.PEER_CLIENT
            server.set_certificate_validator(CertificateValidator(options, store))
        for uri in self.namespaces_before:
            await server.register_namespace(uri)
        self.namespace_index = await server.register_namespace(PLANT_NAMESPACE_URI)
        self._build_address_space(server)
        self._server = server
        await self._write_values(self.clock.seconds(), force=True)
        await server.start()
        # Every client Write request, allowed or not: a test proves with it that a collector never writes.
        server.subscribe_server_callback(CallbackType.PreWrite, self._on_client_write)
        self._task = asyncio.create_task(self._update_loop(), name=f"plant:{self.port}")

    def _on_client_write(self, event: Any, dispatcher: Any) -> None:
        # Called before the permission check, so a refused attempt counts too; internal updates are not external.
        if event.is_external:
            self.client_writes += len(getattr(event.request_params, "NodesToWrite", []) or [1])

    async def stop(self) -> None:
        """Stop updating and close the endpoints (clients see the connection drop)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._server is not None:
            await self._server.stop()
            self._server = None

    async def __aenter__(self) -> PlantServer:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def set_status(self, identifier: str, status: str | None) -> None:
        """Inject a fault: from now on `identifier` carries status `status` (a StatusCodes name); None clears it."""
        if identifier not in self._nodeids:
            raise KeyError(f"the plant has no tag {identifier!r}")
        if status is None:
            self._status.pop(identifier, None)
        else:
            self._status[identifier] = ua.StatusCode(getattr(ua.StatusCodes, status))
        if self._server is not None:
            await self._write_values(self.clock.seconds(), only={identifier})

    # -- totalizer faults ----------------------------------------------------------------------------

    def _served(self, identifier: str, value: Any) -> Any:
        """The model's `value` of tag `identifier` as served: a rate on the collector's clock, offsets included."""
        if identifier in self._per_hour and not isinstance(value, bool):
            value = value * self.clock.speedup
        if identifier in self._offsets:
            value = value + self._offsets[identifier]
        return value

    async def reset_total(self, identifier: str) -> None:
        """Inject a fault: totalizer `identifier` restarts from zero now (a technician's reset, a power fault)."""
        served = self._served(identifier, self.truth(identifier, self.clock.seconds()))
        self._offsets[identifier] = self._offsets.get(identifier, 0.0) - float(served)
        await self._write_fault(identifier)

    async def jump_total(self, identifier: str, amount: float) -> None:
        """Inject a fault: totalizer `identifier` leaps by `amount` now, without material behind it."""
        self._offsets[identifier] = self._offsets.get(identifier, 0.0) + amount
        await self._write_fault(identifier)

    async def _write_fault(self, identifier: str) -> None:
        if identifier not in self._nodeids:
            raise KeyError(f"the plant has no tag {identifier!r}")
        if self._server is not None:
            await self._write_values(self.clock.seconds(), only={identifier})

    def truth(self, identifier: str, t: float) -> float | bool:
        """The value tag `identifier` had at scenario time `t` (bulk variables: see `bulk_value`)."""
        if identifier.startswith("B") and identifier[1:].isdigit():
            return self.bulk_value(int(identifier[1:]), t)
        return self.model.values(t)[identifier]

    def bulk_value(self, index: int, t: float) -> float:
        """Bulk variable `index` changes once per scenario second: whole seconds plus a per-variable offset."""
        return float(int(t)) + index / 100_000.0

    # -- address space -----------------------------------------------------------------------------

    def _build_address_space(self, server: Server) -> None:
        ns = self.namespace_index
        items: list[ua.AddNodesItem] = []
        folders: set[tuple[str, ...]] = set()

        def folder(path: tuple[str, ...]) -> ua.NodeId:
            if path not in folders:
                parent = folder(path[:-1]) if len(path) > 1 else ua.NodeId(ua.ObjectIds.ObjectsFolder)  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
                folders.add(path)
                items.append(_folder_item(parent, ua.NodeId("/".join(path), ns), ua.QualifiedName(path[-1], ns)))  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
            return ua.NodeId("/".join(path), ns)  # type: ignore[arg-type]  # asyncua's annotations want its own ua types

        for tag in self.model.tags:
            self._add_variable(items, folder(tag.path[:-1]), tag.identifier, tag.path[-1], tag.kind)
        for index in range(self.bulk_variables):
            group = (*BULK_FOLDER, f"G{index // self.bulk_group_size:03d}")
            identifier = self.bulk_identifier(index)
            self._add_variable(items, folder(group), identifier, identifier, "double")
        for result, item in zip(server.iserver.node_mgt_service.add_nodes(items), items, strict=False):
            if not result.StatusCode.is_good():
                raise RuntimeError(f"plant: could not add node {item.RequestedNewNodeId}: {result.StatusCode.name}")

    def _add_variable(self, items: list[ua.AddNodesItem], parent: ua.NodeId, identifier: str, name: str, kind: str) -> None:
        nodeid = ua.NodeId(identifier, self.namespace_index)  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
        self._nodeids[identifier] = nodeid
        self._kinds[identifier] = kind
        items.append(_variable_item(parent, nodeid, ua.QualifiedName(name, self.namespace_index), kind))

    # -- values --------------------------------------------------------------------------------------

    async def _update_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_due = loop.time()
        while True:
            next_due += self.update_interval_s
            await asyncio.sleep(max(0.0, next_due - loop.time()))
            try:
                await self._write_values(self.clock.seconds())
            except Exception:  # one bad cycle must not stop the plant
                log.exception("plant: update failed")
            self.updates += 1

    async def _write_values(self, t: float, *, force: bool = False, only: set[str] | None = None) -> None:
        assert self._server is not None
        aspace = self._server.iserver.aspace
        now = datetime.now(timezone.utc)
        values: dict[str, Any] = dict(self.model.values(t))
        for identifier in self._per_hour | self._offsets.keys():
            if identifier in values:
                values[identifier] = self._served(identifier, values[identifier])
        if self.bulk_variables:
            values.update({self.bulk_identifier(i): self.bulk_value(i, t) for i in range(self.bulk_variables)})
        for identifier, value in values.items():
            if only is not None and identifier not in only:
                continue
            status = self._status.get(identifier, _GOOD)
            state = (value, status.value)
            if not force and only is None and self._last.get(identifier) == state:
                continue  # a DCS reports a value when it changes, not on every scan
            self._last[identifier] = state
            variant = ua.Variant(bool(value), ua.VariantType.Boolean) if self._kinds[identifier] == "boolean" else ua.Variant(float(value), ua.VariantType.Double)
            datavalue = ua.DataValue(variant, StatusCode=status, SourceTimestamp=now, ServerTimestamp=now)  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
            await aspace.write_attribute_value(self._nodeids[identifier], ua.AttributeIds.Value, datavalue)
            self.values_written += 1
            if self.history is not None:
                served = None if status.is_bad() else value  # a Bad value is served as null (OPC 10000-4 §7.7.1)
                self.history.setdefault(identifier, []).append((_ms(now), served, status.value))


_GOOD = ua.StatusCode(ua.StatusCodes.Good)  # type: ignore[arg-type]  # asyncua's annotations want its own ua types


def _ms(stamp: datetime) -> int:
    delta = stamp - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _folder_item(parent: ua.NodeId, nodeid: ua.NodeId, name: ua.QualifiedName) -> ua.AddNodesItem:
    attributes = ua.ObjectAttributes()
    attributes.DisplayName = ua.LocalizedText(name.Name)
    item = ua.AddNodesItem()
    item.RequestedNewNodeId = nodeid
    item.BrowseName = name
    item.NodeClass = ua.NodeClass.Object
    item.ParentNodeId = parent
    item.ReferenceTypeId = ua.NodeId(ua.ObjectIds.Organizes)  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
    item.TypeDefinition = ua.NodeId(ua.ObjectIds.FolderType)  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
    item.NodeAttributes = attributes
    return item


def _variable_item(parent: ua.NodeId, nodeid: ua.NodeId, name: ua.QualifiedName, kind: str) -> ua.AddNodesItem:
    boolean = kind == "boolean"
    attributes = ua.VariableAttributes()
    attributes.DisplayName = ua.LocalizedText(name.Name)
    attributes.Value = ua.Variant(False, ua.VariantType.Boolean) if boolean else ua.Variant(0.0, ua.VariantType.Double)
    attributes.DataType = ua.NodeId(ua.ObjectIds.Boolean if boolean else ua.ObjectIds.Double)  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
    attributes.ValueRank = ua.ValueRank.Scalar
    attributes.AccessLevel = ua.AccessLevel.CurrentRead.mask
    attributes.UserAccessLevel = ua.AccessLevel.CurrentRead.mask
    item = ua.AddNodesItem()
    item.RequestedNewNodeId = nodeid
    item.BrowseName = name
    item.NodeClass = ua.NodeClass.Variable
    item.ParentNodeId = parent
    item.ReferenceTypeId = ua.NodeId(ua.ObjectIds.HasComponent)  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
    item.TypeDefinition = ua.NodeId(ua.ObjectIds.BaseDataVariableType)  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
    item.NodeAttributes = attributes
    return item


__all__ = [
    "BULK_FOLDER",
    "PLANT_APPLICATION_URI",
    "PlantSecurity",
    "PlantServer",
]
