"""`bulkdaq collect` without a terminal (systemd, a pipe, a file): no live table redrawn into what follows, but one
status line every --status-every seconds and one at the end; with --json-status, one JSON object a line
(issue 18: "under systemd, `collect` should log a periodic one-line status"; "the collector status gets --json")."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from bulkdaq.cli.collect import status_line
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import LocalInfluxd, free_port, wait_listening
from site_files import device, meter, point, write_site

BIN = Path(sys.executable).parent
STATUS = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ status: devices 1 up, 0 down; polls (\d+), errors (\d+); spool (\d+) queued; "
    r"written (\d+) lines, retries (\d+), quarantined 0$"
)


def test_collect_without_a_terminal_logs_a_status_line_and_json_status(tmp_path: Path) -> None:
    influx_port, modbus_port = free_port(), free_port()
    site = write_site(
        tmp_path,
        device("FT-1", modbus_port, point(0, "float64", "FT-1", "mass_total_kg"), poll=0.05) + meter("FT-1"),
        url=f"http://127.0.0.1:{influx_port}", database="status",
    )
    simulator = subprocess.Popen(
        [BIN / "bulkdaq", "simulate", "flowmeter", "--site", site, "--device", "FT-1", "--speedup", "600", "--start-delay-min", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(modbus_port)
        with LocalInfluxd(tmp_path / "influxd", port=influx_port) as server, InfluxReader(server.url, "status") as reader:
            reader.create_database()

            text = _collect(site, tmp_path, "--status-every", "0.5")
            assert "\x1b" not in text  # no cursor movement or colour: a log, not a redrawn table
            lines = text.splitlines()
            assert lines[0].startswith("collecting test-site → ")
            statuses = [line for line in lines if " status: " in line]
            assert len(statuses) >= 3, text  # every 0.5 s over ~2 s, and one at the end
            for line in statuses:
                assert STATUS.match(line), line
            polls, errors, _, written, _ = (int(n) for n in STATUS.match(statuses[-1]).groups())  # type: ignore[union-attr]
            assert polls > 0 and errors == 0 and written > 0
            assert lines[-1] == "stopped; every accepted reading reached InfluxDB."
            assert lines.index(statuses[-1]) < len(lines) - 1  # the last status comes before the summary, on its own line

            text = _collect(site, tmp_path, "--status-every", "0.5", "--json-status")
            objects = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
            assert len(objects) >= 3, text
            last = objects[-1]
            assert last["site"] == "test-site" and last["devices_up"] == 1 and last["devices_down"] == 0
            assert last["lines_written"] > 0 and last["quarantined"] == 0 and last["writes_refused"] is None
            assert [d["name"] for d in last["devices"]] == ["FT-1"] and last["devices"][0]["connected"] is True
            assert set(last) >= {"time", "polls", "errors", "spool_depth", "retries", "spool_refused_full"}
    finally:
        simulator.kill()
        simulator.wait()


def test_the_status_line_says_when_influxdb_refuses_writes_and_which_devices_are_down() -> None:
    status = {
        "time": "2026-12-01T03:00:00Z", "site": "s", "devices_up": 1, "devices_down": 1, "polls": 10, "errors": 3, "spool_depth": 120,
        "spool_refused_full": 0, "lines_written": 0, "retries": 4, "quarantined": 0,
        "writes_refused": "401 unauthorized: check [influxdb] username and password",
        "devices": [{"name": "FT-1", "connected": True, "last_error": None}, {"name": "FT-2", "connected": False, "last_error": "timed out"}],
    }
    assert status_line(status) == (
        "2026-12-01T03:00:00Z status: devices 1 up, 1 down [FT-2 (timed out)]; polls 10, errors 3; spool 120 queued; "
        "written 0 lines, retries 4, quarantined 0; InfluxDB refuses writes: 401 unauthorized: check [influxdb] username and password"
    )


def _collect(site: Path, folder: Path, *options: str, seconds: float = 2.2) -> str:
    """Run `bulkdaq collect` with its output into a pipe for `seconds`, stop it with Ctrl-C; its output."""
    environment = {**os.environ, "COLUMNS": "80"}  # rich's width for a pipe: status lines must not be cut or wrapped there
    collector = subprocess.Popen(
        [BIN / "bulkdaq", "collect", site, *options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=folder, text=True, env=environment
    )
    try:
        time.sleep(seconds)
        collector.send_signal(signal.SIGINT)
        output, _ = collector.communicate(timeout=60)
    finally:
        if collector.poll() is None:
            collector.kill()
            collector.wait()
    assert collector.returncode == 0, output
    return output
