"""The evidence chain: every spool commit is a signed, chained block; a bundle verifies offline, and
tampering with a reading, deleting or reordering blocks, or swapping the key is detected and named."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.site_file import EvidenceSettings, LoadedSite
from bulkdaq.evidence.bundle import export_bundle, sign_manifest, verify_bundle
from bulkdaq.evidence.chain import create_site_key, fingerprint, load_private_key, read_blocks
from bulkdaq.shipments.stored_totals import stored_meter_ticket
from bulkdaq.store.influx_reader import InfluxReader
from scenario import example_site, loading, run_collector_until, simulators_for
from simulators.scenario_clock import ScenarioClock

BULKDAQ = str(Path(sys.executable).with_name("bulkdaq"))


@pytest.fixture(scope="module")
def signed_loading(tmp_path_factory: pytest.TempPathFactory, influxd) -> tuple[LoadedSite, dict, datetime, datetime, InfluxReader]:  # noqa: ANN001
    """One time-compressed loading collected with a signing key; its bundle and the stored data."""
    import asyncio

    folder = tmp_path_factory.mktemp("evidence")
    key = folder / "site.key"
    site_fingerprint = create_site_key(key, folder / "site.pub")
    reader = InfluxReader(influxd.url, "evidence")
    reader.create_database()
    site = example_site(influxd.url, "evidence", folder)
    site = LoadedSite(site.path, site.config.model_copy(update={"evidence": EvidenceSettings(key_file=key)}), site.warnings)

    async def load() -> None:
        profile = loading()
        end = profile.end_s + 60
        clock = ScenarioClock(speedup=end / 3.0)
        servers = [s.server() for s in simulators_for(site, clock, profile)]
        for server in servers:
            await server.start()
        clock.start()
        service = CollectorService(site)
        try:
            await run_collector_until(service, lambda: clock.seconds() > end, timeout_s=30)
        finally:
            for server in servers:
                await server.stop()

    start = datetime.now(timezone.utc)
    asyncio.run(load())
    end = datetime.now(timezone.utc)
    bundle = export_bundle(site, start, end)
    assert bundle["manifest"]["key_fingerprint"] == site_fingerprint
    yield site, bundle, start, end, reader
    reader.close()


def test_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    create_site_key(tmp_path / "k.key", tmp_path / "k.pub")
    assert os.stat(tmp_path / "k.key").st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        create_site_key(tmp_path / "k.key", tmp_path / "k.pub")


def test_every_commit_is_a_signed_chained_block(signed_loading) -> None:  # noqa: ANN001
    site, bundle, *_ = signed_loading
    blocks = read_blocks(site.config.spool.path_for(site.config.site.name))
    assert len(blocks) > 20
    assert [b.seq for b in blocks] == list(range(1, len(blocks) + 1))
    assert all(b.prev_hash == a.hash for a, b in zip(blocks, blocks[1:], strict=False))
    assert all(b.signature for b in blocks)


def test_bundle_verifies_and_its_figures_equal_the_stored_ticket(signed_loading) -> None:  # noqa: ANN001
    site, bundle, start, end, reader = signed_loading
    result = verify_bundle(bundle, bundle["manifest"]["key_fingerprint"])
    assert result.ok, result.problems
    assert result.readings_checked == sum(len(b["lines"]) for b in bundle["blocks"])
    for meter in site.config.meters:
        ticket = stored_meter_ticket(reader, site.config.site.name, meter, start, end)
        for total in ticket.totals:
            assert bundle["figures"][meter.id][total.field]["indicated"] == str(total.indicated)
    assert bundle["figures"]["FT-101"]["mass_total_kg"]["indicated"] == "450000.000"


def _first_good_meter_line(bundle: dict) -> tuple[int, int]:
    for b, block in enumerate(bundle["blocks"]):
        for i, line in enumerate(block["lines"]):
            if line.startswith("meter,") and "mass_total_kg=" in line and 'quality="good"' in line:
                return b, i
    raise AssertionError("no good meter reading in the bundle")


def test_altered_reading_is_detected_and_named(signed_loading) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(signed_loading[1])
    b, i = _first_good_meter_line(bundle)
    line = bundle["blocks"][b]["lines"][i]
    field = next(f for f in line.split(" ")[1].split(",") if f.startswith("mass_total_kg="))
    bundle["blocks"][b]["lines"][i] = line.replace(field, "mass_total_kg=1.0")
    problems = verify_bundle(bundle, bundle["manifest"]["key_fingerprint"]).problems
    seq = bundle["blocks"][b]["seq"]
    assert f"block {seq}: content altered (its hash does not match its readings)" in problems
    assert any(p.startswith("figure FT-10") and "the raw readings give" in p for p in problems)


def test_deleted_block_is_detected_and_named(signed_loading) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(signed_loading[1])
    removed = bundle["blocks"].pop(5)
    problems = verify_bundle(bundle, bundle["manifest"]["key_fingerprint"]).problems
    assert f"block(s) {removed['seq']} missing: block {removed['seq'] + 1} follows block {removed['seq'] - 1}" in problems


def test_reordered_blocks_are_detected_and_named(signed_loading) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(signed_loading[1])
    blocks = bundle["blocks"]
    blocks[7], blocks[8] = blocks[8], blocks[7]
    problems = verify_bundle(bundle, bundle["manifest"]["key_fingerprint"]).problems
    assert f"blocks out of order: block {blocks[8]['seq']} comes after block {blocks[7]['seq']}" in problems


def test_swapped_key_is_detected(signed_loading, tmp_path: Path) -> None:  # noqa: ANN001
    original = signed_loading[1]
    create_site_key(tmp_path / "forged.key", tmp_path / "forged.pub")
    forged_key = load_private_key(tmp_path / "forged.key")
    # 1. Another key put in the bundle: no signature matches it.
    swapped = copy.deepcopy(original)
    swapped["public_key_pem"] = (tmp_path / "forged.pub").read_text()
    problems = verify_bundle(swapped, original["manifest"]["key_fingerprint"]).problems
    forged = fingerprint(forged_key.public_key())
    assert f"the bundle is signed with key {forged}, not the site's trusted key {original['manifest']['key_fingerprint']}" in problems
    assert sum("signature does not match" in p for p in problems) == len(original["blocks"]) + sum(b is not None for b in original["boundary"].values())
    assert any(p.startswith(f"the manifest's signature is not key {forged}'s") for p in problems)
    # 2. Everything re-signed with the forger's key: consistent in itself, but not the site's key.
    resigned = copy.deepcopy(swapped)
    for block in [*resigned["blocks"], *(b for b in resigned["boundary"].values() if b is not None)]:
        block["signature"] = forged_key.sign(bytes.fromhex(block["hash"])).hex()
    resigned["manifest"]["key_fingerprint"] = forged
    resigned["manifest_signature"] = sign_manifest(forged_key, resigned["manifest"])
    result = verify_bundle(resigned, original["manifest"]["key_fingerprint"])
    assert result.problems == [f"the bundle is signed with key {forged}, not the site's trusted key {original['manifest']['key_fingerprint']}"]
    assert not result.key_trusted


def test_cli_verify_exit_codes(signed_loading, tmp_path: Path) -> None:  # noqa: ANN001
    site, bundle, *_ = signed_loading
    good = tmp_path / "good.json"
    good.write_text(json.dumps(bundle))
    public = site.config.evidence.key_file.with_suffix(".pub")
    ok = subprocess.run([BULKDAQ, "evidence", "verify", str(good), "--trusted-key", str(public)], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "VERIFIED" in ok.stdout
    tampered = copy.deepcopy(bundle)
    tampered["blocks"].pop(3)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tampered))
    failed = subprocess.run([BULKDAQ, "evidence", "verify", str(bad), "--trusted-key", str(public)], capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1
    assert "NOT VERIFIED" in failed.stdout and "missing" in failed.stdout


async def test_blocks_past_their_retention_go_but_the_chain_and_unsent_evidence_stay(tmp_path: Path) -> None:
    """`[evidence] keep_days`: old blocks are removed when the forwarder acknowledges a batch; the newest
    block and the evidence of readings not yet in InfluxDB stay; after a restart the chain goes on."""
    import asyncio
    import sqlite3

    from bulkdaq.evidence.chain import GENESIS, EvidenceLedger, block_hash
    from bulkdaq.store.line_protocol import Point
    from bulkdaq.store.spool import DurableSpool

    def reading(i: int) -> Point:
        return Point("meter", {"site": "s", "meter": "FT-1"}, {"mass_total_kg": float(i), "quality": "good"}, 1_700_000_000_000 + i)

    path = tmp_path / "spool.sqlite"
    keep_s = 0.3
    spool = DurableSpool(path, ledger=EvidenceLedger(None, keep_s=keep_s))
    await spool.submit([reading(1)])  # block 1, reading row 1
    await asyncio.sleep(0.4)
    await spool.submit([reading(2)])  # block 2, reading row 2
    await asyncio.sleep(0.4)
    await spool.submit([reading(3)])  # block 3, reading row 3

    def blocks() -> list[int]:
        with sqlite3.connect(path) as db:
            return [seq for (seq,) in db.execute("SELECT seq FROM evidence_block ORDER BY seq")]

    await spool.acknowledge(1)  # row 1 is in InfluxDB; rows 2 and 3 are not
    assert blocks() == [2, 3]  # block 1 is past its retention; block 2 is too, but its reading is not sent yet
    await asyncio.sleep(0.05)  # the next check is due a tenth of the retention later
    await spool.acknowledge(3)
    assert blocks() == [3]  # the newest block always stays
    await spool.close()

    reopened = DurableSpool(path, ledger=EvidenceLedger(None, keep_s=keep_s))
    await reopened.submit([reading(4)])
    await reopened.close()
    kept = read_blocks(path)
    assert [b.seq for b in kept] == [3, 4]
    assert kept[1].prev_hash == kept[0].hash  # the chain goes on from the newest kept block
    assert kept[1].hash == block_hash(4, kept[0].hash, kept[1].created, list(kept[1].lines))
    assert kept[0].prev_hash not in (GENESIS, "")


async def test_without_a_retention_every_block_is_kept(tmp_path: Path) -> None:
    import sqlite3

    from bulkdaq.evidence.chain import EvidenceLedger
    from bulkdaq.store.line_protocol import Point
    from bulkdaq.store.spool import DurableSpool

    spool = DurableSpool(tmp_path / "spool.sqlite", ledger=EvidenceLedger(None))
    for i in range(3):
        await spool.submit([Point("meter", {"site": "s", "meter": "FT-1"}, {"mass_total_kg": float(i)}, 1_700_000_000_000 + i)])
    await spool.acknowledge(3)
    await spool.close()
    with sqlite3.connect(tmp_path / "spool.sqlite") as db:
        assert db.execute("SELECT count(*) FROM evidence_block").fetchone()[0] == 3


def test_keep_days_must_be_positive(tmp_path: Path) -> None:
    from bulkdaq.config.site_file import load_site
    from bulkdaq.errors import InputError
    from site_files import write_site

    site = write_site(tmp_path, "\n[evidence]\nkeep_days = 0\n")
    with pytest.raises(InputError, match=r"evidence\.keep_days: .*greater than 0"):
        load_site(site)
    assert load_site(write_site(tmp_path, "\n[evidence]\nkeep_days = 400\n")).config.evidence.keep_days == 400


def test_block_hash_is_the_hash_of_the_whole_blocks_canonical_json() -> None:
    """The hash is written out field by field for speed; it must equal the canonical JSON of the block."""
    import hashlib

    from bulkdaq.evidence.chain import block_hash

    cases = [
        (1, "0" * 64, 1_700_000_000.123456, ['meter,meter=FT-1,site=s mass_total_kg=1.5,quality="good" 1700000000000']),
        (42, "ab" * 32, 1e9, ['event,kind=frozen message="a \\"quoted\\" text, ünïcode 重量鉴定" 1', "signal,signal=B1 value=-0.0 2"]),
        (7, "", 0.1 + 0.2, []),
    ]
    for seq, prev_hash, created, lines in cases:
        canonical = json.dumps({"seq": seq, "prev_hash": prev_hash, "created": created, "lines": lines}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert block_hash(seq, prev_hash, created, lines) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def test_a_commit_that_fails_leaves_the_chain_where_it_was(tmp_path: Path) -> None:
    """A spool commit rolled back (disk full, I/O error) must not advance the chain: the next block
    follows the last one stored, with no gap and the right prev_hash, and a head names a stored block."""
    import sqlite3

    from bulkdaq.evidence.chain import EvidenceLedger
    from bulkdaq.store.line_protocol import Point
    from bulkdaq.store.spool import DurableSpool

    create_site_key(tmp_path / "k.key", tmp_path / "k.pub")
    path = tmp_path / "spool.sqlite"
    ledger = EvidenceLedger(load_private_key(tmp_path / "k.key"))
    spool = DurableSpool(path, ledger=ledger)

    def reading(i: int) -> Point:
        return Point("meter", {"site": "s", "meter": "FT-1"}, {"mass_total_kg": float(i)}, 1_700_000_000_000 + i)

    await spool.submit([reading(1)])
    with sqlite3.connect(path) as db:  # the next commit fails inside its transaction
        db.execute("CREATE TRIGGER fail BEFORE INSERT ON reading_batch BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        await spool.submit([reading(2)])
    head = ledger.signed_head("s", 1)
    assert head is not None and head.seq == 1
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER fail")
    await spool.submit([reading(3)])
    await spool.close()
    blocks = read_blocks(path)
    assert [b.seq for b in blocks] == [1, 2]
    assert blocks[1].prev_hash == blocks[0].hash == head.hash
    assert blocks[1].lines == (reading(3).to_line(),)
