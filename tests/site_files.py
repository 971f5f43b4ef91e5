"""Site TOML texts for tests, built from small pieces so each test shows only what it changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

HEADER = """
[site]
name = "test-site"

[influxdb]
url = "{url}"
database = "{database}"
flush_interval_s = 0.2
quarantine_dir = "{quarantine}"

[spool]
path = "{spool}"
"""


def device(name: str, port: int, points: str, *, unit_id: int = 1, poll: float = 0.2, timeout: float = 0.5,
           word_order: str = "big", byte_order: str = "big", host: str = "127.0.0.1") -> str:
    return f"""
[[modbus.devices]]
name = "{name}"
host = "{host}"
port = {port}
unit_id = {unit_id}
poll_interval_s = {poll}
timeout_s = {timeout}
byte_order = "{byte_order}"
word_order = "{word_order}"
{points}
"""


def point(address: int, data_type: str, asset: str, field: str, *, register: str = "holding", measurement: str = "meter",
          extra: str = "") -> str:
    return f"""
[[modbus.devices.points]]
name = "{field}"
register = "{register}"
address = {address}
data_type = "{data_type}"
measurement = "{measurement}"
asset = "{asset}"
field = "{field}"
{extra}
"""


def meter(meter_id: str, extra: str = "") -> str:
    return f"""
[[meters]]
id = "{meter_id}"
kind = "coriolis"
{extra}
"""


def write_site(folder: Path, body: str, *, url: str = "http://127.0.0.1:8086", database: str = "bulkdaq", name: str = "site.toml") -> Path:
    path = folder / name
    quarantine = folder / "quarantine"
    spool = folder / "spool.sqlite"
    path.write_text(HEADER.format(url=url, database=database, quarantine=quarantine, spool=spool) + body, encoding="utf-8")
    return path


def spooled(path: Path) -> int:
    """Readings waiting in a spool file for InfluxDB (0 when the file or its table does not exist yet)."""
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT coalesce(sum(line_count), 0) FROM reading_batch").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def plant_drafts(endpoint: str, vessel: str, *, name: str = "plant-dcs", publishing_ms: float = 100.0, sampling_ms: float = 50.0,
                 queue_size: int = 10, stale_after_s: float = 3.0) -> str:
    """An `[[opcua.servers]]` section reading the six draft marks of `vessel` from the plant simulator at `endpoint`
    (tags ``VESSEL.DraftFwdPort`` … in urn:bulkdaq:plant) into the `draft` measurement (fields ``fwd_port_m`` …)."""
    tags = {"fwd_port": "DraftFwdPort", "fwd_stbd": "DraftFwdStbd", "mid_port": "DraftMidPort",
            "mid_stbd": "DraftMidStbd", "aft_port": "DraftAftPort", "aft_stbd": "DraftAftStbd"}
    nodes = "".join(f"""
[[opcua.servers.nodes]]
node_id = "s={vessel}.{tag}"
measurement = "draft"
asset = "{vessel}"
field = "{mark}_m"
""" for mark, tag in tags.items())
    return f"""
[[opcua.servers]]
name = "{name}"
endpoint = "{endpoint}"
namespace_uri = "urn:bulkdaq:plant"
publishing_interval_ms = {publishing_ms}
sampling_interval_ms = {sampling_ms}
queue_size = {queue_size}
stale_after_s = {stale_after_s}
reconnect_max_delay_s = 1.0
health_interval_s = 0.25
{nodes}"""
