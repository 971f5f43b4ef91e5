"""InfluxDB that refuses writes for a reason an operator must fix (issue 14 g), and URLs with secrets (f).

Against real influxd servers: a fresh one without the database, and one with `auth-enabled = true`.

* `collect` on a fresh InfluxDB creates the database at start (as Telegraf's InfluxDB output does) and
  its readings arrive;
* with `create_database = false`, or an account that may not create it, a missing database, a refused
  password or a missing write right is said once, as an error naming the cause and the fix; the readings
  wait in the spool (nothing quarantined, nothing dropped) and go to InfluxDB once an operator fixes it;
* a password in a URL given to the reader or the writer never appears in an error or a log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bad_inputs import BadInput, ids
from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.site_file import Credentials, load_site
from bulkdaq.store.forwarder import SpoolForwarder
from bulkdaq.store.influx_reader import InfluxReader, QueryError
from bulkdaq.store.influx_writer import InfluxWriter
from bulkdaq.store.line_protocol import Point
from bulkdaq.store.local_influxd import LocalInfluxd, free_port
from bulkdaq.store.spool import DurableSpool
from scenario import run_collector_until
from simulators.flowmeter import FlowmeterSimulator, MeterRun
from simulators.loading_profile import LoadingProfile
from simulators.scenario_clock import ScenarioClock
from site_files import device, meter, point, write_site

T0 = 1_790_000_000_000
ADMIN = ("admin", "Adm1n-pa55")
WRITER = ("writer", "Wr1ter-pa55")
WRONG = "n0t-the-pa55"
WRITER_LOG = "bulkdaq.store.influx_writer"


def reading(i: int) -> Point:
    return Point("meter", {"site": "s", "meter": "FT-1"}, {"mass_total_kg": 1000.0 + i, "quality": "good"}, T0 + i)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalInfluxd]:
    """An influxd with auth-enabled = true, an admin, and a user `writer` with no rights yet."""
    server = LocalInfluxd(tmp_path_factory.mktemp("influxd-auth"), auth_enabled=True).start()
    # With auth on and no user yet, InfluxDB 1.x accepts exactly one statement: creating the first admin.
    assert httpx.post(f"{server.url}/query", data={"q": f"CREATE USER {ADMIN[0]} WITH PASSWORD '{ADMIN[1]}' WITH ALL PRIVILEGES"}).status_code == 200
    admin(server, f"CREATE USER {WRITER[0]} WITH PASSWORD '{WRITER[1]}'")
    yield server
    server.stop()


def admin(server: LocalInfluxd, statement: str) -> None:
    with InfluxReader(server.url, "_internal", Credentials(*ADMIN)) as reader:
        reader.query(statement)


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == WRITER_LOG and r.levelno >= logging.ERROR]


async def wait_for(condition: Callable[[], bool], timeout_s: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_collect_on_a_fresh_influxdb_creates_the_database_and_its_readings_arrive(influxd: LocalInfluxd, tmp_path: Path) -> None:
    database = "fresh_site_db"
    path = write_site(tmp_path, device("FT-1", free_port(), point(0, "float64", "FT-1", "mass_total_kg"), poll=0.1) + meter("FT-1"),
                      url=influxd.url, database=database)
    site = load_site(path)
    assert site.config.influxdb.create_database is True  # the default
    simulator = FlowmeterSimulator(site.config.modbus.devices[0], {"FT-1": MeterRun(LoadingProfile(1000.0, 10_000.0, 10, 10))}, ScenarioClock())
    server = simulator.server()
    await server.start()
    service = CollectorService(site)
    try:
        await run_collector_until(service, lambda: service.statuses[0].polls >= 5 and service.spool.depth == 0, timeout_s=10)
    finally:
        await server.stop()
    assert service.writer.stats.blocked is None and service.writer.stats.batches_quarantined == 0
    with InfluxReader(influxd.url, database) as reader:
        assert reader.query("SELECT count(mass_total_kg) FROM meter")[0].values[0][1] >= 5
        reader.query(f'DROP DATABASE "{database}"')


async def test_a_database_dropped_while_running_is_created_again(influxd: LocalInfluxd, tmp_path: Path) -> None:
    writer = InfluxWriter(influxd.url, "dropped_db", quarantine_dir=tmp_path / "q")
    await writer.prepare()
    await writer.write([reading(0).to_line()])
    with InfluxReader(influxd.url, "dropped_db") as reader:
        reader.query('DROP DATABASE "dropped_db"')
        await writer.write([reading(1).to_line()])  # 404 database not found → CREATE DATABASE → written
        assert [row[1] for row in reader.query("SELECT mass_total_kg FROM meter")[0].values] == [1001.0]
        reader.query('DROP DATABASE "dropped_db"')
    await writer.aclose()
    assert writer.stats.retries == 0 and writer.stats.blocked is None


async def test_without_create_database_a_missing_database_is_said_once_and_the_readings_wait(
    influxd: LocalInfluxd, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    spool = DurableSpool(tmp_path / "spool.sqlite")
    writer = InfluxWriter(influxd.url, "made_by_the_operator", quarantine_dir=tmp_path / "q", create_database=False,
                          first_retry_delay_s=0.05, max_retry_delay_s=0.2)
    forwarder = SpoolForwarder(spool, writer, batch_size=100, flush_interval_s=0.05)
    forwarder.start()
    await spool.submit([reading(i) for i in range(50)])
    await wait_for(lambda: writer.stats.retries >= 5, 10)
    await spool.submit([reading(i) for i in range(50, 80)])  # collecting goes on into the spool
    assert spool.depth == 80 and writer.stats.batches_quarantined == 0
    (message,) = errors(caplog)  # once, however many times it was tried
    assert message.startswith(f"HTTP 404, no database: InfluxDB at {influxd.url} has no database 'made_by_the_operator'")
    assert 'create it (CREATE DATABASE "made_by_the_operator") or set [influxdb] create_database = true' in message
    assert "the readings wait in the spool and go to InfluxDB once this is fixed" in message
    assert writer.stats.blocked is not None and writer.stats.blocked in message
    with InfluxReader(influxd.url, "made_by_the_operator") as reader:
        reader.create_database()  # the operator's fix
        await wait_for(lambda: spool.depth == 0, 10)
        await forwarder.close()
        rows = reader.query("SELECT mass_total_kg FROM meter")[0].values
        assert [r[1] for r in rows] == [1000.0 + i for i in range(80)]  # all of them, in order
        reader.query('DROP DATABASE "made_by_the_operator"')
    await writer.aclose()
    await spool.close()
    assert writer.stats.blocked is None and len(errors(caplog)) == 1
    assert any("takes writes again" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)


# What the secured server refuses, the credentials given, and the message an operator reads (once).
BAD_INPUTS = [
    BadInput("InfluxDB", "no credentials for a server with auth enabled", "no username, no password_env",
             "HTTP 401, no credentials: InfluxDB at {url} requires a user and password"),
    BadInput("InfluxDB", "a wrong password", f"username = 'writer', password_env → {WRONG!r}",
             "HTTP 401, credentials refused: InfluxDB at {url} does not accept user 'writer' with the password given"),
    BadInput("InfluxDB", "a user without the write right", "username = 'writer' (no GRANT)",
             "HTTP 403, not allowed: InfluxDB at {url} does not let 'writer' write to database 'secured_db'"),
    BadInput("InfluxDB", "a missing database and an account that may not create it", "username = 'writer', create_database = true",
             "HTTP 404, no database: InfluxDB at {url} has no database 'secured_db'"),
]
_CREDENTIALS = [Credentials(None, None), Credentials(WRITER[0], WRONG), Credentials(*WRITER), Credentials(*WRITER)]
_FIXES = [None, None, f'GRANT WRITE ON "secured_db" TO "{WRITER[0]}"', 'create it with an admin account (CREATE DATABASE "secured_db")']


@pytest.mark.parametrize(("case", "credentials", "fix"), list(zip(BAD_INPUTS, _CREDENTIALS, _FIXES, strict=True)), ids=ids(BAD_INPUTS))
async def test_a_refusal_an_operator_must_fix_is_said_once_and_nothing_is_lost(
    secured: LocalInfluxd, tmp_path: Path, caplog: pytest.LogCaptureFixture, case: BadInput, credentials: Credentials, fix: str | None
) -> None:
    caplog.set_level(logging.DEBUG)
    missing_database = case.what.startswith("a missing database")
    admin(secured, 'DROP DATABASE "secured_db"' if missing_database else 'CREATE DATABASE "secured_db"')
    spool = DurableSpool(tmp_path / "spool.sqlite")
    writer = InfluxWriter(secured.url, "secured_db", credentials, quarantine_dir=tmp_path / "q", first_retry_delay_s=0.05, max_retry_delay_s=0.2)
    forwarder = SpoolForwarder(spool, writer, batch_size=100, flush_interval_s=0.05)
    forwarder.start()
    await spool.submit([reading(i) for i in range(20)])
    await wait_for(lambda: writer.stats.retries >= 4, 10)
    (message,) = errors(caplog)
    assert message.startswith(case.expected_message_part.format(url=secured.url)), message
    if fix is not None:
        assert fix in message
    if missing_database:  # bulkdaq tried to create it at start, and said why it could not
        assert "requires admin privilege" in message
        assert any("could not create database 'secured_db'" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert spool.depth == 20 and writer.stats.batches_quarantined == 0 and not (tmp_path / "q").exists()
    if credentials.password is not None:
        assert credentials.password not in caplog.text and credentials.password not in (writer.stats.last_error or "")
    if case.what == "a user without the write right":  # the operator grants it: the readings go through
        admin(secured, f'GRANT WRITE ON "secured_db" TO "{WRITER[0]}"')
        await wait_for(lambda: spool.depth == 0, 10)
        admin(secured, f'REVOKE ALL PRIVILEGES ON "secured_db" FROM "{WRITER[0]}"')
        assert writer.stats.blocked is None and len(errors(caplog)) == 1
    await forwarder.close(drain_timeout_s=0.2)
    await writer.aclose()
    assert spool.depth in (0, 20)  # stopped while refused: every reading is still in the spool for the next start
    await spool.close()


async def test_a_password_in_a_url_given_to_the_reader_or_writer_is_never_printed(secured: LocalInfluxd, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    host = secured.url.removeprefix("http://")
    secret_url = f"http://{WRITER[0]}:{WRONG}@{host}"
    with InfluxReader(secret_url, "secured_db") as reader, pytest.raises(QueryError) as caught:
        reader.query("SELECT * FROM meter")
    assert str(caught.value) == f'InfluxDB at http://{host} answered HTTP 401: {{"error":"authorization failed"}}'  # no password
    unreachable = f"http://{WRITER[0]}:{WRONG}@127.0.0.1:{free_port()}"
    with InfluxReader(unreachable, "secured_db") as reader, pytest.raises(QueryError) as caught:
        reader.query("SELECT * FROM meter")
    assert WRONG not in str(caught.value) and "unreachable" in str(caught.value)
    writer = InfluxWriter(secret_url, "secured_db", Credentials(WRITER[0], WRONG), quarantine_dir=tmp_path / "q",
                          first_retry_delay_s=0.05, max_retry_delay_s=0.1)
    task = asyncio.create_task(writer.write([reading(0).to_line()]))
    await wait_for(lambda: writer.stats.retries >= 2, 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await writer.aclose()
    assert WRONG not in caplog.text and f"InfluxDB at http://{host} does not accept user 'writer'" in caplog.text  # httpx's log included
