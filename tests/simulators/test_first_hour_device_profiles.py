"""Device profiles: a site file's register map checked against a layout taken from the meter's manual, not
against itself. A map with the wrong word order reads other (implausible) numbers from a profile-driven
simulator; the right map reads the true values; an independent master (Debian's mbpoll) agrees."""

from __future__ import annotations

import asyncio
import math
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bulkdaq.config.site_file import ModbusDevice, load_site
from bulkdaq.store.local_influxd import free_port, wait_listening
from collectors.modbus.register_codec import decode
from simulators.device_profiles import check_against_profile, load_profile, profile_device, profile_names
from simulators.flowmeter import FlowmeterSimulator
from simulators.loading_profile import LoadingProfile
from simulators.scenario_clock import ScenarioClock
from simulators.setup_error import SetupError
from site_files import meter, write_site

BULKDAQ = Path(sys.executable).parent / "bulkdaq"
MBPOLL = shutil.which("mbpoll") or "mbpoll (missing: scripts/setup.sh installs Debian's mbpoll)"
METER = "FT-101"
LOADING = LoadingProfile(45_000_000.0, 2_500_000.0, ramp_up_s=600, ramp_down_s=600, start_s=0)
STEADY_S = 3_600.0  # an hour into the loading: full flow, totals well above zero


def _site_device(tmp_path: Path, order: str, points: list[tuple[int, str, str, float]], port: int = 502) -> ModbusDevice:
    """A site file's device for meter FT-101: (address, data type, field, scale) each, in `order`."""
    body = f'[[modbus.devices]]\nname = "{METER}"\nhost = "127.0.0.1"\nport = {port}\nregister_order = "{order}"\n'
    for address, data_type, field, scale in points:
        body += (
            f'[[modbus.devices.points]]\nname = "{field}"\naddress = {address}\ndata_type = "{data_type}"\nscale = {scale}\n'
            f'measurement = "meter"\nasset = "{METER}"\nfield = "{field}"\n'
        )
    if any(field in {"mass_total_kg", "volume_total_m3"} for _, _, field, _ in points):
        body += meter(METER)
    return load_site(write_site(tmp_path, body)).config.modbus.devices[0]


SIEMENS_MAP = [(3000, "float32", "flow_rate_kg_h", 3600.0), (3004, "float32", "density_kg_m3", 1.0),
               (3014, "float64", "mass_total_kg", 1.0), (3018, "float64", "volume_total_m3", 1.0)]
LONGRUN_MAP = [(4, "float32", "volume_flow_m3_h", 1.0)]


def test_every_profile_cites_its_manual_row_by_row() -> None:
    assert {"siemens-sitrans-f-c-mass6000", "longrun-lrf-3000s"} <= set(profile_names())
    like = ModbusDevice.model_validate({"name": METER, "host": "127.0.0.1", "points": [
        {"name": "m", "address": 0, "data_type": "uint16", "measurement": "meter", "asset": METER, "field": "status"}]})
    for name in profile_names():
        profile = load_profile(name)
        assert profile.sources and all("https://" in source for source in profile.sources), name
        assert set(profile.point_sources) == set(profile.fields) and all(profile.point_sources.values()), name
        assert profile.device["register_order"] in {"ABCD", "CDAB", "BADC", "DCBA"}, name
        served = profile_device(profile, like, METER)  # a valid device: addresses, types, fields of the contract
        assert {p.asset for p in served.points} == {METER}
    with pytest.raises(SetupError, match="no device profile 'micro-motion'; the profiles are: "):
        load_profile("micro-motion")


@pytest.mark.parametrize(
    ("profile_name", "site_map", "right", "wrong"),
    [
        ("siemens-sitrans-f-c-mass6000", SIEMENS_MAP, "ABCD", "CDAB"),  # the manual: big-endian, MSB first
        ("longrun-lrf-3000s", LONGRUN_MAP, "CDAB", "ABCD"),  # the manual: low word first
    ],
)
def test_the_wrong_word_order_reads_implausible_values_and_the_right_one_the_truth(
    tmp_path: Path, profile_name: str, site_map: list[tuple[int, str, str, float]], right: str, wrong: str,
) -> None:
    profile = load_profile(profile_name)
    served = profile_device(profile, _site_device(tmp_path, right, site_map), METER)
    simulator = FlowmeterSimulator.for_loading(served, ScenarioClock(1.0), LOADING)
    image = simulator.register_image(STEADY_S)
    truth = {field: simulator.reported(METER, field, STEADY_S) for field in profile.fields}
    assert truth.get("density_kg_m3", 800.0) == 800.0 and all(v > 0 for v in truth.values())

    checks = check_against_profile(_site_device(tmp_path, right, site_map), served, image)
    assert [c.field for c in checks] == [f for _, _, f, _ in site_map] and all(c.agrees for c in checks)
    assert {c.field: c.site_reads for c in checks} == {c.field: truth[c.field] for c in checks}

    checks = check_against_profile(_site_device(tmp_path, wrong, site_map), served, image)
    assert checks and not any(c.agrees for c in checks), checks
    for check in checks:  # not a rounding: off by orders of magnitude, or no number at all
        reads = check.site_reads
        assert reads is None or not math.isfinite(reads) or not 1e-3 < abs(reads / check.truth) < 1e3, check


async def _mbpoll(port: int, *args: str) -> dict[int, float]:
    process = await asyncio.create_subprocess_exec(
        MBPOLL, "-m", "tcp", "-0", "-1", "-o", "2", "-p", str(port), *args, "127.0.0.1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, err.decode()
    return {int(ref): float(value) for ref, value in re.findall(r"^\[(\d+)\]:\s+(\S+)$", out.decode(), re.M)}


async def test_simulate_flowmeter_serves_the_profile_and_mbpoll_reads_it_by_the_manual(tmp_path: Path) -> None:
    """The command serves the manual's layout at the site device's address; mbpoll, told the manual's word
    order (its default, low word first), reads the true rate; the site file's wrong map reads nonsense."""
    port = free_port()
    site_device = _site_device(tmp_path, "ABCD", LONGRUN_MAP, port)  # the site file's map: high word first (wrong)
    site = tmp_path / "site.toml"
    process = subprocess.Popen(
        [BULKDAQ, "simulate", "flowmeter", "--site", site, "--device", METER, "--profile", "longrun-lrf-3000s",
         "--speedup", "1", "--start-delay-min", "0", "--ramp-min", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_listening(port, timeout_s=30)
        floats = await _mbpoll(port, "-a", "1", "-t", "4:float", "-r", "4", "-c", "1")  # mbpoll's default: low word first
        swapped = await _mbpoll(port, "-a", "1", "-t", "4:float", "-B", "-r", "4", "-c", "1")  # -B: high word first
        words = await _mbpoll(port, "-a", "1", "-t", "4", "-r", "4", "-c", "2")
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "serving device profile longrun-lrf-3000s: Longrun LRF-3000S" in out and "holding 4 float32 volume_flow_m3_h in CDAB" in out
    true_rate = 2_500_000.0 / 800.0  # m³/h at full flow, speedup 1
    assert floats[4] == true_rate
    assert not 1e-3 < abs(swapped[4] / true_rate) < 1e3
    registers = [int(words[4]), int(words[5])]
    assert decode(registers, "float32", "big", "little") == true_rate  # the manual's CDAB
    site_reads = decode(registers, "float32", site_device.byte_order, site_device.word_order)
    assert site_reads == pytest.approx(swapped[4], rel=1e-6)  # what mbpoll printed, to its 6 digits
    assert not 1e-3 < abs(site_reads / true_rate) < 1e3


def test_simulate_flowmeter_refuses_an_unknown_profile(tmp_path: Path) -> None:
    _site_device(tmp_path, "ABCD", LONGRUN_MAP)
    result = subprocess.run(
        [BULKDAQ, "simulate", "flowmeter", "--site", tmp_path / "site.toml", "--device", METER, "--profile", "micro-motion"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and "no device profile 'micro-motion'; the profiles are: longrun-lrf-3000s" in result.stderr
