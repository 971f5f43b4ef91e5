"""InfluxDB credentials come from the environment (or a file), are used, and never appear in logs or errors."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.site_file import Credentials, load_site
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import LocalInfluxd, free_port
from scenario import run_collector_until
from simulators.flowmeter import FlowmeterSimulator, MeterRun
from simulators.loading_profile import LoadingProfile
from simulators.scenario_clock import ScenarioClock
from site_files import device, meter, point, write_site

PASSWORD = "s3cret-Pa55-word"


@pytest.fixture(scope="module")
def secured_influxd(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    server = LocalInfluxd(tmp_path_factory.mktemp("influxd-auth"), auth_enabled=True).start()
    # With auth on and no user yet, InfluxDB 1.x accepts exactly one statement: creating the first admin.
    response = httpx.post(f"{server.url}/query", data={"q": f"CREATE USER admin WITH PASSWORD '{PASSWORD}' WITH ALL PRIVILEGES"})
    assert response.status_code == 200, response.text
    with InfluxReader(server.url, "secured", Credentials("admin", PASSWORD)) as reader:
        reader.create_database()
    yield server
    server.stop()


async def _collect(site_path: Path) -> CollectorService:
    site = load_site(site_path)
    simulator = FlowmeterSimulator(site.config.modbus.devices[0], {"FT-1": MeterRun(LoadingProfile(1000.0, 10_000.0, 10, 10))}, ScenarioClock())
    server = simulator.server()
    await server.start()
    service = CollectorService(site)
    try:
        await run_collector_until(service, lambda: service.statuses[0].polls >= 5 and service.spool.depth == 0, timeout_s=8)
    finally:
        await server.stop()
    return service


def _site(tmp_path: Path, url: str) -> Path:
    path = write_site(tmp_path, device("FT-1", free_port(), point(0, "float64", "FT-1", "mass_total_kg"), poll=0.1) + meter("FT-1"), url=url, database="secured")
    path.write_text(path.read_text().replace('database = "secured"', 'database = "secured"\nusername = "admin"\npassword_env = "T_INFLUX_PW"'))
    return path


async def test_password_from_environment_is_used_and_never_logged(secured_influxd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("T_INFLUX_PW", PASSWORD)
    service = await _collect(_site(tmp_path, secured_influxd.url))
    assert service.writer.stats.lines_written > 0 and service.writer.stats.retries == 0
    with InfluxReader(secured_influxd.url, "secured", Credentials("admin", PASSWORD)) as reader:
        assert reader.query("SELECT count(mass_total_kg) FROM meter")[0].values[0][1] >= 5
    # Without credentials the same server refuses to answer.
    with InfluxReader(secured_influxd.url, "secured") as anonymous, pytest.raises(Exception, match="401"):
        anonymous.query("SELECT count(mass_total_kg) FROM meter")
    assert PASSWORD not in caplog.text


async def test_wrong_password_is_retried_and_not_revealed(secured_influxd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-Pa55-word"
    monkeypatch.setenv("T_INFLUX_PW", wrong)
    site = load_site(_site(tmp_path, secured_influxd.url))
    simulator = FlowmeterSimulator(site.config.modbus.devices[0], {"FT-1": MeterRun(LoadingProfile(1000.0, 10_000.0, 10, 10))}, ScenarioClock())
    server = simulator.server()
    await server.start()
    service = CollectorService(site)
    try:
        await run_collector_until(service, lambda: service.writer.stats.retries >= 2, timeout_s=15)
    finally:
        await server.stop()
    assert "HTTP 401" in (service.writer.stats.last_error or "")
    assert service.writer.stats.batches_quarantined == 0  # an operator can fix a password: nothing set aside
    assert service.spool.depth > 0  # the readings wait on disk
    assert wrong not in caplog.text and PASSWORD not in caplog.text
    assert wrong not in (service.writer.stats.last_error or "")
