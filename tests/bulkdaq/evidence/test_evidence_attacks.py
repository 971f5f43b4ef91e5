"""Every attack on a shipment's evidence bundle that docs/evidence.md names, tried for real: a loading
collected from the flowmeter simulators by the real collector into its spool and a real influxd, a
signed registry history, the bundle exported and then cut, narrowed, renamed, emptied or forged — by a
third party without the site key, and by the terminal itself with it (caught by witnessed heads)."""

from __future__ import annotations

import asyncio
import copy
import json
import re
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from bulkdaq.app.collector_service import CollectorService
from bulkdaq.config.site_file import EvidenceSettings, LoadedSite
from bulkdaq.evidence.bundle import BundleMalformed, export_shipment_bundle, meter_figures, sign_manifest, verify_bundle
from bulkdaq.evidence.canonical_json import canonical_json, sha256_hex
from bulkdaq.evidence.chain import Block, block_hash, create_site_key, load_private_key
from bulkdaq.evidence.heads import ChainHead, sign_head
from bulkdaq.evidence.witnessed_heads import query_heads
from bulkdaq.shipments.model import DeclaredQuantity, load_shipment
from bulkdaq.shipments.registry import ShipmentRegistry, SigningKeyRequired, evidence_hash
from bulkdaq.shipments.tolerance_rules import load_rule_set
from bulkdaq.shipments.workflow import complete_loading, start_loading
from scenario import example_site, loading, run_collector_until, simulators_for
from simulators.scenario_clock import ScenarioClock

REPO = Path(__file__).resolve().parents[3]
BULKDAQ = str(Path(sys.executable).with_name("bulkdaq"))
SHIPMENT = "EXP-EVIDENCE-1"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, influxd) -> dict[str, Any]:  # noqa: ANN001
    """A 900 t loading through two meters, collected and signed; the shipment completed in a signed registry."""
    from bulkdaq.store.influx_reader import InfluxReader

    folder = tmp_path_factory.mktemp("attacks")
    key_file = folder / "site.key"
    site_fingerprint = create_site_key(key_file, folder / "site.pub")
    with InfluxReader(influxd.url, "attacks") as reader:
        reader.create_database()
    profile = loading()
    scenario_end = profile.end_s + 60
    speedup = scenario_end / 3.0
    site = example_site(influxd.url, "attacks", folder)
    # The integrity limits are the site's own: the simulated meters report their rates on the collector's clock.
    site = LoadedSite(site.path, site.config.model_copy(update={"evidence": EvidenceSettings(key_file=key_file, head_interval_s=0.4)}), site.warnings)
    key = load_private_key(key_file)
    registry = ShipmentRegistry(folder / "shipments.sqlite", signing_key=key)
    shipment = load_shipment(REPO / "examples" / "shipments" / "jet-fuel-export.toml")
    shipment = shipment.model_copy(update={
        "id": SHIPMENT,
        "declared": DeclaredQuantity(quantity=900.0, basis="t_vacuum"),
        "instruments": [i.model_copy(update={"certificate_valid_until": date(2099, 1, 1)}) for i in shipment.instruments],
    })
    registry.declare(shipment, "officer Li")
    window: dict[str, datetime] = {}

    async def collect() -> None:
        clock = ScenarioClock(speedup=speedup, running=False)  # the meters stand still until pumping starts
        servers = [s.server() for s in simulators_for(site, clock, profile)]
        for server in servers:
            await server.start()

        async def open_window_then_pump() -> None:
            # The collector runs before the loading window opens, as at a real site: the bundle then has a
            # block before its window, which proves where the window starts.
            await asyncio.sleep(0.5)
            window["start"] = datetime.now(timezone.utc)
            start_loading(registry, SHIPMENT, "officer Li", site, at=window["start"])
            clock.start()

        try:
            await asyncio.gather(
                run_collector_until(CollectorService(site), lambda: clock.seconds() > scenario_end, timeout_s=30),
                open_window_then_pump(),
            )
        finally:
            for server in servers:
                await server.stop()

    asyncio.run(collect())
    end = datetime.now(timezone.utc)
    rules = load_rule_set(REPO / "examples" / "tolerances.toml")
    completed = complete_loading(registry, SHIPMENT, "officer Li", site, rules, at=end)
    assert completed.state == "complete", completed.findings
    bundle = export_shipment_bundle(site, registry, SHIPMENT)
    registry.close()
    spool = site.config.spool.path_for(site.config.site.name)
    heads = query_heads(influxd.url, "attacks", site.config.site.name)  # what the collector published
    return {"site": site, "key": key, "fingerprint": site_fingerprint, "bundle": bundle, "spool": spool, "folder": folder,
            "heads": heads, "influx": influxd.url}


def _problems(bundle: dict[str, Any], loaded: dict[str, Any], heads: list[ChainHead] = ()) -> list[str]:  # type: ignore[assignment]
    return verify_bundle(bundle, loaded["fingerprint"], heads).problems


def _resign(bundle: dict[str, Any], key) -> None:  # noqa: ANN001
    """What the terminal can do with its own key: make the manifest agree with whatever it changed."""
    manifest = bundle["manifest"]
    blocks = bundle["blocks"]
    manifest["blocks"].update(count=len(blocks), readings=sum(len(b["lines"]) for b in blocks),
                              first={"seq": blocks[0]["seq"], "hash": blocks[0]["hash"]}, last={"seq": blocks[-1]["seq"], "hash": blocks[-1]["hash"]})
    if manifest["blocks"]["after"] is None:
        manifest["blocks"]["chain_head"] = {"seq": blocks[-1]["seq"], "hash": blocks[-1]["hash"]}
    manifest["figures_digest"] = sha256_hex(bundle["figures"])
    # The terminal could forge its registry history the same way (it holds the key); these cases show the
    # readings' side, so the shipment part is left out and the bundle is a window bundle.
    bundle.pop("shipment", None)
    manifest["shipment"] = manifest["history_digest"] = None
    bundle["manifest_signature"] = sign_manifest(key, manifest)


def _recompute_figures(bundle: dict[str, Any]) -> None:
    window = bundle["manifest"]["window"]
    bundle["figures"] = meter_figures([_block(b) for b in bundle["blocks"]], window["from_ms"], window["to_ms"])


def _block(b: dict[str, Any]) -> Block:
    return Block(b["seq"], b["prev_hash"], b["created"], tuple(b["lines"]), b["hash"], b["signature"])


def _mass_t(bundle: dict[str, Any]) -> float:
    return sum(float(m["mass_total_kg"]["indicated"]) for m in bundle["figures"].values()) / 1000


def _heads_of(loaded: dict[str, Any]) -> list[ChainHead]:
    """The heads the collector published to influxd while it collected (every 0.4 s, at start and at stop)."""
    heads = loaded["heads"]
    window = loaded["bundle"]["manifest"]["window"]
    assert sum(window["from_ms"] <= h.time_ms <= window["to_ms"] for h in heads) >= 4
    return heads


# -- the genuine bundle -------------------------------------------------------------------------------


def test_the_genuine_bundle_verifies_and_says_what_it_proves(loaded) -> None:  # noqa: ANN001
    bundle = loaded["bundle"]
    result = verify_bundle(bundle, loaded["fingerprint"], _heads_of(loaded))
    assert result.problems == []
    assert result.key_trusted and result.site == "demo-terminal" and result.shipment == SHIPMENT
    assert result.figures == {m: {"mass_total_kg": "450000.000", "volume_total_m3": f["volume_total_m3"]["indicated"]} for m, f in bundle["figures"].items()}
    assert set(result.figures) == {"FT-101", "FT-102"}
    events = bundle["shipment"]["events"]
    assert [e["number"] for e in events] == [1, 2, 3, 4]
    assert [e["to"] for e in events] == ["declared", "precheck", "loading", "complete"]
    assert result.evidence_hash == events[-1]["hash"] and result.events_checked == 4
    assert result.heads_checked > 0
    manifest = bundle["manifest"]["blocks"]
    assert manifest["before"] == {"seq": manifest["first"]["seq"] - 1, "hash": bundle["blocks"][0]["prev_hash"]}
    assert bundle["boundary"]["before"]["created"] * 1000 < bundle["manifest"]["window"]["from_ms"]


# -- a third party without the site key ---------------------------------------------------------------


def test_the_last_third_cut_off_with_figures_recomputed_is_refused(loaded) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    assert _mass_t(bundle) == 900.0
    keep = len(bundle["blocks"]) * 2 // 3
    bundle["blocks"] = bundle["blocks"][:keep]
    bundle["boundary"]["after"] = None
    _recompute_figures(bundle)
    assert _mass_t(bundle) < 900.0
    problems = _problems(bundle, loaded)
    last = loaded["bundle"]["manifest"]["blocks"]["last"]["seq"]
    assert f"the manifest's last block is {last}, the bundle's is {bundle['blocks'][-1]['seq']}: its end was cut" in problems
    assert "the figures are not the ones the manifest signed (figures digest differs)" in problems


def test_the_first_blocks_cut_off_are_refused(loaded) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    first = bundle["blocks"][0]["seq"]
    bundle["blocks"] = bundle["blocks"][5:]
    problems = _problems(bundle, loaded)
    assert f"the manifest's first block is {first}, the bundle's is {first + 5}: its start was cut" in problems
    assert f"block {first + 5} does not follow boundary block {first - 1}: the window's start was cut" in problems


@pytest.mark.parametrize("member, value", [
    (("window", "from"), "2099-01-01T00:00:00+00:00"),
    (("window", "to_ms"), 0),
    (("site",), "another-terminal"),
    (("shipment",), "EXP-OTHER"),
])
def test_a_narrowed_window_or_renamed_site_breaks_the_manifest_signature(loaded, member, value) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    target = bundle["manifest"]
    for name in member[:-1]:
        target = target[name]
    target[member[-1]] = value
    problems = _problems(bundle, loaded)
    assert any(p.startswith(f"the manifest's signature is not key {loaded['fingerprint']}'s") for p in problems)


def test_an_emptied_bundle_is_refused(loaded) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    bundle["blocks"] = []
    count = loaded["bundle"]["manifest"]["blocks"]["count"]
    assert _problems(bundle, loaded)[0] == f"the bundle holds no blocks, the manifest names {count}: nothing is proven"


@pytest.mark.parametrize("field, value", [("actor", "someone else"), ("to", "released"), ("reason", "precheck waived")])
def test_a_forged_event_is_refused(loaded, field, value) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    bundle["shipment"]["events"][2][field] = value
    problems = _problems(bundle, loaded)
    assert any(p.startswith("event #3 of EXP-EVIDENCE-1") and p.endswith("does not match its hash (altered)") for p in problems)
    assert f"shipment {SHIPMENT}: the history is not the one the manifest signed (an event or document was changed, added or removed)" in problems


def test_a_deleted_event_is_refused(loaded) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    del bundle["shipment"]["events"][1]
    problems = _problems(bundle, loaded)
    assert "event #3 of EXP-EVIDENCE-1 (precheck → loading): numbered 3 where #2 is expected (an event is missing, added or moved)" in problems
    assert "event #3 of EXP-EVIDENCE-1 (precheck → loading) does not follow the event before it (chain broken)" in problems


def test_the_history_removed_is_refused(loaded) -> None:  # noqa: ANN001
    no_events = copy.deepcopy(loaded["bundle"])
    no_events["shipment"]["events"] = []
    assert f"shipment {SHIPMENT}: no events (a declared shipment has at least its declaration)" in _problems(no_events, loaded)
    no_part = copy.deepcopy(loaded["bundle"])
    del no_part["shipment"]
    assert _problems(no_part, loaded) == [f"the shipment history of {SHIPMENT} is missing from the bundle"]


def test_a_document_replaced_with_its_hash_recomputed_is_refused(loaded) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    documents = bundle["shipment"]["documents"]
    digest, tickets = next((d, doc) for d, doc in documents.items() if doc["kind"] == "meter_tickets")
    forged = copy.deepcopy(tickets)
    forged["body"]["figure"]["value"] = 58_000.0
    del documents[digest]
    documents[evidence_hash(forged["body"])] = forged
    problems = _problems(bundle, loaded)
    assert f"shipment {SHIPMENT}: document {digest[:12]}… named by an event is missing" in problems
    assert f"shipment {SHIPMENT}: document {evidence_hash(forged['body'])[:12]}… is named by no event" in problems


# -- the terminal itself, with its own key ------------------------------------------------------------


def test_the_terminal_cutting_and_resigning_is_caught_by_witnessed_heads(loaded) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    keep = len(bundle["blocks"]) * 2 // 3
    bundle["blocks"] = bundle["blocks"][:keep]
    bundle["boundary"]["after"] = None
    last = bundle["blocks"][-1]
    bundle["manifest"]["blocks"]["after"] = None
    _recompute_figures(bundle)
    _resign(bundle, loaded["key"])
    # Consistent in itself and signed with the site's key: without witnesses it verifies …
    assert _problems(bundle, loaded) == [] and _mass_t(bundle) < 900.0
    # … but a head published during the loading saw the chain go further.
    problems = _problems(bundle, loaded, _heads_of(loaded))
    assert any(p.startswith("the chain had reached block") and p.endswith(f"inside the window, but the bundle ends at block {last['seq']}: blocks were cut") for p in problems)


def test_the_terminal_rewriting_a_reading_is_caught_by_witnessed_heads(loaded) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    key = loaded["key"]
    blocks = bundle["blocks"]
    victim = next(i for i in range(len(blocks) // 2, len(blocks)) if any(line.startswith("meter,") and 'quality="good"' in line for line in blocks[i]["lines"]))
    blocks[victim]["lines"] = [line.replace('quality="good"', 'quality="bad"') for line in blocks[victim]["lines"]]
    for i in range(victim, len(blocks)):  # re-chain and re-sign everything after the change
        b = blocks[i]
        if i > 0:
            b["prev_hash"] = blocks[i - 1]["hash"]
        b["hash"] = block_hash(b["seq"], b["prev_hash"], b["created"], b["lines"])
        b["signature"] = key.sign(bytes.fromhex(b["hash"])).hex()
    after = bundle["boundary"]["after"]
    if after is not None:
        after["prev_hash"] = blocks[-1]["hash"]
        after["hash"] = block_hash(after["seq"], after["prev_hash"], after["created"], after["lines"])
        after["signature"] = key.sign(bytes.fromhex(after["hash"])).hex()
        bundle["manifest"]["blocks"]["after"] = {"seq": after["seq"], "hash": after["hash"]}
    _recompute_figures(bundle)
    _resign(bundle, key)
    assert _problems(bundle, loaded) == []
    problems = _problems(bundle, loaded, _heads_of(loaded))
    rewritten = [int(m.group(1)) for p in problems if (m := re.match(r"block (\d+): the bundle's hash \w+… differs from the head witnessed at .*: "
                                                                     r"the chain was rewritten after that head was published$", p))]
    # Every witnessed head from the rewritten block on disagrees; none before it does.
    assert rewritten and min(rewritten) >= blocks[victim]["seq"], problems
    assert len(rewritten) == len(problems)


def test_a_head_not_signed_by_the_site_key_is_named(loaded, tmp_path: Path) -> None:  # noqa: ANN001
    create_site_key(tmp_path / "other.key", tmp_path / "other.pub")
    other = load_private_key(tmp_path / "other.key")
    head = sign_head(other, "demo-terminal", 1, "00" * 32, 1)
    assert _problems(loaded["bundle"], loaded, [head]) == [
        "witnessed head 1 at 1970-01-01T00:00:00+00:00 names site demo-terminal but is not signed by the bundle's key",
        "none of the 1 witnessed heads given is signed by the bundle's key: heads of another site or key?",
    ]


# -- the registry's own chain -------------------------------------------------------------------------


def test_events_are_numbered_per_shipment_and_signed(loaded, tmp_path: Path) -> None:  # noqa: ANN001
    registry = ShipmentRegistry(tmp_path / "r.sqlite", signing_key=loaded["key"])
    base = load_shipment(REPO / "examples" / "shipments" / "jet-fuel-export.toml")
    for shipment_id in ("A-1", "B-1", "A-2"):
        registry.declare(base.model_copy(update={"id": shipment_id}), "officer Li")
    registry.transition("B-1", "precheck", "officer Li", "check")
    assert [e.number for e in registry.events("B-1")] == [1, 2]
    assert [e.number for e in registry.events("A-2")] == [1]
    assert registry.key_fingerprint == loaded["fingerprint"]
    event = registry.events("B-1")[-1]
    loaded["key"].public_key().verify(bytes.fromhex(event.signature), canonical_json(event.hashed_fields()))
    registry.close()
    # Opened without its key (or with another), the registry refuses to append rather than leave an unsigned link.
    unsigned = ShipmentRegistry(tmp_path / "r.sqlite")
    with pytest.raises(SigningKeyRequired, match=f"signs its history with site key {loaded['fingerprint']}"):
        unsigned.transition("A-1", "precheck", "officer Li", "check")
    assert [e.number for e in unsigned.events("A-1")] == [1]
    unsigned.close()
    # And the other way: a history begun without the key is not signed half-way (its bundle could never verify).
    begun_unsigned = ShipmentRegistry(tmp_path / "u.sqlite")
    begun_unsigned.declare(base.model_copy(update={"id": "C-1"}), "officer Li")
    begun_unsigned.close()
    late = ShipmentRegistry(tmp_path / "u.sqlite", signing_key=loaded["key"])
    with pytest.raises(SigningKeyRequired, match="already holds 1 unsigned events"):
        late.transition("C-1", "precheck", "officer Li", "check")
    assert late.key_fingerprint is None
    late.close()


# -- the command line ---------------------------------------------------------------------------------


def _verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BULKDAQ, "evidence", "verify", *args], capture_output=True, text=True, timeout=60)


def test_cli_without_a_trust_anchor_says_untrusted_and_fails(loaded, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(loaded["bundle"]))
    untrusted = _verify(str(path))
    assert untrusted.returncode == 3
    assert "UNTRUSTED KEY" in untrusted.stdout and "VERIFIED" not in untrusted.stdout.replace("NOT VERIFIED", "")
    accepted = _verify(str(path), "--accept-bundle-key")
    assert accepted.returncode == 0 and "CONSISTENT" in accepted.stdout and "VERIFIED" not in accepted.stdout
    # The fingerprint as keygen prints it, and as people copy it (upper case, colons), is accepted.
    spaced = ":".join(loaded["fingerprint"][i:i + 4] for i in range(0, 64, 4)).upper()
    for given in (loaded["fingerprint"], spaced):
        trusted = _verify(str(path), "--fingerprint", given)
        assert trusted.returncode == 0, trusted.stdout + trusted.stderr
        assert trusted.stdout.rstrip().endswith("VERIFIED")
        assert f"key {loaded['fingerprint']}: trusted" in trusted.stdout
        assert f"shipment {SHIPMENT}" in trusted.stdout and "FT-101 mass_total_kg: indicated 450000.000" in trusted.stdout
        assert f"evidence hash (newest event, as on the certificate): {loaded['bundle']['shipment']['events'][-1]['hash']}" in trusted.stdout
    short = _verify(str(path), "--fingerprint", loaded["fingerprint"][:16])
    assert short.returncode == 2 and "--fingerprint: a key fingerprint is 64 hexadecimal digits" in short.stderr


def test_cli_checks_against_the_heads_in_influxdb(loaded, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(loaded["bundle"]))
    done = _verify(str(path), "--fingerprint", loaded["fingerprint"], "--influx", loaded["influx"], "--database", "attacks")
    assert done.returncode == 0, done.stdout + done.stderr
    given = len(loaded["heads"])
    assert re.search(rf"witnessed heads: {given} given, (\d+) bore on this bundle", done.stdout)
    assert int(re.search(r"(\d+) bore on this bundle", done.stdout).group(1)) >= 4
    assert done.stdout.rstrip().endswith("VERIFIED")


def test_cli_json_report_and_witnessed_heads_file(loaded, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(loaded["bundle"]))
    heads = tmp_path / "heads.json"
    exported = subprocess.run([BULKDAQ, "evidence", "heads", str(heads), "--influx", loaded["influx"], "--database", "attacks",
                               "--site-name", "demo-terminal"], capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(heads.read_text()) == [h.as_dict() for h in loaded["heads"]]
    done = _verify(str(path), "--trusted-key", str(loaded["folder"] / "site.pub"), "--heads", str(heads), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "verified" and report["key_trusted"] is True
    assert report["shipment"] == SHIPMENT and report["events"] == 4 and report["witnessed_heads"] > 0
    assert report["blocks"] == loaded["bundle"]["manifest"]["blocks"]["count"]
    assert report["readings"] == loaded["bundle"]["manifest"]["blocks"]["readings"]
    assert report["figures"]["FT-101"]["mass_total_kg"] == "450000.000"


@pytest.mark.parametrize("damage, where", [
    (lambda b: b["blocks"][0].pop("seq"), "blocks[0].seq: missing"),
    (lambda b: b["manifest"]["blocks"].pop("before"), "manifest.blocks.before: missing (null when there is none)"),
    (lambda b: b["manifest"].pop("history_digest"), "manifest.history_digest: missing (null when the bundle has no shipment)"),
    (lambda b: b["shipment"].update(events=None), "shipment.events: expected a list, found null"),
    (lambda b: b["blocks"][0].update(seq="1"), "blocks[0].seq: expected an integer, found a string ('1')"),
    (lambda b: b.update(blocks={"0": {}}), "bundle.blocks: expected a list, found an object"),
    (lambda b: b.pop("manifest"), "bundle.manifest: missing"),
    (lambda b: b.update(format="bulkdaq-evidence/1"), "format: expected 'bulkdaq-evidence/2', found 'bulkdaq-evidence/1' (a bundle of format 1 has no signed manifest; export it again)"),
])
def test_cli_malformed_bundles_give_one_line(loaded, tmp_path: Path, damage, where) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    damage(bundle)
    with pytest.raises(BundleMalformed):
        verify_bundle(bundle, loaded["fingerprint"])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bundle))
    done = _verify(str(path), "--fingerprint", loaded["fingerprint"])
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0] == f"error: {path}: {where}"


def test_cli_missing_key_file_and_bundle_file_give_one_line(loaded, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(loaded["bundle"]))
    no_key = _verify(str(path), "--trusted-key", str(tmp_path / "absent.pub"))
    assert no_key.returncode == 2 and no_key.stderr.strip() == f"error: {tmp_path / 'absent.pub'}: (file): no such file (the site's public key, PEM)"
    no_bundle = _verify(str(tmp_path / "absent.json"), "--fingerprint", loaded["fingerprint"])
    assert no_bundle.returncode == 2 and no_bundle.stderr.strip() == f"error: {tmp_path / 'absent.json'}: (file): no such file"


def test_a_figure_mismatch_names_stated_then_recomputed(loaded) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    bundle["figures"]["FT-101"]["mass_total_kg"]["indicated"] = "500000.000"
    assert "figure FT-101 mass_total_kg: the bundle states 500000.000, the raw readings give 450000.000" in _problems(bundle, loaded)


# -- found by review: the terminal bending the manifest's own numbers -----------------------------------


def _cut_end(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["blocks"] = bundle["blocks"][: len(bundle["blocks"]) * 2 // 3]
    bundle["boundary"]["after"] = None
    bundle["manifest"]["blocks"]["after"] = None
    _recompute_figures(bundle)
    return bundle


def test_the_terminal_moving_the_commit_margin_to_hide_a_cut_is_refused(loaded) -> None:  # noqa: ANN001
    bundle = _cut_end(copy.deepcopy(loaded["bundle"]))
    stamp = round(bundle["blocks"][-1]["created"] * 1000) + 1
    bundle["manifest"]["window"]["blocks_until_ms"] = bundle["manifest"]["exported_ms"] = stamp
    _resign(bundle, loaded["key"])
    assert "the window's end was moved" in " ".join(_problems(bundle, loaded, _heads_of(loaded)))


def test_the_terminal_shortening_to_ms_behind_the_printed_window_is_refused(loaded) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    window = bundle["manifest"]["window"]
    window["to_ms"] = (window["from_ms"] + window["to_ms"]) // 2
    _recompute_figures(bundle)
    _resign(bundle, loaded["key"])
    assert f"the window's to_ms ({window['to_ms']}) is not its to time ({window['to']})" in _problems(bundle, loaded)


def test_the_terminal_renumbering_its_chain_is_caught_by_witnessed_heads(loaded) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    key = loaded["key"]
    chain = [b for b in (bundle["boundary"]["before"], *bundle["blocks"], bundle["boundary"]["after"]) if b is not None]
    previous = chain[0]["prev_hash"]
    for b in chain:  # a fork numbered where no witnessed head can name it
        b["seq"] += 1000
        b["prev_hash"] = previous
        b["hash"] = block_hash(b["seq"], b["prev_hash"], b["created"], b["lines"])
        b["signature"] = key.sign(bytes.fromhex(b["hash"])).hex()
        previous = b["hash"]
    manifest = bundle["manifest"]["blocks"]
    for name, b in (("before", bundle["boundary"]["before"]), ("after", bundle["boundary"]["after"])):
        if b is not None:
            manifest[name] = {"seq": b["seq"], "hash": b["hash"]}
    _resign(bundle, key)
    assert _problems(bundle, loaded) == []
    problems = _problems(bundle, loaded, _heads_of(loaded))
    assert any("inside the window, names block" in p and p.endswith("the chain was rewritten or renumbered") for p in problems)


def test_a_look_alike_site_name_does_not_hide_the_heads(loaded) -> None:  # noqa: ANN001
    bundle = _cut_end(copy.deepcopy(loaded["bundle"]))
    bundle["manifest"]["site"] = "demo\u2011terminal"  # a non-breaking hyphen
    _resign(bundle, loaded["key"])
    problems = _problems(bundle, loaded, _heads_of(loaded))
    assert any(p.startswith("the site key signed head") and p.endswith("the bundle says site 'demo\u2011terminal'") for p in problems)
    assert any(p.endswith("blocks were cut") for p in problems)


def test_a_genuine_bundle_stays_verified_as_the_chain_goes_on_after_the_export(loaded) -> None:  # noqa: ANN001
    bundle = loaded["bundle"]
    manifest = bundle["manifest"]
    assert manifest["window"]["blocks_until_ms"] <= manifest["exported_ms"]
    # The collector kept running: a later head, after the export, names a block the bundle cannot hold.
    later = sign_head(loaded["key"], "demo-terminal", manifest["blocks"]["chain_head"]["seq"] + 5, "ab" * 32, manifest["exported_ms"] + 30_000)
    assert _problems(bundle, loaded, [*_heads_of(loaded), later]) == []


def test_heads_of_another_key_are_refused_not_ignored(loaded, tmp_path: Path) -> None:  # noqa: ANN001
    create_site_key(tmp_path / "other.key", tmp_path / "other.pub")
    other = load_private_key(tmp_path / "other.key")
    foreign = [sign_head(other, "another-terminal", h.seq, h.hash, h.time_ms) for h in _heads_of(loaded)]
    assert _problems(loaded["bundle"], loaded, foreign) == [
        f"none of the {len(foreign)} witnessed heads given is signed by the bundle's key: heads of another site or key?"
    ]


def test_accepting_the_bundles_own_key_is_never_called_verified(loaded, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(loaded["bundle"]))
    done = _verify(str(path), "--accept-bundle-key", "--json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["verdict"] == "consistent with the bundle's own key" and report["key_trusted"] is False


@pytest.mark.parametrize("damage, problem", [
    (lambda b: b["blocks"][3].update(lines=["meter,meter=FT-101 garbage"]), "line 1: not a readable meter reading"),
    (lambda b: b["figures"]["FT-101"]["mass_total_kg"].update(indicated=float("nan")), "the figures hold a value JSON cannot carry"),
])
def test_damaged_contents_are_named_not_crashed_on(loaded, damage, problem) -> None:  # noqa: ANN001
    bundle = copy.deepcopy(loaded["bundle"])
    damage(bundle)
    assert any(problem in p for p in _problems(bundle, loaded))
