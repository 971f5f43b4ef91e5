"""The blending-yard simulator (issue 17): feeders per component and a product scale on one scenario clock, with
known truth: an honest run keeps the recipe's shares all along, the product is Σ feeders × (1 + bias), a drifting
feeder counts high, an off-recipe run moves share from one component to another."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bulkdaq.config.site_file import LoadedSite, load_site
from bulkdaq.store.local_influxd import free_port
from bulkdaq.yard.recipe import load_recipe
from scenario import REPO
from simulators.blending_yard import BlendingYard, BlendPlan, blending_scenario, honest_plan
from simulators.scenario_clock import ScenarioClock
from simulators.setup_error import SetupError

SITE = load_site(REPO / "examples" / "yard" / "site.toml")
RECIPE = load_recipe(REPO / "examples" / "yard" / "recipes" / "pb-blend-62.toml", SITE)  # 60 / 30 / 10 %
END_S = 1_920.0  # 60 s idle + 600 t / 1,200 t/h (1,800 s) + 60 s (half of each ramp)


def test_an_honest_run_keeps_its_shares_and_its_product_is_the_sum() -> None:
    yard = blending_scenario(SITE, RECIPE, ScenarioClock(speedup=1.0), total_t=600.0, rate_t_h=1_200.0)
    assert yard.end_s == END_S
    assert [s.device.name for s in yard.simulators] == ["YARD-FEEDERS", "BP-1-INT", "BR-1-INT"]  # the receiving belt stands still
    assert yard.simulator_of("BR-1").reported("BR-1", "rate_t_h") == 0.0
    assert {scale: yard.counted_t(scale, END_S) for scale in yard.feeds} == pytest.approx(
        {"BF-1": 360.0, "BF-2": 180.0, "BF-3": 60.0, "BP-1": 600.0}, abs=1e-9)
    for t in (90.0, 700.0, 1_900.0):  # on the ramp up, steady, on the ramp down: the shares hold
        carried = {scale: yard.carried_t(scale, t) for scale in yard.feeds}
        assert carried["BF-1"] / carried["BP-1"] == pytest.approx(0.6, rel=1e-12)
        assert carried["BF-3"] / carried["BP-1"] == pytest.approx(0.1, rel=1e-12)
    # The product scale serves its total: 11,111.125 t before (the third initial after 10,000 t), 600 t more after.
    product = yard.simulator_of("BP-1")
    assert product.reported("BP-1", "total_t", 0.0) == 13_333.375
    assert product.reported("BP-1", "total_t", END_S) == 13_933.375


def test_a_drifting_feeder_a_product_bias_and_an_off_recipe_run() -> None:
    drifting = blending_scenario(SITE, RECIPE, ScenarioClock(), drifts={"BF-2": 1.5})
    assert drifting.carried_t("BF-2", END_S) == pytest.approx(180.0, abs=1e-9)
    assert drifting.counted_t("BF-2", END_S) == pytest.approx(182.7, abs=1e-9)  # 180 t × 1.015
    assert drifting.counted_t("BP-1", END_S) == pytest.approx(600.0, abs=1e-9)  # the product scale stays honest

    biased = blending_scenario(SITE, RECIPE, ScenarioClock(), product_bias=-0.01)
    assert biased.carried_t("BP-1", END_S) == pytest.approx(594.0, abs=1e-9)

    off = blending_scenario(SITE, RECIPE, ScenarioClock(), off_recipe_pp=5.0)
    assert {scale: off.counted_t(scale, END_S) for scale in off.feeds} == pytest.approx(
        {"BF-1": 390.0, "BF-2": 150.0, "BF-3": 60.0, "BP-1": 600.0}, abs=1e-9)  # 65 / 25 / 10 %


def test_what_the_yard_cannot_simulate_is_refused() -> None:
    with pytest.raises(SetupError, match=r"a drift is given for \['BF-9'\], which is no scale of recipe 'PB-blend-62'"):
        blending_scenario(SITE, RECIPE, ScenarioClock(), drifts={"BF-9": 1.0})
    without_product = SITE.config.model_copy(update={"modbus": SITE.config.modbus.model_copy(update={"devices": SITE.config.modbus.devices[:1]})})
    with pytest.raises(SetupError, match=r"no Modbus device of the site serves scale\(s\) \['BP-1'\]"):
        BlendingYard(LoadedSite(SITE.path, without_product, ()), RECIPE, honest_plan(RECIPE, 600.0, 1_200.0), ScenarioClock())
    with pytest.raises(SetupError, match=r"the feeders' shares sum to 95.0 %"):
        BlendPlan(600.0, 1_200.0, {"BF-1": 60.0, "BF-2": 30.0, "BF-3": 5.0})


BULKDAQ = Path(sys.executable).parent / "bulkdaq"
MBPOLL = shutil.which("mbpoll") or "mbpoll (missing: scripts/setup.sh installs Debian's mbpoll)"
RECIPE_FILE = REPO / "examples" / "yard" / "recipes" / "pb-blend-62.toml"


def test_the_cli_refuses_a_drift_it_cannot_read_or_simulate(tmp_path: Path) -> None:
    site = REPO / "examples" / "yard" / "site.toml"
    for drift, message in (
        ("BF-2", "error: command line: --drift: 'BF-2' is not SCALE=PERCENT; write e.g. --drift BF-2=1.5"),
        ("BF-2=high", "error: command line: --drift: 'BF-2=high' is not SCALE=PERCENT"),
        ("BF-9=1.5", "error: a drift is given for ['BF-9'], which is no scale of recipe 'PB-blend-62'"),
    ):
        result = subprocess.run([str(BULKDAQ), "simulate", "yard", str(site), "--recipe", str(RECIPE_FILE), "--drift", drift],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, result.stderr
        assert result.stderr.replace("\n", " ").startswith(message), result.stderr
        assert "Traceback" not in result.stderr


def test_the_cli_serves_the_yard_to_an_independent_master(tmp_path: Path) -> None:
    """`bulkdaq simulate yard SITE --recipe … --drift BF-2=1.5`: the example yard on free ports; mbpoll reads the
    product scale's float64 total (the initial 13,333.375 t, the clock all but stopped) and BF-2's; Ctrl-C stops it."""
    feeders_port, product_port = free_port(), free_port()
    text = (REPO / "examples" / "yard" / "site.toml").read_text(encoding="utf-8")
    site = tmp_path / "yard.toml"
    text = text.replace("port = 5030", f"port = {feeders_port}").replace("port = 5031", f"port = {product_port}")
    site.write_text(text.replace("port = 5032", f"port = {free_port()}"), encoding="utf-8")
    process = subprocess.Popen([str(BULKDAQ), "simulate", "yard", str(site), "--recipe", str(RECIPE_FILE), "--drift", "BF-2=1.5",
                                "--speedup", "1e-6"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", product_port)) == 0:
                    break
            time.sleep(0.1)
        values = {}
        for port, address, name in ((product_port, 0, "BP-1"), (feeders_port, 10, "BF-2")):
            out = subprocess.run([MBPOLL, "-m", "tcp", "-0", "-1", "-o", "2", "-p", str(port), "-a", "1", "-t", "4:hex", "-r", str(address),
                                  "-c", "4", "127.0.0.1"], capture_output=True, text=True, timeout=20)
            assert out.returncode == 0, out.stderr
            words = [int(value, 16) for value in re.findall(r"^\[\d+\]:\s+0x([0-9A-Fa-f]+)$", out.stdout, re.M)]
            values[name] = struct.unpack(">d", b"".join(word.to_bytes(2, "big") for word in words))[0]
        assert values == {"BP-1": 13_333.375, "BF-2": 11_111.125}
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert f"belt scales BF-1, BF-2, BF-3 on 127.0.0.1:{feeders_port} unit 1" in stdout
    assert f"belt scales BP-1 on 127.0.0.1:{product_port} unit 1" in stdout
    assert "recipe PB-blend-62 v3: 600 t at 1,200 t/h" in stdout
