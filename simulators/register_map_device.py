"""A simulated Modbus device whose registers encode its state by a site file's register map.

The flowmeter and the belt-scale integrator differ only in what their state is; how that state becomes
registers (the collector's own codec, `collectors/modbus/point_codec.py`), how a client's reading is decoded
back for the ground truth, freezing (a hung CPU still answering) and serving are the same, and live here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from bulkdaq.config.site_file import ModbusDevice, RegisterType
from collectors.modbus.point_codec import RegisterImage, decode_point, encode_point, point_addresses
from simulators.modbus_device_server import ModbusDeviceServer, ServedUnit
from simulators.scenario_clock import ScenarioClock


class RegisterMapDevice:
    """One Modbus device of a site file, serving `asset_states(t)` through its points.

    Subclasses give `asset_states`. Every image served can be kept (`record_served = True`, then `served`),
    so a test can prove no stored good value was invented.
    """

    def __init__(self, device: ModbusDevice, clock: ScenarioClock) -> None:
        self.device = device
        self.clock = clock
        self.ranges = mapped_ranges(device)
        self._frozen: RegisterImage | None = None
        self.record_served = False
        self.served: list[tuple[float, RegisterImage]] = []  # (wall time, image) of each request served

    def asset_states(self, t: float) -> Mapping[str, Mapping[str, float]]:
        """Each asset's fields at scenario time `t`, in the contract's units."""
        raise NotImplementedError

    def freeze(self) -> None:
        """Serve the registers as they are now, forever (a hung device CPU still answering requests)."""
        self._frozen = self.register_image()

    def unfreeze(self) -> None:
        self._frozen = None

    def register_image(self, t: float | None = None) -> RegisterImage:
        """The device's registers at scenario time `t` (now, if not given)."""
        states = self.asset_states(self.clock.seconds() if t is None else t)
        image: dict[tuple[str, int], int] = {}
        for point in self.device.points:
            image.update(encode_point(self.device, point, states[point.asset][point.field]))
        return image

    def reported(self, asset: str, field: str, t: float | None = None) -> float:
        """The value a client decodes from the registers at time `t`: the ground truth of a reading."""
        image = self.register_image(t)
        for point in self.device.points:
            if point.asset == asset and point.field == field:
                return decode_point(self.device, point, image)
        raise KeyError(f"device {self.device.name!r} has no point for {asset}/{field}")

    def unit(self) -> ServedUnit:
        """This device as one unit of a server (several can share a serial bus)."""
        return ServedUnit(self.device.unit_id, self.ranges, self._image_now)

    def server(self, host: str | None = None, port: int | None = None) -> ModbusDeviceServer:
        """A Modbus TCP server for this device alone, on the device's address unless told otherwise."""
        return ModbusDeviceServer([self.unit()], host=host or self.device.host, port=port or self.device.port)

    def served_values(self, asset: str, field: str) -> set[float]:
        """Every value of `asset`/`field` this device has served (needs `record_served = True`)."""
        point = next(p for p in self.device.points if p.asset == asset and p.field == field)
        return {decode_point(self.device, point, image) for _, image in self.served}

    def _image_now(self) -> RegisterImage:
        image = self._frozen if self._frozen is not None else self.register_image()
        if self.record_served:
            self.served.append((time.time(), image))
        return image


def mapped_ranges(device: ModbusDevice) -> dict[RegisterType, tuple[int, int]]:
    """Per register type, the first address and the count that cover every point of `device`."""
    spans: dict[RegisterType, list[int]] = {}
    for point in device.points:
        spans.setdefault(point.register_type, []).extend(point_addresses(point))
    return {kind: (min(a), max(a) - min(a) + 1) for kind, a in spans.items()}


__all__ = ["RegisterMapDevice", "mapped_ranges"]
