"""Office registry: how fast a customs office's PostgreSQL registry takes its terminals' pushes and its
officers' steps, each against a baseline measured in the same run on the same cluster.

One private PostgreSQL cluster (`bulkdaq/store/local_postgres.py`, fsync on). Before anything is timed,
eight terminals (each its own site, site key, database role and SQLite registry, as in
`tests/test_office_end_to_end.py`) each declare `BULKDAQ_BENCH_SHIPMENTS` (+ 2 for warming up) shipments and take each through
the six terminal steps to ``verified``: one shipment = 7 signed events and 7 evidence documents (the
declaration, then one small document per step as the workflow attaches them). Each shipment's events and
documents are read out once, so only the push is timed.

For every round (`BULKDAQ_BENCH_ROUNDS`, default 3) and every number of terminals N (1, 2, 4, 8), a fresh
office database (migrated by its owner, each terminal's role granted and its site key registered), then,
N threads at once, each with its own role and site and one shipment per batch:

1. **raw INSERT** (baseline): the same rows (evidence documents, the shipment, its 7 events) into plain
   tables with no constraints, triggers or row-level security, one transaction per shipment, through
   psycopg as the superuser;
2. **intake**: `receive_events` (the office's checks: site key, signatures, hashes, cited documents, the
   declaration; the database's: row-level security, the chain trigger, the unique index, the advisory
   lock), one call per shipment, as `OfficePusher` does;
3. **duplicate push**: the same batches again (the outbox lost): every event a duplicate.

Then **officer steps**: `registry.transition(..., officer_key=...)` (certified, then released) over the
shipments of the first terminal, at the office (PostgreSQL, the office's role) and, as the baseline, in a
copy of that terminal's SQLite registry with the same officer registered.

Rate = events (or steps) per second of wall time from the moment all threads start until the last one is
done. CPU = this process (PostgreSQL's processes not included). Each cell gives the spread over the rounds,
lowest first.

The pushing threads share one Python process, so the office's checks run under one GIL; in production each
terminal's pusher runs `receive_events` in its own process on its own machine, and only the SQL reaches
the office. The CPU column says how much of the intake figure is this process's.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from benchmarks.bench_site import REPO, machine
from benchmarks.performance_report import write_section

ROUNDS = int(os.environ.get("BULKDAQ_BENCH_ROUNDS", "3"))
SHIPMENTS = int(os.environ.get("BULKDAQ_BENCH_SHIPMENTS", "80"))  # per terminal: the batches each thread pushes, timed
WARMUP = 2  # more shipments per terminal, pushed by each thread before the timed ones (connections, caches)
TERMINAL_COUNTS = (1, 2, 4, 8)
TERMINAL_STEPS = ("precheck", "loading", "complete", "measured", "reconciled", "verified")
T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
OFFICER_ROLE = "bench_officers"


@dataclass
class Terminal:
    site: str
    role: str
    password: str
    key: Any  # Ed25519PrivateKey
    registry_path: Path
    batches: list[tuple[list, dict]]  # per shipment: its 7 events and the documents they cite


def _step_evidence(step: str, shipment_id: str, number: int) -> list:
    """One small document per terminal step, as the workflow attaches them (integrity, loading start and
    window, figures, reconciliation), distinct per shipment."""
    from bulkdaq.shipments.registry import Evidence

    base = {"shipment": shipment_id, "step": step, "meters": ["FT-101", "FT-102"], "n": number}
    kinds = {"precheck": "integrity", "loading": "loading_start", "complete": "loading_window", "measured": "figures",
             "reconciled": "reconciliation", "verified": "integrity"}
    body = {**base, "values": [round(89_900.0 + number + i * 0.125, 3) for i in range(8)], "findings": []}
    return [Evidence(kinds[step], body)]


def _prepare_terminal(folder: Path, index: int, shipments: int) -> Terminal:
    """A terminal's SQLite registry with `shipments` shipments taken to verified, and its pushes read out."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bulkdaq.shipments.model import load_shipment, shipment_from_data
    from bulkdaq.shipments.registry import ShipmentRegistry

    site = f"BENCH-T{index + 1:02d}"
    key = Ed25519PrivateKey.generate()
    path = folder / f"{site}.sqlite"
    template = load_shipment(REPO / "examples" / "demo" / "jet-fuel-export.toml").as_document()
    batches = []
    with ShipmentRegistry(path, signing_key=key) as registry:
        for number in range(1, shipments + 1):
            document = {**template, "id": f"{site}-2026-{number:04d}", "site": site}
            shipment = shipment_from_data(document, "benchmark")
            registry.declare(shipment, f"terminal {site}", at=T0)
            for minute, state in enumerate(TERMINAL_STEPS, start=1):
                registry.transition(shipment.id, state, f"terminal {site}", f"{state} at {site}", _step_evidence(state, shipment.id, number),
                                    at=T0 + timedelta(minutes=minute))
            events = registry.events(shipment.id)
            batches.append((events, {digest: registry.evidence(digest) for event in events for digest in event.evidence}))
    role = f"bench_{site.replace('-', '_').lower()}"
    return Terminal(site, role, f"{role}-secret", key, path, batches)


RAW_TABLES = (
    "CREATE TABLE raw_shipments (id TEXT, declaration_hash TEXT, declared_at TEXT, site TEXT)",
    "CREATE TABLE raw_evidence (hash TEXT, kind TEXT, body TEXT)",
    "CREATE TABLE raw_events (seq BIGINT GENERATED BY DEFAULT AS IDENTITY, shipment TEXT, number INTEGER, time TEXT, from_state TEXT, "
    "to_state TEXT, actor TEXT, reason TEXT, evidence TEXT, previous_hash TEXT, hash TEXT, signature TEXT, signer TEXT, site TEXT)",
)


def _raw_rows(site: str, events: list, documents: dict) -> tuple[tuple, list[tuple], list[tuple]]:
    """The rows one shipment's push writes: (shipment), [evidence], [events] — prepared before timing."""
    from bulkdaq.evidence.canonical_json import canonical_json
    from bulkdaq.shipments.registry import _iso

    first = events[0]
    shipment = (first.shipment, first.evidence[0], _iso(first.time), site)
    evidence = [(digest, document.kind, canonical_json(document.body).decode("utf-8")) for digest, document in documents.items()]
    rows = [(e.shipment, e.number, _iso(e.time), e.from_state, e.to_state, e.actor, e.reason, json.dumps(list(e.evidence)), e.previous_hash,
             e.hash, e.signature, e.signer, site) for e in events]
    return shipment, evidence, rows


def _concurrently(workers: list[tuple[Callable[[], Any], Callable[[], int]]]) -> dict:
    """Run each (warm-up, work) pair in its own thread: the warm-ups first (not timed), then all the work
    released at once; items done, wall [s], CPU % of this process."""
    barrier = threading.Barrier(len(workers) + 1)
    done: list[int] = [0] * len(workers)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            workers[i][0]()
        except BaseException as error:  # reported after the join
            errors.append(error)
        barrier.wait()
        if errors:
            return
        try:
            done[i] = workers[i][1]()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    barrier.wait()
    cpu, wall = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    if errors:
        raise errors[0]
    return {"items": sum(done), "wall_s": wall, "per_s": sum(done) / wall, "cpu_pct": cpu / wall * 100}


def _office_database(cluster: Any, name: str, terminals: list[Terminal]) -> str:
    """A fresh office database: migrated by its owner, the office's and each terminal's role granted, site keys registered."""
    from bulkdaq.office.intake import register_site_key
    from bulkdaq.office.roles import grant_office, grant_terminal
    from bulkdaq.shipments.registry import ShipmentRegistry
    from bulkdaq.shipments.registry_database import migrate_registry

    cluster.create_database(name)
    owner_url = cluster.url(name)
    migrate_registry(owner_url)
    with ShipmentRegistry(owner_url) as owner:
        grant_office(owner, OFFICER_ROLE)
        for terminal in terminals:
            register_site_key(owner, terminal.site, terminal.key.public_key(), "benchmark")
            grant_terminal(owner, terminal.role, terminal.site)
    for statement in RAW_TABLES:
        cluster.execute(statement, database=name)
    return owner_url


def _raw_phase(cluster: Any, database: str, terminals: list[Terminal]) -> dict:
    import psycopg

    def worker(terminal: Terminal) -> tuple[Callable[[], Any], Callable[[], int]]:
        rows = [_raw_rows(terminal.site, events, documents) for events, documents in terminal.batches]
        connection = psycopg.connect(host=cluster.host, port=cluster.port, user="postgres", password=cluster.superuser_password, dbname=database)

        def insert(batches: list) -> int:
            count = 0
            for shipment, evidence, events in batches:
                with connection.transaction(), connection.cursor() as cursor:
                    cursor.executemany("INSERT INTO raw_evidence (hash, kind, body) VALUES (%s, %s, %s)", evidence)
                    cursor.execute("INSERT INTO raw_shipments (id, declaration_hash, declared_at, site) VALUES (%s, %s, %s, %s)", shipment)
                    cursor.executemany(
                        "INSERT INTO raw_events (shipment, number, time, from_state, to_state, actor, reason, evidence, previous_hash, "
                        "hash, signature, signer, site) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", events)
                count += len(events)
            return count

        def push() -> int:
            try:
                return insert(rows[WARMUP:])
            finally:
                connection.close()
        return (lambda: insert(rows[:WARMUP])), push

    return _concurrently([worker(t) for t in terminals])


def _push_phase(cluster: Any, database: str, terminals: list[Terminal], expect: str) -> dict:
    from bulkdaq.office.intake import receive_events
    from bulkdaq.shipments.registry import ShipmentRegistry

    def worker(terminal: Terminal) -> tuple[Callable[[], Any], Callable[[], int]]:
        registry = ShipmentRegistry(cluster.url(database, terminal.role, terminal.password), create=False)

        def send(batches: list) -> int:
            count = 0
            for events, documents in batches:
                outcome = receive_events(registry, terminal.site, events, documents)
                counted = outcome.accepted if expect == "accepted" else outcome.duplicates
                if counted != len(events) or outcome.conflicts:
                    raise RuntimeError(f"{terminal.site}: {outcome} where {len(events)} {expect} were expected")
                count += counted
            return count

        def push() -> int:
            try:
                return send(terminal.batches[WARMUP:])
            finally:
                registry.close()
        return (lambda: send(terminal.batches[:WARMUP])), push

    return _concurrently([worker(t) for t in terminals])


def _officer_steps(registry: Any, officer_key: Any, shipment_ids: list[str]) -> dict:
    """Certify and release each shipment (the first WARMUP shipments not timed)."""
    for shipment_id in shipment_ids[:WARMUP]:
        registry.transition(shipment_id, "certified", "", "figures within tolerance", officer_key=officer_key)
        registry.transition(shipment_id, "released", "", "duties paid", officer_key=officer_key)
    shipment_ids = shipment_ids[WARMUP:]
    cpu, wall = time.process_time(), time.perf_counter()
    for shipment_id in shipment_ids:
        registry.transition(shipment_id, "certified", "", "figures within tolerance", officer_key=officer_key)
        registry.transition(shipment_id, "released", "", "duties paid", officer_key=officer_key)
    wall = time.perf_counter() - wall
    steps = 2 * len(shipment_ids)
    return {"items": steps, "wall_s": wall, "per_s": steps / wall, "cpu_pct": (time.process_time() - cpu) / wall * 100}


def _officer_phase(cluster: Any, database: str, terminal: Terminal, folder: Path, round_: int) -> dict:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bulkdaq.evidence.chain import public_pem
    from bulkdaq.office.officer_key import OfficerCard
    from bulkdaq.office.officers import register_officer
    from bulkdaq.shipments.registry import ShipmentRegistry

    officer = Ed25519PrivateKey.generate()
    card = OfficerCard("4401-0231", "bench officer", public_pem(officer.public_key()))
    shipment_ids = [events[0].shipment for events, _ in terminal.batches]
    # baseline: a copy of the terminal's SQLite registry (every shipment verified), the same officer registered
    copy = folder / f"officer-{round_}.sqlite"
    with sqlite3.connect(terminal.registry_path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with ShipmentRegistry(copy, create=False) as sqlite_registry:
        register_officer(sqlite_registry, card, "benchmark")
        sqlite_result = _officer_steps(sqlite_registry, officer, shipment_ids)
    with ShipmentRegistry(cluster.url(database)) as owner:
        register_officer(owner, card, "benchmark")
    with ShipmentRegistry(cluster.url(database, OFFICER_ROLE, "officer-secret")) as office:
        postgres_result = _officer_steps(office, officer, shipment_ids)
    return {"postgres": postgres_result, "sqlite": sqlite_result}


def _spread(values: list[float], fmt: str = "{:,.0f}", unit: str = "") -> str:
    """Lowest–highest over the rounds, with the median: '684–742/s (median 722)'."""
    values = sorted(values)
    if len(values) == 1:
        return f"{fmt.format(values[0])}{unit}"
    return f"{fmt.format(values[0])}–{fmt.format(values[-1])}{unit} (median {fmt.format(values[len(values) // 2])}{unit})"


def main() -> None:
    from bulkdaq.store.local_postgres import LocalPostgres

    started = time.perf_counter()
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder_name, LocalPostgres() as cluster:
        folder = Path(folder_name)
        prepare = time.perf_counter()
        terminals = [_prepare_terminal(folder, i, WARMUP + SHIPMENTS) for i in range(max(TERMINAL_COUNTS))]
        prepare = time.perf_counter() - prepare
        for terminal in terminals:
            cluster.create_role(terminal.role, terminal.password)
        cluster.create_role(OFFICER_ROLE, "officer-secret")
        for round_ in range(ROUNDS):
            result: dict[str, Any] = {}
            for count in TERMINAL_COUNTS:
                database = f"office_r{round_}_n{count}"
                _office_database(cluster, database, terminals[:count])
                result[f"raw_{count}"] = _raw_phase(cluster, database, terminals[:count])
                result[f"intake_{count}"] = _push_phase(cluster, database, terminals[:count], "accepted")
                result[f"duplicate_{count}"] = _push_phase(cluster, database, terminals[:count], "duplicates")
            result["officer"] = _officer_phase(cluster, f"office_r{round_}_n1", terminals[0], folder, round_)
            rounds.append(result)
            print(f"round {round_ + 1}: " + ", ".join(
                f"{name} {value['per_s']:,.0f}/s" for name, value in result.items() if name != "officer") +
                f", officer pg {result['officer']['postgres']['per_s']:,.0f}/s sqlite {result['officer']['sqlite']['per_s']:,.0f}/s", flush=True)
    total = time.perf_counter() - started

    def rates(name: str) -> list[float]:
        return [r[name]["per_s"] for r in rounds]

    def ratio(name: str, baseline: str) -> list[float]:
        return [r[name]["per_s"] / r[baseline]["per_s"] * 100 for r in rounds]

    rows = []
    for count in TERMINAL_COUNTS:
        label = f"{count} terminal{'s' if count > 1 else ''}"
        rows.append(f"| {label} | raw INSERT, plain tables (baseline) | {_spread(rates(f'raw_{count}'))} | 100 % | "
                    f"{_spread([r[f'raw_{count}']['cpu_pct'] for r in rounds], '{:.0f}', ' %')} |")
        rows.append(f"| {label} | `receive_events`, new events | {_spread(rates(f'intake_{count}'))} | "
                    f"**{_spread(ratio(f'intake_{count}', f'raw_{count}'), '{:.0f}', ' %')}** | "
                    f"{_spread([r[f'intake_{count}']['cpu_pct'] for r in rounds], '{:.0f}', ' %')} |")
        rows.append(f"| {label} | `receive_events`, all duplicates | {_spread(rates(f'duplicate_{count}'))} | "
                    f"{_spread(ratio(f'duplicate_{count}', f'raw_{count}'), '{:.0f}', ' %')}; "
                    f"{_spread([r[f'duplicate_{count}']['per_s'] / r[f'intake_{count}']['per_s'] for r in rounds], '{:.1f}', ' ×')} the new-events rate | "
                    f"{_spread([r[f'duplicate_{count}']['cpu_pct'] for r in rounds], '{:.0f}', ' %')} |")
    officer_pg = [r["officer"]["postgres"]["per_s"] for r in rounds]
    officer_sqlite = [r["officer"]["sqlite"]["per_s"] for r in rounds]
    officer_ratio = [r["officer"]["postgres"]["per_s"] / r["officer"]["sqlite"]["per_s"] * 100 for r in rounds]
    scaling = [r[f"intake_{TERMINAL_COUNTS[-1]}"]["per_s"] / r[f"intake_{TERMINAL_COUNTS[0]}"]["per_s"] for r in rounds]
    raw_scaling = [r[f"raw_{TERMINAL_COUNTS[-1]}"]["per_s"] / r[f"raw_{TERMINAL_COUNTS[0]}"]["per_s"] for r in rounds]
    per_round = "; ".join(
        f"round {i + 1}: " + ", ".join(f"N={n} {r[f'intake_{n}']['per_s'] / r[f'raw_{n}']['per_s'] * 100:.0f} %" for n in TERMINAL_COUNTS)
        for i, r in enumerate(rounds)
    )
    events = len(terminals[0].batches[0][0])
    markdown = (
        "## Office registry: terminals pushing to PostgreSQL, officers' steps\n\n"
        f"`python -m benchmarks.office_registry`: one private PostgreSQL cluster (`LocalPostgres`, fsync on), {machine()}, shared "
        f"by this process and the server. Each terminal is its own site, site key, database role and SQLite registry; each pushes "
        f"{SHIPMENTS} shipments timed (after {WARMUP} not timed, in every phase), one batch per shipment = {events} signed events (declared … verified) and their {events} evidence "
        "documents, prepared in the terminal's SQLite registry before timing. N terminals = N threads of this process "
        "pushing at once, each its own role and connection. Every (round, N) gets a fresh office database (migrated, roles "
        f"granted, site keys registered). {len(rounds)} rounds; each cell gives the spread over the rounds, lowest first; each ratio "
        "is against the baseline of its own round and N. CPU = this process (PostgreSQL's not included; 100 % = one core).\n\n"
        "*Raw INSERT* = the same rows (documents, shipment, events) into plain tables with no keys, constraints, triggers or "
        "row-level security, one transaction per shipment, psycopg as the superuser. *`receive_events`* = the office's intake as "
        "`OfficePusher` calls it: site key, signature, hash and documents checked in Python, then row-level security, the "
        "advisory lock, the chain trigger and the unique index in the database, one transaction per shipment.\n\n"
        "| terminals | path | events/s | vs raw INSERT | client CPU |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nPer round, intake vs raw INSERT: {per_round}.\n\n"
        "The N pushing threads share this one Python process and its GIL, and the machine's 2 cores with the server: "
        "where the client CPU nears 100 %, the office's checks in Python are the limit, not PostgreSQL. In production "
        "each terminal's pusher runs `receive_events` in its own process on its own machine, and only the SQL reaches "
        "the office.\n\n"
        f"Intake with {TERMINAL_COUNTS[-1]} terminals vs 1: **{_spread(scaling, '{:.2f}', ' ×')}** (raw INSERT: {_spread(raw_scaling, '{:.2f}', ' ×')}).\n\n"
        f"**Officer steps** (`registry.transition(..., officer_key=...)`, certified then released, {2 * SHIPMENTS} steps over "
        f"{SHIPMENTS} shipments after {WARMUP} not timed, one officer, one thread):\n\n"
        "| registry | steps/s | vs SQLite | client CPU |\n|---|---|---|---|\n"
        f"| SQLite file (the terminal's registry, copied; baseline) | {_spread(officer_sqlite)} | 100 % | "
        f"{_spread([r['officer']['sqlite']['cpu_pct'] for r in rounds], '{:.0f}', ' %')} |\n"
        f"| PostgreSQL, the office's role | {_spread(officer_pg)} | **{_spread(officer_ratio, '{:.0f}', ' %')}** | "
        f"{_spread([r['officer']['postgres']['cpu_pct'] for r in rounds], '{:.0f}', ' %')} |\n\n"
        f"Preparing the {len(terminals)} terminals' {len(terminals) * (WARMUP + SHIPMENTS)} shipments in SQLite (not timed above): {prepare:.1f} s. "
        f"Whole run: {total:.0f} s.\n"
    )
    write_section("office_registry", markdown)
    print(markdown)
    print(json.dumps(rounds))


if __name__ == "__main__":
    main()
