"""Plant simulator (asyncua server) → OPC UA collector → real influxd, in security modes None and SignAndEncrypt.

Every stored value is compared with what the plant served at the same source timestamp, and the
final tank, scale and draft figures with the plant model's closed-form ground truth.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from asyncua import ua

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.opcua_section import Deadband
from bulkdaq.config.site_file import LoadedSite
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import free_port
from opcua_support import pki, plant_model, plant_site, secured_client, secured_plant, series, served
from scenario import run_collector_until
from simulators.plant import PlantSecurity, PlantServer
from simulators.scenario_clock import ScenarioClock

PASSWORD_ENV = "BULKDAQ_TEST_PLANT_PASSWORD"

# field in the contract -> plant tag, for the exact comparisons (level has a deadband: checked apart)
EXACT = {
    ("tank", "tov_m3"): "T-101.TOV",
    ("tank", "temperature_c"): "T-101.Temperature",
    ("scale", "total_t"): "BS-1.Total",
    ("draft", "aft_port_m"): "MT-NORDIC-STAR.DraftAftPort",
}


def with_level_deadband(site: LoadedSite, metres: float) -> LoadedSite:
    """The site with the tank level's absolute deadband set to `metres`."""
    server = site.config.opcua.servers[0]
    nodes = [n.model_copy(update={"deadband": Deadband(type="absolute", value=metres)}) if n.field == "level_m" else n for n in server.nodes]
    servers = [server.model_copy(update={"nodes": nodes})]
    config = site.config.model_copy(update={"opcua": site.config.opcua.model_copy(update={"servers": servers})})
    return LoadedSite(site.path, config, site.warnings)


@pytest.mark.parametrize("mode", ["None", "SignAndEncrypt"])
async def test_plant_readings_reach_influxdb_as_served(mode: str, influx_db: InfluxReader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = plant_model()
    scenario_end = model.profile.end_s + 60
    clock = ScenarioClock(speedup=scenario_end / 4.0)  # the loading in about 4 s
    security, client = PlantSecurity(), {}
    if mode == "SignAndEncrypt":
        paths = pki(tmp_path)
        security, client = secured_plant(paths, "s3cret-pump"), secured_client(paths, PASSWORD_ENV)
        monkeypatch.setenv(PASSWORD_ENV, "s3cret-pump")
    plant = PlantServer(model, clock, port=free_port(), security=security, update_interval_s=0.2, record_history=True)
    await plant.start()
    site = with_level_deadband(plant_site(influx_db, plant.endpoint, tmp_path, **client), 0.01)
    service = CollectorService(site, collector_name="test")
    clock.start()
    fault_injected = asyncio.Event()

    async def faults() -> None:
        # Mid-loading the temperature sensor drifts (Uncertain) and the aft-port draft transmitter breaks (Bad).
        while clock.seconds() < scenario_end / 2:
            await asyncio.sleep(0.05)
        await plant.set_status("T-101.Temperature", "UncertainSensorNotAccurate")
        await plant.set_status("MT-NORDIC-STAR.DraftAftPort", "BadSensorFailure")
        await asyncio.sleep(0.5)
        await plant.set_status("T-101.Temperature", None)
        await plant.set_status("MT-NORDIC-STAR.DraftAftPort", None)
        fault_injected.set()

    try:
        fault_task = asyncio.create_task(faults())
        # Run on a little past the end, so the plant's final values (published every 0.2 s) are collected.
        settled = scenario_end + 4 * plant.update_interval_s * clock.speedup
        await run_collector_until(service, lambda: clock.seconds() > settled and fault_injected.is_set(), timeout_s=30)
        await fault_task
    finally:
        await plant.stop()
    assert plant.history is not None
    assert service.writer.stats.batches_quarantined == 0
    collector = service.opcua.servers[0]
    assert collector.status.connected and collector.sessions == 1 and collector.gaps == []
    assert collector.notifications == collector.readings_submitted > 100

    # Every value stored equals the value served with the same source timestamp, and nothing served is missing.
    for (measurement, field), tag in EXACT.items():
        stored = dict(series(influx_db, f'SELECT "{field}" FROM "{measurement}"'))
        # What was served while the collector was subscribed (not before it connected, not after it stopped).
        first, last = min(stored), max(stored)
        good_truth = {t: v for t, (v, _) in served(plant.history, tag).items() if v is not None and first <= t <= last}
        assert stored == good_truth, f"{measurement}.{field}"
    # Qualities: the uncertain temperature kept its value, the bad draft was stored without one.
    temperature = series(influx_db, "SELECT temperature_c, quality, quality_reason FROM tank WHERE quality = 'uncertain'")
    assert temperature and all(v is not None and "UncertainSensorNotAccurate (0x" in reason for _, v, _, reason in temperature)
    drafts = series(influx_db, "SELECT aft_port_m, quality, quality_reason FROM draft WHERE quality = 'bad'")
    assert drafts and all(aft is None and "aft_port_m: BadSensorFailure" in reason for _, aft, _, reason in drafts)
    # The raw status code and the server and receive times are kept beside the value.
    codes = series(influx_db, "SELECT status_code, quality FROM draft")
    assert {(code, quality) for _, code, quality in codes} >= {(0, "good"), (ua.StatusCodes.BadSensorFailure, "bad")}
    times = series(influx_db, "SELECT server_time_ms, receive_time_ms FROM tank")
    assert times and all(receive >= server > 0 for _, server, receive in times)

    # Level: absolute deadband of 1 cm. asyncua's server compares each sample with the previous sample
    # (not with the last value reported), so: a served value is stored exactly when it moved more than
    # 1 cm since the value served before it; the small steps of the ramps are filtered out.
    level = dict(series(influx_db, "SELECT level_m FROM tank"))
    level_served = sorted((t, v) for t, (v, _) in served(plant.history, "T-101.Level").items() if min(level) <= t <= max(level))
    assert level.items() <= dict(level_served).items()
    moved = {t for (_, before), (t, v) in zip(level_served, level_served[1:], strict=False) if abs(v - before) > 0.01}
    assert set(level) - {min(level)} == moved and moved
    # Ground truth at the end: the tank gave exactly what the meters loaded (450 t at 800 kg/m³ = 562.5 m³).
    last_tov = series(influx_db, "SELECT last(tov_m3) FROM tank")[0][1]
    assert last_tov == model.tank.initial_tov_m3 - 562.5 == model.tov_m3(scenario_end)
    assert series(influx_db, "SELECT last(level_m) FROM tank")[0][1] == pytest.approx(29_437.5 / 1_500, abs=0.01)
    assert series(influx_db, "SELECT last(total_t) FROM scale")[0][1] == model.values(scenario_end)["BS-1.Total"]
    truth_end = model.values(scenario_end)
    last_drafts = series(influx_db, "SELECT last(fwd_port_m), last(mid_stbd_m) FROM draft")[0]
    assert last_drafts[1:] == [truth_end["MT-NORDIC-STAR.DraftFwdPort"], truth_end["MT-NORDIC-STAR.DraftMidStbd"]]
    # The pump ran and stopped: booleans arrive as 1/0 in signal.value.
    pump = [v for _, v in series(influx_db, "SELECT value FROM signal WHERE \"name\" = 'P-101.Running'")]
    assert 1.0 in pump and pump[-1] == 0.0
    health = series(influx_db, "SELECT last(connected), last(errors) FROM collector_health WHERE \"source\" = 'plant-dcs'")
    assert health[0][1:] == [1, 0]
    # The collector only read: the plant's Write service was never called.
    assert plant.client_writes == 0


async def test_plant_counts_client_writes() -> None:
    """The write counter the test above relies on sees a client's attempt to write (the check can fail)."""
    from asyncua import Client

    plant = PlantServer(plant_model(), ScenarioClock(speedup=1e-9), port=free_port())
    await plant.start()
    try:
        async with Client(plant.endpoint) as client:
            index = await client.get_namespace_index("urn:bulkdaq:plant")
            node = client.get_node(f"ns={index};s=P-101.Speed")
            with pytest.raises(ua.UaStatusCodeError, match="BadUserAccessDenied"):  # the plant refuses, and counts it
                await node.write_value(ua.DataValue(ua.Variant(42.0, ua.VariantType.Double)))
    finally:
        await plant.stop()
    assert plant.client_writes == 1
