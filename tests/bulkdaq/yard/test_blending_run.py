"""A blending run's figures end to end (issue 17): the yard's belt scales served by the simulator, read by the real
Modbus collector service into a private influxd, and the run document computed from the stored `scale` totals,
against the simulator's ground truth within each scale's OIML R 50 class. A drifting feeder shows its bias, a run
below Σmin is marked not legal, a reset during a run is named (never summed), a gap is listed with the run, and an
independent master (Debian's mbpoll) reads the same registers the collector stored."""

from __future__ import annotations

import asyncio
import math
import re
import shutil
import struct
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.site_file import LoadedSite, load_site
from bulkdaq.errors import InputError
from bulkdaq.shipments.stored_totals import NoReadings
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import free_port
from bulkdaq.yard.blending_run import BlendingRunFigures, ScaleTotalDropped, blending_run_figures, iso_ms, live_blending_run
from bulkdaq.yard.recipe import Recipe, load_recipe
from collectors.modbus.integrity import device_watch
from scenario import REPO
from simulators.blending_yard import BlendingYard, blending_scenario
from simulators.modbus_device_server import ModbusDeviceServer
from simulators.scenario_clock import ScenarioClock

MBPOLL = shutil.which("mbpoll") or "mbpoll (missing: scripts/setup.sh installs Debian's mbpoll)"
REAL_S = 3.0  # a whole run in about 3 s of real time


def yard_site(influx: InfluxReader, folder: Path) -> LoadedSite:
    """The example yard, pointed at the test's database, a spool in `folder` and free loopback ports."""
    site = load_site(REPO / "examples" / "yard" / "site.toml")
    devices = [d.model_copy(update={"port": free_port(), "poll_interval_s": 0.1}) for d in site.config.modbus.devices]
    config = site.config.model_copy(update={
        "influxdb": site.config.influxdb.model_copy(update={"url": influx.url, "database": influx.database, "flush_interval_s": 0.1}),
        "modbus": site.config.modbus.model_copy(update={"devices": devices}),
        "spool": site.config.spool.model_copy(update={"path": folder / "spool.sqlite"}),
    })
    return LoadedSite(site.path, config, site.warnings)


def recipe_of(site: LoadedSite) -> Recipe:
    return load_recipe(REPO / "examples" / "yard" / "recipes" / "pb-blend-62.toml", site)  # 60 / 30 / 10 %


async def collect_a_run(
    site: LoadedSite, make_yard: Callable[[ScenarioClock], BlendingYard], during: Callable[[BlendingYard, ScenarioClock, list[ModbusDeviceServer], datetime], Awaitable[None]] | None = None,
    after: Callable[[BlendingYard], Awaitable[None]] | None = None,
) -> tuple[BlendingYard, datetime, datetime]:
    """Serve the yard, collect it with the real collector service, run the blend once; (yard, start, end) of the run.

    The run's window opens once every device has been read (idle belts), the blend then starts on the scenario
    clock, and the window closes after the belts have stopped and been read again; `during` runs alongside the
    blend (given the servers and the window's start), `after` while the servers still serve the final totals."""
    clock = ScenarioClock(1.0, running=False)
    yard = make_yard(clock)
    clock.speedup = yard.end_s / REAL_S
    servers = yard.servers()
    for server in servers:
        await server.start()
    service = CollectorService(site, collector_name="test")
    window: list[datetime] = []

    async def blend() -> None:
        try:
            while not all(status.polls >= 2 for status in service.statuses):
                await asyncio.sleep(0.02)
            window.append(datetime.now(timezone.utc))
            await asyncio.sleep(0.3)  # readings of the idle belts inside the window
            clock.start()
            if during is not None:
                await during(yard, clock, servers, window[0])
            while clock.seconds() < yard.end_s:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.4)  # the belts have stopped: read again
            window.append(datetime.now(timezone.utc))
            await asyncio.sleep(0.3)
            if after is not None:
                await after(yard)
        finally:
            service.stop()

    try:
        await asyncio.wait_for(asyncio.gather(service.run(tick_s=0.05), blend()), timeout=60)
    finally:
        for server in servers:
            await server.stop()
    return yard, window[0], window[1]


async def test_an_honest_run_gives_the_truth_within_each_scales_class(influx_db: InfluxReader, tmp_path: Path) -> None:
    site = yard_site(influx_db, tmp_path)
    recipe = recipe_of(site)
    live: list[BlendingRunFigures | None] = []
    peer: dict[str, float] = {}

    async def read_with_mbpoll(yard: BlendingYard) -> None:
        device = site.config.modbus.devices[1]  # BP-1-INT: BP-1's float64 total at holding 0, ABCD
        process = await asyncio.create_subprocess_exec(
            MBPOLL, "-m", "tcp", "-0", "-1", "-o", "2", "-p", str(device.port), "-a", "1", "-t", "4:hex", "-r", "0", "-c", "4", "127.0.0.1",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=20)
        assert process.returncode == 0, err.decode()
        words = [int(value, 16) for value in re.findall(r"^\[\d+\]:\s+0x([0-9A-Fa-f]+)$", out.decode(), re.M)]
        peer["BP-1"] = struct.unpack(">d", b"".join(word.to_bytes(2, "big") for word in words))[0]

    def make(clock: ScenarioClock) -> BlendingYard:
        return blending_scenario(site, recipe, clock, total_t=600.0, rate_t_h=1_200.0)

    async def halfway(yard: BlendingYard, clock: ScenarioClock, _servers: list[ModbusDeviceServer], opened: datetime) -> None:
        while clock.seconds() < yard.end_s / 2:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # stored by then (flush every 0.1 s)
        live.append(await asyncio.to_thread(live_blending_run, influx_db, site, recipe, "R-LIVE", opened, datetime.now(timezone.utc)))

    yard, start, end = await collect_a_run(site, make, halfway, read_with_mbpoll)

    # The independent peer: the product total mbpoll reads is the initial 13,333.375 t + 600 t, and it is the
    # value the collector stored last.
    assert peer["BP-1"] == 13_933.375
    (stored,) = influx_db.query("SELECT last(total_t) FROM scale WHERE scale = 'BP-1'")
    assert stored.values[0][1] == peer["BP-1"]

    figures = await asyncio.to_thread(blending_run_figures, influx_db, site, recipe, "R-2026-0412-01", start, end)
    document = figures.as_document()
    truth = {scale: yard.carried_t(scale, yard.end_s) for scale in ("BF-1", "BF-2", "BF-3", "BP-1")}
    assert truth == pytest.approx({"BF-1": 360.0, "BF-2": 180.0, "BF-3": 60.0, "BP-1": 600.0}, abs=1e-9)
    mpe_pct = {"BF-1": 0.5, "BF-2": 0.5, "BF-3": 1.0, "BP-1": 0.5}  # in service, classes 0.5 / 0.5 / 1 / 0.5
    rows = {row["scale"]: row for row in [*document["components"], document["product"]]}
    for scale, row in rows.items():
        assert abs(row["wet_t"] - truth[scale]) <= truth[scale] * mpe_pct[scale] / 100.0, scale
    # Each figure carries the stored readings it is the difference of, for an officer to find among the readings and the
    # evidence chain: the integrators' initial totals (10,000 + 1,111.125 t per scale) before, and those plus the mass after.
    initial = {"BF-1": 10_000.0, "BF-2": 11_111.125, "BF-3": 12_222.25, "BP-1": 13_333.375}
    for row in [*document["components"], document["product"]]:
        readings = row.pop("readings")
        assert readings["opening"]["total_t"] == initial[row["scale"]], row["scale"]
        assert readings["closing"]["total_t"] == pytest.approx(initial[row["scale"]] + truth[row["scale"]], abs=1e-9), row["scale"]
        assert iso_ms(start) <= readings["opening"]["time"] < readings["closing"]["time"] <= iso_ms(end)
    # By hand: u = load × MPE / √3 (BF-1: 360 × 0.5 % / √3 = 1.0392 t); Σu² = 1.08 + 0.27 + 0.12 = 1.47 t²;
    # u(product − Σ) = √(3 + 1.47) = 2.1142 t; U = 4.2285 t.
    assert document == {
        "run": "R-2026-0412-01",
        "recipe": recipe.as_document(),
        "start": iso_ms(start),
        "end": iso_ms(end),
        "components": [
            {"lot": "L-PILBARA-01", "scale": "BF-1", "wet_t": pytest.approx(360.0, abs=1e-9), "u_wet_t": pytest.approx(1.039230, abs=1e-6),
             "legal": True, "share_pct": pytest.approx(60.0, abs=1e-9), "target_pct": 60.0, "tolerance_pp": 2.0, "off_recipe": False},
            {"lot": "L-BRAZIL-07", "scale": "BF-2", "wet_t": pytest.approx(180.0, abs=1e-9), "u_wet_t": pytest.approx(0.519615, abs=1e-6),
             "legal": True, "share_pct": pytest.approx(30.0, abs=1e-9), "target_pct": 30.0, "tolerance_pp": 2.0, "off_recipe": False},
            {"lot": "L-SA-03", "scale": "BF-3", "wet_t": pytest.approx(60.0, abs=1e-9), "u_wet_t": pytest.approx(0.346410, abs=1e-6),
             "legal": True, "share_pct": pytest.approx(10.0, abs=1e-9), "target_pct": 10.0, "tolerance_pp": 1.0, "off_recipe": False},
        ],
        "product": {"scale": "BP-1", "wet_t": pytest.approx(600.0, abs=1e-9), "u_wet_t": pytest.approx(1.732051, abs=1e-6), "legal": True},
        "sum_components_t": pytest.approx(600.0, abs=1e-9),
        "expanded_u_t": pytest.approx(4.228475, abs=1e-6),
        "product_verdict": "consistent",
        "integrity_events": [],
        "outbound_lot": None,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", document["start"])
    assert figures.state == "finished"

    # The live form: over the idle belts before the blend (the window's first 0.25 s) nothing was delivered: None.
    # Half-way the shares already hold, state running.
    assert live_blending_run(influx_db, site, recipe, "R-LIVE", start, start + timedelta(seconds=0.25)) is None
    (so_far,) = live
    assert so_far is not None and so_far.state == "running"
    assert 0.0 < so_far.result.sum_t < 600.0
    # Each scale's latest stored total is read by its own query while readings keep arriving, so the shares so far
    # are near the recipe, not exactly on it: within a tenth of a percentage point here, none off recipe.
    assert [c.share_pct for c in so_far.result.components] == pytest.approx([60.0, 30.0, 10.0], abs=0.1)
    assert so_far.result.off_recipe == ()


async def test_a_drifting_feeder_shows_its_bias_and_a_gap_is_listed_with_the_run(influx_db: InfluxReader, tmp_path: Path) -> None:
    site = yard_site(influx_db, tmp_path)
    recipe = recipe_of(site)

    def make(clock: ScenarioClock) -> BlendingYard:
        return blending_scenario(site, recipe, clock, total_t=600.0, rate_t_h=1_200.0, drifts={"BF-2": 1.5})

    yard, start, end = await collect_a_run(site, make, None)
    figures = await asyncio.to_thread(blending_run_figures, influx_db, site, recipe, "R-DRIFT", start, end)
    document = figures.as_document()
    bf2 = document["components"][1]
    # BF-2 counts 1.5 % high from the start: 180 t × 1.015 = 182.7 t, 2.7 t over the truth, three times its
    # in-service MPE (0.5 % of 180 t = 0.9 t): the figure carries the bias, the class does not cover it.
    assert bf2["wet_t"] == pytest.approx(182.7, abs=1e-9)
    assert bf2["wet_t"] - yard.carried_t("BF-2", yard.end_s) == pytest.approx(2.7, abs=1e-9)
    assert bf2["wet_t"] - 180.0 > 180.0 * 0.005
    # Its share: 182.7 / 602.7 = 30.3136 %, inside the 2 pp tolerance; the product (600 t, honest) is short of
    # the components by 2.7 t, inside U = 2 · √(3 + 1.08 + 0.27821 + 0.12) = 4.2326 t.
    assert bf2["share_pct"] == pytest.approx(100 * 182.7 / 602.7, abs=1e-9) and bf2["off_recipe"] is False
    assert document["sum_components_t"] == pytest.approx(602.7, abs=1e-9)
    assert document["expanded_u_t"] == pytest.approx(2 * math.sqrt(3.0 + 1.08 + (182.7 * 0.005) ** 2 / 3 + 0.12), abs=1e-9)
    assert document["product_verdict"] == "consistent"


async def test_an_off_recipe_run_a_short_run_below_minimum_load_and_a_gap(influx_db: InfluxReader, tmp_path: Path) -> None:
    """100 t in all, 5 pp moved from BF-2 to BF-1: BF-1 65 t (Σmin 50: legal), BF-2 25 t (Σmin 50: not legal),
    BF-3 10 t (Σmin 20: not legal), BP-1 100 t (Σmin 100: legal, Σmin itself is); BF-1 65 % against 60 ± 2: off
    recipe. The feeders' integrator stops answering for a moment: the collector's comms_gap is in the document."""
    site = yard_site(influx_db, tmp_path)
    recipe = recipe_of(site)
    def make(clock: ScenarioClock) -> BlendingYard:
        return blending_scenario(site, recipe, clock, total_t=100.0, rate_t_h=200.0, off_recipe_pp=5.0)

    async def outage(yard: BlendingYard, clock: ScenarioClock, servers: list[ModbusDeviceServer], _opened: datetime) -> None:
        while clock.seconds() < yard.end_s / 3:
            await asyncio.sleep(0.02)
        servers[0].fault = 4  # device failure on every read: polls fail entirely
        await asyncio.sleep(0.5)
        servers[0].fault = None

    yard, start, end = await collect_a_run(site, make, outage)
    figures = await asyncio.to_thread(blending_run_figures, influx_db, site, recipe, "R-SHORT", start, end)
    document = figures.as_document()
    rows = [(c["scale"], c["wet_t"], c["legal"], c["off_recipe"]) for c in document["components"]]
    assert rows == [("BF-1", pytest.approx(65.0, abs=1e-9), True, True), ("BF-2", pytest.approx(25.0, abs=1e-9), False, True),
                    ("BF-3", pytest.approx(10.0, abs=1e-9), False, False)]
    assert document["product"]["wet_t"] == pytest.approx(100.0, abs=1e-9) and document["product"]["legal"] is True
    assert [c["share_pct"] for c in document["components"]] == pytest.approx([65.0, 25.0, 10.0], abs=1e-9)
    kinds = [(event["asset"], event["kind"]) for event in document["integrity_events"]]
    assert ("YARD-FEEDERS", "comms_gap") in kinds, document["integrity_events"]
    gap = next(event for event in document["integrity_events"] if event["kind"] == "comms_gap")
    assert start <= datetime.fromisoformat(gap["time"].replace("Z", "+00:00")) <= end
    assert set(gap) == {"time", "asset", "kind", "field", "message", "old", "new"}


async def test_a_reset_during_a_run_is_named_not_summed(influx_db: InfluxReader, tmp_path: Path) -> None:
    site = yard_site(influx_db, tmp_path)
    recipe = recipe_of(site)

    def make(clock: ScenarioClock) -> BlendingYard:
        return blending_scenario(site, recipe, clock, total_t=600.0, rate_t_h=1_200.0)

    async def reset(yard: BlendingYard, clock: ScenarioClock, _servers: list[ModbusDeviceServer], _opened: datetime) -> None:
        while clock.seconds() < yard.end_s / 2:
            await asyncio.sleep(0.02)
        yard.simulator_of("BF-3").reset_totalizer("BF-3")

    yard, start, end = await collect_a_run(site, make, reset)
    with pytest.raises(ScaleTotalDropped) as raised:
        await asyncio.to_thread(blending_run_figures, influx_db, site, recipe, "R-RESET", start, end)
    message = str(raised.value)
    assert message.startswith("belt scale BF-3 total_t went backwards during the run: ")
    assert "a reset is not a negative mass, and the totals on either side are not summed" in message
    (before, after), = raised.value.drops
    assert 13_333.375 - 1_111.125 < before.value < 13_333.375 - 1_111.125 + 60.0  # BF-3 started at 12,222.25 t
    assert 0.0 <= after.value < 60.0
    with pytest.raises(ScaleTotalDropped):
        await asyncio.to_thread(live_blending_run, influx_db, site, recipe, "R-RESET", start, end)
    # The collector said so as it happened: one totalizer_reset event of BF-3, old and new the readings on either side.
    (events,) = influx_db.query('SELECT "old", "new" FROM "event" WHERE "kind" = \'totalizer_reset\' AND "asset" = \'BF-3\'')
    assert [(float(old), float(new)) for _, old, new in events.values] == [(before.value, after.value)]
    # A window with no reading at all is named, not a figure of 0 t.
    with pytest.raises(NoReadings, match=r"no good total_t reading of belt scale 'BF-1' between 2020-01-01T00:00:00.000Z"):
        blending_run_figures(influx_db, site, recipe, "R-NONE", datetime(2020, 1, 1, tzinfo=timezone.utc), datetime(2020, 1, 2, tzinfo=timezone.utc))
    # A recipe that does not fit this site's belt scales is refused before anything is read.
    foreign = Recipe.model_validate({"name": "x", "version": "1", "product_scale": "BP-9",
                                     "components": [{"lot": "L-1", "scale": "BF-1", "target_pct": 100.0, "tolerance_pp": 1.0}]})
    with pytest.raises(InputError, match=r"^recipe x v1: product_scale: 'BP-9' is not a belt scale of the site's \[\[yard.belt_scales\]\]"):
        blending_run_figures(influx_db, site, foreign, "R-X", start, end)


def test_the_collectors_integrity_watch_checks_a_belt_scales_total() -> None:
    """The collector's integrity watch checks a belt scale's total as it checks a meter's: a reset, and a jump beyond the rate."""
    site = load_site(REPO / "examples" / "yard" / "site.toml")
    watch = device_watch(site.config.modbus.devices[0])
    assert watch.observe("BF-1", {"total_t": 100.0, "rate_t_h": 3_600.0}, 0) == []
    reset = watch.observe("BF-1", {"total_t": 5.0, "rate_t_h": 3_600.0}, 1_000)
    # 3,600 t/h for 1 s allows 1 t × 1.5 + 1 t = 2.5 t; 495 t is a jump.
    jump = watch.observe("BF-1", {"total_t": 500.0, "rate_t_h": 3_600.0}, 2_000)
    assert [(e.kind, e.field) for e in reset + jump] == [("totalizer_reset", "total_t"), ("totalizer_jump", "total_t")]
