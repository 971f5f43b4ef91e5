"""Evidence bundles: export the signed blocks of a time window (or a shipment) with the figures they
support, and verify a bundle offline — completeness, integrity, history and key.

A bundle is one JSON document::

    {"format": "bulkdaq-evidence/2",
     "manifest": {…what the bundle claims, signed…}, "manifest_signature": hex,
     "public_key_pem": …,
     "blocks": [{"seq", "prev_hash", "created", "lines", "hash", "signature"}, …],
     "boundary": {"before": block | null, "after": block | null},
     "figures": {"FT-101": {"mass_total_kg": {"opening": {…}, "closing": {…}, "indicated": "450000.000"}}},
     "shipment": {"id", "events": […], "documents": {hash: {"kind", "body"}}}}   (shipment bundles only)

The **manifest** holds the site, the shipment, the window, the first and last block (seq, hash), the
blocks just outside the window (or the chain head at export when nothing follows), the digests of the
figures and of the shipment history, the calculator version and the key fingerprint; the site key signs
its canonical JSON. Nothing a reader relies on lies outside what is signed, so a cut (at either end),
a narrowed window, a renamed site, an emptied bundle or a forged history is refused, and the refusal
names it. The boundary blocks are carried whole: their signatures and times prove that the block before
the first was committed before the window and the block after the last after it, so no block of the
window can be left out.

**Witnessed chain heads** (bulkdaq/evidence/heads.py) go further: the manifest is signed with the site's
own key, so the terminal itself could cut and re-sign. A head published outside the terminal before the
cut contradicts it: the bundle gives another hash at the head's sequence number, or the bundle says the
chain ended before a block witnessed before the export.

docs/evidence.md states what each check proves, against whom, and what is not proven.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

import bulkdaq
from bulkdaq.config.site_file import LoadedSite
from bulkdaq.config.validation import read_text
from bulkdaq.errors import BulkdaqError, InputError
from bulkdaq.evidence.canonical_json import canonical_json, sha256_hex
from bulkdaq.evidence.chain import GENESIS, Block, block_hash, chain_head, fingerprint, load_private_key, load_public_key, public_pem, read_blocks
from bulkdaq.evidence.heads import ChainHead
from bulkdaq.shipments.live_quantities import METER_TICKETS, loading_start
from bulkdaq.shipments.registry import ShipmentRegistry, check_event_chain, event_from_dict, evidence_hash
from bulkdaq.store import contract
from bulkdaq.store.line_protocol import parse_line
from calculators.totalizer import TotalizerWentBackwards, indicated_quantity

FORMAT = "bulkdaq-evidence/2"
MANIFEST_FORMAT = "bulkdaq-evidence-manifest/1"
TOTALIZER_FIELDS = ("mass_total_kg", "volume_total_m3")
# Blocks committed up to this long after the window's end are taken too: a reading of the window's last
# moments is committed a little after it was read.
COMMIT_MARGIN_MS = 60_000
# A block is stamped when its commit begins and counted by heads once it has committed; the clock may be
# read a little apart. Order checks between blocks and heads allow this much.
ORDER_SLACK_MS = 2_000


class BundleMalformed(BulkdaqError, ValueError):
    """The document is not a well-formed bundle: `where` names the member, the message what was expected."""

    def __init__(self, where: str, expected: str) -> None:
        self.where, self.expected = where, expected
        super().__init__(f"{where}: {expected}")


@dataclass
class Verification:
    """What verifying a bundle found: what it covers, and every problem, named."""

    site: str = ""
    shipment: str | None = None
    window: dict[str, Any] = field(default_factory=dict)
    key_fingerprint: str = ""
    key_trusted: bool = False  # the key is the one the caller trusts (not merely the bundle's own)
    blocks_checked: int = 0
    readings_checked: int = 0
    events_checked: int = 0
    heads_checked: int = 0  # witnessed heads that bore on this bundle (matched a block, or bounded its end)
    evidence_hash: str | None = None  # the newest event's hash: what the measurement report shows
    last_event: str | None = None  # "#n state at time": an older bundle of the same shipment has an earlier one
    exported: str = ""
    figures: dict[str, dict[str, str]] = field(default_factory=dict)  # meter → totalizer → indicated
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "key_trusted": self.key_trusted, "site": self.site, "shipment": self.shipment, "window": self.window,
            "key_fingerprint": self.key_fingerprint, "blocks": self.blocks_checked, "readings": self.readings_checked,
            "events": self.events_checked, "last_event": self.last_event, "exported": self.exported,
            "witnessed_heads": self.heads_checked, "evidence_hash": self.evidence_hash,
            "figures": self.figures, "problems": list(self.problems),
        }


# -- export ------------------------------------------------------------------------------------------


def export_bundle(site: LoadedSite, start: datetime, end: datetime, shipment: dict[str, Any] | None = None) -> dict[str, Any]:
    """The blocks committed in [start, end] (plus `COMMIT_MARGIN_MS`), the blocks just outside, the meter
    figures they give, and (for a shipment) its history; all described by a manifest signed with the site key."""
    config = site.config
    spool_path = config.spool.path_for(config.site.name)
    if not spool_path.exists():
        raise InputError(site.path, "spool.path", f"{spool_path} does not exist: no evidence was collected here")
    key_file = config.evidence.key_file
    if key_file is None:
        raise InputError(site.path, "evidence.key_file", "no signing key is configured; unsigned evidence cannot be exported")
    key = load_private_key(key_file)
    start_ms, end_ms = round(start.timestamp() * 1000), round(end.timestamp() * 1000)
    exported_ms = _now_ms()
    if end_ms > exported_ms:
        raise InputError("command line", "--to", f"the window ends at {end.isoformat()}, in the future: export it once it has ended")
    # Blocks committed up to the margin after the window, or up to now if that is sooner: the manifest
    # says which, and the verifier holds the bundle (and every witnessed head) to it.
    until_ms = min(end_ms + COMMIT_MARGIN_MS, exported_ms)
    blocks = read_blocks(spool_path, start_ms / 1000, until_ms / 1000)
    if not blocks:
        raise InputError(site.path, "spool", f"no evidence block was committed between {start.isoformat()} and {end.isoformat()}: nothing to export")
    before = _single(read_blocks(spool_path, seq=blocks[0].seq - 1)) if blocks[0].seq > 1 else None
    if blocks[0].seq > 1 and before is None:
        raise InputError(site.path, "evidence.keep_days",
                         f"block {blocks[0].seq - 1}, just before the window, is no longer kept: the window's start cannot be proven")
    after = _single(read_blocks(spool_path, seq=blocks[-1].seq + 1))
    # With no block after the window, the last block was the chain's head when `after` was looked for; reading
    # the head again could see a block the collector committed since, and the bundle would contradict itself.
    if after is None:
        head = _ref(blocks[-1])
    else:
        head_seq, head_hash = chain_head(spool_path)
        head = {"seq": head_seq, "hash": head_hash}
    figures = meter_figures(blocks, start_ms, end_ms)
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "site": config.site.name,
        "shipment": None if shipment is None else shipment["id"],
        "window": {"from": start.isoformat(), "to": end.isoformat(), "from_ms": start_ms, "to_ms": end_ms, "blocks_until_ms": until_ms},
        "exported_ms": exported_ms,
        "key_fingerprint": fingerprint(key.public_key()),
        "calculator_version": bulkdaq.__version__,
        "blocks": {
            "count": len(blocks),
            "readings": sum(len(b.lines) for b in blocks),
            "first": _ref(blocks[0]),
            "last": _ref(blocks[-1]),
            "before": None if before is None else _ref(before),
            "after": None if after is None else _ref(after),
            "chain_head": head,
        },
        "figures_digest": sha256_hex(figures),
        "history_digest": None if shipment is None else history_digest(shipment),
    }
    bundle: dict[str, Any] = {
        "format": FORMAT,
        "manifest": manifest,
        "manifest_signature": sign_manifest(key, manifest),
        "public_key_pem": public_pem(key.public_key()),
        "blocks": [b.as_dict() for b in blocks],
        "boundary": {"before": None if before is None else before.as_dict(), "after": None if after is None else after.as_dict()},
        "figures": figures,
    }
    if shipment is not None:
        bundle["shipment"] = shipment
    return bundle


def export_shipment_bundle(site: LoadedSite, registry: ShipmentRegistry, shipment_id: str) -> dict[str, Any]:
    """The evidence of one shipment: the signed readings of its loading window, its registry history
    (events and every document they rest on) and the meter figures on its certificate."""
    registry.verify_history(shipment_id)
    found = registry.latest_evidence(shipment_id, METER_TICKETS)
    events = registry.events(shipment_id)
    if found is not None:
        body = found[1].body
        start, end = datetime.fromisoformat(body["from"]), datetime.fromisoformat(body["to"])
    else:
        start = loading_start(registry, shipment_id)
        end = next((e.time for e in events if e.to_state == "complete"), events[-1].time)
    documents = {digest: registry.evidence(digest) for event in events for digest in event.evidence}
    history: dict[str, Any] = {
        "id": shipment_id,
        "events": [event.as_dict() for event in events],
        "documents": {digest: {"kind": item.kind, "body": item.body} for digest, item in documents.items()},
    }
    signers = sorted({e.signer for e in events if e.signer is not None})
    if signers:  # the officers whose own keys signed a decision, as the registry registered them (covered by the manifest)
        keys, names = registry.officer_keys(), registry.officer_names()
        history["officers"] = {signer: {"officer": names[signer], "public_key": public_pem(keys[signer])} for signer in signers}
    return export_bundle(site, start, end, history)


def history_digest(shipment: dict[str, Any]) -> str:
    """SHA-256 of the shipment part of a bundle: its id, events and documents, and the officers' keys when it
    carries officers' decisions (a bundle without them hashes as before)."""
    part = {"id": shipment.get("id"), "events": shipment.get("events"), "documents": shipment.get("documents")}
    if "officers" in shipment:
        part["officers"] = shipment["officers"]
    return sha256_hex(part)


def sign_manifest(key: Ed25519PrivateKey, manifest: dict[str, Any]) -> str:
    return key.sign(canonical_json(manifest)).hex()


def meter_figures(blocks: Iterable[Block], start_ms: int, end_ms: int, unreadable: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Opening, closing and indicated quantity of every meter totalizer, from the good readings in the window.

    A meter line that cannot be read (not line protocol, no meter tag, a total that is not a number) is
    named in `unreadable` when a list is given, and raises ValueError otherwise."""
    first: dict[tuple[str, str], tuple[int, float]] = {}
    last: dict[tuple[str, str], tuple[int, float]] = {}
    for block in blocks:
        for number, line in enumerate(block.lines, start=1):
            if not line.startswith(contract.METER.name + ","):
                continue
            try:
                point = parse_line(line)
                if not start_ms <= point.time_ms <= end_ms or point.fields.get(contract.QUALITY_FIELD) != contract.Quality.GOOD.value:
                    continue
                meter = point.tags[contract.METER.asset_tag]
                readings = [(name, (point.time_ms, _total(point.fields[name]))) for name in TOTALIZER_FIELDS if name in point.fields]
            except (ValueError, KeyError, IndexError, TypeError) as error:
                if unreadable is None:
                    raise ValueError(f"block {block.seq} line {number}: not a readable meter reading ({error!r})") from None
                unreadable.append(f"block {block.seq} line {number}: not a readable meter reading ({error!r})")
                continue
            for name, reading in readings:
                key = (meter, name)
                if key not in first or reading[0] < first[key][0]:
                    first[key] = reading
                if key not in last or reading[0] > last[key][0]:
                    last[key] = reading
    figures: dict[str, dict[str, Any]] = {}
    for (meter, name), (open_ms, open_value) in sorted(first.items()):
        close_ms, close_value = last[(meter, name)]
        try:
            indicated = str(indicated_quantity(Decimal(repr(open_value)), Decimal(repr(close_value))))
        except TotalizerWentBackwards as error:
            indicated = f"error: {error}"
        figures.setdefault(meter, {})[name] = {
            "opening": {"time_ms": open_ms, "value": open_value},
            "closing": {"time_ms": close_ms, "value": close_value},
            "indicated": indicated,
        }
    return figures


def _total(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"totalizer value {value!r} is not a finite number")
    return float(value)


# -- verification ------------------------------------------------------------------------------------


def verify_bundle(
    bundle: Any,
    trusted_fingerprint: str | None = None,
    heads: Sequence[ChainHead] = (),
) -> Verification:
    """Check a bundle offline; every problem is named in `.problems`.

    Parameters
    ----------
    bundle
        The parsed JSON document.
    trusted_fingerprint
        The site key's fingerprint as registered with customs. Without it the bundle is checked against
        its own key only, which proves nothing about who made it (`Verification.key_trusted` is False).
    heads
        Chain heads witnessed outside the terminal (the `evidence_head` measurement): each one the bundle
        reaches must agree with it.

    Raises
    ------
    BundleMalformed
        The document is not a bundle of this format (a member missing or of the wrong type).
    """
    result = Verification()
    document = _members(bundle, "bundle", {"format": str})
    if document["format"] != FORMAT:
        hint = " (a bundle of format 1 has no signed manifest; export it again)" if document["format"] == "bulkdaq-evidence/1" else ""
        raise BundleMalformed("format", f"expected {FORMAT!r}, found {document['format']!r}{hint}")
    _members(bundle, "bundle", {"manifest": dict, "manifest_signature": str, "public_key_pem": str, "blocks": list, "boundary": dict, "figures": dict})
    manifest = _manifest(bundle["manifest"])
    try:
        key = load_public_key(bundle["public_key_pem"])
    except ValueError as error:
        raise BundleMalformed("public_key_pem", f"an Ed25519 public key in PEM ({error})") from None
    actual = fingerprint(key)
    result.site, result.shipment, result.window, result.key_fingerprint = manifest["site"], manifest["shipment"], manifest["window"], actual
    result.exported = _at(manifest["exported_ms"])
    if trusted_fingerprint is not None:
        trusted = normalise_fingerprint(trusted_fingerprint)
        result.key_trusted = actual == trusted
        if not result.key_trusted:
            result.problems.append(f"the bundle is signed with key {actual}, not the site's trusted key {trusted}")
    if manifest["key_fingerprint"] != actual:
        result.problems.append(f"the manifest names key {manifest['key_fingerprint']}, the bundle carries key {actual}")
    try:
        key.verify(bytes.fromhex(bundle["manifest_signature"]), canonical_json(manifest))
    except (InvalidSignature, ValueError):
        result.problems.append(
            f"the manifest's signature is not key {actual}'s: what the bundle claims (site, window, first and last block, "
            "figures, history) was changed after it was signed"
        )

    blocks = [_block(b, f"blocks[{i}]") for i, b in enumerate(bundle["blocks"])]
    boundary = bundle["boundary"]
    before = None if boundary.get("before") is None else _block(boundary["before"], "boundary.before")
    after = None if boundary.get("after") is None else _block(boundary["after"], "boundary.after")
    _check_blocks(blocks, key, actual, result)
    _check_completeness(manifest, blocks, before, after, key, actual, result)

    window = manifest["window"]
    _check_window(manifest, result)
    unreadable: list[str] = []
    recomputed = meter_figures(blocks, window["from_ms"], window["to_ms"], unreadable)
    result.problems += unreadable
    stated = bundle["figures"]
    for meter in sorted(set(recomputed) | set(stated)):
        for name in sorted(set(recomputed.get(meter, {})) | set(_dict(stated.get(meter)))):
            said = _dict(_dict(stated.get(meter)).get(name)).get("indicated")
            found = recomputed.get(meter, {}).get(name, {}).get("indicated")
            if said != found:
                result.problems.append(f"figure {meter} {name}: the bundle states {said}, the raw readings give {found}")
    result.figures = {meter: {name: f["indicated"] for name, f in totals.items()} for meter, totals in recomputed.items()}
    if _digest(stated, "figures", result) != manifest["figures_digest"]:
        result.problems.append("the figures are not the ones the manifest signed (figures digest differs)")

    _check_shipment(bundle, manifest, key, result)
    if heads:
        _check_heads(manifest, blocks, before, after, heads, key, result)
    return result


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as people copy it (upper or lower case, with spaces or colons) → 64 lower-case hex digits.

    Raises
    ------
    ValueError
        Not 64 hexadecimal digits.
    """
    digits = "".join(c for c in text.strip().lower() if c not in " :-")
    if len(digits) != 64 or any(c not in "0123456789abcdef" for c in digits):
        raise ValueError(f"a key fingerprint is 64 hexadecimal digits (as `bulkdaq evidence keygen` prints it), got {text!r}")
    return digits


def _digest(document: Any, what: str, result: Verification) -> str | None:
    """SHA-256 of a part of the bundle, or None (and a problem) when it holds what JSON cannot carry."""
    try:
        return sha256_hex(document)
    except (ValueError, TypeError) as error:
        result.problems.append(f"the {what} hold a value JSON cannot carry ({error}): altered")
        return None


def _check_window(manifest: dict[str, Any], result: Verification) -> None:
    """The window's millisecond bounds are its ISO times, in order, and the commit margin is the export's rule."""
    window = manifest["window"]
    for name in ("from", "to"):
        try:
            moment = datetime.fromisoformat(window[name])
        except ValueError:
            raise BundleMalformed(f"manifest.window.{name}", f"an ISO 8601 time, found {window[name]!r}") from None
        if moment.tzinfo is None or round(moment.timestamp() * 1000) != window[f"{name}_ms"]:
            result.problems.append(f"the window's {name}_ms ({window[f'{name}_ms']}) is not its {name} time ({window[name]})")
    if window["from_ms"] > window["to_ms"]:
        result.problems.append(f"the window ends ({window['to']}) before it begins ({window['from']})")
    until = window["blocks_until_ms"]
    if not window["to_ms"] <= until <= window["to_ms"] + COMMIT_MARGIN_MS or until > manifest["exported_ms"]:
        result.problems.append(
            f"the blocks are taken up to {until} ms, not up to {COMMIT_MARGIN_MS // 1000} s after the window's end or the export, "
            "whichever came first: the window's end was moved"
        )


def _check_blocks(blocks: list[Block], key: Ed25519PublicKey, actual: str, result: Verification) -> None:
    previous: Block | None = None
    for block in blocks:
        result.blocks_checked += 1
        result.readings_checked += len(block.lines)
        _check_block_seal(block, key, actual, f"block {block.seq}", result)
        if previous is not None:
            if block.seq <= previous.seq:
                result.problems.append(f"blocks out of order: block {block.seq} comes after block {previous.seq}")
            elif block.seq != previous.seq + 1:
                gap = block.seq - previous.seq - 1
                missing = ", ".join(str(s) for s in range(previous.seq + 1, block.seq)) if gap <= 20 else f"{previous.seq + 1}–{block.seq - 1} ({gap})"
                result.problems.append(f"block(s) {missing} missing: block {block.seq} follows block {previous.seq}")
            elif block.prev_hash != previous.hash:
                result.problems.append(f"block {block.seq} does not chain to block {previous.seq} (prev_hash differs)")
        previous = block


def _check_block_seal(block: Block, key: Ed25519PublicKey, actual: str, label: str, result: Verification) -> None:
    if block_hash(block.seq, block.prev_hash, block.created, block.lines) != block.hash:
        result.problems.append(f"{label}: content altered (its hash does not match its readings)")
    if not block.signature:
        result.problems.append(f"{label}: not signed")
        return
    try:
        key.verify(bytes.fromhex(block.signature), bytes.fromhex(block.hash))
    except (InvalidSignature, ValueError):
        result.problems.append(f"{label}: signature does not match the bundle's key {actual}")


def _check_completeness(
    manifest: dict[str, Any], blocks: list[Block], before: Block | None, after: Block | None,
    key: Ed25519PublicKey, actual: str, result: Verification,
) -> None:
    """The blocks are exactly those the manifest names, and the boundary blocks prove nothing of the window is left out."""
    claimed = manifest["blocks"]
    window = manifest["window"]
    if not blocks:
        result.problems.append(f"the bundle holds no blocks, the manifest names {claimed['count']}: nothing is proven")
        return
    if len(blocks) != claimed["count"]:
        result.problems.append(f"the manifest names {claimed['count']} blocks, the bundle holds {len(blocks)}")
    for end, block in (("first", blocks[0]), ("last", blocks[-1])):
        if (block.seq, block.hash) != (claimed[end]["seq"], claimed[end]["hash"]):
            cut = "its start was cut" if end == "first" else "its end was cut"
            result.problems.append(
                f"the manifest's {end} block is {claimed[end]['seq']}, the bundle's is {block.seq}: {cut}"
                if block.seq != claimed[end]["seq"] else f"the {end} block {block.seq} is not the one the manifest names (hash differs)"
            )
    readings = sum(len(b.lines) for b in blocks)
    if readings != claimed["readings"]:
        result.problems.append(f"the manifest names {claimed['readings']} readings, the bundle holds {readings}")
    first, last = blocks[0], blocks[-1]
    # The start: the block before the first was committed before the window (or the first block is the chain's first).
    if claimed["before"] is None:
        if first.seq != 1 or first.prev_hash != GENESIS:
            result.problems.append(f"the window's start is not proven: block {first.seq - 1}, before block {first.seq}, is not in the bundle")
    elif before is None or (before.seq, before.hash) != (claimed["before"]["seq"], claimed["before"]["hash"]):
        result.problems.append(f"the block before the window (block {claimed['before']['seq']}) is missing or not the one the manifest names")
    else:
        _check_block_seal(before, key, actual, f"boundary block {before.seq}", result)
        if before.seq != first.seq - 1 or first.prev_hash != before.hash:
            result.problems.append(f"block {first.seq} does not follow boundary block {before.seq}: the window's start was cut")
        if before.created * 1000 >= window["from_ms"]:
            result.problems.append(f"boundary block {before.seq} was committed inside the window: the window's start was cut")
    # The end: the block after the last was committed after the window, or the last block was the chain head at export.
    if claimed["after"] is None:
        head = claimed["chain_head"]
        if (head["seq"], head["hash"]) != (last.seq, last.hash):
            result.problems.append(f"the bundle ends at block {last.seq} but names block {head['seq']} as the chain head: its end was cut")
    elif after is None or (after.seq, after.hash) != (claimed["after"]["seq"], claimed["after"]["hash"]):
        result.problems.append(f"the block after the window (block {claimed['after']['seq']}) is missing or not the one the manifest names")
    else:
        _check_block_seal(after, key, actual, f"boundary block {after.seq}", result)
        if after.seq != last.seq + 1 or after.prev_hash != last.hash:
            result.problems.append(f"boundary block {after.seq} does not follow block {last.seq}: the window's end was cut")
        if after.created * 1000 <= window["blocks_until_ms"]:
            result.problems.append(f"boundary block {after.seq} was committed inside the window: the window's end was cut")


def _check_shipment(bundle: dict[str, Any], manifest: dict[str, Any], key: Ed25519PublicKey, result: Verification) -> None:
    """The shipment's history is the registry's own: numbered, chained, signed events, and every document they name."""
    claimed = manifest["shipment"]
    part = bundle.get("shipment")
    if claimed is None:
        if part is not None:
            result.problems.append("the bundle carries a shipment history the manifest does not name")
        return
    if not isinstance(part, dict):
        result.problems.append(f"the shipment history of {claimed} is missing from the bundle")
        return
    _members(part, "shipment", {"id": str, "events": list, "documents": dict})
    raw_events, documents = part["events"], part["documents"]
    if part["id"] != claimed:
        result.problems.append(f"the bundle's shipment is {part['id']!r}, the manifest names {claimed!r}")
    try:
        digest_ok = history_digest(part) == manifest["history_digest"]
    except (ValueError, TypeError) as error:
        result.problems.append(f"shipment {claimed}: the history holds a value JSON cannot carry ({error}): altered")
        digest_ok = True  # named just above
    if not digest_ok:
        result.problems.append(f"shipment {claimed}: the history is not the one the manifest signed (an event or document was changed, added or removed)")
    events = []
    for i, raw in enumerate(raw_events):
        try:
            events.append(event_from_dict(raw))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise BundleMalformed(f"shipment.events[{i}]", f"an event as the registry writes it ({error!r})") from None
    result.events_checked = len(events)
    result.evidence_hash = events[-1].hash if events else None
    result.last_event = f"#{events[-1].number} {events[-1].to_state} at {events[-1].time.isoformat()}" if events else None
    result.problems += check_event_chain(claimed, events, key, officer_keys=_officer_keys(part.get("officers"), claimed, result.problems))
    named = {digest for event in events for digest in event.evidence}
    for digest in sorted(named - set(documents)):
        result.problems.append(f"shipment {claimed}: document {digest[:12]}… named by an event is missing")
    for digest in sorted(set(documents) - named):
        result.problems.append(f"shipment {claimed}: document {digest[:12]}… is named by no event")
    for digest, document in documents.items():
        if not isinstance(document, dict) or "body" not in document or "kind" not in document:
            raise BundleMalformed(f"shipment.documents.{digest[:12]}", "an object with `kind` and `body`")
        try:
            altered = evidence_hash(document["body"]) != digest
        except (ValueError, TypeError):
            altered = True
        if altered:
            result.problems.append(f"shipment {claimed}: document {document['kind']} altered (its hash is not {digest[:12]}…)")
    figures = bundle["figures"]
    for document in documents.values():
        if document["kind"] != METER_TICKETS:
            continue
        body = _dict(document["body"])
        window = manifest["window"]
        if (body.get("from"), body.get("to")) != (window["from"], window["to"]):
            result.problems.append(
                f"shipment {claimed}: the window is {window['from']} – {window['to']}, the meter tickets were made for "
                f"{body.get('from')} – {body.get('to')}"
            )
        for run in (r for r in body.get("meters", []) if isinstance(r, dict)):
            raw = _dict(_dict(figures.get(str(run.get("meter")))).get(str(run.get("totalizer")))).get("indicated")
            if raw != run.get("indicated_exact"):
                result.problems.append(
                    f"shipment {claimed} meter {run.get('meter')}: the measurement report's indicated {run.get('totalizer')} is "
                    f"{run.get('indicated_exact')}, the raw readings give {raw}"
                )


def _check_heads(
    manifest: dict[str, Any], blocks: list[Block], before: Block | None, after: Block | None,
    heads: Sequence[ChainHead], key: Ed25519PublicKey, result: Verification,
) -> None:
    """The bundle agrees with every head the site key signed.

    A head (time T, block N, hash H) says: at T the chain's newest committed block was N. So the bundle's
    block N (if it has it) has hash H; every block up to N was stamped before T; a head taken inside the
    window names a block the bundle holds or bounds; and one taken before the export, beyond the bundle's
    last block, contradicts a bundle that says it reaches the chain's head. Heads are matched by the key,
    not by the site name the bundle gives, so a renamed site cannot hide its own heads.
    """
    site, window = manifest["site"], manifest["window"]
    known = sorted((b for b in (before, *blocks, after) if b is not None), key=lambda b: b.seq)
    by_seq = {b.seq: b for b in known}
    if not known:
        return
    # latest stamp among the blocks up to each position, to hold every head to its order in one pass each
    latest: list[float] = []
    for b in known:
        latest.append(max(b.created, latest[-1]) if latest else b.created)
    seqs = [b.seq for b in known]
    last, ends_at_head = blocks[-1] if blocks else known[-1], manifest["blocks"]["after"] is None
    signed = [h for h in heads if h.verify(key)]
    for head in heads:
        if head.site == site and not head.verify(key):
            result.problems.append(f"witnessed head {head.seq} at {_at(head.time_ms)} names site {site} but is not signed by the bundle's key")
    if heads and not signed:
        result.problems.append(f"none of the {len(heads)} witnessed heads given is signed by the bundle's key: heads of another site or key?")
    for head in sorted(signed, key=lambda h: (h.time_ms, h.seq)):
        at = _at(head.time_ms)
        if head.site != site:
            result.problems.append(f"the site key signed head {head.seq} at {at} as site {head.site!r}; the bundle says site {site!r}")
        bears = False
        if head.seq in by_seq:
            bears = True
            if by_seq[head.seq].hash != head.hash:
                result.problems.append(
                    f"block {head.seq}: the bundle's hash {by_seq[head.seq].hash[:16]}… differs from the head witnessed at {at} "
                    f"({head.hash[:16]}…): the chain was rewritten after that head was published"
                )
        counted = bisect_right(seqs, head.seq)  # blocks of the bundle the head already counted
        if counted and latest[counted - 1] * 1000 > head.time_ms + ORDER_SLACK_MS:
            bears = True
            late = next(b for b in known[:counted] if b.created * 1000 > head.time_ms + ORDER_SLACK_MS)
            result.problems.append(
                f"block {late.seq} is stamped {_at(round(late.created * 1000))}, after the head witnessed at {at} that already counted it "
                f"(block {head.seq}): the chain was rewritten or renumbered"
            )
        inside = window["from_ms"] + ORDER_SLACK_MS <= head.time_ms <= window["blocks_until_ms"]
        low = before.seq if before is not None else 0
        high = last.seq if ends_at_head else (after.seq if after is not None else last.seq)
        if inside:
            bears = True
            if head.seq < low:
                result.problems.append(
                    f"the head witnessed at {at}, inside the window, names block {head.seq}, before the bundle's blocks {low}–{high}: "
                    "the chain was rewritten or renumbered"
                )
            elif head.seq > last.seq:
                result.problems.append(
                    f"the chain had reached block {head.seq} by {at} (witnessed), inside the window, but the bundle ends at block {last.seq}: "
                    "blocks were cut"
                )
        elif head.seq > last.seq and ends_at_head and head.time_ms <= manifest["exported_ms"]:
            bears = True
            result.problems.append(
                f"the chain had reached block {head.seq} by {at} (witnessed), but the bundle says block {last.seq} was the chain head "
                "when it was exported: blocks were cut"
            )
        result.heads_checked += bears


def _at(time_ms: int) -> str:
    try:
        return datetime.fromtimestamp(time_ms / 1000, timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return f"{time_ms} ms (not a time)"


# -- reading -----------------------------------------------------------------------------------------


def read_bundle(path: Path) -> dict[str, Any]:
    text = read_text(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(path, "(syntax)", f"not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise InputError(path, "(document)", f"an evidence bundle is a JSON object, not {type(document).__name__}")
    return document


def read_heads(path: Path) -> list[ChainHead]:
    """Witnessed heads from a file: a JSON list of {"site", "seq", "hash", "time_ms", "signature"}
    (`bulkdaq evidence heads` writes it)."""
    text = read_text(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(path, "(syntax)", f"not a JSON file: {error}") from None
    if not isinstance(document, list):
        raise InputError(path, "(document)", "a JSON list of chain heads")
    heads = []
    for i, item in enumerate(document):
        try:
            checked = _members(item, f"[{i}]", {"site": str, "seq": int, "hash": str, "time_ms": int, "signature": str})
        except BundleMalformed as error:
            raise InputError(path, error.where, error.expected) from None
        heads.append(ChainHead(checked["site"], checked["seq"], checked["hash"], checked["time_ms"], checked["signature"]))
    return heads


def _manifest(value: Any) -> dict[str, Any]:
    manifest = _members(value, "manifest", {
        "format": str, "site": str, "window": dict, "exported_ms": int, "key_fingerprint": str, "calculator_version": str,
        "blocks": dict, "figures_digest": str,
    })
    if manifest["format"] != MANIFEST_FORMAT:
        raise BundleMalformed("manifest.format", f"expected {MANIFEST_FORMAT!r}, found {manifest['format']!r}")
    for name in ("shipment", "history_digest"):
        if name not in manifest:
            raise BundleMalformed(f"manifest.{name}", "missing (null when the bundle has no shipment)")
        if not (manifest[name] is None or isinstance(manifest[name], str)):
            raise BundleMalformed(f"manifest.{name}", f"a string or null, found {_kind(manifest[name])}")
    _members(manifest["window"], "manifest.window", {"from": str, "to": str, "from_ms": int, "to_ms": int, "blocks_until_ms": int})
    claimed = _members(manifest["blocks"], "manifest.blocks", {"count": int, "readings": int, "first": dict, "last": dict, "chain_head": dict})
    for name in ("first", "last", "before", "after", "chain_head"):
        if name not in claimed:
            raise BundleMalformed(f"manifest.blocks.{name}", "missing (null when there is none)")
        if claimed[name] is not None:
            _members(claimed[name], f"manifest.blocks.{name}", {"seq": int, "hash": str})
    return manifest


def _block(value: Any, where: str) -> Block:
    b = _members(value, where, {"seq": int, "prev_hash": str, "created": (int, float), "lines": list, "hash": str, "signature": str})
    if not all(isinstance(line, str) for line in b["lines"]):
        raise BundleMalformed(f"{where}.lines", "a list of line-protocol strings")
    return Block(b["seq"], b["prev_hash"], b["created"], tuple(b["lines"]), b["hash"], b["signature"])


def _officer_keys(officers: Any, shipment_id: str, problems: list[str]) -> dict[str, Ed25519PublicKey]:
    """The officers' public keys a bundle carries, by fingerprint; a key that is not its fingerprint's is a problem."""
    if officers is None:
        return {}
    if not isinstance(officers, dict):
        raise BundleMalformed("shipment.officers", f"expected an object, found {_kind(officers)}")
    keys = {}
    for stated, officer in officers.items():
        _members(officer, f"shipment.officers.{stated[:12]}", {"officer": str, "public_key": str})
        try:
            key = load_public_key(officer["public_key"])
        except ValueError as error:
            raise BundleMalformed(f"shipment.officers.{stated[:12]}.public_key", f"an Ed25519 public key in PEM ({error})") from None
        if fingerprint(key) != stated:
            problems.append(f"shipment {shipment_id}: officer {officer['officer']}'s key is not the key {stated} it is listed under")
            continue
        keys[stated] = key
    return keys


def _members(value: Any, where: str, expected: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """`value` is an object with each expected member of its type (bool is not taken for a number)."""
    if not isinstance(value, dict):
        raise BundleMalformed(where, f"expected an object, found {_kind(value)}")
    for name, kind in expected.items():
        if name not in value:
            raise BundleMalformed(f"{where}.{name}", "missing")
        member = value[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(member, bool) and bool not in kinds or not isinstance(member, kinds):
            names = " or ".join({int: "an integer", float: "a number", str: "a string", list: "a list", dict: "an object"}[k] for k in kinds)
            raise BundleMalformed(f"{where}.{name}", f"expected {names}, found {_kind(member)}")
    return value


_KIND_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "true/false", int: "an integer", float: "a number", type(None): "null"}


def _kind(value: Any) -> str:
    """How a JSON value reads in a message: its kind, and the value itself when it is short."""
    kind = _KIND_NAMES.get(type(value), type(value).__name__)
    shown = isinstance(value, (str, int, float)) and not isinstance(value, bool) and len(repr(value)) < 40
    return f"{kind} ({value!r})" if shown else kind


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ref(block: Block) -> dict[str, Any]:
    return {"seq": block.seq, "hash": block.hash}


def _single(blocks: list[Block]) -> Block | None:
    return blocks[0] if blocks else None


def _now_ms() -> int:
    return round(datetime.now(timezone.utc).timestamp() * 1000)


__all__ = [
    "COMMIT_MARGIN_MS",
    "FORMAT",
    "MANIFEST_FORMAT",
    "BundleMalformed",
    "Verification",
    "export_bundle",
    "export_shipment_bundle",
    "history_digest",
    "meter_figures",
    "normalise_fingerprint",
    "read_bundle",
    "read_heads",
    "sign_manifest",
    "verify_bundle",
]
