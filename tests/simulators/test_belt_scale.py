"""The belt-scale simulator (issue 17): one Modbus device serving several scales' totals and rates from their feeds
in closed form, on one clock with the collector (rates per real hour), a drift that makes a scale count high, and
faults; the registers are the site file's map, read back by an independent master (mbpoll)."""

from __future__ import annotations

import asyncio
import re
import shutil
import struct

import pytest

from bulkdaq.config.site_file import load_site
from bulkdaq.store.local_influxd import free_port
from scenario import REPO
from simulators.belt_scale import BeltFeed, BeltScaleSimulator, Drift, ProfileFlow
from simulators.loading_profile import LoadingProfile
from simulators.scenario_clock import ScenarioClock
from simulators.setup_error import SetupError

SITE = load_site(REPO / "examples" / "yard" / "site.toml")
FEEDERS = SITE.config.modbus.devices[0]  # YARD-FEEDERS: BF-1, BF-2, BF-3, float64 totals at 0/10/20, float32 rates at 4/14/24
MBPOLL = shutil.which("mbpoll") or "mbpoll (missing: scripts/setup.sh installs Debian's mbpoll)"

# 300 t at 1,200 t/h with 60 s ramps from 60 s: steady = 300 t / (1/3 t/s) − 60 s = 840 s, ends at 1,020 s.
PROFILE = LoadingProfile(300_000.0, 1_200_000.0, ramp_up_s=60, ramp_down_s=60, start_s=60)


def _feeds(drift: Drift | None = None) -> dict[str, BeltFeed]:
    return {
        "BF-1": BeltFeed(ProfileFlow(PROFILE), 12_345.678),
        "BF-2": BeltFeed(ProfileFlow(PROFILE), 500.0, drift),
        "BF-3": BeltFeed(ProfileFlow(PROFILE), 0.0),
    }


def test_totals_and_rates_follow_the_feed_in_closed_form() -> None:
    simulator = BeltScaleSimulator(FEEDERS, _feeds(), ScenarioClock(speedup=10.0))
    assert simulator.scales == ["BF-1", "BF-2", "BF-3"]
    assert simulator.reported("BF-1", "total_t", 0.0) == 12_345.678
    # Half-way up the ramp (x = 30 s): (1/3 t/s) · 30² / (2 · 60) = 2.5 t, at 600 t/h × speedup 10.
    assert simulator.reported("BF-1", "total_t", 90.0) == 12_348.178
    assert simulator.reported("BF-1", "rate_t_h", 90.0) == 6_000.0
    # Steady at 1,200 t/h: reported per real hour, 12,000 t/h at speedup 10 (exact in float32).
    assert simulator.reported("BF-1", "rate_t_h", 500.0) == 12_000.0
    # After the run: exactly 300 t counted, the rate back to 0.
    assert simulator.reported("BF-1", "total_t", 2_000.0) == 12_645.678
    assert simulator.reported("BF-3", "total_t", 2_000.0) == 300.0
    assert simulator.reported("BF-1", "rate_t_h", 2_000.0) == 0.0
    assert simulator.carried_t("BF-1", 2_000.0) == 300.0 and simulator.counted_t("BF-1", 2_000.0) == 300.0


def test_a_drifting_scale_counts_high_from_its_start_and_its_rate_with_it() -> None:
    simulator = BeltScaleSimulator(FEEDERS, _feeds(Drift(1.5, from_s=300.0)), ScenarioClock(speedup=1.0))
    # Carried by 300 s (x = 240 s, steady since 120 s): (1/3 t/s) · (30 + 180) s = 70 t; the drift then counts
    # 1.5 % more of the remaining 230 t: 300 + 0.015 · 230 = 303.45 t.
    assert simulator.carried_t("BF-2", 300.0) == pytest.approx(70.0, abs=1e-9)
    assert simulator.counted_t("BF-2", 2_000.0) == pytest.approx(303.45, abs=1e-9)
    assert simulator.carried_t("BF-2", 2_000.0) == 300.0
    assert simulator.reported("BF-2", "total_t", 2_000.0) == pytest.approx(803.45, abs=1e-9)
    assert simulator.reported("BF-2", "rate_t_h", 200.0) == 1_200.0  # before the drift
    assert simulator.reported("BF-2", "rate_t_h", 500.0) == pytest.approx(1_218.0, rel=1e-7)  # float32 of 1,200 × 1.015
    assert simulator.reported("BF-1", "total_t", 2_000.0) == 12_645.678  # its neighbours are honest


def test_a_reset_and_a_jump_of_the_total() -> None:
    clock = ScenarioClock(speedup=1e-9)  # stands still at 0 s
    simulator = BeltScaleSimulator(FEEDERS, _feeds(), clock)
    simulator.reset_totalizer("BF-1")
    assert simulator.reported("BF-1", "total_t") == 0.0
    simulator.jump_totalizer("BF-1", 7.25)
    assert simulator.reported("BF-1", "total_t") == 7.25
    assert simulator.reported("BF-2", "total_t") == 500.0
    before = simulator.register_image()
    simulator.freeze()
    simulator.jump_totalizer("BF-2", 1.0)
    assert simulator.unit().image_at_request() == before  # a hung integrator serves the frozen image, whatever the state
    simulator.unfreeze()
    assert simulator.reported("BF-2", "total_t") == 501.0


def test_a_map_that_is_not_a_belt_scale_or_a_scale_without_feed_is_refused() -> None:
    with pytest.raises(SetupError, match=r"no belt feed given for scale 'BF-3'"):
        BeltScaleSimulator(FEEDERS, {k: v for k, v in _feeds().items() if k != "BF-3"}, ScenarioClock())
    meter_site = load_site(REPO / "examples" / "site.toml")
    with pytest.raises(SetupError, match=r"a belt scale serves scale fields \['rate_t_h', 'total_t'\], not meter/mass_total_kg"):
        BeltScaleSimulator(meter_site.config.modbus.devices[0], {"FT-101": _feeds()["BF-1"]}, ScenarioClock())
    with pytest.raises(SetupError, match=r"a drift of 60.0 % is no belt scale's"):
        Drift(60.0)


async def test_mbpoll_reads_the_totals_and_rates_served() -> None:
    device = FEEDERS.model_copy(update={"port": free_port()})
    simulator = BeltScaleSimulator(device, _feeds(), ScenarioClock(speedup=1e-9))
    server = simulator.server()
    await server.start()
    try:
        process = await asyncio.create_subprocess_exec(
            MBPOLL, "-m", "tcp", "-0", "-1", "-o", "2", "-p", str(device.port), "-a", "1", "-t", "4:hex", "-r", "0", "-c", "26", "127.0.0.1",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=20)
        assert process.returncode == 0, err.decode()
        words = {int(ref): int(value, 16) for ref, value in re.findall(r"^\[(\d+)\]:\s+0x([0-9A-Fa-f]+)$", out.decode(), re.M)}
        # The registers decoded by hand with struct, not our codec: float64 totals and float32 rates, ABCD.
        raw = {address: b"".join(words[address + i].to_bytes(2, "big") for i in range(4)) for address in (0, 10, 20)}
        assert [struct.unpack(">d", raw[address])[0] for address in (0, 10, 20)] == [12_345.678, 500.0, 0.0]
        rate = b"".join(words[4 + i].to_bytes(2, "big") for i in range(2))
        assert struct.unpack(">f", rate)[0] == 0.0
    finally:
        await server.stop()
