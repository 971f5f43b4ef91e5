"""Every pymodbus client call bulkdaq makes, behind one small adapter.

pymodbus changes its client API in minor releases (``slave=`` became ``device_id=``, the payload
decoder was removed); pyproject pins the range this adapter is written for. Its defaults are also set
here on purpose: 3 retries × 3 s timeout can hold a device for 12 s, and its automatic reconnect
backs off to 300 s. bulkdaq makes one attempt per request with the device's own timeout, and the
collector reconnects itself with a backoff capped at a few seconds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException, ModbusIOException

# pymodbus logs every failed connect at ERROR; the collector reports those itself, with the device name.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

EXCEPTION_NAMES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    8: "memory parity error",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}


class ModbusReadError(Exception):
    """A read failed. `exception_code` is set when the device answered with a Modbus exception."""

    def __init__(self, reason: str, exception_code: int | None = None, *, connection_lost: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.exception_code = exception_code
        self.connection_lost = connection_lost


class ModbusTcpAdapter:
    """One Modbus TCP connection to one unit id."""

    def __init__(self, host: str, port: int, unit_id: int, timeout_s: float) -> None:
        self.host = host
        self.port = port
        self.unit_id = unit_id
        self.timeout_s = timeout_s
        self._client: AsyncModbusTcpClient | None = None

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    async def connect(self) -> None:
        """Open the connection, or raise ConnectionError within the device timeout."""
        self.close()
        # reconnect_delay=0 switches pymodbus's own reconnect loop off: the collector decides when to retry.
        client = AsyncModbusTcpClient(self.host, port=self.port, timeout=self.timeout_s, retries=0, reconnect_delay=0)
        try:
            ok = await asyncio.wait_for(client.connect(), timeout=self.timeout_s + 0.5)
        except (TimeoutError, OSError, ModbusException) as error:
            client.close()
            raise ConnectionError(f"cannot connect to {self.host}:{self.port}: {error or type(error).__name__}") from None
        if not ok or not client.connected:
            client.close()
            raise ConnectionError(f"cannot connect to {self.host}:{self.port}: connection refused or timed out")
        self._client = client

    async def read(self, register: Literal["holding", "input"], address: int, count: int) -> list[int]:
        """Read `count` registers starting at `address`; raises ModbusReadError with the reason."""
        client = self._client
        if client is None or not client.connected:
            raise ModbusReadError("not connected", connection_lost=True)
        call = client.read_holding_registers if register == "holding" else client.read_input_registers
        try:
            response = await asyncio.wait_for(call(address, count=count, device_id=self.unit_id), timeout=self.timeout_s + 0.5)
        except (TimeoutError, ModbusIOException):
            # pymodbus reports a device that stays silent as ModbusIOException("No response received").
            self.close()
            raise ModbusReadError(f"no answer within {self.timeout_s} s", connection_lost=True) from None
        except ModbusException as error:
            self.close()
            raise ModbusReadError(f"{type(error).__name__}: {error}", connection_lost=True) from None
        if response.isError():
            code = getattr(response, "exception_code", None)
            name = EXCEPTION_NAMES.get(code, "unknown exception") if code is not None else "error response"
            raise ModbusReadError(f"exception code {code} ({name}) reading {register} {address}…{address + count - 1}", code)
        registers = list(response.registers)
        if len(registers) < count:
            raise ModbusReadError(f"short answer: {len(registers)} of {count} registers", None)
        return registers[:count]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
