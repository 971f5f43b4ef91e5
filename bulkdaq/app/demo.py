"""The demo's wiring: the whole chain on one machine, time-compressed (`bulkdaq demo`, which prints).

A private influxd, a simulated flowmeter for every Modbus device of the site and the simulated plant
(OPC UA) for every OPC UA server, the collectors with their spool and signed evidence chain, and the two
demo shipments (`bulkdaq/app/demo_clearance.py`). This module starts and stops them and hands back what
the command prints: each meter's ticket beside the simulator's ground truth, the shore tank's drop, and
the offline verification of the jet-fuel export's evidence bundle.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.app.demo_clearance import DemoClearance
from bulkdaq.config.site_file import EvidenceSettings, LoadedSite
from bulkdaq.errors import InputError
from bulkdaq.evidence.bundle import Verification, export_shipment_bundle, verify_bundle
from bulkdaq.evidence.chain import create_site_key
from bulkdaq.evidence.heads import ChainHead
from bulkdaq.evidence.witnessed_heads import query_heads
from bulkdaq.shipments.stored_totals import StoredTicket
from bulkdaq.store import contract
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import free_port
from simulators.flowmeter import FlowmeterSimulator
from simulators.loading_profile import LoadingProfile
from simulators.plant import PlantServer
from simulators.plant_model import PlantModel, ShoreTank
from simulators.scenario_clock import ScenarioClock

# A tank that holds the whole demo cargo (two meter runs of 45,000 t of jet fuel at 800 kg/m³).
DEMO_TANK = ShoreTank(initial_tov_m3=125_000.0, m3_per_m=6_000.0, high_level_m=22.0)

LiveView = Callable[[CollectorService], AbstractContextManager[Callable[[], None]]]
"""Shows the collectors' status while the loading runs: entered once the service exists, it gives the
function called on every tick to refresh the view."""


@dataclass(frozen=True)
class DemoPlan:
    """The loading the demo runs: each meter run's profile, the shore tank's, and the speed-up."""

    profile: LoadingProfile
    tank_profile: LoadingProfile
    speedup: float

    @classmethod
    def for_site(cls, site: LoadedSite, target_t: float, rate_t_h: float, seconds: float) -> DemoPlan:
        """`target_t` through each meter at `rate_t_h`, the whole loading in `seconds` real seconds."""
        profile = LoadingProfile(target_t * 1000, rate_t_h * 1000, ramp_up_s=1800, ramp_down_s=1800, start_s=1800)
        meters = len(site.config.meters) or 1
        # The shore tank feeds every meter run: it drops by their sum, on the same clock.
        tank_profile = LoadingProfile(target_t * 1000 * meters, rate_t_h * 1000 * meters, ramp_up_s=1800, ramp_down_s=1800, start_s=1800)
        return cls(profile, tank_profile, profile.end_s / seconds)

    @property
    def scenario_end_s(self) -> float:
        """Two more real seconds of collection after pumping stops, so every source's last reading is final."""
        return self.profile.end_s + 2.0 * self.speedup


def local_site(site: LoadedSite, influx_url: str, spool_path: Path) -> LoadedSite:
    """The same site, pointed at the demo's influxd and spool and at free loopback ports for the simulators.

    Nothing else changes: the integrity limits are the site's own. The simulated meters report their flow
    rate on the collector's clock (the scenario rate × `speedup`, the pace at which their totals move), so
    the totalizer-jump check holds with the site's margin however fast the scenario runs
    (`simulators/flowmeter.py`).
    """
    devices = [d.model_copy(update={"host": "127.0.0.1", "port": free_port()}) for d in site.config.modbus.devices]
    servers = [s.model_copy(update={"endpoint": f"opc.tcp://127.0.0.1:{free_port()}/bulkdaq/plant"}) for s in site.config.opcua.servers]
    config = site.config.model_copy(
        update={
            "influxdb": site.config.influxdb.model_copy(update={"url": influx_url}),
            "modbus": site.config.modbus.model_copy(update={"devices": devices}),
            "opcua": site.config.opcua.model_copy(update={"servers": servers}),
            "spool": site.config.spool.model_copy(update={"path": spool_path}),
        }
    )
    return LoadedSite(site.path, config, site.warnings)


DEMO_MARKER = ".bulkdaq-demo"
"""The file a demo leaves in its data folder: only a folder holding it is ever emptied by a demo."""


def fresh_demo_folder(path: Path) -> Path:
    """Empty a demo's data folder for a new run (each demo starts from nothing: the registry and the ledger
    are append-only), and mark it as a demo's. A folder that is not empty and was not made by a demo is
    refused, never deleted (``--data-dir .`` must not empty the repository).

    Raises
    ------
    InputError
        The folder holds files and no demo marker.
    """
    if path.exists():
        if path.is_dir() and not (path / DEMO_MARKER).is_file() and any(path.iterdir()):
            raise InputError("command line", "--data-dir", f"{path} is not a folder a demo made (no {DEMO_MARKER} in it), and it is not "
                             "empty: a demo empties its folder at each run; give a new or empty folder")
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    path.mkdir(parents=True)
    (path / DEMO_MARKER).write_text("made by a bulkdaq demo: emptied at its next run\n", encoding="utf-8")
    return path


def registry_note(clearance: DemoClearance, command: str = "bulkdaq") -> str:
    """Where the demo's shipment registry is, and the command that lists its shipments.

    The demo keeps its own registry in its data folder, not the default `var/shipments.sqlite`, so a bare
    `bulkdaq shipment list` reads another one; the path printed is absolute, to work from any folder.
    """
    path = clearance.registry_path.resolve()
    return f"Shipment registry: {path}\n  (list its shipments: {command} shipment list --registry {path})"


def with_site_key(site: LoadedSite, data_dir: Path) -> tuple[LoadedSite, str]:
    """The site signing with a key made for the demo (as `bulkdaq evidence keygen` would), and its fingerprint.

    Heads every 2 s of the demo's minute (60 s at a real site), so the bundle meets several witnesses.
    """
    key_file = data_dir / "site.key"
    fingerprint = create_site_key(key_file, key_file.with_suffix(".pub"))
    evidence = EvidenceSettings(key_file=key_file, head_interval_s=2.0)
    return LoadedSite(site.path, site.config.model_copy(update={"evidence": evidence}), site.warnings), fingerprint


def create_database(site: LoadedSite) -> None:
    """The site's database in the demo's influxd."""
    with InfluxReader(site.config.influxdb.url, site.config.influxdb.database) as reader:
        reader.create_database()


def plant_port(endpoint: str) -> int:
    """The port of an ``opc.tcp://host:port/path`` endpoint."""
    return int(endpoint.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def simulated_devices(site: LoadedSite, plan: DemoPlan, clock: ScenarioClock, clearance: DemoClearance) -> tuple[list[FlowmeterSimulator], list[PlantServer]]:
    """A flowmeter for every Modbus device and the plant for every OPC UA server, on one clock."""
    simulators = [FlowmeterSimulator.for_loading(device, clock, plan.profile) for device in site.config.modbus.devices]
    belt_t = clearance.belt_scale_target_t()
    tank_profile = plan.tank_profile
    belt = LoadingProfile(belt_t * 1000, belt_t * 1000 / (tank_profile.end_s - 3600) * 3600, ramp_up_s=1800, ramp_down_s=1800, start_s=1800)
    plants = [
        PlantServer(PlantModel(tank_profile, tank=DEMO_TANK, scale_profile=belt), clock, port=plant_port(server.endpoint))
        for server in site.config.opcua.servers
    ]
    return simulators, plants


async def run_loading(
    site: LoadedSite,
    simulators: list[FlowmeterSimulator],
    plants: list[PlantServer],
    clock: ScenarioClock,
    scenario_end_s: float,
    clearance: DemoClearance,
    live_view: LiveView,
) -> None:
    """Serve the simulators, collect until the scenario ends (or SIGINT / SIGTERM), and watch the jet fuel load."""
    servers = [s.server() for s in simulators]
    for server in servers:
        await server.start()
    for plant in plants:
        await plant.start()
    service = CollectorService(site, collector_name="demo")
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, service.stop)
    waiting_since = time.monotonic()

    def on_tick() -> None:
        refresh()
        if clock.seconds() == 0.0:
            # Pumping starts once every source answers (or after 15 s), so each ticket opens before the flow.
            if all(status.connected for status in service.statuses) or time.monotonic() - waiting_since > 15:
                clock.start()
        elif clock.seconds() >= scenario_end_s:
            service.stop()

    stop_watching = asyncio.Event()
    watching = asyncio.create_task(clearance.watch_jet(site, stop_watching))
    try:
        with live_view(service) as refresh:
            await service.run(on_tick=on_tick)
    finally:
        stop_watching.set()
        await watching
        for server in servers:
            await server.stop()
        for plant in plants:
            await plant.stop()


@dataclass(frozen=True)
class GroundTruth:
    """One totalizer of a stored meter ticket against what the simulator delivered."""

    quantity: str
    delivered: Decimal
    unit: str
    equal: bool


def against_ground_truth(ticket: StoredTicket, simulators: list[FlowmeterSimulator], scenario_end_s: float) -> list[GroundTruth]:
    """Each indicated quantity of `ticket` beside the simulator's own totals at the start and end of the scenario."""
    truth = next(s for s in simulators if any(p.asset == ticket.meter for p in s.device.points))
    checks = []
    for total in ticket.totals:
        opening = truth.reported(ticket.meter, total.field, 0.0)
        closing = truth.reported(ticket.meter, total.field, scenario_end_s)
        delivered = Decimal(repr(closing)) - Decimal(repr(opening))
        checks.append(GroundTruth(total.quantity, delivered, total.unit, delivered == total.indicated))
    return checks


@dataclass(frozen=True)
class TankDrop:
    """The shore tank's first and last good TOV of the loading (OPC UA feed)."""

    tank: str
    opening_m3: float
    closing_m3: float
    density_kg_m3: float

    @property
    def drop_m3(self) -> float:
        return self.opening_m3 - self.closing_m3


def tank_drop(site: LoadedSite, model: PlantModel, started: datetime, ended: datetime) -> TankDrop | None:
    """The drop of the plant's shore tank over the loading, or None without a good reading."""
    tank = model.tank.name
    with InfluxReader(site.config.influxdb.url, site.config.influxdb.database) as reader:
        window = reader.first_and_last(contract.TANK, tank, "tov_m3", started, ended)
    if window is None:
        return None
    opening, closing = window
    return TankDrop(tank, float(opening.value), float(closing.value), model.tank.density_kg_m3)


@dataclass(frozen=True)
class EvidenceCheck:
    """The jet-fuel export's bundle, the heads it was checked against, and the verdict."""

    bundle_path: Path
    heads_path: Path
    heads: list[ChainHead]
    result: Verification


def export_and_verify(site: LoadedSite, clearance: DemoClearance, data_dir: Path, fingerprint: str) -> EvidenceCheck:
    """What an officer does with the evidence: export the jet-fuel shipment's bundle and verify it offline."""
    bundle = export_shipment_bundle(site, clearance.registry, clearance.jet.id)
    path = data_dir / f"evidence-{clearance.jet.id}.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    # The heads the collector published to InfluxDB: at a real site the customs office's copy of them.
    target = site.config.influxdb
    heads = query_heads(target.url, target.database, site.config.site.name)
    heads_path = data_dir / f"heads-{site.config.site.name}.json"
    heads_path.write_text(json.dumps([h.as_dict() for h in heads], indent=1), encoding="utf-8")
    return EvidenceCheck(path, heads_path, heads, verify_bundle(bundle, fingerprint, heads))


__all__ = [
    "DEMO_TANK",
    "DemoPlan",
    "EvidenceCheck",
    "GroundTruth",
    "LiveView",
    "TankDrop",
    "against_ground_truth",
    "create_database",
    "fresh_demo_folder",
    "export_and_verify",
    "local_site",
    "plant_port",
    "registry_note",
    "run_loading",
    "simulated_devices",
    "tank_drop",
    "with_site_key",
]
