"""Signed chain heads published by the collector: at start, every `[evidence] head_interval_s` and once
after the last readings, through the spool (so an InfluxDB outage delays them, never loses them); each
verifies with the site's public key and names a block of the spool's evidence chain."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.site_file import load_site
from bulkdaq.evidence.chain import create_site_key, load_public_key, read_blocks
from bulkdaq.evidence.heads import ChainHead
from bulkdaq.store.influx_reader import InfluxReader
from bulkdaq.store.local_influxd import LocalInfluxd, free_port
from simulators.flowmeter import FlowmeterSimulator, MeterRun
from simulators.loading_profile import LoadingProfile
from simulators.scenario_clock import ScenarioClock
from site_files import device, meter, point

INTERVAL_S = 0.5


def _site_file(folder: Path, influx_url: str, database: str, modbus_port: int, *, key_file: Path | None, interval_s: float = INTERVAL_S) -> Path:
    evidence = f'[evidence]\nkey_file = "{key_file}"\nhead_interval_s = {interval_s}\n' if key_file else ""
    path = folder / f"site-{interval_s:g}.toml"
    path.write_text(
        f"""
[site]
name = "head-site"

[influxdb]
url = "{influx_url}"
database = "{database}"
flush_interval_s = 0.1
max_retry_delay_s = 0.3
quarantine_dir = "{folder / 'quarantine'}"

[spool]
path = "{folder / 'spool.sqlite'}"

{evidence}
""" + device("FT-1", modbus_port, point(0, "float64", "FT-1", "mass_total_kg"), poll=0.1) + meter("FT-1"),
        encoding="utf-8",
    )
    return path


async def _run(service: CollectorService, seconds: float, during=None) -> None:  # noqa: ANN001
    async def stop_later() -> None:
        if during is not None:
            await during()
        await asyncio.sleep(seconds)
        service.stop()

    await asyncio.gather(service.run(tick_s=0.05), stop_later())


def _stored_heads(reader: InfluxReader) -> list[ChainHead]:
    series = reader.query("SELECT seq, hash, signature FROM evidence_head GROUP BY site")
    return [
        ChainHead(s.tags["site"], row["seq"], row["hash"], round(row["time"].timestamp() * 1000), row["signature"])
        for s in series
        for row in s.rows()
    ]


def _line_of(head: ChainHead) -> str:
    return head.to_point().to_line()


async def test_heads_are_published_signed_and_name_blocks_of_the_chain_across_an_outage_and_a_restart(tmp_path: Path) -> None:
    create_site_key(tmp_path / "site.key", tmp_path / "site.pub")
    public_key = load_public_key((tmp_path / "site.pub").read_bytes())
    influx_port, modbus_port = free_port(), free_port()
    site = load_site(_site_file(tmp_path, f"http://127.0.0.1:{influx_port}", "heads", modbus_port, key_file=tmp_path / "site.key"))
    assert site.config.evidence.head_interval_s == INTERVAL_S
    device_config = site.config.modbus.devices[0]
    meter_server = FlowmeterSimulator(device_config, {"FT-1": MeterRun(LoadingProfile(1e6, 1e6, 60, 60))}, ScenarioClock(1.0)).server()
    await meter_server.start()
    influxd = LocalInfluxd(tmp_path / "influxd", port=influx_port)
    try:
        # Run 1 starts with InfluxDB down: its heads wait in the spool and arrive once it is back.
        first = CollectorService(site, collector_name="test")

        async def outage_then_influxd() -> None:
            await asyncio.sleep(1.5)
            await asyncio.to_thread(influxd.start)
            with InfluxReader(influxd.url, "heads") as creating:
                creating.create_database()

        started = asyncio.get_running_loop().time()
        await _run(first, 1.5, during=outage_then_influxd)
        first_run_s = asyncio.get_running_loop().time() - started
        blocks_after_first = read_blocks(tmp_path / "spool.sqlite")
        assert first.spool.depth == 0  # everything, heads included, reached InfluxDB before the stop
        # Run 2, a restart with heads due only every minute: it publishes the head at start, which witnesses
        # the chain exactly as run 1 left it, and the one after its last readings — nothing else.
        slow = load_site(_site_file(tmp_path, influxd.url, "heads", modbus_port, key_file=tmp_path / "site.key", interval_s=60))
        second = CollectorService(slow, collector_name="test")
        await _run(second, 1.0)
    finally:
        await meter_server.stop()
        with InfluxReader(influxd.url, "heads") as reader:
            heads = _stored_heads(reader)
        await asyncio.to_thread(influxd.stop)

    blocks = {b.seq: b for b in read_blocks(tmp_path / "spool.sqlite")}
    assert len(heads) == first.heads_published + second.heads_published
    assert {head.site for head in heads} == {"head-site"}
    assert all(head.verify(public_key) for head in heads)
    other_key = load_public_key(_other_public_key(tmp_path))
    assert not any(head.verify(other_key) for head in heads)
    assert all(head.seq in blocks and blocks[head.seq].hash == head.hash for head in heads), "a head names a block the chain does not have"

    first_heads = [h for h in heads if h.time_ms <= first.last_head.time_ms]  # type: ignore[union-attr]
    second_heads = heads[len(first_heads):]
    # One head per interval while run 1 lasted, plus the final one; never further apart than the interval allows.
    assert abs(len(first_heads) - (first_run_s / INTERVAL_S + 1)) <= 2, (first_run_s, [h.time_ms for h in first_heads])
    spacing_s = [(b.time_ms - a.time_ms) / 1000 for a, b in zip(first_heads, first_heads[1:], strict=False)]
    assert max(spacing_s) <= INTERVAL_S + 0.4, spacing_s
    assert [h.seq for h in heads] == sorted(h.seq for h in heads) and len({h.seq for h in heads}) == len(heads)

    # Run 1's last head comes after its last readings: the only later block is the one holding that head.
    last_of_first = blocks_after_first[-1]
    assert last_of_first.lines == (_line_of(first_heads[-1]),)
    assert (first_heads[-1].seq, first_heads[-1].hash) == (blocks_after_first[-2].seq, blocks_after_first[-2].hash)
    # Run 2: the head at start names run 1's last block and is alone in the next one (taken before any
    # reading); the head at shutdown names the block of run 2's last readings and is alone in the last block.
    start_head, final_head = second_heads
    assert (start_head.seq, start_head.hash) == (last_of_first.seq, last_of_first.hash)
    assert blocks[last_of_first.seq + 1].lines == (_line_of(start_head),)
    newest = max(blocks)
    assert blocks[newest].lines == (_line_of(final_head),) and final_head == second.last_head
    assert final_head.seq == newest - 1 and any(line.startswith("meter,") for line in blocks[newest - 1].lines)


async def test_no_key_no_heads(influx_db: InfluxReader, tmp_path: Path) -> None:
    """Without a signing key nothing is published (an unsigned head would prove nothing)."""
    modbus_port = free_port()
    site = load_site(_site_file(tmp_path, influx_db.url, influx_db.database, modbus_port, key_file=None))
    meter_server = FlowmeterSimulator(site.config.modbus.devices[0], {"FT-1": MeterRun(LoadingProfile(1e6, 1e6, 60, 60))}, ScenarioClock(1.0)).server()
    await meter_server.start()
    try:
        service = CollectorService(site, collector_name="test")
        await _run(service, 1.2)
    finally:
        await meter_server.stop()
    assert service.heads_published == 0
    assert influx_db.query("SELECT count(quality) FROM meter")[0].values[0][1] > 5  # it did collect
    assert influx_db.query("SELECT count(seq) FROM evidence_head") == []


def _other_public_key(folder: Path) -> bytes:
    create_site_key(folder / "other.key", folder / "other.pub")
    return (folder / "other.pub").read_bytes()
