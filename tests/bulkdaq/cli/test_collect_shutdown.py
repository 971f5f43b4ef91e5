"""`bulkdaq collect` tells the truth when it stops: how many readings stay in the spool when InfluxDB did
not take them, and that everything reached InfluxDB only when it did."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import LocalInfluxd, free_port, wait_listening
from site_files import device, meter, point, spooled, write_site

BIN = Path(sys.executable).parent


def test_collect_says_what_stays_in_the_spool_and_what_reached_influxdb(tmp_path: Path) -> None:
    influx_port, modbus_port = free_port(), free_port()
    site = write_site(
        tmp_path,
        device("FT-1", modbus_port, point(0, "float64", "FT-1", "mass_total_kg"), poll=0.05) + meter("FT-1"),
        url=f"http://127.0.0.1:{influx_port}", database="shutdown",
    )
    spool = tmp_path / "spool.sqlite"
    simulator = subprocess.Popen(
        [BIN / "bulkdaq", "simulate", "flowmeter", "--site", site, "--device", "FT-1", "--speedup", "600", "--start-delay-min", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(modbus_port)
        # No influxd on the port: every reading stays in the spool.
        output = _collect_until(site, tmp_path, lambda: spooled(spool) >= 40)
        left = spooled(spool)
        assert left >= 40
        assert (
            f"stopped; {left} accepted readings did not reach InfluxDB and stay in the spool {spool}; "
            f"they will be sent at the next start (bulkdaq collect {site})."
        ) in output
        assert "every accepted reading" not in output

        with LocalInfluxd(tmp_path / "influxd", port=influx_port) as server, InfluxReader(server.url, "shutdown") as reader:
            reader.create_database()
            output = _collect_until(site, tmp_path, lambda: _stored(reader) > left)
            assert spooled(spool) == 0
            assert "stopped; every accepted reading reached InfluxDB." in output
            assert "stay in the spool" not in output
    finally:
        simulator.kill()
        simulator.wait()


def _collect_until(site: Path, folder: Path, condition, timeout_s: float = 30.0) -> str:  # noqa: ANN001
    """Run `bulkdaq collect` until `condition()`, stop it with Ctrl-C; its output, whitespace folded."""
    environment = {**os.environ, "COLUMNS": "1000"}  # rich wraps at the terminal width: one line per sentence
    collector = subprocess.Popen(
        [BIN / "bulkdaq", "collect", site], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=folder, text=True, env=environment
    )
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not condition():
            time.sleep(0.1)
        assert condition(), "collector did not get there in time"
        collector.send_signal(signal.SIGINT)
        output, _ = collector.communicate(timeout=60)  # InfluxDB down: the forwarder tries 10 s, then stops
    finally:
        if collector.poll() is None:
            collector.kill()
            collector.wait()
    assert collector.returncode == 0, output
    return " ".join(output.split())


def _stored(reader: InfluxReader) -> int:
    series = reader.query("SELECT count(quality) FROM meter")
    return series[0].values[0][1] if series else 0
