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
from typing import Any, Literal

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException, ModbusIOException

from bulkdaq.errors import BulkdaqError

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


class ModbusReadError(BulkdaqError):
    """A read failed. `exception_code` is set when the device answered with a Modbus exception."""

    def __init__(self, reason: str, exception_code: int | None = None, *, connection_lost: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.exception_code = exception_code
        self.connection_lost = connection_lost


class ModbusTcpAdapter:
    """One Modbus TCP connection to one unit id (a gateway's other units get connections of their own)."""

    def __init__(self, host: str, port: int, unit_id: int, timeout_s: float, retries: int = 0) -> None:
        self.retries = retries
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
            async with asyncio.timeout(self.timeout_s + 0.5):
                ok = await client.connect()
        except (TimeoutError, OSError, ModbusException) as error:
            client.close()
            raise ConnectionError(f"cannot connect to {self.host}:{self.port}: {error or type(error).__name__}") from None
        if not ok or not client.connected:
            client.close()
            raise ConnectionError(f"cannot connect to {self.host}:{self.port}: connection refused or timed out")
        self._client = client

    async def read(self, register: Literal["holding", "input"], address: int, count: int) -> list[int]:
        """Read `count` registers starting at `address`; raises ModbusReadError with the reason."""
        for attempt in range(self.retries + 1):
            client = self._client
            if client is None or not client.connected:
                raise ModbusReadError("not connected", connection_lost=True)
            try:
                return await _read(client, self.unit_id, self.timeout_s, register, address, count)
            except ModbusReadError as error:
                if not error.connection_lost:
                    raise  # the device answered (an exception code): asking again changes nothing
                # On TCP a silent or garbled answer leaves the stream in an unknown state: start afresh.
                self.close()
                if attempt == self.retries:
                    raise
                try:
                    await self.connect()
                except ConnectionError:
                    raise error from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class SerialBus:
    """One RS-485 line: one pymodbus serial client shared by every unit on it, one request at a time."""

    def __init__(self, port: str, *, baudrate: int, parity: str, stopbits: int, bytesize: int, timeout_s: float) -> None:
        self.port = port
        self.settings: dict[str, Any] = {"baudrate": baudrate, "parity": parity, "stopbits": stopbits, "bytesize": bytesize}
        self.timeout_s = timeout_s
        self.client: AsyncModbusSerialClient | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def lock(self) -> asyncio.Lock:
        if self._lock is None:  # created in the running loop
            self._lock = asyncio.Lock()
        return self._lock

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.connected

    async def connect(self) -> None:
        async with self.lock:
            if self.connected:
                return
            self.close()
            client = AsyncModbusSerialClient(self.port, timeout=self.timeout_s, retries=0, reconnect_delay=0, **self.settings)
            try:
                async with asyncio.timeout(self.timeout_s + 0.5):
                    ok = await client.connect()
            except (TimeoutError, OSError, ModbusException) as error:
                client.close()
                raise ConnectionError(f"cannot open {self.port}: {error or type(error).__name__}") from None
            if not ok:
                client.close()
                raise ConnectionError(f"cannot open {self.port}")
            self.client = client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


class ModbusRtuAdapter:
    """One unit on a shared serial bus. A silent unit does not close the bus: the others stay reachable."""

    def __init__(self, bus: SerialBus, unit_id: int, timeout_s: float, retries: int = 0) -> None:
        self.retries = retries
        self.bus = bus
        self.unit_id = unit_id
        self.timeout_s = timeout_s

    @property
    def connected(self) -> bool:
        return self.bus.connected

    async def connect(self) -> None:
        await self.bus.connect()

    async def read(self, register: Literal["holding", "input"], address: int, count: int) -> list[int]:
        async with self.bus.lock:  # the bus carries one request at a time
            client = self.bus.client
            if client is None or not client.connected:
                raise ModbusReadError("serial port not open", connection_lost=True)
            for attempt in range(self.retries + 1):
                try:
                    return await _read(client, self.unit_id, self.timeout_s, register, address, count)
                except ModbusReadError as error:
                    if error.exception_code is not None or attempt == self.retries:
                        # A silent unit on a bus says nothing about the line; only this unit's poll failed.
                        raise ModbusReadError(error.reason, error.exception_code) from None
            raise AssertionError("unreachable")

    def close(self) -> None:
        """The bus outlives its units: ModbusCollector closes it."""


async def _read(client, unit_id: int, timeout_s: float, register: str, address: int, count: int) -> list[int]:  # noqa: ANN001
    call = client.read_holding_registers if register == "holding" else client.read_input_registers
    try:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives as the
        # request completes, and a device task that ignores its cancellation never lets the collector stop.
        async with asyncio.timeout(timeout_s + 0.5):
            response = await call(address, count=count, device_id=unit_id)
    except (TimeoutError, ModbusIOException):
        # pymodbus reports a device that stays silent as ModbusIOException("No response received").
        raise ModbusReadError(f"no answer within {timeout_s} s", connection_lost=True) from None
    except ModbusException as error:
        raise ModbusReadError(f"{type(error).__name__}: {error}", connection_lost=True) from None
    if response.isError():
        code = getattr(response, "exception_code", None)
        name = EXCEPTION_NAMES.get(code, "unknown exception") if code is not None else "error response"
        raise ModbusReadError(f"exception code {code} ({name}) reading {register} {address}…{address + count - 1}", code)
    registers = list(response.registers)
    if len(registers) < count:
        raise ModbusReadError(f"short answer: {len(registers)} of {count} registers", None)
    return registers[:count]


__all__ = [
    "EXCEPTION_NAMES",
    "ModbusReadError",
    "ModbusRtuAdapter",
    "ModbusTcpAdapter",
    "SerialBus",
]
