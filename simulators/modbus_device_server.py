"""A Modbus server (TCP or RTU) for simulated devices, behind one small adapter over pymodbus's server API.

The register image is not stored: it is asked of the simulator (`image_at_request`) on every request,
so a read returns the device's state at the moment it was read — the ground truth.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from collectors.modbus.point_codec import RegisterImage
from simulators.setup_error import SetupError

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

RegisterType = Literal["holding", "input"]
_FUNCTION_REGISTER = {3: "holding", 4: "input"}


@dataclass(frozen=True)
class ServedUnit:
    """One unit id on a server: the registers it maps and where its image comes from."""

    unit_id: int
    ranges: Mapping[RegisterType, tuple[int, int]]
    image_at_request: Callable[[], RegisterImage]


class ModbusDeviceServer:
    """Serves one or more units over Modbus TCP (`host`, `port`) or RTU on a serial line (`serial_port`).

    For each unit, `ranges` gives per register type the (first address, count) it maps; reads outside
    them answer exception 2 (illegal data address), as a real device does. Faults a test can set while it
    runs: `fault` (answer every read with this exception code), `delay_s`, `garbage`, `drop_connections()`.
    `function_codes` counts every request by function code, so a test can prove a client only read.
    """

    def __init__(
        self,
        units: list[ServedUnit],
        *,
        host: str | None = None,
        port: int | None = None,
        serial_port: str | None = None,
        baudrate: int = 19200,
        parity: str = "N",
        stopbits: int = 1,
        bytesize: int = 8,
    ) -> None:
        if (serial_port is None) == (host is None or port is None):
            raise SetupError("give either host and port (Modbus TCP) or serial_port (Modbus RTU)")
        self.units = {unit.unit_id: unit for unit in units}
        self.host, self.port, self.serial_port = host, port, serial_port
        self.fault: int | None = None  # answer every read with this Modbus exception code
        self.delay_s = 0.0  # answer this late (a slow gateway, a busy device)
        self.garbage: Literal["corrupt", "truncate"] | None = None  # damage every answer on the wire
        self.requests = 0
        self.function_codes: Counter[int] = Counter()
        no_bits = [SimData(address=0, count=1, values=False, datatype=DataType.BITS)]  # meters expose no coils
        devices = [
            SimDevice(
                id=unit.unit_id,
                simdata=(no_bits, list(no_bits), _block(unit.ranges.get("holding")), _block(unit.ranges.get("input"))),
                action=functools.partial(self._on_request, unit),
            )
            for unit in units
        ]
        self._server: ModbusSerialServer | ModbusTcpServer
        if serial_port is not None:
            self._server = ModbusSerialServer(
                devices, port=serial_port, baudrate=baudrate, parity=parity, stopbits=stopbits, bytesize=bytesize, trace_packet=self._on_packet
            )
        else:
            assert host is not None and port is not None  # checked above
            self._server = ModbusTcpServer(devices, address=(host, port), trace_packet=self._on_packet)

    async def _on_request(self, unit: ServedUnit, function_code, start_address, address, count, registers, set_values):  # noqa: ANN001
        self.requests += 1
        self.function_codes[function_code] += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fault is not None:
            return ExcCodes(self.fault)
        if set_values is not None:
            return ExcCodes.ILLEGAL_FUNCTION  # a meter's registers are read-only here
        kind = _FUNCTION_REGISTER.get(function_code)
        if kind is None:
            return None
        for (register, address_), value in unit.image_at_request().items():
            if register == kind:
                registers[address_ - start_address] = value
        return None

    def _on_packet(self, sending: bool, data: bytes) -> bytes:
        if sending and self.serial_port is not None and data and data[0] not in self.units:
            # On a real bus a unit that is not there stays silent and the master times out. (pymodbus
            # 3.16 answers "device failure" for it instead, even with ignore_missing_devices.)
            return b""
        if not sending or self.garbage is None:
            return data
        if self.garbage == "truncate":
            return data[: max(1, len(data) - 3)]  # the MBAP header still promises the full length
        return data[:7] + bytes(byte ^ 0x5A for byte in data[7:])  # header intact, PDU scrambled

    def drop_connections(self) -> None:
        """Close every client connection, as a device reboot or a flaky switch does."""
        for connection in list(self._server.active_connections.values()):
            connection.close()

    async def start(self) -> None:
        await self._server.serve_forever(background=True)
        if self.serial_port is not None:
            return  # the serial port is open once serve_forever returns
        for _ in range(100):  # wait until the socket accepts connections
            try:
                _, writer = await asyncio.open_connection(self.host, self.port)
                writer.close()
                await writer.wait_closed()
                return
            except OSError:
                await asyncio.sleep(0.02)
        raise RuntimeError(f"Modbus simulator did not start listening on {self.host}:{self.port}")

    async def stop(self) -> None:
        await self._server.shutdown()


def _block(span: tuple[int, int] | None) -> list[SimData]:
    if span is None:
        return [SimData(address=0, count=1, datatype=DataType.INVALID)]
    start, count = span
    return [SimData(address=start, count=count, values=0, datatype=DataType.REGISTERS)]


__all__ = [
    "ModbusDeviceServer",
    "RegisterType",
    "ServedUnit",
]
