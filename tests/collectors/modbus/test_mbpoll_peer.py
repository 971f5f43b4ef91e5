"""An independent Modbus master (Debian's mbpoll) reads the flowmeter simulator: our server speaks Modbus,
not just whatever our own client expects."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest

from collectors.modbus.register_codec import decode
from scenario import example_site, loading
from simulators.flowmeter import FlowmeterSimulator
from simulators.scenario_clock import ScenarioClock

MBPOLL = shutil.which("mbpoll") or "mbpoll (missing: scripts/setup.sh installs Debian's mbpoll)"


async def mbpoll(port: int, *args: str) -> dict[int, float]:
    process = await asyncio.create_subprocess_exec(
        MBPOLL, "-m", "tcp", "-0", "-1", "-o", "2", "-p", str(port), *args, "127.0.0.1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, err.decode()
    return {int(ref): float(value) for ref, value in re.findall(r"^\[(\d+)\]:\s+(\S+)$", out.decode(), re.M)}


async def test_mbpoll_reads_what_the_simulator_serves(tmp_path: Path) -> None:
    site = example_site("http://127.0.0.1:1", "unused", tmp_path)
    clock = ScenarioClock(speedup=1e-9)  # the scenario stands still: every register holds during the test
    ft101, ft102 = (FlowmeterSimulator.for_loading(d, clock, loading()) for d in site.config.modbus.devices)
    servers = [ft101.server(), ft102.server()]
    for server in servers:
        await server.start()
    try:
        # FT-101: 16-bit holding registers 0…20, big-endian words; the uint64 gram total from four of them.
        words = await mbpoll(servers[0].port, "-a", "1", "-t", "4", "-r", "0", "-c", "21")
        image = ft101.register_image()
        assert {ref: int(v) for ref, v in words.items()} == {address: image.get(("holding", address), 0) for address in range(21)}
        grams = decode([int(words[i]) for i in range(4)], "uint64")
        assert grams == 52_314_706_281
        assert grams / 1000 == ft101.reported("FT-101", "mass_total_kg")
        # Floats decoded by mbpoll itself (-B: big-endian word order), density and pressure at the line.
        floats = await mbpoll(servers[0].port, "-a", "1", "-t", "4:float", "-B", "-r", "12", "-c", "3")
        assert floats[12] == 800.0 and floats[16] == 120.0
        assert floats[14] == pytest.approx(ft101.reported("FT-101", "temperature_c"), abs=1e-3)

        # FT-102: input registers, unit id 7, swapped words; mbpoll's default float order is little-endian words.
        floats = await mbpoll(servers[1].port, "-a", "7", "-t", "3:float", "-r", "110", "-c", "3")
        assert floats[110] == 800.0 and floats[114] == 120.0
        counter = await mbpoll(servers[1].port, "-a", "7", "-t", "3:int", "-r", "106", "-c", "1")
        assert counter[106] == 65.0  # 65 391.172 m³ = 65 overflows of 1000 m³ + 391.172 m³
        remainder = await mbpoll(servers[1].port, "-a", "7", "-t", "3:float", "-r", "104", "-c", "1")
        assert remainder[104] == pytest.approx(391.172, abs=1e-4)
    finally:
        for server in servers:
            await server.stop()


async def test_mbpoll_gets_illegal_address_outside_the_map(tmp_path: Path) -> None:
    site = example_site("http://127.0.0.1:1", "unused", tmp_path)
    simulator = FlowmeterSimulator.for_loading(site.config.modbus.devices[0], ScenarioClock(), loading())
    server = simulator.server()
    await server.start()
    try:
        process = await asyncio.create_subprocess_exec(
            MBPOLL, "-m", "tcp", "-0", "-1", "-p", str(server.port), "-a", "1", "-t", "4", "-r", "500", "-c", "2", "127.0.0.1",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        await server.stop()
    assert "Illegal data address" in out.decode()
