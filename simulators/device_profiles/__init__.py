"""Device profiles: the register layouts of real meters, taken from their manuals, for the flowmeter simulator.

A simulator that serves the site file's own register map cannot catch a mistake in that map: a wrong word
order is encoded and decoded the same wrong way. A profile is an independent layout (addresses, data
types, byte and word order, scale), each register with the manual's table row it comes from and each file
with its sources. `bulkdaq simulate flowmeter --profile NAME` serves it; reading it with the site file's
device shows whether the site's map agrees with the manual (`profile_device`, `check_against_profile`).

The files are ``simulators/device_profiles/NAME.toml``: a ``[profile]`` table (title, kind, sources,
notes) and a ``[device]`` table written like a site file's ``[[modbus.devices]]`` entry without its name,
address and assets, whose points each add a ``source``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bulkdaq.config.site_file import ModbusDevice
from collectors.modbus.point_codec import RegisterImage, decode_point
from simulators.setup_error import SetupError

PROFILES_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class DeviceProfile:
    """One meter's register layout from its manual."""

    name: str
    title: str
    kind: str
    sources: tuple[str, ...]
    notes: tuple[str, ...]
    device: Mapping[str, Any]  # the [device] table, the points without their `source`
    point_sources: Mapping[str, str]  # field -> the manual's row

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(point["field"] for point in self.device["points"])


def profile_names() -> list[str]:
    """Every profile shipped, by name (the file name without `.toml`)."""
    return sorted(path.stem for path in PROFILES_DIR.glob("*.toml"))


def load_profile(name: str) -> DeviceProfile:
    """The profile `name` (SetupError naming the known ones when there is none)."""
    path = PROFILES_DIR / f"{name}.toml"
    if not path.is_file():
        raise SetupError(f"no device profile {name!r}; the profiles are: {', '.join(profile_names()) or 'none'}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        about, device = data["profile"], dict(data["device"])
        points, sources = [], {}
        for point in device["points"]:
            point = dict(point)
            sources[point["field"]] = point.pop("source")
            points.append(point)
        device["points"] = points
        profile = DeviceProfile(name, about["title"], about["kind"], tuple(about["sources"]), tuple(about.get("notes", ())), device, sources)
    except (KeyError, TypeError) as error:
        raise SetupError(f"device profile {path}: missing or malformed {error}") from None
    if not profile.sources:
        raise SetupError(f"device profile {path}: cites no source")
    return profile


def profile_device(profile: DeviceProfile, like: ModbusDevice, meter: str) -> ModbusDevice:
    """The device a profile describes, at the address and unit id of the site's device `like`, its points
    written for meter `meter`: what the simulator serves in place of the site file's layout."""
    device = {
        **profile.device,
        "name": like.name,
        "transport": like.transport,
        "host": like.host,
        "port": like.port,
        "serial_port": like.serial_port,
        "unit_id": like.unit_id,
        "points": [{**point, "measurement": "meter", "asset": meter} for point in profile.device["points"]],
    }
    if like.transport == "tcp":
        device.pop("serial_port")
    else:
        device.pop("host")
    return ModbusDevice.model_validate(device)


@dataclass(frozen=True)
class FieldCheck:
    """One field as the site file's map reads it from the profile's registers, beside the true value."""

    field: str
    site_reads: float | None  # None: the site's map reads registers the profile does not serve
    truth: float

    @property
    def agrees(self) -> bool:
        if self.site_reads is None or not math.isfinite(self.site_reads):
            return False
        return math.isclose(self.site_reads, self.truth, rel_tol=1e-6, abs_tol=1e-9)


def check_against_profile(site_device: ModbusDevice, served: ModbusDevice, image: RegisterImage) -> list[FieldCheck]:
    """Each field both maps name, read from the registers `image` of the profile-driven device `served`
    with the site's map and with the profile's own: a wrong address, word order, type or scale in the
    site file reads another number than the truth."""
    truth = {(p.asset, p.field): decode_point(served, p, image) for p in served.points}
    checks = []
    for point in site_device.points:
        if (point.asset, point.field) not in truth:
            continue
        try:
            reads: float | None = decode_point(site_device, point, image)
        except KeyError:
            reads = None
        checks.append(FieldCheck(point.field, reads, truth[(point.asset, point.field)]))
    return checks


__all__ = [
    "PROFILES_DIR",
    "DeviceProfile",
    "FieldCheck",
    "check_against_profile",
    "load_profile",
    "profile_device",
    "profile_names",
]
