"""A registry written before events were numbered per shipment and signed (format 1) still opens, its
history still verifies, and new events continue it with per-shipment numbers."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bulkdaq.evidence.canonical_json import canonical_json, sha256_hex
from bulkdaq.shipments.registry import HistoryAltered, ShipmentRegistry

REPO = Path(__file__).resolve().parents[3]

# The registry schema as it was before per-shipment numbers and signatures.
_FORMAT_1 = """
CREATE TABLE shipments (id TEXT PRIMARY KEY, declaration_hash TEXT NOT NULL, declared_at TEXT NOT NULL);
CREATE TABLE evidence (hash TEXT PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, shipment TEXT NOT NULL REFERENCES shipments(id), time TEXT NOT NULL,
    from_state TEXT, to_state TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL, evidence TEXT NOT NULL, previous_hash TEXT, hash TEXT NOT NULL);
"""


def _format_1_registry(path: Path) -> None:
    from bulkdaq.shipments.model import load_shipment

    db = sqlite3.connect(path)
    db.executescript(_FORMAT_1)
    previous: dict[str, str | None] = {}
    rows = [("A", None, "declared"), ("B", None, "declared"), ("A", "declared", "precheck")]
    for seq, (shipment_id, from_state, to_state) in enumerate(rows, start=1):
        evidence: list[str] = []
        if from_state is None:
            document = load_shipment(REPO / "examples" / "shipments" / "jet-fuel-export.toml").model_copy(update={"id": shipment_id}).as_document()
            digest = sha256_hex(document)
            db.execute("INSERT INTO evidence VALUES (?, 'declaration', ?)", (digest, canonical_json(document).decode()))
            db.execute("INSERT INTO shipments VALUES (?, ?, ?)", (shipment_id, digest, f"2026-04-1{seq}T08:00:00.000Z"))
            evidence = [digest]
        time = f"2026-04-1{seq}T08:00:00.000Z"
        fields = {"seq": seq, "shipment": shipment_id, "time": time, "from": from_state, "to": to_state, "actor": "officer Li",
                  "reason": "r", "evidence": evidence, "previous_hash": previous.get(shipment_id)}
        digest = sha256_hex(fields)
        db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, 'officer Li', 'r', ?, ?, ?)",
                   (seq, shipment_id, time, from_state, to_state, json.dumps(evidence), previous.get(shipment_id), digest))
        previous[shipment_id] = digest
    db.commit()
    db.close()


def test_a_format_1_registry_opens_verifies_and_continues(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _format_1_registry(path)
    registry = ShipmentRegistry(path)
    registry.verify_history("A")
    assert [(e.number, e.format, e.row) for e in registry.events("A")] == [(1, 1, 1), (2, 1, 3)]
    registry.transition("A", "loading", "officer Li", "precheck passed")
    events = registry.events("A")
    assert [(e.number, e.format) for e in events] == [(1, 1), (2, 1), (3, 2)]
    assert events[2].previous_hash == events[1].hash
    registry.verify_history("A")
    registry.close()
    # An edit behind SQLite's back to an old event is still caught.
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute("UPDATE events SET actor = 'someone' WHERE seq = 3")
    raw.commit()
    raw.close()
    with pytest.raises(HistoryAltered, match=r"event #2 of A \(declared → precheck\) does not match its hash \(altered\)"):
        ShipmentRegistry(path).verify_history("A")
