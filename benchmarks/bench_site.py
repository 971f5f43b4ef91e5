"""A site of N simulated flowmeters for the site-scale benchmarks, and the servers that answer for them.

Shared by `modbus_fanout`, `ingest`, `latency`, `catch_up` and `memory`. It has no figures of its own.

* `bench_devices` builds N Modbus TCP devices (one per meter) with a 20-register map — mass and volume
  totals (uint64, scale 0.001), six float32 process values — plus, optionally, a second entry per meter
  that reads one 125-register block every 10 s (a diagnostics page), and, optionally, the device clock
  (float64) after the 20 registers.
* Two servers answer them, each in its **own process** (`ServerProcess`), so the server's CPU is never
  charged to the client being measured:

  - ``raw``: `RawModbusResponder`, a few dozen lines of asyncio that answer function 3/4 from a fixed
    register image (the device clock steps once per second). Cheap enough that it is not the
    bottleneck.
  - ``pymodbus``: the project's simulator, `FlowmeterSimulator` units (unit id 1…N) behind one
    `ModbusDeviceServer` (pymodbus), which computes each meter's registers at the moment of the read.
* Optionally an OPC UA source: `PlantProcess` starts the plant simulator with N bulk variables in its
  own process (as `benchmarks/opcua.py` does), `plant_opcua_section` maps them onto `signal/B00000/value`
  …, and `bench_site(..., opcua=...)` adds that section to the site.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bulkdaq.config.opcua_section import OpcUaSection, opcua_cross_checks
from bulkdaq.config.site_file import (
    InfluxTarget,
    LoadedSite,
    Meter,
    ModbusDevice,
    ModbusSection,
    SiteConfig,
    SiteInfo,
    SpoolSettings,
)
from bulkdaq.store.local_influxd import wait_listening
from collectors.modbus.register_codec import encode

REPO = Path(__file__).resolve().parents[1]
PLANT_NAMESPACE = "urn:bulkdaq:plant"  # where the plant simulator puts its bulk variables
BLOCK_REGISTERS = 125
CLOCK_ADDRESS = 20  # float64 device clock, right after the 20-register meter map

# (field, address, data type, scale) — 20 registers, one read
METER_MAP: tuple[tuple[str, int, str, float], ...] = (
    ("mass_total_kg", 0, "uint64", 0.001),
    ("volume_total_m3", 4, "uint64", 0.001),
    ("flow_rate_kg_h", 8, "float32", 1.0),
    ("volume_flow_m3_h", 10, "float32", 1.0),
    ("density_kg_m3", 12, "float32", 1.0),
    ("temperature_c", 14, "float32", 1.0),
    ("pressure_kpa", 16, "float32", 1.0),
    ("meter_factor", 18, "float32", 1.0),
)
METER_REGISTERS = 20


def meter_id(index: int) -> str:
    return f"FT-{index:03d}"


def bench_devices(
    count: int,
    port: int,
    *,
    poll_interval_s: float = 1.0,
    with_block: bool = False,
    with_clock: bool = False,
    timeout_s: float = 2.0,
) -> list[ModbusDevice]:
    """`count` meters on 127.0.0.1:`port` (unit ids 1…count), each one Modbus TCP device of its own."""
    devices = []
    for index in range(count):
        meter = meter_id(index)
        points = [
            {"name": field, "address": address, "data_type": data_type, "scale": scale, "measurement": "meter", "asset": meter, "field": field}
            for field, address, data_type, scale in METER_MAP
        ]
        if with_clock:
            points.append({"name": "device clock", "address": CLOCK_ADDRESS, "data_type": "float64", "measurement": "meter", "asset": meter, "field": "device_clock_s"})
        common = {"host": "127.0.0.1", "port": port, "unit_id": 1 + index % 247, "timeout_s": timeout_s}
        devices.append(ModbusDevice.model_validate({"name": meter, "poll_interval_s": poll_interval_s, "points": points, **common}))
        if with_block:
            block = [
                {"name": f"diag {i}", "address": 2 * i, "data_type": "float32", "measurement": "signal", "asset": f"{meter}.diag", "field": f"r{2 * i:03d}"}
                for i in range(62)
            ] + [{"name": "diag word", "address": 124, "data_type": "uint16", "measurement": "signal", "asset": f"{meter}.diag", "field": "r124"}]
            devices.append(ModbusDevice.model_validate({"name": f"{meter}.diag", "poll_interval_s": 10.0, "points": block, **common}))
    return devices


def bench_site(
    workdir: Path,
    influx_url: str,
    devices: list[ModbusDevice],
    *,
    database: str = "bench",
    synchronous: str = "full",
    flush_interval_s: float = 1.0,
    max_retry_delay_s: float = 30.0,
    opcua: dict[str, Any] | None = None,
) -> LoadedSite:
    """A site config built in code (as `bulkdaq/app/fault_drill.py` does) around `devices`, plus the
    `[opcua]` section `opcua` (as the TOML would hold it, e.g. from `plant_opcua_section`) if given."""
    meters = sorted({d.points[0].asset for d in devices if d.points[0].measurement == "meter"})
    section = OpcUaSection.model_validate(opcua or {})
    # `load_site` runs these checks on a file; a site built in code must not skip them.
    problems = list(opcua_cross_checks(section))
    if problems:
        raise ValueError("; ".join(f"{key}: {problem}" for key, problem in problems[:5]))
    config = SiteConfig(
        site=SiteInfo(name="bench"),
        influxdb=InfluxTarget(
            url=influx_url, database=database, flush_interval_s=flush_interval_s, max_retry_delay_s=max_retry_delay_s, quarantine_dir=workdir / "quarantine"
        ),
        spool=SpoolSettings(path=workdir / "spool.sqlite", synchronous=synchronous),  # type: ignore[arg-type]
        modbus=ModbusSection(devices=devices),
        opcua=section,
        meters=[Meter(id=m) for m in meters],
    )
    return LoadedSite(workdir / "bench.toml", config, ())


def plant_identifier(index: int) -> str:
    """Node id (string, without namespace) of the plant simulator's bulk variable `index`."""
    return f"B{index:05d}"


def plant_opcua_section(endpoint: str, variables: int) -> dict[str, Any]:
    """The `[opcua]` section for `variables` bulk variables of the plant at `endpoint`, with the
    subscription settings of `benchmarks/opcua.py` (publishing 500 ms, sampling 0, queue 10)."""
    nodes = [
        {"node_id": f"s={plant_identifier(i)}", "measurement": "signal", "asset": plant_identifier(i), "field": "value"}
        for i in range(variables)
    ]
    server = {
        "name": "plant",
        "endpoint": endpoint,
        "namespace_uri": PLANT_NAMESPACE,
        "publishing_interval_ms": 500,
        "sampling_interval_ms": 0,
        "queue_size": 10,
        "stale_after_s": 30,
        "nodes": nodes,
    }
    return {"servers": [server]}


# --- the raw responder ------------------------------------------------------------------------
def _fixed_image() -> list[int]:
    """125 registers: a meter standing still (totals fixed, flow 0), then float32 1.5 repeated."""
    values = {
        "mass_total_kg": 52_314_706_281,
        "volume_total_m3": 65_391_172,
        "flow_rate_kg_h": 0.0,
        "volume_flow_m3_h": 0.0,
        "density_kg_m3": 800.0,
        "temperature_c": 25.0,
        "pressure_kpa": 120.0,
        "meter_factor": 1.0,
    }
    image = [0] * BLOCK_REGISTERS
    for field, address, data_type, _ in METER_MAP:
        words = encode(values[field], data_type)
        image[address : address + len(words)] = words
    for address in range(CLOCK_ADDRESS, BLOCK_REGISTERS - 1, 2):
        image[address : address + 2] = encode(1.5, "float32")
    return image


class RawModbusResponder:
    """A minimal Modbus TCP server: answers function 3 and 4 from a fixed image, anything else with
    exception 1. Registers 20…23 hold the device clock (float64 seconds): it steps once per second, at
    a phase of its own per unit id (k + (unit mod 20)/20 s), and its value is the instant it last
    stepped — the change whose latency `benchmarks.latency` measures, at every phase of the poll cycle."""

    CLOCK_PHASES = 20

    def __init__(self) -> None:
        self.image = bytes(struct.pack(f">{BLOCK_REGISTERS}H", *_fixed_image()))
        self.requests = 0

    def registers(self, unit: int, address: int, count: int) -> bytes:
        data = self.image[2 * address : 2 * (address + count)]
        if address <= CLOCK_ADDRESS and address + count >= CLOCK_ADDRESS + 4:
            phase = (unit % self.CLOCK_PHASES) / self.CLOCK_PHASES
            stepped = math.floor(time.time() - phase) + phase
            at = 2 * (CLOCK_ADDRESS - address)
            data = data[:at] + struct.pack(">d", stepped) + data[at + 8 :]
        return data

    async def serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await reader.readexactly(7)
                transaction, _protocol, length, unit = struct.unpack(">HHHB", header)
                pdu = await reader.readexactly(length - 1)
                self.requests += 1
                function = pdu[0]
                if function in (3, 4) and len(pdu) >= 5:
                    address, count = struct.unpack(">HH", pdu[1:5])
                    if address + count <= BLOCK_REGISTERS:
                        body = bytes((function, 2 * count)) + self.registers(unit, address, count)
                    else:
                        body = bytes((function | 0x80, 2))
                else:
                    body = bytes((function | 0x80, 1))
                writer.write(struct.pack(">HHHB", transaction, 0, len(body) + 1, unit) + body)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def serve(self, port: int) -> None:
        server = await asyncio.start_server(self.serve_connection, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()


async def _serve_pymodbus(port: int, meters: int) -> None:
    from simulators.flowmeter import FlowmeterSimulator, MeterRun
    from simulators.loading_profile import LoadingProfile
    from simulators.modbus_device_server import ModbusDeviceServer
    from simulators.scenario_clock import ScenarioClock

    clock = ScenarioClock(speedup=1.0)
    run = MeterRun(LoadingProfile(1e12, 3_600_000.0, ramp_up_s=0, ramp_down_s=0, start_s=0))
    units = []
    for device in bench_devices(min(meters, 247), port):
        units.append(FlowmeterSimulator(device, {device.points[0].asset: run}, clock).unit())
    server = ModbusDeviceServer(units, host="127.0.0.1", port=port)
    await server.start()
    await asyncio.Event().wait()


# --- processes --------------------------------------------------------------------------------
class ServerProcess:
    """`python -m benchmarks.bench_site --serve KIND` in its own process, stopped on exit."""

    def __init__(self, kind: str, port: int, meters: int = 1) -> None:
        self.kind, self.port, self.meters = kind, port, meters
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_site", "--serve", self.kind, "--port", str(self.port), "--meters", str(self.meters)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_listening(self.port)
        except BaseException:
            self.__exit__()  # __exit__ does not run when __enter__ raises: do not leave the server behind
            raise
        return self

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server process has used so far (from /proc)."""
        assert self._process is not None
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *_: object) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


class PlantProcess(ServerProcess):
    """The plant simulator with `variables` bulk variables, each changing once per second, in its own
    process, started exactly as `benchmarks/opcua.py` starts it; stopped on exit."""

    def __init__(self, port: int, variables: int) -> None:
        super().__init__("plant", port)
        self.variables = variables

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}/bulkdaq/plant"

    def __enter__(self) -> PlantProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bulkdaq.cli.main", "simulate", "plant", "--port", str(self.port), "--speedup", "1",
             "--update-interval-s", "0.25", "--bulk-variables", str(self.variables)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_listening(self.port, timeout_s=60.0)  # building thousands of nodes takes a few seconds
        except BaseException:
            self.__exit__()
            raise
        return self


def run_phase(module: str, args: list[str], timeout_s: float = 300.0) -> dict:
    """Run `python -m benchmarks.MODULE --phase …` and return the JSON it prints last."""
    result = subprocess.run([sys.executable, "-m", f"benchmarks.{module}", *args], capture_output=True, text=True, cwd=REPO, timeout=timeout_s)
    if result.returncode != 0:
        raise RuntimeError(f"benchmark phase {module} {args[:2]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def rss_mib() -> float:
    """Resident memory of this process [MiB], from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    return f"{os.cpu_count()} cores"


def main() -> None:
    """Nothing to measure here: this module builds the site and servers the other benchmarks use."""


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="serve the benchmark meters")
    parser.add_argument("--serve", choices=["raw", "pymodbus"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--meters", type=int, default=1)
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # a server holds nothing worth flushing
    asyncio.run(RawModbusResponder().serve(options.port) if options.serve == "raw" else _serve_pymodbus(options.port, options.meters))
