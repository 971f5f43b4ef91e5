"""The bonded blending yard end to end, as the yard runs it: the belt scales served by the simulator on one
scenario clock, `bulkdaq collect` (the real collector, its spool and signed chain) into a private influxd, and
every yard step through the `bulkdaq yard` command line: lots recorded, each run recorded from the stored
totals, stock, the period balance, the ledger verified, the statement written.

Three runs of a recipe on the same belts: R-1 honest; R-2 with feeder BF-2 counting 3 % high from its start
(a scale out of calibration); R-2 also draws more from the small lot L-SA-04 than it ever held. The balance of
the period that holds only R-1 closes within its uncertainty; R-2 is caught as product short of its
components, and L-SA-04 as overdrawn, each with the ledger entries it rests on.

Numbers worked by hand (class 0.5 feeders and product scale: u = 0.5 %/√3 of the load; class 1 BF-3: 1 %/√3):
R-2 is 2,400 t at 60 / 30 / 10 %: BF-2 carries 720 t and counts 741.600 t, so Σ components = 2,421.600 t against
a product of 2,400.000 t: −21.600 t, beyond U = 2·√((0.2887 %·2400)² + (0.2887 %·1440)² + (0.2887 %·741.6)²
+ (0.5774 %·240)²) = 16.94 t. L-SA-04 entered 300 t (u 0.75 t); BF-3 drew 120 t in R-1 and 240 t in R-2: book
stock −60 t.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bulkdaq.config.site_file import load_site
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import free_port
from bulkdaq.yard.recipe import load_recipe
from scenario import REPO
from simulators.belt_scale import Drift
from simulators.blending_yard import BlendingYard, honest_plan
from simulators.scenario_clock import ScenarioClock

BIN = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin"
EXAMPLES = REPO / "examples" / "yard"
RATE_T_H = 2_400.0
RAMP_S = 60.0
SPEEDUP = 900.0  # a run of 1,200 t in about 2 s of real time
IDLE_S = 2.5 * SPEEDUP  # idle belts before, between and after the runs [scenario s]: several polls each


def bulkdaq(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "500", "BULKDAQ_ACTOR": "yard-clerk"}
    return subprocess.run([str(BIN / "bulkdaq"), *args], capture_output=True, text=True, timeout=120, cwd=folder, env=environment)


def yard_site_file(folder: Path, influx: InfluxReader) -> Path:
    """The example yard's site file, pointed at the test's influxd, free ports, and a ledger, spool and key in `folder`."""
    text = (EXAMPLES / "site.toml").read_text(encoding="utf-8")
    text = text.replace('url = "http://127.0.0.1:8086"', f'url = "{influx.url}"').replace('database = "bulkdaq"', f'database = "{influx.database}"')
    for port in ("5030", "5031", "5032"):
        text = text.replace(f"port = {port}", f"port = {free_port()}")
    text = text.replace("poll_interval_s = 0.5", "poll_interval_s = 0.1")
    text = text.replace('ledger = "var/yard.sqlite"', f'ledger = "{folder / "yard.sqlite"}"')
    text = text.replace('balance_rules = "examples/yard/yard_rules.toml"', f'balance_rules = "{EXAMPLES / "yard_rules.toml"}"')
    text += f'\n[spool]\npath = "{folder / "spool.sqlite"}"\n\n[evidence]\nkey_file = "{folder / "site.key"}"\nhead_interval_s = 1.0\n'
    path = folder / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def small_lot_and_recipe(folder: Path) -> tuple[Path, Path]:
    """A small South African lot of 300 t, and the example recipe drawing on it instead of L-SA-03."""
    lot = json.loads((EXAMPLES / "lots" / "L-SA-03.json").read_text(encoding="utf-8"))
    lot.update(lot="L-SA-04", declaration="223320261000012499")
    lot["figures"][0].update(wet_t=300.0, u_wet_t=0.75, source="discharge draft survey of a barge, u = 0.25 % (standard)")
    lot_path = folder / "L-SA-04.json"
    lot_path.write_text(json.dumps(lot), encoding="utf-8")
    recipe = (EXAMPLES / "recipes" / "pb-blend-62.toml").read_text(encoding="utf-8").replace('lot = "L-SA-03"', 'lot = "L-SA-04"')
    recipe_path = folder / "recipe.toml"
    recipe_path.write_text(recipe, encoding="utf-8")
    return lot_path, recipe_path


def _stored_scales(reader: InfluxReader) -> set[str]:
    series = reader.query('SELECT last("total_t") FROM "scale" GROUP BY "scale"')
    return {s.tags["scale"] for s in series if s.values}


async def test_the_yard_through_the_collector_and_the_command_line(influx_db: InfluxReader, tmp_path: Path) -> None:
    site_path = yard_site_file(tmp_path, influx_db)
    keygen = bulkdaq(tmp_path, "evidence", "keygen", "--site", str(site_path))
    assert keygen.returncode == 0, keygen.stderr
    site = load_site(site_path)
    small_lot, recipe_path = small_lot_and_recipe(tmp_path)
    recipe = load_recipe(recipe_path, site)
    r1 = honest_plan(recipe, 1_200.0, RATE_T_H, start_s=IDLE_S, ramp_s=RAMP_S)
    r2 = honest_plan(recipe, 2_400.0, RATE_T_H, start_s=r1.end_s + IDLE_S, ramp_s=RAMP_S)
    clock = ScenarioClock(SPEEDUP, running=False)
    yard = BlendingYard(site, recipe, [r1, r2], clock, drifts={"BF-2": Drift(3.0, r2.start_s)})
    servers = yard.servers()
    for server in servers:
        await server.start()
    collector = subprocess.Popen([str(BIN / "bulkdaq"), "collect", str(site_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 cwd=tmp_path, text=True)
    try:
        deadline = time.monotonic() + 30
        while _stored_scales(influx_db) != {"BF-1", "BF-2", "BF-3", "BP-1", "BR-1"}:  # every scale read before the belts move
            assert time.monotonic() < deadline and collector.poll() is None, "the collector stored no reading of every scale"
            await asyncio.sleep(0.2)
        clock.start()
        began = datetime.now(timezone.utc)

        def wall(scenario_s: float) -> datetime:
            return began + timedelta(seconds=scenario_s / SPEEDUP)

        while clock.seconds() < r2.end_s + IDLE_S:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.5)  # the last polls through the spool into InfluxDB
    finally:
        collector.send_signal(signal.SIGINT)
        output, _ = collector.communicate(timeout=60)
        for server in servers:
            await server.stop()
    assert collector.returncode == 0, output

    # The lots, then each run from the stored totals, through the command line.
    lots = [EXAMPLES / "lots" / "L-PILBARA-01.json", EXAMPLES / "lots" / "L-BRAZIL-07.json", small_lot]
    recorded = bulkdaq(tmp_path, "yard", "record", *map(str, lots), "--site", str(site_path), "--at", (began - timedelta(hours=1)).isoformat())
    assert recorded.returncode == 0, recorded.stderr
    assert [line.split(": ", 1)[1].split("  ")[0] for line in recorded.stdout.splitlines()] == [
        "#1 lot_entered L-PILBARA-01", "#2 lot_entered L-BRAZIL-07", "#3 lot_entered L-SA-04"]
    runs = {}
    for run, plan in (("R-1", r1), ("R-2", r2)):
        result = bulkdaq(tmp_path, "yard", "run", str(recipe_path), "--run", run, "--from", wall(plan.start_s - IDLE_S / 2).isoformat(),
                         "--to", wall(plan.end_s + IDLE_S / 2).isoformat(), "--site", str(site_path), "--json")
        assert result.returncode == 0, result.stderr
        runs[run] = json.loads(result.stdout)
        assert runs[run]["published"] is True, runs[run]["publish_error"]

    # R-1 honest: every figure equals what passed over its belt (the closed-form truth, to the gram).
    honest = runs["R-1"]["run"]
    assert [(c["lot"], c["scale"], c["wet_t"], c["off_recipe"]) for c in honest["components"]] == [
        ("L-PILBARA-01", "BF-1", 720.0, False), ("L-BRAZIL-07", "BF-2", 360.0, False), ("L-SA-04", "BF-3", 120.0, False)]
    assert honest["product"]["wet_t"] == 1_200.0 and honest["product_verdict"] == "consistent"
    # R-2: BF-2 counted 3 % high; the product scale, honest, shows the components' sum short by the drift.
    drifted = runs["R-2"]["run"]
    assert [c["wet_t"] for c in drifted["components"]] == pytest.approx([1_440.0, 741.6, 240.0], abs=1e-9)
    assert drifted["sum_components_t"] == pytest.approx(2_421.6, abs=1e-9) and drifted["product"]["wet_t"] == 2_400.0
    assert drifted["expanded_u_t"] == pytest.approx(16.94, abs=0.005)
    assert drifted["product_verdict"] == "product_short"

    # The honest period (R-1 only) closes within its uncertainty, wet and dry.
    honest_period = bulkdaq(tmp_path, "yard", "balance", "--from", (began - timedelta(hours=2)).isoformat(), "--to", wall(r2.start_s - IDLE_S / 4).isoformat(),
                            "--site", str(site_path), "--json")
    assert honest_period.returncode == 0, honest_period.stderr
    document = json.loads(honest_period.stdout)
    assert {basis: b["verdict"] for basis, b in document["period_balance"].items()} == {"wet": "balanced", "dry": "balanced"}
    assert document["period_balance"]["wet"]["difference_t"] == pytest.approx(0.0, abs=1e-6)
    # Nothing is wrong with the figures; the only findings say that the lots and R-1 were recorded after the period
    # closed (this test records them once the collection is over): a back-dated record is always shown.
    assert {(f["kind"], f["subject"]) for f in document["flags"]} == {
        ("recorded_late", "L-PILBARA-01"), ("recorded_late", "L-BRAZIL-07"), ("recorded_late", "L-SA-04"), ("recorded_late", "R-1")}
    assert document["rule"]["label"].startswith("yard-balance-example")

    # The whole period: R-2 short of its components and L-SA-04 overdrawn, each flagged with its ledger entry.
    whole = json.loads(bulkdaq(tmp_path, "yard", "balance", "--from", (began - timedelta(hours=2)).isoformat(),
                               "--to", (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat(), "--site", str(site_path), "--json").stdout)
    flags = {(f["kind"], f["subject"]): [e["entry"] for e in f["evidence"]] for f in whole["flags"]}
    assert flags[("product_short", "R-2")] == [5]
    assert ("overdrawn", "L-SA-04") in flags and {3, 4, 5} <= set(flags[("overdrawn", "L-SA-04")])
    stock = json.loads(bulkdaq(tmp_path, "yard", "stock", "--site", str(site_path), "--json").stdout)
    piles = {p["pile"]: p for p in stock["piles"]}
    assert piles["L-SA-04"]["status"] == "overdrawn" and piles["L-SA-04"]["wet"]["book_stock_t"] == pytest.approx(-60.0, abs=1e-9)
    assert piles["L-PILBARA-01"]["status"] == "open" and piles["L-PILBARA-01"]["wet"]["book_stock_t"] == pytest.approx(100_000.0 - 2_160.0, abs=1e-6)

    # The ledger verifies against the site's own public key; the statement is drawn from it.
    verified = bulkdaq(tmp_path, "yard", "verify", "--site", str(site_path), "--public-key", str(tmp_path / "site.pub"))
    assert verified.returncode == 0 and ": 5 entries, head #5 " in verified.stdout, verified.stdout + verified.stderr
    statement = bulkdaq(tmp_path, "yard", "statement", "--from", (began - timedelta(hours=2)).isoformat(),
                        "--to", (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat(), "--out", str(tmp_path / "statement.html"),
                        "--site", str(site_path))
    assert statement.returncode == 0, statement.stderr
    html = (tmp_path / "statement.html").read_text(encoding="utf-8")
    assert "R-2" in html and "L-SA-04" in html and "2,421.600 t" in html

    # The board's series: R-2's rows as `bulkdaq yard run` published them.
    rows = influx_db.query('SELECT "wet_t", "off_recipe", "state", "product_verdict" FROM "blending_run" WHERE "run" = \'R-2\' GROUP BY "component"')
    assert {s.tags["component"]: s.values[-1][1] for s in rows} == pytest.approx(
        {"L-PILBARA-01": 1_440.0, "L-BRAZIL-07": 741.6, "L-SA-04": 240.0, "product": 2_400.0}, abs=1e-9)

    # `yard live` on R-2's window as a run in progress: the shares so far, published as `running` for the board.
    live = bulkdaq(tmp_path, "yard", "live", str(recipe_path), "--run", "R-LIVE", "--from", wall(r2.start_s - IDLE_S / 2).isoformat(),
                   "--until", wall(r2.start_s).isoformat(), "--every", "0.5", "--site", str(site_path))
    assert live.returncode == 0, live.stderr
    assert "run R-LIVE: L-PILBARA-01 59.46 %, L-BRAZIL-07 30.62 %, L-SA-04 9.91 %; product 2,400.000 t" in live.stdout
    (running,) = influx_db.query('SELECT "share_pct", "state" FROM "blending_run" WHERE "run" = \'R-LIVE\' AND "component" = \'L-BRAZIL-07\'')
    assert running.values[-1][1] == pytest.approx(741.6 / 2421.6 * 100, abs=1e-9) and running.values[-1][2] == "running"

    # A run recorded twice, and a run on a lot the ledger does not know, are refused in one line; nothing is added.
    again = bulkdaq(tmp_path, "yard", "run", str(recipe_path), "--run", "R-1", "--from", wall(r1.start_s - IDLE_S / 2).isoformat(),
                    "--to", wall(r1.end_s + IDLE_S / 2).isoformat(), "--site", str(site_path))
    assert again.returncode == 2 and "run 'R-1' is already recorded in the yard ledger" in again.stderr
    unknown = (EXAMPLES / "recipes" / "pb-blend-62.toml")  # draws on L-SA-03, never entered here
    refused = bulkdaq(tmp_path, "yard", "run", str(unknown), "--run", "R-9", "--from", wall(r1.start_s - IDLE_S / 2).isoformat(),
                      "--to", wall(r1.end_s + IDLE_S / 2).isoformat(), "--site", str(site_path))
    assert refused.returncode == 2 and "L-SA-03" in refused.stderr and "Traceback" not in refused.stderr
    assert ": 5 entries, head #5 " in bulkdaq(tmp_path, "yard", "verify", "--site", str(site_path)).stdout
