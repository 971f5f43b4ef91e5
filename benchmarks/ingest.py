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

Every phase is repeated `BULKDAQ_BENCH_ROUNDS` times (default 3), the four phases one after another in each
round, and each spool phase is divided by the raw POST of its own round: the machines are shared, and a
ratio is only fair against a floor measured minutes apart. The page reports the spread over the rounds,
lowest first, because one run can land anywhere in it (a re-run once gave 42 % where three runs before had
given 56–64 %).

Each collector task names itself when it submits (`source=`), as the real collectors do, so the spool keeps
each source's last commit (the record a restart gap is built from) and that cost is in the figure.

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
ROUNDS = int(os.environ.get("BULKDAQ_BENCH_ROUNDS", "3"))
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
            await spool.submit(poll_points(meter, poll, start_ms + poll * 1000), source=meter)
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

    rounds: list[dict[str, dict]] = []
    with tempfile.TemporaryDirectory() as folder, LocalInfluxd(Path(folder) / "influxd") as influxd:
        for round_ in range(ROUNDS):
            databases = {name: f"ingest_{name}_{round_}" for name in ("raw", *SPOOL_PHASES)}
            for database in databases.values():
                with InfluxReader(influxd.url, database) as reader:
                    reader.create_database()
            results = {"raw": run_phase("ingest", ["--phase", "raw", "--url", influxd.url, "--database", databases["raw"]])}
            for name, (synchronous, evidence) in SPOOL_PHASES.items():
                results[name] = run_phase(
                    "ingest",
                    ["--phase", "spool", "--synchronous", synchronous, "--url", influxd.url, "--database", databases[name],
                     *(["--evidence"] if evidence else [])],
                )
            rounds.append(results)

    def ratios(name: str) -> list[float]:
        return sorted(r[name]["lines_per_s"] / r["raw"]["lines_per_s"] * 100 for r in rounds)

    def spread(values: list[float], unit: str = " %") -> str:
        if len(values) == 1:
            return f"{values[0]:,.0f}{unit}"
        return f"{values[0]:,.0f}–{values[-1]:,.0f}{unit} (median {values[len(values) // 2]:,.0f}{unit})"

    raw_rates = sorted(r["raw"]["lines_per_s"] for r in rounds)
    rows = [f"| plain HTTP POST of pre-built lines (floor) | {spread(raw_rates, '')} | — | 100 % | "
            f"{spread(sorted(r['raw']['cpu_pct'] for r in rounds))} |"]
    for name, (synchronous, evidence) in SPOOL_PHASES.items():
        chain = " + signed evidence chain" if evidence else ""
        rows.append(
            f"| collectors → spool (synchronous={synchronous}{chain}) → forwarder → InfluxDB | "
            f"{spread(sorted(r[name]['lines_per_s'] for r in rounds), '')} | "
            f"{spread(sorted(r[name]['accepted_per_s'] for r in rounds), '')} | **{spread(ratios(name))}** | "
            f"{spread(sorted(r[name]['cpu_pct'] for r in rounds))} |"
        )
    full, production = ratios("full"), ratios("full_evidence")
    per_round = "; ".join(
        f"round {i + 1}: " + ", ".join(f"{name} {r[name]['lines_per_s'] / r['raw']['lines_per_s'] * 100:.0f} %" for name in SPOOL_PHASES)
        for i, r in enumerate(rounds)
    )
    markdown = (
        "## Ingest: collectors → durable spool → InfluxDB, against a plain POST\n\n"
        f"{METERS} collector tasks (one per meter, each naming itself as the source of its readings), two points per poll "
        f"(`meter` with 9 fields, `collector_health` with 5); real influxd 1.x on loopback; batches of {BATCH_LINES:,} lines; "
        f"{machine()}; {WARMUP_S:.0f} s warm-up, {MEASURE_S:.0f} s measured per phase, each phase a fresh process and a "
        f"database of its own; {len(rounds)} round{'s' if len(rounds) != 1 else ''} of the four phases, each spool phase divided by the raw POST of its own "
        "round. Rate = lines InfluxDB acknowledged per second (1 line = 1 point). CPU = the client process (influxd not "
        "included). Each cell gives the spread over the rounds, lowest first.\n\n"
        "| path | lines stored/s | lines accepted by the spool/s | vs raw POST | client CPU |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nPer round: {per_round}.\n\n"
        f"Target ≥ 70 % of the raw POST rate with the spool's durability on (synchronous=full): **{spread(full)}**, lowest "
        f"{full[0]:.0f} % ({'met in every round' if full[0] >= 70 else 'not met'}); with the signed evidence chain as "
        f"`bulkdaq collect` runs it: **{spread(production)}**.\n"
    )
    write_section("ingest", markdown)
    print(markdown)
    print(json.dumps(rounds))


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
