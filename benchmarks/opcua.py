"""OPC UA benchmark: N variables changing at 1 Hz → collector → InfluxDB, against a bare asyncua client.

The plant simulator runs in its own process (`bulkdaq simulate plant --bulk-variables N`), so its CPU
is not charged to either client. Two phases, one after the other, in the same run and on the same
plant: (1) a bare asyncua subscription client that only counts notifications, (2) `CollectorService`
with the OPC UA collector, the durable spool and the forwarder, writing every value into a private
influxd. Each phase runs in its own
process and reports notifications/s, lag from source timestamp (bare: to receipt; collector: to
*stored*, i.e. when InfluxDB acknowledged the batch) and the CPU time of its process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_site import PLANT_NAMESPACE, PlantProcess, plant_identifier
from benchmarks.performance_report import write_section

VARIABLES = int(os.environ.get("BULKDAQ_BENCH_OPCUA_VARIABLES", "5000"))
WARMUP_S = 8.0
MEASURE_S = 20.0
REPO = Path(__file__).resolve().parents[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _bare(endpoint: str, variables: int) -> dict:
    from asyncua import Client, ua
    from asyncua.common.subscription import DataChangeEvent

    lags: list[float] = []
    count = 0
    async with Client(endpoint) as client:
        ns = await client.get_namespace_index(PLANT_NAMESPACE)
        subscription = await client.create_subscription(500, None, queue_maxsize=0)
        nodes = [client.get_node(ua.NodeId(plant_identifier(i), ns)) for i in range(variables)]
        for start in range(0, len(nodes), 1000):
            await subscription.subscribe_data_change(nodes[start : start + 1000], sampling_interval=0)
        loop = asyncio.get_running_loop()
        warm_until = loop.time() + WARMUP_S
        end = warm_until + MEASURE_S
        cpu_start = None
        async for event in subscription:
            now = loop.time()
            if now >= end:
                break
            if not isinstance(event, DataChangeEvent):
                continue
            if now < warm_until:
                continue
            if cpu_start is None:
                cpu_start = time.process_time()
            count += 1
            source = event.data.monitored_item.Value.SourceTimestamp
            lags.append(time.time() - source.timestamp())
        cpu = time.process_time() - (cpu_start or time.process_time())
    return {"notifications": count, "cpu_s": cpu, "lags": lags[::10]}


async def _collector(endpoint: str, variables: int, influx_url: str, database: str) -> dict:
    """The production path: `CollectorService` (collector → durable spool → forwarder → InfluxDB)."""
    from bulkdaq.app.collector_service import CollectorService
    from bulkdaq.config.site_file import load_site

    lags: list[float] = []
    stored = 0
    measuring = False
    folder = Path(tempfile.mkdtemp())
    nodes = "".join(
        f'[[opcua.servers.nodes]]\nnode_id = "s={plant_identifier(i)}"\nmeasurement = "signal"\nasset = "{plant_identifier(i)}"\nfield = "value"\n'
        for i in range(variables)
    )
    site_file = folder / "bench.toml"
    site_file.write_text(
        f'[site]\nname = "bench"\n[influxdb]\nurl = "{influx_url}"\ndatabase = "{database}"\nflush_interval_s = 0.2\n'
        f'quarantine_dir = "{folder / "quarantine"}"\n[spool]\npath = "{folder / "spool.sqlite"}"\n'
        f'[[opcua.servers]]\nname = "bench"\nendpoint = "{endpoint}"\nnamespace_uri = "{PLANT_NAMESPACE}"\n'
        "publishing_interval_ms = 500\nsampling_interval_ms = 0\nqueue_size = 10\nstale_after_s = 30\n" + nodes,
        encoding="utf-8",
    )
    service = CollectorService(load_site(site_file), collector_name="bench")
    real_writer = service.forwarder.writer

    class TimedWriter:
        """The real writer; notes, per stored line, how long after its source timestamp it was stored."""

        async def write_text(self, text: str, line_count: int) -> None:
            nonlocal stored
            await real_writer.write_text(text, line_count)
            if measuring:
                now_ms = time.time() * 1000
                signal_lines = [line for line in text.split("\n") if line.startswith("signal")]
                lags.extend((now_ms - int(line.rsplit(" ", 1)[1])) / 1000 for line in signal_lines[::10])
                stored += len(signal_lines)

    service.forwarder.writer = TimedWriter()  # type: ignore[assignment]
    assert service.opcua is not None
    collector = service.opcua.servers[0]
    task = asyncio.create_task(service.run(tick_s=1.0))
    await asyncio.sleep(WARMUP_S)
    measuring = True
    cpu_start = time.process_time()
    received_start = collector.notifications
    await asyncio.sleep(MEASURE_S)
    measuring = False
    cpu = time.process_time() - cpu_start
    received = collector.notifications - received_start
    service.stop()
    await task
    return {"notifications": received, "stored": stored, "cpu_s": cpu, "lags": lags,
            "dropped": collector.notifications - collector.readings_submitted}


def _phase(args: list[str]) -> dict:
    result = subprocess.run([sys.executable, "-m", "benchmarks.opcua", *args], capture_output=True, text=True, cwd=REPO, timeout=180)
    if result.returncode != 0:
        raise RuntimeError(f"benchmark phase {args[:2]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run both phases against one plant process and write the `opcua` section of docs/performance.md."""
    from bulkdaq.store.influx_reader import InfluxReader
    from bulkdaq.store.local_influxd import LocalInfluxd, free_port

    with tempfile.TemporaryDirectory() as folder, LocalInfluxd(Path(folder) / "influxd") as influxd:
        reader = InfluxReader(influxd.url, "bench_opcua")
        reader.create_database()
        with PlantProcess(free_port(), VARIABLES) as plant:
            bare = _phase(["--phase", "bare", "--endpoint", plant.endpoint])
            collector = _phase(["--phase", "collector", "--endpoint", plant.endpoint, "--influx-url", influxd.url, "--database", "bench_opcua"])
        in_db = reader.query("SELECT count(value) FROM signal")[0].values[0][1]
        reader.close()
    rows = []
    for name, result in (("bare asyncua client (counts only)", bare), ("bulkdaq collector → InfluxDB", collector)):
        rate = result["notifications"] / MEASURE_S
        rows.append(
            f"| {name} | {rate:,.0f} | {statistics.median(result['lags']):.3f} | {_percentile(result['lags'], 0.99):.3f} | "
            f"{result['cpu_s'] / MEASURE_S * 100:.0f} % |"
        )
    ratio = collector["cpu_s"] / bare["cpu_s"] if bare["cpu_s"] else float("nan")
    markdown = (
        "## OPC UA: plant variables at 1 Hz → collector → InfluxDB\n\n"
        f"{VARIABLES:,} variables, each changing once per second on the plant simulator (own process); subscription "
        f"publishing every 500 ms; {WARMUP_S:.0f} s warm-up, {MEASURE_S:.0f} s measured per phase. Lag: bare client from "
        "source timestamp to receipt; collector from source timestamp to **stored** (InfluxDB acknowledged the batch).\n\n"
        "| client | notifications/s | median lag [s] | p99 lag [s] | CPU of its process |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nCollector CPU / bare client CPU: **{ratio:.2f}×** (target ≤ 2×). Delivered: {collector['notifications'] / MEASURE_S / VARIABLES * 100:.1f} % "
        f"of {VARIABLES:,}/s (target 100 %); notifications received but not submitted: {collector['dropped']}; "
        f"points in InfluxDB after the run: {in_db:,}.\n"
    )
    write_section("opcua", markdown)
    print(markdown)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", choices=["bare", "collector"])
    parser.add_argument("--endpoint")
    parser.add_argument("--influx-url")
    parser.add_argument("--database")
    options = parser.parse_args()
    if options.phase == "bare":
        print(json.dumps(asyncio.run(_bare(options.endpoint, VARIABLES))))
    elif options.phase == "collector":
        print(json.dumps(asyncio.run(_collector(options.endpoint, VARIABLES, options.influx_url, options.database))))
    else:
        main()
