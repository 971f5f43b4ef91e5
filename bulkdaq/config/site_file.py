"""Site configuration: one TOML file describes a site's InfluxDB target, its Modbus devices and its meters.

Loading validates everything and reports each problem as ``FILE: key.path[i]: what was wrong, what
was expected``. Credentials never live in the file: it names an environment variable or a file that
holds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, field_validator, model_validator
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from bulkdaq.config.integrity_limits import IntegrityLimits
from bulkdaq.config.observation_policy import DEFAULT_POLICY, ObservationPolicy
from bulkdaq.config.opcua_section import OpcUaSection, opcua_cross_checks
from bulkdaq.config.register_types import INTEGER_TYPES, REGISTER_ORDERS, DataType, Order, register_count, register_order_problem
from bulkdaq.config.strict_model import PathText, StrictTypedModel
from bulkdaq.config.validation import Label, Name, SiteName, environment_value, problems_error, read_toml, url_problem, validated
from bulkdaq.errors import InputError
from bulkdaq.store import contract
from calculators.blending.belt_scale_class import BeltScaleError, accuracy_class

RegisterType = Literal["holding", "input"]
MAX_ADDRESS = 65535
MAX_DEVICE_HOLD_S = 10.0  # longest a silent device may hold one read (timeout × attempts)
MAX_REGISTERS_PER_READ = 125  # Modbus application protocol §6.3: at most 125 registers per read


# Every section of the site file is typed strictly (StrictTypedModel): `port = "502"`, `poll_interval_s = true`
# and `scale = nan` are refused, not coerced. Names written into InfluxDB keep to one pattern (Name, SiteName;
# docs/configuration.md, "Names"); free-text labels to one line (Label).


class SiteInfo(StrictTypedModel):
    name: SiteName
    # The site's local time zone, an IANA name ("Asia/Shanghai"): documents for officers show local time
    # with its zone beside UTC. None: not configured (documents then say so and show UTC only).
    time_zone: str | None = None

    @field_validator("time_zone")
    @classmethod
    def _iana_time_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone name; write e.g. \"Asia/Shanghai\" or \"UTC\"") from None
        return value


class InfluxTarget(StrictTypedModel):
    """Where readings go. Credentials: from the environment or a file, never from this file (nor its URL)."""

    url: str
    database: Annotated[Label, Field(min_length=1)]
    username: Label | None = None
    username_env: Label | None = None
    password_env: Label | None = None
    password_file: PathText | None = None
    batch_size: Annotated[int, Field(gt=0, le=100_000)] = 5000
    flush_interval_s: Annotated[float, Field(gt=0, le=60)] = 1.0
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 10.0
    max_retry_delay_s: Annotated[float, Field(gt=0, le=600)] = 30.0
    quarantine_dir: PathText = Path("var/quarantine")
    # Create the database at start (and again if it disappears), as Telegraf's InfluxDB output does unless
    # `skip_database_creation = true`; turn off where the account may not create databases (or on 2.x/3.x).
    create_database: bool = True

    @field_validator("url")
    @classmethod
    def _plain_url(cls, value: str) -> str:
        problem = url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="before")
    @classmethod
    def _no_secrets_in_file(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in ("password", "token"):
                if key in data:
                    raise ValueError(
                        f"'{key}' must not be written in the site file; "
                        "name an environment variable (password_env) or a file (password_file) instead"
                    )
        return data


class ShipmentSettings(StrictTypedModel):
    """Where the site's shipment registry is: the shipment commands given this site (or $BULKDAQ_SITE) use
    it, so the registry and the site that publishes its states to the clearance board go together."""

    registry: PathText | None = None  # default: $BULKDAQ_REGISTRY, else var/shipments.sqlite


class OfficeSettings(StrictTypedModel):
    """The customs office's registry this site writes to (docs/office.md). At a terminal: where its pusher
    sends events, figures, chain heads and bundle manifests. At the office: where officers' steps are
    recorded. The role's password comes from the environment or a file, never from this file (nor the URL)."""

    registry: str  # postgresql://ROLE@HOST:PORT/DATABASE
    password_env: Label | None = None
    password_file: PathText | None = None
    outbox: PathText | None = None  # a terminal's durable outbox (SQLite); default var/office-outbox/<site name>.sqlite
    push_interval_s: Annotated[float, Field(gt=0, le=3600)] = 10.0  # how often a terminal pushes, and takes a chain head [s]
    max_retry_delay_s: Annotated[float, Field(gt=0, le=600)] = 60.0  # the longest wait between pushes to an office that does not answer [s]

    @field_validator("registry")
    @classmethod
    def _office_url(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgresql+psycopg://")):
            shown = repr(value) if "@" not in value else "the URL"  # never repeat what may hold credentials
            raise ValueError(f"{shown} is not a PostgreSQL URL; write postgresql://ROLE@HOST:PORT/DATABASE")
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"{value!r} is not a URL of the form postgresql://ROLE@HOST:PORT/DATABASE") from None
        if url.password is not None:
            raise ValueError("the URL holds a password; it must not be written in the site file: "
                             "name an environment variable (password_env) or a file (password_file) instead")
        if not url.username or not url.host or not url.database:
            raise ValueError(f"{url.render_as_string()!r} lacks its role, host or database; write postgresql://ROLE@HOST:PORT/DATABASE")
        return value

    @model_validator(mode="before")
    @classmethod
    def _no_secrets_in_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise ValueError("'password' must not be written in the site file; "
                             "name an environment variable (password_env) or a file (password_file) instead")
        return data


def office_password(office: OfficeSettings, source: str | Path = "site file") -> str | None:
    """The office role's password, from the environment variable or the file the site names."""
    if office.password_env:
        return environment_value(office.password_env, source, "office.password_env")
    if office.password_file:
        try:
            return office.password_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise InputError(source, "office.password_file", f"cannot read {office.password_file}: {error.strerror}") from None
    return None


def _oiml_r50_class(value: float) -> float:
    """`value` if it is an accuracy class of OIML R 50-1 (0.2, 0.5, 1, 2), checked by the calculator that uses it."""
    try:
        return accuracy_class(value)
    except BeltScaleError as error:
        raise ValueError(str(error)) from None


class BeltScale(StrictTypedModel):
    """One belt scale of the yard (docs/yard.md): its role in a blending run, and what its OIML R 50 class and
    minimum totalized load Σmin make of its totals (calculators/blending/belt_scale_class.py)."""

    asset: Name  # the `scale` tag of its readings: the asset of the `scale` points of a Modbus device or OPC UA node
    role: Literal["feeder", "product", "receiving"]
    # OIML R 50-1 accuracy class [-]: its maximum permissible error gives the scale's standard uncertainty.
    accuracy_class: Annotated[float, AfterValidator(_oiml_r50_class)]
    # Σmin as marked on the instrument and stated in its certificate [t]: a smaller total is not a legal figure.
    minimum_totalized_load_t: Annotated[float, Field(gt=0)]
    # Which MPE of the class bounds its error: in service (the default) or at initial verification.
    verification: Literal["in_service", "initial_verification"] = "in_service"


class YardSettings(StrictTypedModel):
    """The bonded blending yard (保税混矿, docs/yard.md): its ledger and its belt scales."""

    ledger: PathText = Path("var/yard.sqlite")  # the yard ledger (SQLite), relative to where bulkdaq runs, like [shipments] registry
    balance_rules: PathText | None = None  # the yard balance rule file
    belt_scales: list[BeltScale] = []

    def belt_scale(self, asset: str) -> BeltScale:
        """The configured belt scale `asset`; KeyError naming the configured ones when there is none."""
        for scale in self.belt_scales:
            if scale.asset == asset:
                return scale
        known = ", ".join(s.asset for s in self.belt_scales) or "none"
        raise KeyError(f"no belt scale {asset!r} in [yard] of this site (belt scales: {known})")


class SpoolSettings(StrictTypedModel):
    """The durable on-disk spool in front of InfluxDB (bulkdaq/store/spool.py)."""

    path: PathText | None = None  # default: var/spool/<site name>.sqlite
    max_bytes: Annotated[int, Field(gt=0)] = 1 << 30
    synchronous: Literal["full", "normal"] = "full"

    def path_for(self, site_name: str) -> Path:
        return self.path or Path("var/spool") / f"{site_name}.sqlite"


class EvidenceSettings(StrictTypedModel):
    """Signing of the evidence chain (bulkdaq/evidence/chain.py); the chain itself is always kept."""

    key_file: PathText | None = None  # the site's Ed25519 private key (PEM), from `bulkdaq evidence keygen`
    keep_days: Annotated[float, Field(gt=0)] | None = None  # blocks older than this are removed; None keeps every block
    # How often the collector publishes the chain's signed head to InfluxDB (`evidence_head`) [s]; with a key only.
    head_interval_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 60.0


def _orders_from_notation(data: Any) -> Any:
    """A section with `register_order = "CDAB"` (a device manual's notation) as the `byte_order` and
    `word_order` it stands for; the notation is kept, and an order given both ways is refused."""
    if not isinstance(data, dict) or "register_order" not in data:
        return data
    notation = data["register_order"]
    both = [key for key in ("byte_order", "word_order") if key in data]
    if both:
        raise ValueError(
            f"register_order = {notation!r} and {' and '.join(both)} are both given; write one or the other "
            "(register_order is the manual's notation for byte_order and word_order together)"
        )
    if isinstance(notation, str) and notation in REGISTER_ORDERS:
        byte_order, word_order = REGISTER_ORDERS[notation]
        return {**data, "byte_order": byte_order, "word_order": word_order}
    return data  # a wrong notation is reported on its own key


def _known_register_order(value: str) -> str:
    problem = register_order_problem(value)
    if problem:
        raise ValueError(problem)
    return value


RegisterOrder = Annotated[str, AfterValidator(_known_register_order)]
"""A device manual's notation of byte and word order together ("CDAB"), as bulkdaq can read it."""


def _host_problem(value: Any) -> str | None:
    """What is wrong with a Modbus TCP `host` that carries a scheme or a port (None otherwise): the port
    has its own key, and a host that carried one would otherwise fail only when the collector connects."""
    if not isinstance(value, str):
        return None  # the type check says what is wrong
    scheme, has_scheme, rest = value.partition("://")
    hostport = rest.split("/", 1)[0] if has_scheme else value
    host, colon, port = hostport.rpartition(":")
    if not (colon and port.isdigit() and (":" not in host or (host.startswith("[") and host.endswith("]")))):
        host, port = hostport, ""  # no port (a bare IPv6 address has colons of its own)
    host = host.removeprefix("[").removesuffix("]")
    keys = f'host = "{host}"' + (f" and port = {int(port)}" if port else "")
    if has_scheme:
        return f"{value!r} is a URL, and Modbus TCP has no {scheme}:// scheme; write {keys} (the port is its own key)"
    if port:
        return f"{value!r} holds a port; write {keys} (the port is its own key)"
    if value.startswith("["):
        return f"{value!r}: write an IPv6 address without brackets, {keys}"
    return None


class Overflow(StrictTypedModel):
    """A vendor total kept as a float plus an overflow counter: value = counter × unit + float."""

    address: Annotated[int, Field(ge=0, le=MAX_ADDRESS)]
    data_type: Literal["uint16", "uint32"] = "uint32"
    unit: Annotated[float, Field(gt=0)]


class ModbusPoint(StrictTypedModel):
    name: Annotated[Label, Field(min_length=1)]
    register_type: Annotated[RegisterType, Field(alias="register")] = "holding"
    address: Annotated[int, Field(ge=0, le=MAX_ADDRESS)]
    data_type: DataType
    scale: float = 1.0
    offset: float = 0.0
    byte_order: Order | None = None
    word_order: Order | None = None
    register_order: RegisterOrder | None = None  # the manual's notation ("CDAB"): byte_order and word_order together
    overflow: Overflow | None = None
    measurement: Literal["meter", "tank", "scale", "draft", "signal"]
    asset: Name
    field: Name

    @model_validator(mode="before")
    @classmethod
    def _orders(cls, data: Any) -> Any:
        return _orders_from_notation(data)

    @field_validator("scale")
    @classmethod
    def _scale_not_zero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("scale must not be 0")
        return value

    @property
    def registers(self) -> int:
        return register_count(self.data_type)


class ModbusDevice(StrictTypedModel):
    name: Name
    transport: Literal["tcp", "rtu"] = "tcp"
    host: Annotated[str, Field(min_length=1, pattern=r"^[^\s/@?#]+$")] | None = None  # Modbus TCP: a host name or address
    port: Annotated[int, Field(ge=1, le=65535)] = 502
    serial_port: Annotated[Label, Field(min_length=1)] | None = None  # Modbus RTU: devices on one port share the bus
    baudrate: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 19200
    parity: Literal["N", "E", "O"] = "E"  # the Modbus serial line default (8E1)
    stopbits: Literal[1, 2] = 1
    bytesize: Literal[7, 8] = 8
    unit_id: Annotated[int, Field(ge=0, le=247)] = 1
    poll_interval_s: Annotated[float, Field(gt=0, le=3600)] = 1.0
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 1.0
    retries: Annotated[int, Field(ge=0, le=3)] = 0  # further attempts after a read that got no (or no valid) answer
    byte_order: Order = "big"
    word_order: Order = "big"
    register_order: RegisterOrder | None = None  # the manual's notation ("CDAB"): byte_order and word_order together
    merge_gap: Annotated[int, Field(ge=0, le=MAX_REGISTERS_PER_READ)] = 0
    max_registers_per_read: Annotated[int, Field(ge=1, le=MAX_REGISTERS_PER_READ)] = MAX_REGISTERS_PER_READ
    integrity: IntegrityLimits = IntegrityLimits()
    points: Annotated[list[ModbusPoint], Field(min_length=1)]

    @model_validator(mode="before")
    @classmethod
    def _orders(cls, data: Any) -> Any:
        return _orders_from_notation(data)

    @field_validator("host", mode="before")
    @classmethod
    def _host_without_scheme_or_port(cls, value: Any) -> Any:
        problem = _host_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    def byte_order_of(self, point: ModbusPoint) -> Order:
        return point.byte_order or self.byte_order

    def word_order_of(self, point: ModbusPoint) -> Order:
        return point.word_order or self.word_order


class ModbusSection(StrictTypedModel):
    devices: list[ModbusDevice] = []


class Meter(StrictTypedModel):
    id: Name
    kind: Literal["coriolis", "turbine", "ultrasonic", "positive_displacement"] = "coriolis"
    product: Label | None = None
    mass_rollover_kg: Annotated[float, Field(gt=0)] | None = None
    volume_rollover_m3: Annotated[float, Field(gt=0)] | None = None


class SiteConfig(StrictTypedModel):
    site: SiteInfo
    influxdb: InfluxTarget
    spool: SpoolSettings = SpoolSettings()
    evidence: EvidenceSettings = EvidenceSettings()
    modbus: ModbusSection = ModbusSection()
    opcua: OpcUaSection = OpcUaSection()
    meters: list[Meter] = []
    draft_observation: ObservationPolicy = DEFAULT_POLICY
    shipments: ShipmentSettings = ShipmentSettings()
    yard: YardSettings = YardSettings()  # optional: a site without a yard has no belt scales and the default ledger path
    office: OfficeSettings | None = None  # optional: the customs office's registry (a terminal pushes to it; the office records there)

    def meter(self, meter_id: str) -> Meter:
        for meter in self.meters:
            if meter.id == meter_id:
                return meter
        known = ", ".join(m.id for m in self.meters) or "none"
        raise KeyError(f"no meter {meter_id!r} in this site (meters: {known})")


@dataclass(frozen=True)
class LoadedSite:
    """A validated site file with where it came from and what looked risky (warnings, not errors)."""

    path: Path
    config: SiteConfig
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Credentials:
    username: str | None
    password: str | None


def load_site(path: str | Path) -> LoadedSite:
    """Read and validate a site TOML file.

    Raises
    ------
    InputError
        Naming the file, the key path (``modbus.devices[2].points[5].address``) and what was expected;
        when the file has several problems, all of them are listed.
    """
    path = Path(path)
    config = validated(SiteConfig, read_toml(path), path, docs="docs/configuration.md")
    problems = [*_cross_checks(config), *opcua_cross_checks(config.opcua), *_yard_checks(config)]
    if problems:
        raise problems_error(path, problems)
    return LoadedSite(path=path, config=config, warnings=tuple(_warnings(config)))


def resolve_credentials(target: InfluxTarget, source: str | Path = "site file") -> Credentials:
    """Read the InfluxDB credentials from the environment or the password file the site names."""
    username = target.username
    if target.username_env:
        username = environment_value(target.username_env, source, "influxdb.username_env")
    password = None
    if target.password_env:
        password = environment_value(target.password_env, source, "influxdb.password_env")
    elif target.password_file:
        try:
            password = target.password_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise InputError(source, "influxdb.password_file", f"cannot read {target.password_file}: {error.strerror}") from None
    return Credentials(username=username, password=password)


def _cross_checks(config: SiteConfig) -> Iterable[tuple[str, str]]:
    seen_devices: dict[str, int] = {}
    destinations: dict[tuple[str, str, str], str] = {}
    for d, device in enumerate(config.modbus.devices):
        where = f"modbus.devices[{d}]"
        if device.name in seen_devices:
            yield f"{where}.name", f"device name {device.name!r} is already used by modbus.devices[{seen_devices[device.name]}]"
        if device.timeout_s * (device.retries + 1) > MAX_DEVICE_HOLD_S:
            yield f"{where}.retries", (
                f"{device.retries} retries × {device.timeout_s} s timeout could hold the device {device.timeout_s * (device.retries + 1):g} s "
                f"per read; keep timeout_s × (retries + 1) ≤ {MAX_DEVICE_HOLD_S:g} s"
            )
        if device.transport == "tcp" and device.host is None:
            yield f"{where}.host", "required key is missing (a Modbus TCP device needs a host)"
        if device.transport == "rtu" and device.serial_port is None:
            yield f"{where}.serial_port", "required key is missing (a Modbus RTU device needs a serial port, e.g. /dev/ttyUSB0)"
        if device.transport == "rtu" and device.unit_id == 0:
            yield f"{where}.unit_id", (
                "unit 0 is the broadcast address of a Modbus serial line: every unit takes the request and none "
                "answers it, so no reading could ever come back; give the device's own unit id, 1…247"
            )
        seen_devices[device.name] = d
        occupied: dict[tuple[str, int], str] = {}
        for p, point in enumerate(device.points):
            at = f"{where}.points[{p}]"
            spans: list[tuple[str, str, int, int]] = [(f"{at}.address", point.data_type, point.address, point.registers)]
            if point.overflow:
                counter = point.overflow
                spans.append((f"{at}.overflow.address", f"{counter.data_type} counter", counter.address, register_count(counter.data_type)))
            for key, what, start, count in spans:
                last = start + count - 1
                if last > MAX_ADDRESS:
                    yield key, f"{what} at {start} needs {count} registers ({start}…{last}), past the last address {MAX_ADDRESS}"
                    continue
                for address in range(start, last + 1):
                    other = occupied.get((point.register_type, address))
                    if other is not None:
                        yield key, f"{point.register_type} register {address} is also read by {other} (points overlap)"
                        break
                for address in range(start, last + 1):
                    occupied.setdefault((point.register_type, address), f"{at} ({point.name!r})")
            measurement = contract.MEASUREMENTS[point.measurement]
            writable = measurement.all_fields - measurement.string_fields
            if point.field not in writable:
                yield f"{at}.field", f"{point.field!r} is not a numeric field of measurement {point.measurement!r}; expected one of {sorted(writable)}"
            if point.field in measurement.integer_fields and point.data_type not in INTEGER_TYPES:
                yield f"{at}.data_type", f"field {point.field!r} is an integer field; expected an integer data type, got {point.data_type}"
            destination = (point.measurement, point.asset, point.field)
            if destination in destinations:
                yield f"{at}.field", f"{point.measurement}/{point.asset}/{point.field} is already written by {destinations[destination]}"
            destinations[destination] = at
    buses: dict[str, tuple[int, ModbusDevice]] = {}
    for d, device in enumerate(config.modbus.devices):
        if device.transport != "rtu" or device.serial_port is None:
            continue
        if device.serial_port in buses:
            first_index, first = buses[device.serial_port]
            line = ("baudrate", "parity", "stopbits", "bytesize")
            for setting in line:
                if getattr(device, setting) != getattr(first, setting):
                    yield f"modbus.devices[{d}].{setting}", (
                        f"{getattr(device, setting)!r} differs from modbus.devices[{first_index}] on the same serial port "
                        f"{device.serial_port} ({getattr(first, setting)!r}); one bus has one line setting"
                    )
            if device.unit_id == first.unit_id:
                yield f"modbus.devices[{d}].unit_id", f"unit {device.unit_id} is already used on {device.serial_port} by modbus.devices[{first_index}]"
        else:
            buses[device.serial_port] = (d, device)
    seen_meters: set[str] = set()
    for m, meter in enumerate(config.meters):
        if meter.id in seen_meters:
            yield f"meters[{m}].id", f"meter {meter.id!r} is listed twice"
        seen_meters.add(meter.id)
        totals = {field for (measurement, asset, field) in destinations if measurement == "meter" and asset == meter.id}
        if not totals & {"mass_total_kg", "volume_total_m3"}:
            yield f"meters[{m}].id", f"no Modbus point writes a totalizer (meter/{meter.id}/mass_total_kg or volume_total_m3)"


def _yard_checks(config: SiteConfig) -> Iterable[tuple[str, str]]:
    """Each belt scale of `[yard]` is listed once and is read: a `scale` asset of a Modbus point or an OPC UA
    node whose totalizer (`total_t`) is among its fields, since a run's mass is a difference of that total."""
    fields: dict[str, set[str]] = {}
    for device in config.modbus.devices:
        for point in device.points:
            if point.measurement == contract.SCALE.name:
                fields.setdefault(point.asset, set()).add(point.field)
    for server in config.opcua.servers:
        for node in server.nodes:
            if node.measurement == contract.SCALE.name:
                fields.setdefault(node.asset, set()).add(node.field)
    seen: dict[str, int] = {}
    for b, scale in enumerate(config.yard.belt_scales):
        at = f"yard.belt_scales[{b}].asset"
        if scale.asset in seen:
            yield at, f"belt scale {scale.asset!r} is already listed as yard.belt_scales[{seen[scale.asset]}]"
            continue
        seen[scale.asset] = b
        if scale.asset not in fields:
            known = ", ".join(sorted(fields)) or "none"
            yield at, (
                f"no Modbus point or OPC UA node of this file writes measurement 'scale' with asset {scale.asset!r} "
                f"(scale assets: {known}); a belt scale is read like any device"
            )
        elif "total_t" not in fields[scale.asset]:
            yield at, f"no point or node writes the totalizer scale/{scale.asset}/total_t; a run's mass is the difference of that total"


def _warnings(config: SiteConfig) -> Iterable[str]:
    for d, device in enumerate(config.modbus.devices):
        for p, point in enumerate(device.points):
            if point.field in contract.TOTALIZER_FIELDS and point.data_type == "float32" and point.overflow is None:
                yield (
                    f"modbus.devices[{d}].points[{p}]: totalizer {point.asset}/{point.field} is float32; it keeps only "
                    "24 bits of mantissa (8 kg steps at 100,000 t): prefer float64, a 64-bit integer or a float with "
                    "an overflow counter"
                )


__all__ = [
    "BeltScale",
    "Credentials",
    "InfluxTarget",
    "LoadedSite",
    "Meter",
    "ModbusDevice",
    "ModbusPoint",
    "SiteConfig",
    "YardSettings",
    "load_site",
    "resolve_credentials",
]
