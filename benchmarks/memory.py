"""Memory: the collector's resident memory with 200 devices and 5,000 OPC UA nodes for 30 minutes — is it flat?

One `CollectorService` (spool synchronous=full → forwarder → a private influxd) collects from two sources
at once, as one site would:

* N Modbus TCP meters (default 200), each a 20-register read at 1 Hz plus a 125-register block every
  10 s, answered by the raw responder (`benchmarks/bench_site.py`) in its own process;
* M OPC UA variables (default 5,000) of the plant simulator, each changing once per second, started in
  its own process exactly as `benchmarks/opcua.py` starts it; one subscription, publishing every
  500 ms, sampling interval 0, queue size 10.

The collector runs in a process of its own (the "run" phase); influxd, the responder and the plant in
theirs, so the RSS read from the collector's /proc/self/status is the collector's alone. After a 30 s
warm-up it is measured for `DURATION_S` (default 1,800 s = 30 minutes), sampled every 10 s together
with the OPC UA notifications received, the Modbus polls and the spool depth. Reported: RSS at start,
end and maximum, the growth start → end and the least-squares slope over all measured samples (MiB/h),
and whether the collector kept up (notifications against variables × seconds, spool depth at the end).
Shorter runs for a smoke test: BULKDAQ_BENCH_MEMORY_S, BULKDAQ_BENCH_METERS, BULKDAQ_BENCH_OPCUA_VARIABLES.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_site import PlantProcess, ServerProcess, bench_devices, bench_site, machine, plant_opcua_section, rss_mib, run_phase
from benchmarks.performance_report import write_section

METERS = int(os.environ.get("BULKDAQ_BENCH_METERS", "200"))
VARIABLES = int(os.environ.get("BULKDAQ_BENCH_OPCUA_VARIABLES", "5000"))
DURATION_S = float(os.environ.get("BULKDAQ_BENCH_MEMORY_S", "1800"))
WARMUP_S = 30.0
SAMPLE_S = 10.0
TRACE_MAX = 60  # numbers in the markdown trace; more would not be read
FLAT_NOISE_MIB = 1.0  # a new high of RSS by more than this in the second half of the run counts as growth


class _ProblemLog(logging.Handler):
    """Counts the collector's warnings and errors: the phase's stderr is only shown when it fails, and a
    run that reconnected or refused writes all along must not look clean."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.first) < 5:
            self.first.append(f"{record.levelname} {record.name}: {record.getMessage()[:300]}")


async def _run(port: int, endpoint: str) -> dict[str, Any]:
    """The collector phase: run the service, sample it every `SAMPLE_S`, return the samples as JSON-able data."""
    import gc

    from bulkdaq.app.collector_service import CollectorService
    from bulkdaq.store.influx_reader import InfluxReader
    from bulkdaq.store.local_influxd import LocalInfluxd

    problems = _ProblemLog()
    logging.getLogger().addHandler(problems)
    folder = Path(tempfile.mkdtemp())
    influxd = LocalInfluxd(folder / "influxd")
    await asyncio.to_thread(influxd.start)
    with InfluxReader(influxd.url, "memory") as reader:
        reader.create_database()
    site = bench_site(
        folder, influxd.url, bench_devices(METERS, port, with_block=True), database="memory", opcua=plant_opcua_section(endpoint, VARIABLES)
    )
    service = CollectorService(site, collector_name="bench")
    assert service.opcua is not None
    plant = service.opcua.servers[0]
    # (elapsed s, RSS MiB, OPC UA notifications, Modbus polls, Modbus errors, spool depth, CPU s of this process)
    samples: list[tuple[float, float, int, int, int, int, float]] = []
    gc_objects: dict[str, int] = {}
    before_start = rss_mib()
    task = asyncio.create_task(service.run(tick_s=1.0))
    started = time.monotonic()
    try:
        for k in range(1, math.floor((WARMUP_S + DURATION_S) / SAMPLE_S) + 1):
            # Sample on a fixed grid, not sleep after sleep, so the samples do not drift apart over 30 minutes.
            await asyncio.sleep(max(0.0, started + k * SAMPLE_S - time.monotonic()))
            if task.done():
                break  # the service stopped on its own: the `await task` below raises why
            modbus = service.modbus.statuses
            samples.append((
                round(time.monotonic() - started, 1),
                rss_mib(),
                plant.notifications,
                sum(s.polls for s in modbus),
                sum(s.errors for s in modbus),
                service.spool.depth,
                time.process_time(),
            ))
            if not gc_objects and k * SAMPLE_S >= WARMUP_S:
                gc_objects["start"] = len(gc.get_objects())
        gc_objects["end"] = len(gc.get_objects())
    finally:
        service.stop()
        await task
        await asyncio.to_thread(influxd.stop)
    return {
        "before_start_mib": before_start,
        "samples": samples,
        "stored": service.writer.stats.lines_written,
        "quarantined": service.writer.stats.lines_quarantined,
        "not_submitted": plant.notifications - plant.readings_submitted,  # after stop: everything received is flushed
        "sessions": plant.sessions,
        "node_problems": len(plant.node_problems),
        "gc_objects": gc_objects,
        "log_problems": problems.count,
        "log_first": problems.first,
    }


def _slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over t [per hour]: one noisy sample at either end moves it little."""
    n = len(points)
    if n < 2:
        return float("nan")
    mean_t = sum(t for t, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (y - mean_y) for t, y in points) / spread * 3600 if spread else float("nan")


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} minutes" if seconds >= 120 else f"{seconds:.0f} s"


def _markdown(result: dict[str, Any]) -> str:
    samples = result["samples"]
    measured = [s for s in samples if s[0] >= WARMUP_S - 1]  # the sample at the end of the warm-up opens the window
    start, end = measured[0], measured[-1]
    window_s = end[0] - start[0]
    growth = end[1] - start[1]
    per_hour = growth / max(window_s, 1) * 3600
    slope = _slope_per_hour([(s[0], s[1]) for s in measured])
    notifications = end[2] - start[2]
    expected = VARIABLES * window_s
    polls = end[3] - start[3]
    errors = end[4] - start[4]
    expected_polls = METERS * (1.0 + 1.0 / 10.0) * window_s  # 1 Hz meter read + the block every 10 s
    cpu = (end[6] - start[6]) / max(window_s, 1) * 100
    step = max(1, math.ceil(len(samples) / TRACE_MAX))
    trace = ", ".join(f"{s[1]:.1f}" for s in samples[::step])
    half = len(measured) // 2
    # Flat = no new high-water mark in the second half of the window beyond allocator noise: Python's RSS
    # settles in steps during the first minutes, so the start → end difference alone would call that growth.
    rise = max(s[1] for s in measured[half:]) - max(s[1] for s in measured[:half]) if half else float("nan")
    verdict = "flat" if rise <= FLAT_NOISE_MIB else "**growing**"
    gc_objects = result["gc_objects"]
    problems = f"{result['log_problems']:,}" + (f" (first: {'; '.join(result['log_first'][:2])})" if result["log_first"] else "")
    return (
        "## Memory: collector RSS over time\n\n"
        f"One collector process runs `CollectorService` (spool synchronous=full → forwarder → private influxd) with two "
        f"sources at once: **{METERS} Modbus TCP meters** (20 registers at 1 Hz + a 125-register block every 10 s each; "
        f"raw responder, own process) and **{VARIABLES:,} OPC UA variables**, each changing once per second (plant "
        "simulator, own process; one subscription, publishing 500 ms, sampling 0, queue 10). influxd runs in its own "
        f"process too. Measured for **{_duration(DURATION_S)}** after a {WARMUP_S:.0f} s warm-up; {machine()}, shared "
        f"by the collector, the plant, the responder and influxd. RSS of the collector process from /proc/self/status, "
        f"sampled every {SAMPLE_S:.0f} s.\n\n"
        "| | time [s] | RSS [MiB] | OPC UA notifications | Modbus polls | spool depth |\n|---|---|---|---|---|---|\n"
        f"| before the service started | 0 | {result['before_start_mib']:.1f} | — | — | — |\n"
        f"| start (after warm-up) | {start[0]:.0f} | {start[1]:.1f} | {start[2]:,} | {start[3]:,} | {start[5]:,} |\n"
        f"| end | {end[0]:.0f} | {end[1]:.1f} | {end[2]:,} | {end[3]:,} | {end[5]:,} |\n"
        f"| max over the measured window | — | {max(s[1] for s in measured):.1f} | — | — | {max(s[5] for s in measured):,} |\n\n"
        f"RSS growth start → end: **{growth:+.1f} MiB** ({per_hour:+.1f} MiB/h if it went on linearly); least-squares "
        f"slope over the {len(measured)} measured samples: **{slope:+.1f} MiB/h**. Python objects (gc): "
        f"{gc_objects.get('start', 0):,} at start, {gc_objects.get('end', 0):,} at end.\n\n"
        f"Over the {window_s:.0f} s measured: OPC UA notifications delivered {notifications:,} = **{notifications / expected * 100:.1f} %** "
        f"of {VARIABLES:,} variables × {window_s:.0f} s; Modbus polls {polls:,} ({polls / expected_polls * 100:.1f} % of "
        f"{METERS} × 1.1/s), {errors:,} failed. Spool depth at the end: **{end[5]:,}** (at start {start[5]:,}). Whole run: lines stored "
        f"{result['stored']:,}, quarantined {result['quarantined']:,}; notifications received but not submitted "
        f"{result['not_submitted']:,}; OPC UA sessions {result['sessions']} (1 = no reconnect), nodes refused "
        f"{result['node_problems']}; warnings/errors logged {problems}. Collector CPU: {cpu:.0f} % of one core.\n\n"
        f"RSS every {SAMPLE_S * step:.0f} s from the start of the service [MiB]: {trace}.\n\n"
        f"Target: flat (no growth). Highest RSS of the second half of the window against the first half: "
        f"**{rise:+.1f} MiB** (flat if ≤ {FLAT_NOISE_MIB:.0f} MiB): {verdict}.\n"
    )


def main() -> None:
    """Start the responder and the plant, run the collector phase, write the `memory` section."""
    from bulkdaq.store.local_influxd import free_port

    modbus_port, plant_port = free_port(), free_port()
    while plant_port == modbus_port:  # both sockets are closed again, so the kernel may hand out one port twice
        plant_port = free_port()
    with ServerProcess("raw", modbus_port), PlantProcess(plant_port, VARIABLES) as plant:  # both stopped on exit, even on error
        result = run_phase(
            "memory",
            ["--phase", "run", "--port", str(modbus_port), "--endpoint", plant.endpoint],
            timeout_s=WARMUP_S + DURATION_S + 300,  # + start of influxd, subscribing 5,000 nodes, the final drain
        )
    markdown = _markdown(result)
    write_section("memory", markdown)
    print(markdown)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", choices=["run"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--endpoint")
    options = parser.parse_args()
    if options.phase == "run":
        print(json.dumps(asyncio.run(_run(options.port, options.endpoint))))
    else:
        main()
