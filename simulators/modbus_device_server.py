"""A Modbus TCP server for one simulated device, behind one small adapter over pymodbus's server API.

The register image is not stored: it is asked of the simulator (`image_at_request`) on every request,
so a read returns the device's state at the moment it was read — the ground truth.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Literal

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from bulkdaq.point_codec import RegisterImage

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

RegisterType = Literal["holding", "input"]
_FUNCTION_REGISTER = {3: "holding", 4: "input"}


class ModbusDeviceServer:
    """Serves `image_at_request()` for unit `unit_id` on host:port until stopped.

    `ranges` gives, per register type, the (first address, count) the device maps; reads outside them
    answer exception 2 (illegal data address), as a real device does. `fault` can be set at run time to a
    Modbus exception code to make every read fail with it.
    """

    def __init__(
        self,
        host: str,
        port: int,
        unit_id: int,
        ranges: Mapping[RegisterType, tuple[int, int]],
        image_at_request: Callable[[], RegisterImage],
    ) -> None:
        self.host = host
        self.port = port
        self.unit_id = unit_id
        self.ranges = dict(ranges)
        self.image_at_request = image_at_request
        self.fault: int | None = None  # answer every read with this Modbus exception code
        self.delay_s = 0.0  # answer this late (a slow gateway, a busy device)
        self.garbage: Literal["corrupt", "truncate"] | None = None  # damage every answer on the wire
        self.requests = 0
        no_bits = [SimData(address=0, count=1, values=False, datatype=DataType.BITS)]  # meters expose no coils
        simdata = (no_bits, list(no_bits), _block(self.ranges.get("holding")), _block(self.ranges.get("input")))
        device = SimDevice(id=unit_id, simdata=simdata, action=self._on_request)
        self._server = ModbusTcpServer(device, address=(host, port), trace_packet=self._on_packet)
        self._task: asyncio.Task[None] | None = None

    async def _on_request(self, function_code, start_address, address, count, registers, set_values):  # noqa: ANN001
        self.requests += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fault is not None:
            return ExcCodes(self.fault)
        if set_values is not None:
            return ExcCodes.ILLEGAL_FUNCTION  # a meter's registers are read-only here
        kind = _FUNCTION_REGISTER.get(function_code)
        if kind is None:
            return None
        for (register, address_), value in self.image_at_request().items():
            if register == kind:
                registers[address_ - start_address] = value
        return None

    def _on_packet(self, sending: bool, data: bytes) -> bytes:
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
