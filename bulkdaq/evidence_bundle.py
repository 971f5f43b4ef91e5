"""Evidence bundles: export the signed blocks of a time window with the figures they support, and verify
a bundle offline — chain, signatures, key, and the figures recomputed from the raw readings.

A bundle is one JSON document::

    {"format": "bulkdaq-evidence/1", "site": …, "window": {"from": …, "to": …},
     "public_key_pem": …, "key_fingerprint": …, "calculator_version": …,
     "blocks": [{"seq", "prev_hash", "created", "lines", "hash", "signature"}, …],
     "figures": {"FT-101": {"mass_total_kg": {"opening": {"time_ms", "value"}, "closing": {…}, "indicated": "450000.000"}}}}

`verify_bundle` names every problem it finds: an altered reading (hash), a deleted block (sequence gap),
a reordering, a block that does not chain to its predecessor, a signature that does not match, a key
that is not the site's, and a figure that the raw readings do not give.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature

import bulkdaq
from bulkdaq import contract
from bulkdaq.evidence_chain import Block, block_hash, fingerprint, load_private_key, load_public_key, public_pem, read_blocks
from bulkdaq.input_error import InputError
from bulkdaq.line_protocol import parse_line
from bulkdaq.live_quantities import METER_TICKETS, loading_start
from bulkdaq.shipment_registry import ShipmentRegistry, evidence_hash
from bulkdaq.site_config import LoadedSite
from calculators.totalizer import TotalizerWentBackwards, indicated_quantity

FORMAT = "bulkdaq-evidence/1"
TOTALIZER_FIELDS = ("mass_total_kg", "volume_total_m3")


@dataclass
class Verification:
    blocks_checked: int = 0
    readings_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def export_bundle(site: LoadedSite, start: datetime, end: datetime) -> dict[str, Any]:
    """The blocks committed in [start, end] (plus a minute, for readings committed just after) and the
    meter figures they give."""
    config = site.config
    spool_path = config.spool.path_for(config.site.name)
    if not spool_path.exists():
        raise InputError(site.path, "spool.path", f"{spool_path} does not exist: no evidence was collected here")
    blocks = read_blocks(spool_path, start.timestamp(), end.timestamp() + 60)
    key_file = config.evidence.key_file
    if key_file is None:
        raise InputError(site.path, "evidence.key_file", "no signing key is configured; unsigned evidence cannot be exported")
    public = load_private_key(key_file).public_key()
    start_ms, end_ms = round(start.timestamp() * 1000), round(end.timestamp() * 1000)
    return {
        "format": FORMAT,
        "site": config.site.name,
        "window": {"from": start.isoformat(), "to": end.isoformat(), "from_ms": start_ms, "to_ms": end_ms},
        "public_key_pem": public_pem(public),
        "key_fingerprint": fingerprint(public),
        "calculator_version": bulkdaq.__version__,
        "blocks": [b.as_dict() for b in blocks],
        "figures": meter_figures(blocks, start_ms, end_ms),
    }


def meter_figures(blocks: list[Block], start_ms: int, end_ms: int) -> dict[str, dict[str, Any]]:
    """Opening, closing and indicated quantity of every meter totalizer, from the good readings in the window."""
    first: dict[tuple[str, str], tuple[int, float]] = {}
    last: dict[tuple[str, str], tuple[int, float]] = {}
    for block in blocks:
        for line in block.lines:
            if not line.startswith(contract.METER.name + ","):
                continue
            point = parse_line(line)
            if not start_ms <= point.time_ms <= end_ms or point.fields.get(contract.QUALITY_FIELD) != contract.Quality.GOOD.value:
                continue
            meter = point.tags[contract.METER.asset_tag]
            for name in TOTALIZER_FIELDS:
                if name in point.fields:
                    reading = (point.time_ms, float(point.fields[name]))
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


def verify_bundle(bundle: dict[str, Any], trusted_fingerprint: str | None = None) -> Verification:
    """Check a bundle offline; every problem is named in `.problems`."""
    result = Verification()
    if bundle.get("format") != FORMAT:
        result.problems.append(f"not a bulkdaq evidence bundle (format {bundle.get('format')!r}, expected {FORMAT!r})")
        return result
    try:
        key = load_public_key(bundle["public_key_pem"])
    except (ValueError, KeyError) as error:
        result.problems.append(f"the bundle's public key cannot be read: {error}")
        return result
    actual = fingerprint(key)
    if trusted_fingerprint is not None and actual != trusted_fingerprint.lower():
        result.problems.append(f"the bundle is signed with key {actual}, not the site's trusted key {trusted_fingerprint.lower()}")
    blocks = [Block(b["seq"], b["prev_hash"], b["created"], tuple(b["lines"]), b["hash"], b["signature"]) for b in bundle.get("blocks", [])]
    previous: Block | None = None
    for block in blocks:
        result.blocks_checked += 1
        result.readings_checked += len(block.lines)
        if block_hash(block.seq, block.prev_hash, block.created, block.lines) != block.hash:
            result.problems.append(f"block {block.seq}: content altered (its hash does not match its readings)")
        if not block.signature:
            result.problems.append(f"block {block.seq}: not signed")
        else:
            try:
                key.verify(bytes.fromhex(block.signature), bytes.fromhex(block.hash))
            except (InvalidSignature, ValueError):
                result.problems.append(f"block {block.seq}: signature does not match the bundle's key {actual}")
        if previous is not None:
            if block.seq <= previous.seq:
                result.problems.append(f"blocks out of order: block {block.seq} comes after block {previous.seq}")
            elif block.seq != previous.seq + 1:
                missing = ", ".join(str(s) for s in range(previous.seq + 1, block.seq))
                result.problems.append(f"block(s) {missing} missing: block {block.seq} follows block {previous.seq}")
            elif block.prev_hash != previous.hash:
                result.problems.append(f"block {block.seq} does not chain to block {previous.seq} (prev_hash differs)")
        previous = block
    window = bundle.get("window", {})
    recomputed = meter_figures(blocks, window.get("from_ms", 0), window.get("to_ms", 2**63))
    stated = bundle.get("figures", {})
    for meter in sorted(set(recomputed) | set(stated)):
        for name in sorted(set(recomputed.get(meter, {})) | set(stated.get(meter, {}))):
            said = stated.get(meter, {}).get(name, {}).get("indicated")
            found = recomputed.get(meter, {}).get(name, {}).get("indicated")
            if said != found:
                result.problems.append(f"figure {meter} {name}: the bundle states {said}, the raw readings give {found}")
    if "shipment" in bundle:
        _verify_shipment(bundle, result)
    return result


def read_bundle(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "(file)", "no such file") from None
    except json.JSONDecodeError as error:
        raise InputError(path, "(syntax)", f"not valid JSON: {error}") from None


def export_shipment_bundle(site: LoadedSite, registry: ShipmentRegistry, shipment_id: str) -> dict[str, Any]:
    """The evidence of one shipment: the signed readings of its loading window, its registry history
    (events and every document they rest on, with their hashes) and the meter figures on its certificate."""
    found = registry.latest_evidence(shipment_id, METER_TICKETS)
    if found is not None:
        body = found[1].body
        start, end = datetime.fromisoformat(body["from"]), datetime.fromisoformat(body["to"])
    else:
        events = registry.events(shipment_id)
        start = loading_start(registry, shipment_id)
        end = next((e.time for e in events if e.to_state == "complete"), events[-1].time)
    bundle = export_bundle(site, start, end)
    events = registry.events(shipment_id)
    documents = {digest: registry.evidence(digest) for event in events for digest in event.evidence}
    bundle["shipment"] = {
        "id": shipment_id,
        "events": [event.as_dict() for event in events],
        "documents": {digest: {"kind": item.kind, "body": item.body} for digest, item in documents.items()},
    }
    return bundle


def _verify_shipment(bundle: dict[str, Any], result: Verification) -> None:
    """The shipment's documents are the ones its events name, and its meter figures are the raw readings'."""
    part = bundle["shipment"]
    for digest, document in part.get("documents", {}).items():
        if evidence_hash(document["body"]) != digest:
            result.problems.append(f"shipment {part['id']}: document {document['kind']} altered (its hash is not {digest[:12]}…)")
    figures = bundle.get("figures", {})
    for document in part.get("documents", {}).values():
        if document["kind"] != METER_TICKETS:
            continue
        for run in document["body"].get("meters", []):
            raw = figures.get(run["meter"], {}).get(run["totalizer"], {}).get("indicated")
            if raw != run["indicated_exact"]:
                result.problems.append(
                    f"shipment {part['id']} meter {run['meter']}: the certificate's indicated {run['totalizer']} is "
                    f"{run['indicated_exact']}, the raw readings give {raw}"
                )
