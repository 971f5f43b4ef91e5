"""An independent OPC UA peer: the legacy pure-Python `opcua` package (FreeOpcUa 0.98, not asyncua)
serves a few nodes with its own types, timestamps and status codes; our collector stores them exactly."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from opcua import Server as PeerServer
from opcua import ua as peer_ua

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.site_file import load_site
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import free_port
from opcua_support import series
from scenario import run_collector_until
from site_files import write_site

NAMESPACE = "urn:test:legacy-peer"
T0 = datetime(2024, 3, 1, 10, 0, 0, 123000)  # naive UTC, as the legacy package expects
T0_MS = 1709287200123


def _node(measurement: str, asset: str, field: str, *, node_id: str | None = None, browse_path: str | None = None) -> str:
    where = f'node_id = "{node_id}"' if node_id else f'browse_path = "{browse_path}"'
    return f'\n[[opcua.servers.nodes]]\n{where}\nmeasurement = "{measurement}"\nasset = "{asset}"\nfield = "{field}"\n'


class LegacyPeer:
    """The legacy `opcua` server, in its own thread, with a handful of typed variables."""

    def __init__(self, port: int) -> None:
        self.endpoint = f"opc.tcp://127.0.0.1:{port}/legacy"
        self.server = PeerServer()
        self.server.set_endpoint(self.endpoint)
        self.server.set_security_policy([peer_ua.SecurityPolicyType.NoSecurity])
        # Two namespaces before ours, so its index is not the 2 an asyncua server would give it.
        self.server.register_namespace("urn:test:padding")
        idx = self.server.register_namespace(NAMESPACE)
        self.idx = idx
        tank = self.server.get_objects_node().add_object(peer_ua.NodeId("Tank", idx), peer_ua.QualifiedName("Tank", idx))
        self.level = tank.add_variable(peer_ua.NodeId("Tank.Level", idx), peer_ua.QualifiedName("Level", idx), 0.0)
        self.temperature = tank.add_variable(peer_ua.NodeId(4711, idx), peer_ua.QualifiedName("Temperature", idx),
                                             peer_ua.Variant(0.0, peer_ua.VariantType.Float))
        self.status = tank.add_variable(peer_ua.NodeId("Meter.Status", idx), peer_ua.QualifiedName("Status", idx),
                                        peer_ua.Variant(0, peer_ua.VariantType.Int32))
        self.total = tank.add_variable(peer_ua.NodeId("Meter.MassTotal", idx), peer_ua.QualifiedName("MassTotal", idx), 0.0)
        self.pressure = tank.add_variable(peer_ua.NodeId("Meter.Pressure", idx), peer_ua.QualifiedName("Pressure", idx), 0.0)
        self.valve = tank.add_variable(peer_ua.NodeId("Valve.Open", idx), peer_ua.QualifiedName("Open", idx), False)

    def write(self, variable, value, variant_type, when: datetime, status: str = "Good") -> None:  # noqa: ANN001
        datavalue = peer_ua.DataValue(peer_ua.Variant(value, variant_type), peer_ua.StatusCode(getattr(peer_ua.StatusCodes, status)))
        datavalue.SourceTimestamp = when
        datavalue.ServerTimestamp = datetime.utcnow()
        variable.set_value(datavalue)

    def first_values(self) -> None:
        self.write(self.level, 12.3456789012345, peer_ua.VariantType.Double, T0)
        self.write(self.temperature, 24.5, peer_ua.VariantType.Float, T0, "UncertainLastUsableValue")
        self.write(self.status, 3, peer_ua.VariantType.Int32, T0)
        self.write(self.total, 52_314_706.281, peer_ua.VariantType.Double, T0)
        self.write(self.pressure, None, peer_ua.VariantType.Null, T0, "BadCommunicationError")
        self.write(self.valve, True, peer_ua.VariantType.Boolean, T0)

    def second_values(self) -> None:
        later = T0 + timedelta(seconds=1)
        self.write(self.level, 12.25, peer_ua.VariantType.Double, later)
        self.write(self.total, 52_315_706.281, peer_ua.VariantType.Double, later)
        self.write(self.valve, False, peer_ua.VariantType.Boolean, later)


async def test_collector_reads_an_independent_peer(influx_db: InfluxReader, tmp_path: Path) -> None:
    peer = LegacyPeer(free_port())
    peer.first_values()
    await asyncio.to_thread(peer.server.start)
    body = f"""
[[opcua.servers]]
name = "legacy-peer"
endpoint = "{peer.endpoint}"
namespace_uri = "{NAMESPACE}"
publishing_interval_ms = 100
sampling_interval_ms = 50
""" + "".join([
        _node("tank", "TK-9", "level_m", browse_path="Tank/Level"),
        _node("tank", "TK-9", "temperature_c", node_id="i=4711"),
        _node("meter", "FT-9", "status", node_id="s=Meter.Status"),
        _node("meter", "FT-9", "mass_total_kg", browse_path="Tank/MassTotal"),
        _node("meter", "FT-9", "pressure_kpa", node_id="s=Meter.Pressure"),
        _node("signal", "XV-9.Open", "value", node_id="s=Valve.Open"),
    ])
    site = load_site(write_site(tmp_path, body, url=influx_db.url, database=influx_db.database))
    service = CollectorService(site, collector_name="test")
    assert service.opcua is not None
    collector = service.opcua.servers[0]
    second_sent = asyncio.Event()

    async def change_later() -> None:
        while collector.notifications < 6:
            await asyncio.sleep(0.05)
        await asyncio.to_thread(peer.second_values)
        second_sent.set()

    try:
        task = asyncio.create_task(change_later())
        await run_collector_until(service, lambda: second_sent.is_set() and collector.notifications >= 9, timeout_s=20)
        await task
    finally:
        await asyncio.to_thread(peer.server.stop)
    assert collector.node_problems == [] and collector.status.errors == 0

    tank = series(influx_db, "SELECT level_m, temperature_c, quality, quality_reason FROM tank")
    assert tank == [
        [T0_MS, 12.3456789012345, 24.5, "uncertain", "temperature_c: UncertainLastUsableValue (0x40900000)"],
        [T0_MS + 1000, 12.25, None, "good", None],
    ]
    meter = series(influx_db, "SELECT mass_total_kg, status, pressure_kpa, quality, quality_reason FROM meter")
    assert meter == [
        [T0_MS, 52_314_706.281, 3, None, "bad", "pressure_kpa: BadCommunicationError (0x80050000)"],
        [T0_MS + 1000, 52_315_706.281, None, None, "good", None],
    ]
    valve = series(influx_db, "SELECT value, quality FROM signal")
    assert valve == [[T0_MS, 1.0, "good"], [T0_MS + 1000, 0.0, "good"]]
    assert influx_db.query("SHOW FIELD KEYS FROM meter")[0].values.count(["status", "integer"]) == 1


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
