"""Ingest: readings/s from collectors through the durable spool into a real influxd, against a plain POST.

Four phases against one private influxd, one after another in the same run, each in a fresh process
and each into a database of its own:

1. **raw POST** (the floor): pre-built line protocol — the same lines the Modbus collector builds for N
   meters (a `meter` point with its 8 fields and quality, and a `collector_health` point per poll) — sent
   with `httpx` in batches of 5,000 lines (the forwarder's batch size), one batch after another;
2. **spool, synchronous=full** and 3. **spool, synchronous=normal**: N collector tasks (one per meter)
   each submit their two points per poll to `DurableSpool.submit` as fast as it acknowledges them
   (points → line protocol → group commit → on disk), while `SpoolForwarder` + `InfluxWriter` drain the
   spool into InfluxDB. The rate is what InfluxDB acknowledged per second;
4. **spool, synchronous=full, with the signed evidence chain**: as 2, with the Ed25519-signed, hashed block
   per commit that `bulkdaq collect` always writes (`bulkdaq/evidence/chain.py`) — the production path.

Decoding Modbus registers is not in this figure (it is in `modbus_fanout`): the collector tasks hand over
the points a poll produced, so the spool and the forwarder are what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import tempfile
import time
from pathlib import Path

from benchmarks.bench_site import machine, meter_id, run_phase
from benchmarks.performance_report import write_section

METERS = int(os.environ.get("BULKDAQ_BENCH_METERS", "200"))
WARMUP_S = 5.0
MEASURE_S = 15.0
BATCH_LINES = 5000
# phase name -> (spool synchronous setting, with the signed evidence chain that `bulkdaq collect` always keeps)
SPOOL_PHASES = {"full": ("full", False), "normal": ("normal", False), "full_evidence": ("full", True)}


def poll_points(meter: str, poll: int, time_ms: int) -> list:
    """The two points one poll of one meter yields (as `ModbusDeviceCollector` builds them)."""
    from bulkdaq.store.line_protocol import Point

    fields = {
        "mass_total_kg": 52_314_706.281 + poll * 0.5,
        "volume_total_m3": 65_391.172 + poll * 0.000625,
        "flow_rate_kg_h": 1800.0,
        "volume_flow_m3_h": 2.25,
        "density_kg_m3": 800.0,
        "temperature_c": 25.0 + (poll % 100) * 0.001,
        "pressure_kpa": 450.0,
        "meter_factor": 1.0,
        "quality": "good",
    }
    health = {"connected": 1, "poll_ms": 1.25, "errors": 0, "spool_depth": poll % 1000, "lag_s": 0.2}
    return [
        Point("meter", {"site": "bench", "meter": meter}, fields, time_ms),
        Point("collector_health", {"site": "bench", "collector": "bench", "device": meter}, health, time_ms),
    ]


async def _raw_post(url: str, database: str) -> dict:
    import httpx

    start_ms = int(time.time() * 1000) - 3_600_000
    polls = 1200  # 2 × METERS × 1200 lines: more than the phase can send
    lines = [
        point.to_line() for poll in range(polls) for index in range(METERS) for point in poll_points(meter_id(index), poll, start_ms + poll * 1000)
    ]
    bodies = [("\n".join(lines[i : i + BATCH_LINES]) + "\n").encode() for i in range(0, len(lines), BATCH_LINES)]
    sent = 0
    async with httpx.AsyncClient(timeout=30.0) as client:
        loop = asyncio.get_running_loop()
        started = loop.time()
        measure_from = started + WARMUP_S
        cpu_start = None
        for body in itertools.cycle(bodies):  # (cycling overwrites points: as costly for influxd as new ones)
            now = loop.time()
            if now >= measure_from + MEASURE_S:
                break
            response = await client.post(f"{url}/write", params={"db": database, "precision": "ms"}, content=body)
            response.raise_for_status()
            if now >= measure_from:
                if cpu_start is None:
                    cpu_start, wall_start = time.process_time(), now
                sent += BATCH_LINES
        wall = loop.time() - wall_start
    return {"lines_per_s": sent / wall, "cpu_pct": (time.process_time() - cpu_start) / wall * 100}


async def _spool(url: str, database: str, synchronous: str, evidence: bool) -> dict:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bulkdaq.evidence.chain import EvidenceLedger
    from bulkdaq.store.forwarder import SpoolForwarder
    from bulkdaq.store.influx_writer import InfluxWriter
    from bulkdaq.store.spool import DurableSpool

    folder = Path(tempfile.mkdtemp())
    ledger = EvidenceLedger(Ed25519PrivateKey.generate()) if evidence else None  # as a site with [evidence] key_file
    spool = DurableSpool(folder / "spool.sqlite", synchronous=synchronous, ledger=ledger)  # type: ignore[arg-type]
    writer = InfluxWriter(url, database, quarantine_dir=folder / "quarantine")
    forwarder = SpoolForwarder(spool, writer, batch_size=BATCH_LINES, flush_interval_s=1.0)
    stop = False
    start_ms = int(time.time() * 1000) - 3_600_000

    async def collector(index: int) -> None:
        meter = meter_id(index)
        poll = 0
        while not stop:
            await spool.submit(poll_points(meter, poll, start_ms + poll * 1000))
            poll += 1

    forwarder.start()
    tasks = [asyncio.create_task(collector(i)) for i in range(METERS)]
    await asyncio.sleep(WARMUP_S)
    written, accepted = writer.stats.lines_written, spool.stats.accepted
    commits = spool.stats.commits
    cpu_start, wall_start = time.process_time(), time.monotonic()
    await asyncio.sleep(MEASURE_S)
    wall = time.monotonic() - wall_start
    result = {
        "lines_per_s": (writer.stats.lines_written - written) / wall,
        "accepted_per_s": (spool.stats.accepted - accepted) / wall,
        "commits_per_s": (spool.stats.commits - commits) / wall,
        "cpu_pct": (time.process_time() - cpu_start) / wall * 100,
        "depth_at_end": spool.depth,
    }
    stop = True
    await asyncio.gather(*tasks)
    await forwarder.close(drain_timeout_s=1.0)
    await writer.aclose()
    await spool.close()
    return result


def main() -> None:
    from bulkdaq.store.influx_reader import InfluxReader
    from bulkdaq.store.local_influxd import LocalInfluxd

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder, LocalInfluxd(Path(folder) / "influxd") as influxd:
        for database in ("ingest_raw", *(f"ingest_{name}" for name in SPOOL_PHASES)):
            with InfluxReader(influxd.url, database) as reader:
                reader.create_database()
        results["raw"] = run_phase("ingest", ["--phase", "raw", "--url", influxd.url, "--database", "ingest_raw"])
        for name, (synchronous, evidence) in SPOOL_PHASES.items():
            results[name] = run_phase(
                "ingest",
                ["--phase", "spool", "--synchronous", synchronous, "--url", influxd.url, "--database", f"ingest_{name}", *(["--evidence"] if evidence else [])],
            )
    raw = results["raw"]["lines_per_s"]
    rows = [f"| plain HTTP POST of pre-built lines (floor) | {raw:,.0f} | — | 100 % | {results['raw']['cpu_pct']:.0f} % |"]
    for name, (synchronous, evidence) in SPOOL_PHASES.items():
        r = results[name]
        chain = " + signed evidence chain" if evidence else ""
        rows.append(
            f"| collectors → spool (synchronous={synchronous}{chain}) → forwarder → InfluxDB | {r['lines_per_s']:,.0f} | "
            f"{r['accepted_per_s']:,.0f} ({r['commits_per_s']:.0f} commits/s) | **{r['lines_per_s'] / raw * 100:.0f} %** | {r['cpu_pct']:.0f} % |"
        )
    full_ratio = results["full"]["lines_per_s"] / raw
    production_ratio = results["full_evidence"]["lines_per_s"] / raw
    markdown = (
        "## Ingest: collectors → durable spool → InfluxDB, against a plain POST\n\n"
        f"{METERS} collector tasks (one per meter), two points per poll (`meter` with 9 fields, `collector_health` with 5); "
        f"real influxd 1.x on loopback; batches of {BATCH_LINES:,} lines; {machine()}; {WARMUP_S:.0f} s warm-up, {MEASURE_S:.0f} s "
        "measured per phase, each phase a fresh process and a database of its own. Rate = lines InfluxDB acknowledged per "
        "second (1 line = 1 point). CPU = the client process (influxd not included).\n\n"
        "| path | lines stored/s | lines accepted by the spool/s | vs raw POST | client CPU |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nTarget ≥ 70 % of the raw POST rate with the spool's durability on (synchronous=full): **{full_ratio * 100:.0f} %** "
        f"({'met' if full_ratio >= 0.7 else 'not met'}); with the signed evidence chain as `bulkdaq collect` runs it: "
        f"**{production_ratio * 100:.0f} %**.\n"
    )
    write_section("ingest", markdown)
    print(markdown)
    print(json.dumps(results))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", choices=["raw", "spool"])
    parser.add_argument("--url")
    parser.add_argument("--database")
    parser.add_argument("--synchronous", default="full")
    parser.add_argument("--evidence", action="store_true")
    options = parser.parse_args()
    if options.phase == "raw":
        print(json.dumps(asyncio.run(_raw_post(options.url, options.database))))
    elif options.phase == "spool":
        print(json.dumps(asyncio.run(_spool(options.url, options.database, options.synchronous, options.evidence))))
    else:
        main()
