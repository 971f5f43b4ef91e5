"""Test scenarios: the example site served by simulators, collected into a real influxd."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.site_file import LoadedSite, load_site
from bulkdaq.store.local_influxd import free_port
from simulators.flowmeter import FlowmeterSimulator
from simulators.loading_profile import LoadingProfile
from simulators.scenario_clock import ScenarioClock

REPO = Path(__file__).resolve().parents[1]


def example_site(influx_url: str, database: str, spool_folder: Path, *, poll_interval_s: float = 0.1) -> LoadedSite:
    """The example site's Modbus meters, pointed at a test influxd, a spool in `spool_folder` and free loopback ports."""
    site = load_site(REPO / "examples" / "site.toml")
    devices = [
        d.model_copy(update={"port": free_port(), "poll_interval_s": poll_interval_s}) for d in site.config.modbus.devices
    ]
    config = site.config.model_copy(
        update={
            "influxdb": site.config.influxdb.model_copy(update={"url": influx_url, "database": database, "flush_interval_s": 0.2}),
            "modbus": site.config.modbus.model_copy(update={"devices": devices}),
            "spool": site.config.spool.model_copy(update={"path": spool_folder / "spool.sqlite"}),
            "opcua": site.config.opcua.model_copy(update={"servers": []}),  # the meters alone
        }
    )
    return LoadedSite(site.path, config, site.warnings)


async def run_collector_until(service: CollectorService, condition, timeout_s: float) -> None:  # noqa: ANN001
    """Run the collector until `condition()` is true (checked every 50 ms) or the timeout passes."""
    async def watch() -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not condition() and loop.time() < deadline:
            await asyncio.sleep(0.05)
        service.stop()

    await asyncio.gather(service.run(tick_s=0.05), watch())


def loading(target_kg: float = 450_000.0, rate_kg_h: float = 1_000_000.0) -> LoadingProfile:
    return LoadingProfile(target_kg, rate_kg_h, ramp_up_s=60, ramp_down_s=60, start_s=60)


def simulators_for(site: LoadedSite, clock: ScenarioClock, profile: LoadingProfile) -> list[FlowmeterSimulator]:
    return [FlowmeterSimulator.for_loading(d, clock, profile) for d in site.config.modbus.devices]
