"""OPC UA test scenarios: the example plant site, pointed at a test influxd and a plant on a free port."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bulkdaq.config.site_file import LoadedSite, load_site
from bulkdaq.store.influx_reader import InfluxReader
from collectors.opcua.x509 import create_application_certificate
from simulators.loading_profile import LoadingProfile
from simulators.plant import PlantSecurity
from simulators.plant_model import PlantModel

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "examples" / "site.toml"
COLLECTOR_URI = "urn:test:bulkdaq:collector"


def loading(target_kg: float = 450_000.0, rate_kg_h: float = 1_000_000.0) -> LoadingProfile:
    return LoadingProfile(target_kg, rate_kg_h, ramp_up_s=60, ramp_down_s=60, start_s=60)


def plant_model() -> PlantModel:
    return PlantModel(loading(), scale_profile=LoadingProfile(120_000.0, 2_000_000.0, 30, 30, 90))


def plant_site(influx: InfluxReader, endpoint: str, spool_folder: Path, **server_updates: Any) -> LoadedSite:
    """The example plant site, collecting from `endpoint` into `influx` through a spool in `spool_folder`, with fast test timings."""
    site = load_site(SITE)
    update = {"endpoint": endpoint, "publishing_interval_ms": 100.0, "sampling_interval_ms": 50.0, "stale_after_s": 3.0,
              "reconnect_max_delay_s": 1.0, "health_interval_s": 0.25, **server_updates}
    servers = [s.model_copy(update=update) for s in site.config.opcua.servers]
    config = site.config.model_copy(
        update={
            "influxdb": site.config.influxdb.model_copy(update={"url": influx.url, "database": influx.database, "flush_interval_s": 0.2}),
            "opcua": site.config.opcua.model_copy(update={"servers": servers}),
            "modbus": site.config.modbus.model_copy(update={"devices": []}),  # the plant alone
            "meters": [],
            "spool": site.config.spool.model_copy(update={"path": spool_folder / "spool.sqlite"}),
        }
    )
    return LoadedSite(site.path, config, site.warnings)


def node_of(site: LoadedSite, measurement: str, field: str) -> Any:
    for node in site.config.opcua.servers[0].nodes:
        if node.measurement == measurement and node.field == field:
            return node
    raise KeyError((measurement, field))


def pki(folder: Path) -> dict[str, Path]:
    """Certificates for a secured test: the plant's, the collector's, and each side's trust folder."""
    paths = {
        "plant_cert": folder / "plant" / "plant.der",
        "plant_key": folder / "plant" / "plant.key.pem",
        "collector_cert": folder / "collector" / "collector.der",
        "collector_key": folder / "collector" / "collector.key.pem",
        "stranger_cert": folder / "stranger" / "stranger.der",
        "stranger_key": folder / "stranger" / "stranger.key.pem",
        "plant_trusts": folder / "plant-trusted",
        "collector_trusts": folder / "collector-trusted",
    }
    create_application_certificate(paths["plant_cert"], paths["plant_key"], application_uri="urn:bulkdaq:simulators:plant",
                                   common_name="plant", hostnames=["127.0.0.1", "localhost"], role="server")
    create_application_certificate(paths["collector_cert"], paths["collector_key"], application_uri=COLLECTOR_URI,
                                   common_name="collector", hostnames=["127.0.0.1"], role="client")
    create_application_certificate(paths["stranger_cert"], paths["stranger_key"], application_uri="urn:test:stranger",
                                   common_name="stranger", hostnames=["127.0.0.1"], role="both")
    for trusts, cert in (("plant_trusts", "collector_cert"), ("collector_trusts", "plant_cert")):
        paths[trusts].mkdir(parents=True, exist_ok=True)
        (paths[trusts] / paths[cert].name).write_bytes(paths[cert].read_bytes())
    return paths


def secured_plant(paths: dict[str, Path], password: str = "s3cret-pump") -> PlantSecurity:
    return PlantSecurity(
        modes=("SignAndEncrypt",),
        certificate=paths["plant_cert"],
        private_key=paths["plant_key"],
        trusted_clients=paths["plant_trusts"],
        users={"collector": password},
        allow_anonymous=False,
    )


def secured_client(paths: dict[str, Path], password_env: str) -> dict[str, Any]:
    return {
        "security_mode": "SignAndEncrypt",
        "certificate": paths["collector_cert"],
        "private_key": paths["collector_key"],
        "trusted_certificates": paths["collector_trusts"],
        "username": "collector",
        "password_env": password_env,
    }


def series(influx: InfluxReader, query: str) -> list[list[Any]]:
    """Rows of every series the query returns, with the time as epoch milliseconds."""
    result = influx.query(query)
    return [[_ms(row[0]), *row[1:]] for s in result for row in s.values]


def _ms(stamp: Any) -> int:
    if isinstance(stamp, int):
        return stamp
    delta = stamp - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def served(history: dict[str, list[tuple[int, Any, int]]], identifier: str) -> dict[int, tuple[Any, int]]:
    """The plant's served values of one tag by source time [ms]."""
    return {time_ms: (value, status) for time_ms, value, status in history[identifier]}


def as_field(value: Any) -> Any:
    return float(value) if isinstance(value, bool) else value


def epoch_ms(rows: Iterable[list[Any]]) -> list[int]:
    return [row[0] for row in rows]
