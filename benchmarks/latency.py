"""End-to-end latency: from a value's change in the device to the value being queryable in InfluxDB.

N meters on the raw responder (`benchmarks/bench_site.py`, own process); each serves its device clock
(float64, registers 20…23), which steps once per second, each unit at its own phase within the second
(so the wait for the next poll covers the whole 0–1 s range over the meters) — one change per second,
and the changed value *is* the time of the change. The full production chain runs:
`CollectorService` (Modbus collector at 1 Hz → durable spool, synchronous=full → forwarder → InfluxDB).

Two measures, both from the change instant `v` (the value itself):

* **stored**, for every meter: when InfluxDB acknowledged (HTTP 204) the first batch holding a line with
  `device_clock_s=v` — after a 204, InfluxDB 1.x answers queries with the point;
* **queried**, independently, for one meter: an InfluxQL `SELECT last(device_clock_s)` every 50 ms; the
  first time it returns `v`.

Run with the default forwarder flush interval (1 s) and with 0.2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.bench_site import ServerProcess, bench_devices, bench_site, machine, meter_id, percentile, run_phase
from benchmarks.performance_report import write_section

METERS = int(os.environ.get("BULKDAQ_BENCH_METERS", "200"))
WARMUP_S = 8.0
MEASURE_S = 40.0
CLOCK_VALUE = re.compile(r"device_clock_s=([0-9.e+]+)")


async def _measure(port: int, influx_url: str, database: str, flush_interval_s: float) -> dict:
    import httpx

    from bulkdaq.app.collector_service import CollectorService

    folder = Path(tempfile.mkdtemp())
    site = bench_site(folder, influx_url, bench_devices(METERS, port, with_clock=True), database=database, flush_interval_s=flush_interval_s)
    service = CollectorService(site, collector_name="bench")
    real_writer = service.forwarder.writer
    stored_at: dict[tuple[str, float], float] = {}
    measuring = False

    class TimedWriter:
        """The real writer; notes when each device-clock value was first acknowledged by InfluxDB."""

        async def write_text(self, text: str, line_count: int) -> None:
            await real_writer.write_text(text, line_count)
            if not measuring:
                return
            now = time.time()
            for line in text.split("\n"):
                if line.startswith("meter,"):
                    match = CLOCK_VALUE.search(line)
                    if match:
                        key = (line.split("meter=", 1)[1].split(" ", 1)[0], float(match.group(1)))
                        stored_at.setdefault(key, now)

    service.forwarder.writer = TimedWriter()  # type: ignore[assignment]
    queried: dict[float, float] = {}

    async def query_one_meter() -> None:
        query = f"SELECT last(device_clock_s) FROM meter WHERE meter = '{meter_id(0)}'"
        async with httpx.AsyncClient(timeout=5.0) as client:
            while True:
                response = await client.get(f"{influx_url}/query", params={"db": database, "q": query})
                series = response.json()["results"][0].get("series")
                if series and measuring:
                    queried.setdefault(float(series[0]["values"][0][1]), time.time())
                await asyncio.sleep(0.05)

    task = asyncio.create_task(service.run(tick_s=1.0))
    querier = asyncio.create_task(query_one_meter())
    await asyncio.sleep(WARMUP_S)
    measuring = True
    first_change = time.time() + 1
    cpu_start = time.process_time()
    await asyncio.sleep(MEASURE_S)
    cpu = time.process_time() - cpu_start
    last_change = time.time() - 3  # later changes may still be on their way
    measuring = False
    querier.cancel()
    service.stop()
    await task
    stored = [t - v for (_, v), t in stored_at.items() if first_change <= v <= last_change]
    expected = METERS * round(last_change - first_change)
    by_query = [t - v for v, t in queried.items() if first_change <= v <= last_change]
    return {
        "stored": [round(x, 4) for x in stored],
        "queried": [round(x, 4) for x in by_query],
        "missing": expected - len(stored),
        "cpu_pct": cpu / MEASURE_S * 100,
    }


def main() -> None:
    from bulkdaq.store.influx_reader import InfluxReader
    from bulkdaq.store.local_influxd import LocalInfluxd, free_port

    port = free_port()
    results = {}
    with tempfile.TemporaryDirectory() as folder, LocalInfluxd(Path(folder) / "influxd") as influxd, ServerProcess("raw", port):
        for flush in (1.0, 0.2):
            database = f"latency_{int(flush * 1000)}ms"
            with InfluxReader(influxd.url, database) as reader:
                reader.create_database()
            results[flush] = run_phase("latency", ["--phase", "measure", "--port", str(port), "--url", influxd.url, "--database", database, "--flush", str(flush)])
    rows = []
    for flush, r in results.items():
        rows.append(
            f"| {flush:g} s | {statistics.median(r['stored']):.2f} | {percentile(r['stored'], 0.99):.2f} | {max(r['stored']):.2f} | "
            f"{statistics.median(r['queried']):.2f} | {percentile(r['queried'], 0.99):.2f} | {len(r['stored']):,} | {r['missing']} | {r['cpu_pct']:.0f} % |"
        )
    default_p99 = percentile(results[1.0]["stored"], 0.99)
    markdown = (
        "## End-to-end latency: value changes in the device → queryable in InfluxDB\n\n"
        f"{METERS} meters polled at 1 Hz through `CollectorService` (Modbus → spool synchronous=full → forwarder → real influxd); "
        "each meter's device clock steps once per second (meters at 20 different phases of the second) and the new value is the time of the change. *Stored* = InfluxDB "
        f"acknowledged the batch holding the value (all meters); *queried* = an InfluxQL `last()` polled every 50 ms first returned "
        f"it (one meter). {machine()}; {WARMUP_S:.0f} s warm-up, {MEASURE_S:.0f} s measured per setting, each a fresh process. "
        "The latency includes the wait for the next poll (0–1 s at 1 Hz).\n\n"
        "| forwarder flush interval | stored median [s] | stored p99 [s] | stored max [s] | queried median [s] | queried p99 [s] | changes | changes no poll saw | collector CPU |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nTarget p99 ≤ 2 s with the default settings (flush interval 1 s): **{default_p99:.2f} s** ({'met' if default_p99 <= 2 else 'not met'}).\n"
    )
    write_section("latency", markdown)
    print(markdown)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", choices=["measure"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--url")
    parser.add_argument("--database")
    parser.add_argument("--flush", type=float, default=1.0)
    options = parser.parse_args()
    if options.phase == "measure":
        print(json.dumps(asyncio.run(_measure(options.port, options.url, options.database, options.flush))))
    else:
        main()
