"""Catch-up: InfluxDB goes away at full load, comes back, and the spool drains its backlog.

The whole benchmark site at once: N meters at 1 Hz plus a 125-register block per meter every 10 s, on
the raw responder (own process), and V OPC UA variables changing once per second on the plant simulator
(own process), through one `CollectorService` (spool synchronous=full) into a private influxd. After a
warm-up influxd is stopped for `OUTAGE_S` (10 minutes by default; `BULKDAQ_BENCH_OUTAGE_S` shortens it for
a quick look), then started again on the same port. Collecting goes on throughout. Sampled every 100 ms:
the spool depth and the lines InfluxDB acknowledged. Reported:

* arrival rate (lines/s accepted by the spool before the outage);
* backlog when influxd came back; time from influxd answering again to the first stored batch (the
  writer's retry backoff, capped by `max_retry_delay_s`, shown for the default 30 s and for 2 s);
* drain time and drain rate (lines stored/s from the first stored batch until the spool is back to its
  steady depth) and its ratio to the arrival rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from benchmarks.bench_site import PlantProcess, ServerProcess, bench_devices, bench_site, machine, plant_opcua_section, run_phase
from benchmarks.performance_report import write_section

METERS = int(os.environ.get("BULKDAQ_BENCH_METERS", "200"))
VARIABLES = int(os.environ.get("BULKDAQ_BENCH_OPCUA_VARIABLES", "5000"))
OUTAGE_S = float(os.environ.get("BULKDAQ_BENCH_OUTAGE_S", "600"))
WARMUP_S = 20.0  # the OPC UA subscription of thousands of nodes is up within a few seconds
RATE_WINDOW_S = 10.0


async def _run(port: int, endpoint: str, max_retry_delay_s: float) -> dict:
    from bulkdaq.app.collector_service import CollectorService
    from bulkdaq.store.influx_reader import InfluxReader
    from bulkdaq.store.local_influxd import LocalInfluxd

    folder = Path(tempfile.mkdtemp())
    influxd = LocalInfluxd(folder / "influxd")
    await asyncio.to_thread(influxd.start)
    with InfluxReader(influxd.url, "catch_up") as reader:
        reader.create_database()
    site = bench_site(
        folder, influxd.url, bench_devices(METERS, port, with_block=True), database="catch_up", max_retry_delay_s=max_retry_delay_s,
        opcua=plant_opcua_section(endpoint, VARIABLES),
    )
    service = CollectorService(site, collector_name="bench")
    samples: list[tuple[float, int, int]] = []  # (monotonic time, spool depth, lines stored)

    async def sample() -> None:
        while True:
            samples.append((time.monotonic(), service.spool.depth, service.writer.stats.lines_written))
            await asyncio.sleep(0.1)

    task = asyncio.create_task(service.run(tick_s=1.0))
    sampler = asyncio.create_task(sample())
    try:
        await asyncio.sleep(WARMUP_S - RATE_WINDOW_S / 2)
        accepted_before, t_before = service.spool.stats.accepted, time.monotonic()
        await asyncio.sleep(RATE_WINDOW_S / 2)
        steady_depth = max(d for _, d, _ in samples[-50:])
        await asyncio.to_thread(influxd.stop)
        stopped = time.monotonic()
        await asyncio.sleep(OUTAGE_S)
        await asyncio.to_thread(influxd.start)
        back = time.monotonic()
        backlog = service.spool.depth
        spool_bytes_at_back = service.spool.size_bytes
        stored_at_back = service.writer.stats.lines_written
        arrival = (service.spool.stats.accepted - accepted_before) / (back - t_before)  # over the outage too: full load throughout
        deadline = back + max_retry_delay_s + 600
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            if service.writer.stats.lines_written > stored_at_back and service.spool.depth <= max(steady_depth, arrival * 1.5):
                break
        caught_up = time.monotonic()
    finally:
        sampler.cancel()
        service.stop()
        await task
        await asyncio.to_thread(influxd.stop)
    first_write = next(t for t, _, stored in samples if t >= back and stored > stored_at_back)
    stored_during = service.writer.stats.lines_written - stored_at_back
    drain_s = max(caught_up - first_write, 0.1)
    return {
        "arrival_per_s": arrival,
        "outage_s": back - stopped,
        "backlog": backlog,
        "retry_wait_s": first_write - back,
        "drain_s": drain_s,
        "drain_per_s": stored_during / (caught_up - first_write + 0.1),
        "steady_depth": steady_depth,
        "retries": service.writer.stats.retries,
        "quarantined": service.writer.stats.lines_quarantined,
        "opcua_sessions": service.opcua.servers[0].sessions if service.opcua else 0,
        "spool_bytes_at_back": spool_bytes_at_back,
    }


def main() -> None:
    from bulkdaq.store.local_influxd import free_port

    port, plant_port = free_port(), free_port()
    results = {}
    with ServerProcess("raw", port), PlantProcess(plant_port, VARIABLES) as plant:
        for retry in (30.0, 2.0):
            results[retry] = run_phase(
                "catch_up", ["--phase", "run", "--port", str(port), "--endpoint", plant.endpoint, "--max-retry-delay", str(retry)],
                timeout_s=OUTAGE_S + 1200,
            )
    rows = []
    for retry, r in results.items():
        rows.append(
            f"| {retry:g} s{' (default)' if retry == 30.0 else ''} | {r['arrival_per_s']:,.0f} | {r['outage_s']:.0f} s | {r['backlog']:,} | "
            f"{r['spool_bytes_at_back'] / 2**20:,.0f} MiB | {r['retry_wait_s']:.1f} s | {r['drain_s']:.1f} s | {r['drain_per_s']:,.0f} | "
            f"**{r['drain_per_s'] / r['arrival_per_s']:.0f}×** | {r['quarantined']} | {r['opcua_sessions']} |"
        )
    ratio = min(r["drain_per_s"] / r["arrival_per_s"] for r in results.values())
    markdown = (
        "## Catch-up after an InfluxDB outage at full load\n\n"
        f"{METERS} Modbus meters at 1 Hz + a 125-register block per meter every 10 s (raw responder, own process) and "
        f"{VARIABLES:,} OPC UA variables changing once per second (plant simulator, own process) → one `CollectorService` "
        f"(spool synchronous=full) → private influxd, which is stopped for **{OUTAGE_S:.0f} s ({OUTAGE_S / 60:.1f} min)** and started again. "
        f"Collecting goes on throughout. {machine()}. Drain = "
        "from the first batch stored after the restart until the spool is back to its steady depth; *retry wait* = from influxd "
        "answering again to that first batch (the writer's capped exponential backoff).\n\n"
        "| writer max_retry_delay_s | arrival [lines/s] | outage | backlog [lines] | spool on disk | retry wait | drain time | drain [lines/s] "
        "| drain / arrival | quarantined | OPC UA sessions |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nTarget: drains at ≥ 5× the arrival rate: **{ratio:.0f}×** ({'met' if ratio >= 5 else 'not met'}). Time to be "
        "current again = retry wait + drain time.\n"
    )
    write_section("catch_up", markdown)
    print(markdown)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", choices=["run"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--endpoint")
    parser.add_argument("--max-retry-delay", type=float, default=30.0)
    options = parser.parse_args()
    if options.phase == "run":
        print(json.dumps(asyncio.run(_run(options.port, options.endpoint, options.max_retry_delay))))
    else:
        main()
