"""The plant's draft sensors with waves, end to end with real parts (issue 16): the plant simulator's asyncua
server → the OPC UA collector (spool, forwarder) → a real influxd → the draft observation session, in
process (`session_from_site`) and through `bulkdaq survey observe --site … --json`.

The loading is paused for the whole test (it would start a scenario day later): a draft survey is read with
cargo work stopped, so the still-water drafts are constant over the window and each mark's mean over whole
wave periods must give exactly the plant's still-water draft, within the session's own uncertainty. (With
cargo running the drafts would sink during the window and the truth to compare with would be the
still-water draft somewhere near mid-window, a test of the trend rather than of the chain.)

Timing: a swell of 8 s scenario time at speedup 4 is 2 s of wall time; the plant writes every 0.05 s, so
each mark sends ~40 values per period (the policy asks ≥ 10), the collector subscribes at 50 ms sampling /
100 ms publishing with a queue of 10 (room for the ~2 values per publish), and a 24 s window holds ~12
periods (the policy asks ≥ 6 crest/trough pairs).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.cli.main import app
from bulkdaq.config.site_file import load_site
from bulkdaq.inputs.observation_file import MARKS
from bulkdaq.observations.draft_feed import session_from_site
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import free_port
from opcua_support import series, served
from scenario import run_collector_until
from simulators.loading_profile import LoadingProfile
from simulators.plant import PlantServer
from simulators.plant_model import DraftWaves, PlantModel
from simulators.scenario_clock import ScenarioClock
from site_files import plant_drafts, write_site

SPEEDUP = 4.0  # scenario seconds per wall second
UPDATE_S = 0.05  # the plant writes its values every 50 ms (wall time)
AMPLITUDE_M = 0.10  # the swell at midships
PERIOD_S = 8.0  # scenario time: 2 s of wall time
WAVES = DraftWaves.swell(AMPLITUDE_M, PERIOD_S, heading_deg=45.0, seed=16)
WINDOW_S = 24.0  # wall seconds of draft feed the session reads: ~12 wave periods
PAUSED_UNTIL_S = 86_400.0  # the loading starts a scenario day later: cargo work stopped for the survey


@pytest.fixture
async def plant() -> AsyncIterator[PlantServer]:
    model = PlantModel(LoadingProfile(450_000.0, 1_000_000.0, 60, 60, start_s=PAUSED_UNTIL_S), waves=WAVES)
    server = PlantServer(model, ScenarioClock(SPEEDUP), port=free_port(), update_interval_s=UPDATE_S, record_history=True)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def test_plant_waves_are_a_pure_function_of_scenario_time() -> None:
    """The waved draft tags: still water + the sea's motion, the same at the same time, the phases fixed by the seed."""
    profile = LoadingProfile(450_000.0, 1_000_000.0, 60, 60, start_s=60)
    still, waved = PlantModel(profile), PlantModel(profile, waves=WAVES)
    times = [i * PERIOD_S / 40 for i in range(400)] + [90.0, 300.0, 1_000.0]  # ten periods at rest, then loading
    for t in times:
        motion = waved.wave_motion(t)
        assert still.still_water_drafts(t) == waved.still_water_drafts(t)
        assert still.wave_motion(t) == dict.fromkeys(MARKS, 0.0)
        for mark in MARKS:
            assert still.values(t)[still.draft_identifier(mark)] == still.still_water_drafts(t)[mark]
            assert waved.values(t)[waved.draft_identifier(mark)] == waved.still_water_drafts(t)[mark] + motion[mark]
        # every other tag is untouched by the waves
        assert {k: v for k, v in waved.values(t).items() if ".Draft" not in k} == {k: v for k, v in still.values(t).items() if ".Draft" not in k}
    assert waved.values(12.345) == PlantModel(profile, waves=WAVES).values(12.345)  # phases from the seed, not a stream
    assert waved.wave_motion(12.345) != PlantModel(profile, waves=DraftWaves(WAVES.sea, seed=17)).wave_motion(12.345)
    once, again = waved.wave_motion(1.0), waved.wave_motion(1.0)
    assert once == again and len(set(once.values())) == len(MARKS)  # each mark its own phase
    # Ten whole periods average to still water at every mark.
    for mark in MARKS:
        assert sum(waved.wave_motion(t)[mark] for t in times[:400]) / 400 == pytest.approx(0.0, abs=1e-12)


def _ms(moment: datetime) -> datetime:
    """`moment` cut to whole milliseconds (what InfluxDB and the command line keep)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


async def test_draft_sensors_with_waves_give_the_still_water_marks(plant: PlantServer, influx_db: InfluxReader, tmp_path: Path) -> None:
    model = plant.model
    vessel = model.vessel.name
    site_path = write_site(tmp_path, plant_drafts(plant.endpoint, vessel), url=influx_db.url, database=influx_db.database)
    service = CollectorService(load_site(site_path), collector_name="test")
    collector = service.opcua.servers[0]
    window: dict[str, datetime] = {}

    def window_collected() -> bool:
        now = datetime.now(timezone.utc)
        if not window and collector.status.connected:  # the window opens once the subscription delivers
            window["from"] = _ms(now + timedelta(seconds=0.5))
            window["to"] = window["from"] + timedelta(seconds=WINDOW_S)
        return bool(window) and now > window["to"] + timedelta(seconds=0.5)

    await run_collector_until(service, window_collected, timeout_s=WINDOW_S + 20)
    assert window, "the collector never connected to the plant"
    start, end = window["from"], window["to"]
    assert datetime.now(timezone.utc) > end, "the collector stopped before the window closed"
    assert service.writer.stats.batches_quarantined == 0 and collector.gaps == []

    # Ground truth: the loading never started, so the still-water drafts were those of scenario time 0 all along.
    truth = model.still_water_drafts(0.0)
    assert model.still_water_drafts(plant.clock.seconds()) == truth

    # Everything the plant served in the window reached InfluxDB, at its source time (no sample lost on the way).
    assert plant.history is not None
    first_ms, last_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    for mark in MARKS:
        stored = {t for t, v in series(influx_db, f'SELECT "{mark}_m" FROM draft WHERE time >= {first_ms}ms AND time <= {last_ms}ms') if v is not None}
        served_times = {t for t, (v, _) in served(plant.history, model.draft_identifier(mark)).items() if first_ms <= t <= last_ms and v is not None}
        assert stored == served_times and len(stored) > WINDOW_S / UPDATE_S * 0.8, mark

    session = session_from_site(load_site(site_path), vessel, "initial", start, end)
    assert session.missing == () and set(session.marks) == set(MARKS)
    assert session.source == "sensor" and session.vessel == vessel
    assert session.status == "figure" and session.reasons == ()
    hull = model.vessel.hull()
    for mark in MARKS:
        observation = session.marks[mark]
        reading = observation.reading
        # The mean over whole wave periods is the still-water draft, within the session's own uncertainty.
        assert abs(reading.draft_m - truth[mark]) <= max(3 * reading.u_m, 0.005), (mark, reading.draft_m, truth[mark], reading.u_m)
        assert reading.pairs >= 6 and reading.min_samples_per_period >= 10, (mark, reading.pairs, reading.min_samples_per_period)
        # There were waves to average out (a still-water feed would be calm, 0 pairs, spread 0): crest to
        # trough 2 × amplitude × (1 + pitch gain · |x| / (LBP/2)) at each mark, heave plus pitch.
        x, _ = hull.mark_xy(mark)
        expected_spread = 2 * AMPLITUDE_M * (1 + WAVES.sea.pitch_gain * abs(x) / (hull.lbp_m / 2))
        assert not reading.calm and reading.spread_m == pytest.approx(expected_spread, rel=0.10), (mark, reading.spread_m, expected_spread)
    for mark in ("mid_port", "mid_stbd"):
        assert session.marks[mark].reading.spread_m == pytest.approx(2 * AMPLITUDE_M, rel=0.20)
    for mark in ("fwd_port", "fwd_stbd", "aft_port", "aft_stbd"):  # the ends move more than midships (pitch)
        assert session.marks[mark].reading.spread_m > 1.3 * session.marks["mid_port"].reading.spread_m

    # The command line reads the same feed to the same session.
    result = CliRunner().invoke(app, ["survey", "observe", "--site", str(site_path), "--vessel", vessel, "--survey", "initial",
                                      "--from", start.isoformat(), "--to", end.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["status"] == "figure" and document["source"] == "sensor" and document["missing"] == []
    assert document == json.loads(json.dumps(session.as_document()))
    for mark in MARKS:
        assert abs(document["marks"][mark]["draft_m"] - truth[mark]) <= max(3 * document["marks"][mark]["u_m"], 0.005)
        assert document["marks"][mark]["pairs"] >= 6
