"""The yard ledger (bulkdaq/yard/ledger.py): numbering, chain, signatures, append-only SQLite, the checks of
each entry kind, and the attacks an edited file must not survive."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError
from yard_scenario import LOTS, RUN_1, at, emptied, inbound, record_honest, run_document

from bulkdaq.errors import BulkdaqError
from bulkdaq.evidence.canonical_json import canonical_json, sha256_hex
from bulkdaq.evidence.chain import fingerprint, public_pem
from bulkdaq.inputs.lot_file import read_inbound_lot
from bulkdaq.shipments.model import load_figures, load_shipment
from bulkdaq.shipments.registry import Evidence, ShipmentRegistry, Transition
from bulkdaq.shipments.tolerance_rules import load_rule_set
from bulkdaq.shipments.workflow import FIGURES
from bulkdaq.yard.ledger import (
    Entry,
    EntryRefused,
    LedgerAltered,
    LedgerKeyRefused,
    LedgerUnavailable,
    YardLedger,
)
from bulkdaq.yard.lot import InboundLot, LotFigure, Moisture, ScaleDrift, StockSurvey, Transfer, UnsafeLotId

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _raw(path: Path) -> sqlite3.Connection:
    """The file opened behind the ledger's back, its triggers dropped (what an editor with the file can do)."""
    db = sqlite3.connect(path, isolation_level=None)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    return db


# -- what an honest ledger holds ------------------------------------------------------------------------


def test_entries_are_numbered_chained_and_signed_and_the_ledger_verifies(honest: YardLedger, site_key: Ed25519PrivateKey) -> None:
    entries = honest.entries()
    assert [(e.number, e.kind, e.subject) for e in entries] == [
        (1, "lot_entered", "L-PILBARA-01"), (2, "lot_entered", "L-BRAZIL-07"), (3, "lot_entered", "L-SA-03"),
        (4, "moisture", "L-PILBARA-01"), (5, "run", "R-2026-0412-01"), (6, "lot_shipped", "O-PB62-01"),
    ]
    assert entries[0].previous_hash is None
    assert all(later.previous_hash == earlier.hash for earlier, later in zip(entries, entries[1:], strict=False))
    for entry in entries:
        assert entry.hash == sha256_hex(entry.hashed_fields())
        site_key.public_key().verify(bytes.fromhex(entry.signature), canonical_json(entry.hashed_fields()))
        assert sha256_hex(honest.document(entry.document)) == entry.document
    # The run is dated by its end, the moisture by its sampling.
    assert entries[4].time == at(12, 5) and entries[3].time == at(10, 8)
    honest.verify()
    honest.verify(site_key.public_key())


def test_lots_and_book_stock_wet_and_dry(honest: YardLedger) -> None:
    lots = honest.lots()
    assert list(lots) == ["L-PILBARA-01", "L-BRAZIL-07", "L-SA-03", "O-PB62-01"]
    # Pilbara: 100,000 t ± 250 t entered at 8.5 % ± 0.1 → 91,500 t dry; 3,000 t ± 9 t drawn at the newer 7.9 % ± 0.1
    # → 2,763 t dry. Book stock 97,000 t wet, 88,737 t dry.
    stock = honest.book_stock("L-PILBARA-01")
    assert stock.wet_t == pytest.approx(97_000.0, abs=1e-9)
    assert stock.u_wet_t == pytest.approx((250.0**2 + 9.0**2) ** 0.5, rel=1e-12)  # 250.162 t
    assert stock.dry_t == pytest.approx(91_500.0 - 2_763.0, abs=1e-9)
    # u(dry entered) = √((0.915·250)² + (1,000·0.1)²) = 249.6529 t; u(dry drawn) = √((0.921·9)² + (30·0.1)²) = 8.8152 t
    assert stock.u_dry_t == pytest.approx(((0.915 * 250) ** 2 + 100.0**2 + (0.921 * 9) ** 2 + 3.0**2) ** 0.5, rel=1e-12)
    # The product pile: 5,000 t made, 5,000 t shipped; dry 4,603 t made (the components' dry tonnes), 4,595 t shipped at 8.1 %.
    product = honest.book_stock("PB-blend-62")
    assert product.wet_t == pytest.approx(0.0, abs=1e-9)
    assert product.dry_t == pytest.approx(4_603.0 - 4_595.0, abs=1e-9)
    # Before the run only the lot's entry counts.
    assert honest.book_stock("L-PILBARA-01", until=at(11)).wet_t == 100_000.0


def test_a_ledger_reopened_continues_the_chain(honest: YardLedger, yard_path: Path, site_key: Ed25519PrivateKey) -> None:
    head = honest.entries()[-1]
    honest.close()
    with YardLedger(yard_path, site_key, create=False) as again:
        entry = again.stock_survey(StockSurvey(lot="L-SA-03", surveyed=at(15, 6),
                                               figure=LotFigure(method="stockpile_survey", wet_t=19_480.0, u_wet_t=390.0, source="drone")), "surveyor")
        assert (entry.number, entry.previous_hash) == (7, head.hash)
        again.verify(site_key.public_key())


# -- SQLite refuses, the file is checked ----------------------------------------------------------------


def test_sqlite_itself_refuses_to_update_or_delete_an_entry(honest: YardLedger, yard_path: Path) -> None:
    db = sqlite3.connect(yard_path)
    for statement in ("UPDATE entries SET actor = 'someone else' WHERE number = 1", "DELETE FROM entries WHERE number = 6",
                      "UPDATE documents SET body = '{}'", "DELETE FROM signing_key"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(statement)
    db.close()
    honest.verify()


def test_a_missing_ledger_is_not_created_for_reading_and_a_foreign_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LedgerUnavailable, match=re.escape(f"{tmp_path / 'none.sqlite'}: no yard ledger there")):
        YardLedger(tmp_path / "none.sqlite", create=False)
    assert not (tmp_path / "none.sqlite").exists()
    with pytest.raises(LedgerUnavailable, match=re.escape(f"{tmp_path}: is a folder")):
        YardLedger(tmp_path)
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database, " * 100)
    with pytest.raises(LedgerUnavailable, match=re.escape(f"{text}: not a yard ledger: cannot read it as SQLite")):
        YardLedger(text)
    other = tmp_path / "spool.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE readings (x)").connection.close()
    with pytest.raises(LedgerUnavailable, match=re.escape(f"{other}: not a yard ledger (its tables: readings;")):
        YardLedger(other)


# -- attacks --------------------------------------------------------------------------------------------


def test_an_entry_edited_behind_sqlites_back_is_named(honest: YardLedger, yard_path: Path) -> None:
    db = _raw(yard_path)
    db.execute("UPDATE entries SET time = '2026-04-11T08:00:00.000Z' WHERE number = 4")
    with pytest.raises(LedgerAltered, match=re.escape(f"yard ledger {yard_path}: entry #4 (moisture L-PILBARA-01) does not match its hash (altered)")):
        honest.verify()


def test_a_document_edited_behind_sqlites_back_is_named(honest: YardLedger, yard_path: Path) -> None:
    entry = honest.entries()[0]
    db = _raw(yard_path)
    body = db.execute("SELECT body FROM documents WHERE hash = ?", (entry.document,)).fetchone()[0]
    db.execute("UPDATE documents SET body = ? WHERE hash = ?", (body.replace("100000.0", "90000.0"), entry.document))
    with pytest.raises(LedgerAltered, match=re.escape("the document of entry #1 (lot_entered L-PILBARA-01) does not match its hash (altered)")):
        honest.verify()


def test_a_deleted_entry_is_named(honest: YardLedger, yard_path: Path) -> None:
    _raw(yard_path).execute("DELETE FROM entries WHERE number = 4")
    with pytest.raises(LedgerAltered, match=re.escape("entry #5 (run R-2026-0412-01): numbered 5 where #4 is expected (an entry is missing, added or moved)")):
        honest.verify()


def test_entries_reordered_are_named(honest: YardLedger, yard_path: Path) -> None:
    db = _raw(yard_path)
    columns = "number, kind, subject, time, recorded, actor, reason, document, previous_hash, hash, signature"
    second, third = (db.execute(f"SELECT {columns} FROM entries WHERE seq = ?", (seq,)).fetchone() for seq in (2, 3))
    assignments = ", ".join(f"{c.strip()} = ?" for c in columns.split(","))
    db.execute(f"UPDATE entries SET {assignments} WHERE seq = 2", third)
    db.execute(f"UPDATE entries SET {assignments} WHERE seq = 3", second)
    with pytest.raises(LedgerAltered, match=re.escape("entry #3 (lot_entered L-SA-03): numbered 3 where #2 is expected")):
        honest.verify()


def test_entries_renumbered_are_named(honest: YardLedger, yard_path: Path) -> None:
    # Entry 4 removed and the later ones renumbered to close the gap: the numbers now run on, but the hashes
    # cover the numbers and the chain skips a link.
    db = _raw(yard_path)
    db.execute("DELETE FROM entries WHERE number = 4")
    db.execute("UPDATE entries SET number = number - 1 WHERE number > 4")
    with pytest.raises(LedgerAltered, match=re.escape("entry #4 (run R-2026-0412-01) does not follow the entry before it (chain broken)")):
        honest.verify()


def test_an_unsigned_entry_appended_to_a_signed_ledger_is_named(honest: YardLedger, yard_path: Path) -> None:
    head = honest.entries()[-1]
    document = {"lot": "L-SA-03", "note": "forged"}
    fields = {"format": "bulkdaq-yard-entry/1", "number": 7, "kind": "transfer", "subject": "L-SA-03", "time": "2026-04-14T00:00:00.000Z",
              "recorded": "2026-04-14T00:00:00.000Z", "actor": "nobody", "reason": "forged", "document": sha256_hex(document),
              "previous_hash": head.hash}
    db = sqlite3.connect(yard_path, isolation_level=None)  # INSERT needs no trigger dropped
    db.execute("INSERT INTO documents (hash, kind, body) VALUES (?, 'transfer', ?)", (sha256_hex(document), canonical_json(document).decode()))
    db.execute("INSERT INTO entries (number, kind, subject, time, recorded, actor, reason, document, previous_hash, hash, signature) "
               "VALUES (7, 'transfer', 'L-SA-03', ?, ?, 'nobody', 'forged', ?, ?, ?, '')",
               (fields["time"], fields["recorded"], fields["document"], head.hash, sha256_hex(fields)))
    with pytest.raises(LedgerAltered, match=re.escape("entry #7 (transfer L-SA-03) is not signed (the ledger signs with site key")):
        honest.verify()


def test_an_entry_signed_with_a_foreign_key_is_named(honest: YardLedger, yard_path: Path) -> None:
    head = honest.entries()[-1]
    fields = {"format": "bulkdaq-yard-entry/1", "number": 7, "kind": "scale_drift", "subject": "BF-1", "time": "2026-04-14T00:00:00.000Z",
              "recorded": "2026-04-14T00:00:00.000Z", "actor": "x", "reason": "x", "document": head.document, "previous_hash": head.hash}
    signature = Ed25519PrivateKey.generate().sign(canonical_json(fields)).hex()
    sqlite3.connect(yard_path, isolation_level=None).execute(
        "INSERT INTO entries (number, kind, subject, time, recorded, actor, reason, document, previous_hash, hash, signature) "
        "VALUES (7, 'scale_drift', 'BF-1', ?, ?, 'x', 'x', ?, ?, ?, ?)",
        (fields["time"], fields["recorded"], head.document, head.hash, sha256_hex(fields), signature))
    with pytest.raises(LedgerAltered, match=re.escape("entry #7 (scale_drift BF-1): signature is not the site key's")):
        honest.verify()


def test_a_ledger_opened_with_another_key_or_without_its_key_is_refused(honest: YardLedger, yard_path: Path, site_key: Ed25519PrivateKey) -> None:
    from bulkdaq.evidence.chain import fingerprint

    mine, other = fingerprint(site_key.public_key()), Ed25519PrivateKey.generate()
    with pytest.raises(LedgerKeyRefused, match=re.escape(f"yard ledger {yard_path} signs with site key {mine}, not with key {fingerprint(other.public_key())}")):
        YardLedger(yard_path, other)
    with YardLedger(yard_path) as keyless:
        keyless.verify()  # reading needs no key
        with pytest.raises(LedgerKeyRefused, match=re.escape(f"yard ledger {yard_path} signs with site key {mine}; open it with that key")):
            keyless.void(4, "wrong sample", "clerk")
    assert len(honest.entries()) == 6
    # The officer verifies with the site key they trust, not the key the file names.
    with pytest.raises(LedgerAltered, match=re.escape(f"is bound to key {mine}, not to the site key {fingerprint(other.public_key())}")):
        honest.verify(other.public_key())


def test_a_ledger_begun_unsigned_cannot_be_signed_later(yard_path: Path, site_key: Ed25519PrivateKey) -> None:
    with YardLedger(yard_path) as unsigned:
        unsigned.lot_entered(read_inbound_lot(LOTS / "L-SA-03.json"), "clerk", at(9))
        unsigned.verify()
        with pytest.raises(LedgerAltered, match="is not signed; expected entries signed by site key"):
            unsigned.verify(site_key.public_key())
    with YardLedger(yard_path, site_key) as signed:
        with pytest.raises(LedgerKeyRefused, match="already holds 1 unsigned entries; a ledger begun unsigned cannot be signed later"):
            signed.lot_entered(read_inbound_lot(LOTS / "L-BRAZIL-07.json"), "clerk", at(10))


# -- what each entry kind refuses -----------------------------------------------------------------------


def test_a_run_recorded_twice_is_refused_and_nothing_is_added(honest: YardLedger) -> None:
    with pytest.raises(EntryRefused, match=re.escape("run 'R-2026-0412-01' is already recorded in the yard ledger; a run is recorded once")):
        honest.run(RUN_1, "control room")
    assert len(honest.entries()) == 6


def test_a_run_on_an_unknown_voided_or_exhausted_lot_is_refused(honest: YardLedger) -> None:
    def run(run_id: str, lot: str) -> dict[str, object]:
        return run_document(run_id, [(lot, "BF-1", 100.0, 0.5, 100.0, 1.0)], (100.0, 0.5), at(14, 1), at(14, 2))

    with pytest.raises(EntryRefused, match=re.escape("run R-9: components[0]: lot 'L-NOWHERE' cannot be drawn on: no such lot in the yard ledger")):
        honest.run(run("R-9", "L-NOWHERE"), "control room")
    honest.stock_survey(StockSurvey(lot="L-SA-03", surveyed=at(14), figure=LotFigure(method="stockpile_survey", wet_t=0.0, u_wet_t=0.0, source="pile gone")), "surveyor")
    with pytest.raises(EntryRefused, match=re.escape("run R-10: components[0]: lot 'L-SA-03' is exhausted: its pile was surveyed empty (0 t) by entry #7")):
        honest.run(run("R-10", "L-SA-03"), "control room")
    # A lot entered by mistake is voided (nothing drew on it yet): it can no longer be drawn on.
    extra = read_inbound_lot(LOTS / "L-SA-03.json").model_copy(update={"lot": "L-SA-04", "declaration": "223320261000012499"})
    entered = honest.lot_entered(extra, "clerk", at(14))
    honest.void(entered.number, "entered with a mistyped declaration", "clerk", at(14, 1))
    with pytest.raises(EntryRefused, match=re.escape("run R-11: components[0]: lot 'L-SA-04' cannot be drawn on: it is voided")):
        honest.run(run("R-11", "L-SA-04"), "control room")
    with pytest.raises(EntryRefused, match=re.escape(f"entry #{entered.number} is already voided")):
        honest.void(entered.number, "again", "clerk")
    # A run whose product was shipped is not voided from under the shipment.
    with pytest.raises(EntryRefused, match=re.escape("entry #5 (run R-2026-0412-01) alone made product pile PB-blend-62, and entries rest on it (#6); void those first")):
        honest.void(5, "mistake", "clerk")
    # A lot with runs on it is not voided from under them.
    with pytest.raises(EntryRefused, match=re.escape("entry #1 (lot L-PILBARA-01) has entries resting on it (#5); void those first")):
        honest.void(1, "mistake", "clerk")
    assert "L-SA-04" not in honest.lots()
    # Entered again, corrected, it is a lot once more; both entries and the void stay in the history.
    honest.lot_entered(extra.model_copy(update={"declaration": "223320261000012412"}), "clerk", at(14, 2))
    assert honest.lots()["L-SA-04"].declaration == "223320261000012412"
    assert [e.kind for e in honest.entries() if e.subject in ("L-SA-04", str(entered.number))] == ["lot_entered", "void", "lot_entered"]
    honest.verify()


def test_a_malformed_run_document_is_refused_naming_its_key(honest: YardLedger) -> None:
    bad = {**RUN_1, "run": "R-2", "components": [{**RUN_1["components"][0], "wet_t": -3.0}]}
    with pytest.raises(EntryRefused, match=re.escape("run document 'R-2': components[0].wet_t: Input should be greater than or equal to 0")):
        honest.run(bad, "control room")
    unsafe = {**RUN_1, "run": "../R-3"}
    with pytest.raises(EntryRefused, match=re.escape("run document '../R-3': run: '../R-3' is not a lot id bulkdaq accepts")):
        honest.run(unsafe, "control room")


def test_a_lot_id_that_is_not_safe_is_refused(yard_path: Path) -> None:
    lot = read_inbound_lot(LOTS / "L-SA-03.json")
    with pytest.raises(ValidationError, match="is not a lot id bulkdaq accepts"):
        InboundLot.model_validate({**lot.model_dump(mode="json"), "lot": "../../etc/passwd"})
    with YardLedger(yard_path) as ledger, pytest.raises(UnsafeLotId, match=re.escape("lot id 'a/b': expected a safe name")):
        ledger.lot_entered(lot.model_construct(**{**dict(lot), "lot": "a/b"}), "clerk", at(9))
    assert issubclass(UnsafeLotId, BulkdaqError)


def test_a_lot_is_entered_once_and_an_entry_needs_actor_and_reason(honest: YardLedger) -> None:
    with pytest.raises(EntryRefused, match=re.escape("lot 'L-SA-03' is already in the yard ledger; a lot is entered once (void the mistaken entry first)")):
        honest.lot_entered(read_inbound_lot(LOTS / "L-SA-03.json"), "clerk", at(9))
    with pytest.raises(EntryRefused, match="a transfer entry needs an actor and a reason"):
        honest.transfer(Transfer(lot="L-SA-03", figure=LotFigure(method="belt_scale", wet_t=10.0, u_wet_t=0.1, source="BF-3", scale="BF-3"),
                                 to="yard B", reason="x"), " ", at(14))
    assert len(honest.entries()) == 6


def test_an_outbound_lot_needs_a_product_made_by_a_recorded_run(honest: YardLedger) -> None:
    from bulkdaq.inputs.lot_file import read_outbound_lot

    lot = read_outbound_lot(LOTS / "O-PB62-01.json")
    with pytest.raises(EntryRefused, match=re.escape("outbound lot O-2: no run has made product 'PB-blend-58' (products: PB-blend-62)")):
        honest.lot_shipped(lot.model_copy(update={"lot": "O-2", "product": "PB-blend-58"}), "clerk", at(14))
    with pytest.raises(EntryRefused, match=re.escape("outbound lot O-3: run 'R-NONE' is not in the yard ledger (or is voided)")):
        honest.lot_shipped(lot.model_copy(update={"lot": "O-3", "runs": ["R-NONE"]}), "clerk", at(14))


# -- a shipment already measured becomes a lot ----------------------------------------------------------


def _measured_shipment(tmp_path: Path, *, measured: bool = True) -> tuple[ShipmentRegistry, str]:
    shipment = load_shipment(EXAMPLES / "shipments" / "ore-import.toml")
    registry = ShipmentRegistry(tmp_path / "shipments.sqlite")
    registry.declare(shipment, "clerk", at=at(1))
    steps = [Transition("precheck", "instruments checked"), Transition("loading", "discharge started"), Transition("complete", "discharge complete")]
    if measured:
        figures = load_figures(EXAMPLES / "shipments" / "ore-import.figures.toml", shipment)
        steps.append(Transition("measured", "figures recorded", [Evidence(FIGURES, {"figures": [f.model_dump(mode="json") for f in figures]})]))
    registry.record(shipment.id, steps, "surveyor", at=at(2))
    return registry, shipment.id


def test_a_measured_shipment_becomes_a_lot_citing_its_event_and_evidence(tmp_path: Path, yard_path: Path, site_key: Ed25519PrivateKey) -> None:
    registry, shipment_id = _measured_shipment(tmp_path)
    rules = load_rule_set(EXAMPLES / "tolerances.toml")
    moisture = Moisture(pct=8.0, u_pct=0.1, source="ISO 3087, LAB-0522")
    with YardLedger(yard_path, site_key) as ledger:
        entry = ledger.entry_from_shipment(registry, shipment_id, lot="L-IMP-0522", origin="Australia", brand="PBF", grade="Fe 61.5 %",
                                           declaration="CN-IMP-2026-2601-0522", moisture=moisture, actor="clerk", at=at(3), rules=rules)
        lot = ledger.lots()["L-IMP-0522"]
        assert isinstance(lot, InboundLot)
        figure = lot.figure
        event = registry.events(shipment_id)[-1]
        assert (figure.method, figure.wet_t) == ("shipment", 88_798.4)
        # No own uncertainty: the rule set's draft survey 0.5 % (k = 2) → u = 88,798.4 × 0.005 / 2 = 221.996 t.
        assert figure.u_wet_t == pytest.approx(221.996, abs=1e-9)
        assert figure.shipment is not None
        assert (figure.shipment.shipment, figure.shipment.event_number, figure.shipment.event_hash) == (shipment_id, 5, event.hash)
        assert figure.shipment.evidence_hash == registry.latest_evidence(shipment_id, FIGURES)[1].hash  # type: ignore[index]
        assert entry.reason == f"lot entered from shipment {shipment_id}"
        # 88,798.4 t at 8.0 % → 81,694.528 t dry.
        assert ledger.book_stock("L-IMP-0522").dry_t == pytest.approx(81_694.528, abs=1e-6)
        with pytest.raises(EntryRefused, match=re.escape(f"shipment {shipment_id}: the draft_survey figure has no uncertainty of its own; give the rule set")):
            ledger.entry_from_shipment(registry, shipment_id, lot="L-IMP-X", origin="a", brand="b", grade="c", declaration="d",
                                       moisture=moisture, actor="clerk", at=at(3))
        ledger.verify(site_key.public_key())


def test_a_shipment_not_yet_measured_does_not_become_a_lot(tmp_path: Path, yard_path: Path) -> None:
    registry, shipment_id = _measured_shipment(tmp_path, measured=False)
    with YardLedger(yard_path) as ledger, pytest.raises(EntryRefused, match=re.escape(f"shipment {shipment_id} is not yet measured (state complete)")):
        ledger.entry_from_shipment(registry, shipment_id, lot="L-1", origin="a", brand="b", grade="c", declaration="d",
                                   moisture=Moisture(pct=8.0, u_pct=0.1, source="lab"), actor="clerk", at=at(3),
                                   rules=load_rule_set(EXAMPLES / "tolerances.toml"))
    assert yard_path.exists()


def test_a_shipment_whose_history_was_altered_does_not_become_a_lot(tmp_path: Path, yard_path: Path) -> None:
    registry, shipment_id = _measured_shipment(tmp_path)
    registry.close()
    db = sqlite3.connect(tmp_path / "shipments.sqlite", isolation_level=None)
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET actor = 'someone else' WHERE number = 2")
    db.close()
    registry = ShipmentRegistry(tmp_path / "shipments.sqlite", create=False)
    with YardLedger(yard_path) as ledger, pytest.raises(EntryRefused, match=re.escape(f"shipment {shipment_id}: its registry history does not verify")):
        ledger.entry_from_shipment(registry, shipment_id, lot="L-1", origin="a", brand="b", grade="c", declaration="d",
                                   moisture=Moisture(pct=8.0, u_pct=0.1, source="lab"), actor="clerk", at=at(3),
                                   rules=load_rule_set(EXAMPLES / "tolerances.toml"))


def test_the_command_line_enters_a_measured_shipment_as_a_lot_without_retyping(tmp_path: Path) -> None:
    """`bulkdaq yard from-shipment`: the lot's figure and its citation come from the registry; only what the
    registry cannot know (origin, brand, grade, declaration, moisture) is typed. A bad moisture is refused in
    one line naming the option, and nothing is recorded."""
    from typer.testing import CliRunner

    from bulkdaq.cli.main import app

    registry, shipment_id = _measured_shipment(tmp_path)
    registry.close()
    site = (EXAMPLES / "yard" / "site.toml").read_text(encoding="utf-8").replace('ledger = "var/yard.sqlite"', f'ledger = "{tmp_path / "yard.sqlite"}"')
    site_path = tmp_path / "site.toml"
    site_path.write_text(site.replace('balance_rules = "examples/yard/yard_rules.toml"', f'balance_rules = "{EXAMPLES / "yard" / "yard_rules.toml"}"'),
                         encoding="utf-8")
    common = ["yard", "from-shipment", shipment_id, "--registry", str(tmp_path / "shipments.sqlite"), "--site", str(site_path),
              "--origin", "Australia", "--brand", "PBF", "--grade", "Fe 61.5 %", "--declaration", "CN-IMP-2026-2601-0522",
              "--moisture-u", "0.1", "--moisture-source", "ISO 3087, LAB-0522", "--rules", str(EXAMPLES / "tolerances.toml"),
              "--actor", "clerk", "--at", "2026-04-12T00:00:00Z"]
    refused = CliRunner().invoke(app, [*common, "--lot", "L-IMP-BAD", "--moisture", "85"])
    assert isinstance(refused.exception, BulkdaqError), refused.output
    assert str(refused.exception).startswith("command line: --moisture: 85.0 % is outside 0 … 30 % (wet basis, ISO 3087)"), str(refused.exception)
    entered = CliRunner().invoke(app, [*common, "--lot", "L-IMP-0522", "--moisture", "8.0"])
    assert entered.exit_code == 0, entered.output
    assert f"{shipment_id} → #1 lot_entered L-IMP-0522" in entered.output
    with YardLedger(tmp_path / "yard.sqlite", create=False) as ledger:
        lot = ledger.lots()["L-IMP-0522"]
        assert isinstance(lot, InboundLot) and lot.figure.wet_t == 88_798.4 and lot.figure.u_wet_t == pytest.approx(221.996, abs=1e-9)
        assert lot.figure.shipment is not None and lot.figure.shipment.event_number == 5
        assert [e.subject for e in ledger.entries()] == ["L-IMP-0522"]  # the refused one left nothing


# -- attacks the review found (each fails without its fix) ----------------------------------------------


def _documents_without_primary_key(db: sqlite3.Connection) -> None:
    """The documents table rebuilt without its primary key: a hash can then be stored twice."""
    db.executescript("CREATE TABLE d2 (hash TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL); INSERT INTO d2 SELECT * FROM documents; "
                     "DROP TABLE documents; ALTER TABLE d2 RENAME TO documents;")


@pytest.mark.parametrize("forged_first", [False, True])
def test_a_forged_document_stored_twice_under_its_hash_is_refused_by_verify_and_by_reading(
        honest: YardLedger, yard_path: Path, site_key: Ed25519PrivateKey, forged_first: bool) -> None:
    # The outbound lot's document (entry #6) is stored a second time under the same hash with 4,000 t instead
    # of 5,000 t: `verify` once looked up the first row, the balance read the last one.
    shipped = honest.entries()[5]
    db = _raw(yard_path)
    genuine = db.execute("SELECT kind, body FROM documents WHERE hash = ?", (shipped.document,)).fetchone()
    body = json.loads(genuine[1])
    body["figure"]["wet_t"] = 4000.0
    _documents_without_primary_key(db)
    if forged_first:
        db.execute("DELETE FROM documents WHERE hash = ?", (shipped.document,))
        db.execute("INSERT INTO documents VALUES (?, ?, ?)", (shipped.document, genuine[0], canonical_json(body).decode()))
        db.execute("INSERT INTO documents VALUES (?, ?, ?)", (shipped.document, genuine[0], genuine[1]))
    else:
        db.execute("INSERT INTO documents VALUES (?, ?, ?)", (shipped.document, genuine[0], canonical_json(body).decode()))
    db.close()
    for key in (None, site_key.public_key()):
        with pytest.raises(LedgerAltered, match=re.escape(f"yard ledger {yard_path}: the document of entry #6 (lot_shipped O-PB62-01) does not match its hash (altered)")) as refused:
            honest.verify(key)
        assert f"document hash(es) stored twice ({shipped.document})" in str(refused.value)
    # Reading sees the same rows verify checked: it refuses rather than picking one of them.
    with pytest.raises(LedgerAltered, match=re.escape(f"document {shipped.document} is stored twice")):
        honest.state()
    with pytest.raises(LedgerAltered, match=re.escape(f"document {shipped.document} is stored twice")):
        honest.document(shipped.document)


def test_a_document_stored_twice_even_unchanged_and_a_lost_primary_key_are_named(honest: YardLedger, yard_path: Path) -> None:
    document = honest.entries()[0].document
    db = _raw(yard_path)
    _documents_without_primary_key(db)
    db.execute("INSERT INTO documents SELECT * FROM documents WHERE hash = ?", (document,))
    db.close()
    with pytest.raises(LedgerAltered, match=re.escape(f"yard ledger {yard_path}: 1 document hash(es) stored twice ({document})")) as refused:
        honest.verify()
    assert "table documents has lost its primary key (hash; it has: none)" in str(refused.value)


def test_a_document_no_entry_cites_is_named_whatever_row_it_is(honest: YardLedger, yard_path: Path) -> None:
    # Any row of documents is checked, not only those an entry names: a body changed under a hash no entry
    # cites (a forgery parked for later) is named, and so is the document an entry cut from the end left behind.
    db = _raw(yard_path)
    db.execute("DELETE FROM entries WHERE number = 6")
    db.close()
    cut = honest.entries()
    assert [e.number for e in cut] == [1, 2, 3, 4, 5]
    with pytest.raises(LedgerAltered, match=r"document [0-9a-f]{64} is cited by no entry \(an entry was removed\)") as refused:
        honest.verify()
    assert "entries were written up to seq 6 but the last one held is seq 5 (entries were removed)" in str(refused.value)


def test_a_dropped_or_replaced_append_only_trigger_is_named(honest: YardLedger, yard_path: Path) -> None:
    db = sqlite3.connect(yard_path, isolation_level=None)
    db.execute("DROP TRIGGER entries_no_delete")
    db.close()
    with pytest.raises(LedgerAltered, match=re.escape(f"yard ledger {yard_path}: the append-only trigger entries_no_delete is missing")):
        honest.verify()
    db = sqlite3.connect(yard_path, isolation_level=None)
    db.execute("CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN SELECT 1; END")  # same name, does nothing
    db.execute("CREATE TRIGGER documents_spy AFTER INSERT ON documents BEGIN SELECT 1; END")
    db.close()
    with pytest.raises(LedgerAltered, match=re.escape("the append-only trigger entries_no_delete is not the ledger's (it was replaced)")) as refused:
        honest.verify()
    assert "trigger documents_spy on table documents is not the ledger's (it was added)" in str(refused.value)


def _resign(db: sqlite3.Connection, entries: list[Entry], key: Ed25519PrivateKey | None) -> None:
    """Every entry's chain and hash recomputed (after an edit) and, with `key`, signed again with it."""
    previous = None
    for seq, entry in enumerate(entries, start=1):
        fields = dataclasses.replace(entry, previous_hash=previous).hashed_fields()
        digest = sha256_hex(fields)
        signature = key.sign(canonical_json(fields)).hex() if key is not None else entry.signature
        db.execute("UPDATE entries SET previous_hash = ?, hash = ?, signature = ? WHERE seq = ?", (previous, digest, signature, seq))
        previous = digest


def test_a_ledger_re_signed_with_another_key_does_not_show_the_site_fingerprint(honest: YardLedger, yard_path: Path, site_key: Ed25519PrivateKey) -> None:
    site, evil = fingerprint(site_key.public_key()), Ed25519PrivateKey.generate()
    db = _raw(yard_path)
    _resign(db, honest.entries(), evil)
    db.execute("UPDATE signing_key SET public_key_pem = ?", (public_pem(evil.public_key()),))  # the fingerprint column still reads the site's
    db.close()
    # The fingerprint shown is the key the signatures are checked against, not the column.
    assert honest.key_fingerprint == fingerprint(evil.public_key())
    with pytest.raises(LedgerAltered, match=re.escape(f"yard ledger {yard_path}: its signing key's fingerprint column reads {site}, but the public key "
                                                      f"the entries are checked against is {fingerprint(evil.public_key())} (the key was replaced)")):
        honest.verify()
    with pytest.raises(LedgerAltered, match=re.escape(f"is bound to key {fingerprint(evil.public_key())}, not to the site key {site}")):
        honest.verify(site_key.public_key())
    # Opened with the site key, the ledger is refused: the key it holds is not the site's, whatever the column says.
    with pytest.raises(LedgerKeyRefused, match=re.escape(f"signs with site key {fingerprint(evil.public_key())}, not with key {site}")):
        YardLedger(yard_path, site_key, create=False)


def test_signed_entries_in_a_ledger_whose_key_was_removed_are_named(honest: YardLedger, yard_path: Path) -> None:
    db = _raw(yard_path)
    db.execute("DELETE FROM signing_key")
    db.execute("UPDATE entries SET actor = 'someone else' WHERE number = 5")
    _resign(db, honest.entries(), None)  # hashes and chain redone, the (now stale) signatures left
    db.close()
    assert honest.key_fingerprint is None
    with pytest.raises(LedgerAltered, match=re.escape(f"yard ledger {yard_path}: entry #1 (lot_entered L-PILBARA-01) is signed, but the ledger holds no "
                                                      "signing key (its key was removed)")):
        honest.verify()


def test_a_back_dated_survey_recorded_later_does_not_replace_a_newer_one(yard_path: Path) -> None:
    with YardLedger(yard_path) as ledger:
        record_honest(ledger)
        emptied(ledger, "L-SA-03", at(20))  # entry #7: the pile surveyed empty on day 20
        ledger.stock_survey(StockSurvey(lot="L-SA-03", surveyed=at(15), figure=LotFigure(method="stockpile_survey", wet_t=19_500.0, u_wet_t=100.0,
                                                                                         source="back-dated")), "surveyor")
        later = run_document("R-AFTER", [("L-PILBARA-01", "BF-1", 60.0, 0.2, 60.0, 2.0), ("L-BRAZIL-07", "BF-2", 30.0, 0.1, 30.0, 2.0),
                                         ("L-SA-03", "BF-3", 10.0, 0.05, 10.0, 1.0)], (100.0, 0.3), at(25, 1), at(25, 2))
        with pytest.raises(EntryRefused, match=re.escape("run R-AFTER: components[2]: lot 'L-SA-03' is exhausted: its pile was surveyed empty (0 t) by entry #7")):
            ledger.run(later, "control room")
        from bulkdaq.yard.ledger import latest_survey

        latest = latest_survey(ledger.state(), "L-SA-03")
        assert latest is not None and (latest.entry, latest.wet_t) == (7, 0.0)
        # A survey of the same time recorded later is the newer one.
        ledger.stock_survey(StockSurvey(lot="L-SA-03", surveyed=at(20), figure=LotFigure(method="stockpile_survey", wet_t=120.0, u_wet_t=5.0,
                                                                                         source="re-surveyed")), "surveyor")
        assert ledger.run(later, "control room").kind == "run"


def test_a_lot_entered_twice_under_two_ids_is_refused_naming_both(honest: YardLedger) -> None:
    sa = read_inbound_lot(LOTS / "L-SA-03.json")
    for declaration in (sa.declaration, f" {sa.declaration[:6]} {sa.declaration[6:]} "):
        with pytest.raises(EntryRefused, match=re.escape(f"lot 'L-SA-99': declaration {declaration!r} is already lot 'L-SA-03''s (entry #3); "
                                                         "a lot is entered once")):
            honest.lot_entered(sa.model_copy(update={"lot": "L-SA-99", "declaration": declaration}), "clerk", at(14))
    assert len(honest.entries()) == 6
    # Once the first entry is voided, the declaration is free again.
    first = honest.lot_entered(inbound("L-X1", 1_000.0), "clerk", at(14))
    with pytest.raises(EntryRefused, match=re.escape("lot 'L-X2': declaration 'D-L-X1' is already lot 'L-X1''s")):
        honest.lot_entered(inbound("L-X1", 1_000.0).model_copy(update={"lot": "L-X2"}), "clerk", at(14))
    honest.void(first.number, "wrong lot id", "clerk", at(14, 1))
    honest.lot_entered(inbound("L-X1", 1_000.0).model_copy(update={"lot": "L-X2"}), "clerk", at(14, 2))
    honest.verify()


def _components(wet: tuple[float, float, float] = (60.0, 30.0, 10.0)) -> list[tuple[str, str, float, float, float, float]]:
    return [("L-PILBARA-01", "BF-1", wet[0], 0.2, 60.0, 2.0), ("L-BRAZIL-07", "BF-2", wet[1], 0.1, 30.0, 2.0), ("L-SA-03", "BF-3", wet[2], 0.05, 10.0, 1.0)]


def test_a_run_ending_before_it_starts_or_naming_a_scale_twice_is_refused(honest: YardLedger) -> None:
    with pytest.raises(EntryRefused, match=re.escape("run R-REV: end 2026-04-20T01:00:00.000Z is not after start 2026-04-20T05:00:00.000Z")):
        honest.run(run_document("R-REV", _components(), (100.0, 0.3), at(20, 5), at(20, 1)), "control room")
    with pytest.raises(EntryRefused, match=re.escape("run R-ZERO: end 2026-04-20T05:00:00.000Z is not after start 2026-04-20T05:00:00.000Z")):
        honest.run(run_document("R-ZERO", _components(), (100.0, 0.3), at(20, 5), at(20, 5)), "control room")
    odd = [(lot, "NOPE" if i < 2 else scale, *rest) for i, (lot, scale, *rest) in enumerate(_components())]
    with pytest.raises(EntryRefused, match=re.escape("run R-ODD: components[1].scale: scale 'NOPE' is already components[0]'s; one component per scale")):
        honest.run(run_document("R-ODD", odd, (100.0, 0.3), at(21, 1), at(21, 5)), "control room")  # type: ignore[arg-type]
    assert len(honest.entries()) == 6


def test_a_run_over_another_runs_window_on_the_same_scales_is_refused_naming_it(honest: YardLedger) -> None:
    # The same run under a second id: the same ore counted twice.
    again = copy.deepcopy(RUN_1)
    again["run"] = "R-2026-0412-01-bis"
    with pytest.raises(EntryRefused, match=re.escape(
            "run R-2026-0412-01-bis: its window 2026-04-12T01:00:00.000Z … 2026-04-12T05:00:00.000Z overlaps run 'R-2026-0412-01' (entry #5, "
            "2026-04-12T01:00:00.000Z … 2026-04-12T05:00:00.000Z) on scale BF-1, BF-2, BF-3, BP-1; the same ore would be counted twice")):
        honest.run(again, "control room")
    # Overlapping by an hour, on one shared scale (the product's).
    partly = run_document("R-PART", [("L-SA-03", "BF-9", 10.0, 0.05, 100.0, 1.0)], (10.0, 0.05), at(12, 4), at(12, 8), recipe="PB-lump")
    with pytest.raises(EntryRefused, match=re.escape("overlaps run 'R-2026-0412-01' (entry #5, 2026-04-12T01:00:00.000Z … 2026-04-12T05:00:00.000Z) on scale BP-1")):
        honest.run(partly, "control room")
    # On other scales the same window is another run; and a run starting when the last ended does not overlap it.
    partly["product"] = {**partly["product"], "scale": "BP-2"}
    partly["recipe"] = {**partly["recipe"], "product_scale": "BP-2"}
    assert honest.run(partly, "control room").number == 7
    assert honest.run(run_document("R-NEXT", _components(), (100.0, 0.3), at(12, 5), at(12, 6)), "control room").number == 8
    # A run id recorded before is still refused first.
    with pytest.raises(EntryRefused, match=re.escape("run 'R-NEXT' is already recorded in the yard ledger; a run is recorded once")):
        honest.run(run_document("R-NEXT", _components(), (100.0, 0.3), at(13, 5), at(13, 6)), "control room")
    honest.verify()


def _readings(opening: tuple[datetime, float], closing: tuple[datetime, float]) -> dict[str, dict[str, object]]:
    return {name: {"time": moment.isoformat(), "total_t": total} for name, (moment, total) in (("opening", opening), ("closing", closing))}


def test_a_runs_scale_readings_must_be_its_figures(honest: YardLedger) -> None:
    document = run_document("R-READ", _components(), (100.0, 0.3), at(20, 1), at(20, 5))
    for component, total in zip(document["components"], (13_000.0, 5_000.0, 900.5), strict=True):
        component["readings"] = _readings((at(20, 1), total), (at(20, 5), total + component["wet_t"]))
    document["product"]["readings"] = _readings((at(20, 1), 13_333.375), (at(20, 5), 13_433.375))
    wrong = copy.deepcopy(document)
    wrong["components"][1]["readings"]["closing"]["total_t"] += 0.001  # 30.001 t read against 30 t recorded
    with pytest.raises(EntryRefused, match=re.escape("run R-READ: components[1].readings: closing.total_t − opening.total_t = 30.001000 t, "
                                                     "not its wet_t 30.000000 t (within 1e-06 t)")):
        honest.run(wrong, "control room")
    backwards = copy.deepcopy(document)
    backwards["product"]["readings"]["opening"]["time"] = at(20, 6).isoformat()
    with pytest.raises(EntryRefused, match=re.escape("run R-READ: product.readings: opening.time 2026-04-20T06:00:00.000Z is not before closing.time "
                                                     "2026-04-20T05:00:00.000Z")):
        honest.run(backwards, "control room")
    malformed = copy.deepcopy(document)
    del malformed["product"]["readings"]["closing"]["total_t"]
    with pytest.raises(EntryRefused, match=re.escape("run document 'R-READ': product.readings.closing.total_t")):
        honest.run(malformed, "control room")
    assert len(honest.entries()) == 6
    entry = honest.run(document, "control room")
    stored = honest.document(entry.document)
    assert stored["components"][2]["readings"] == {"opening": {"time": "2026-04-20T01:00:00Z", "total_t": 900.5},
                                                   "closing": {"time": "2026-04-20T05:00:00Z", "total_t": 910.5}}
    # A run without readings is stored as before they existed: no "readings" key.
    plain = honest.document(honest.entries()[4].document)
    assert "readings" not in plain["product"] and all("readings" not in c for c in plain["components"])
    honest.verify()


def test_voided_shipment_transfer_survey_and_drift_stay_readable_and_a_void_is_not_voided(honest: YardLedger, site_key: Ed25519PrivateKey) -> None:
    transfer = honest.transfer(Transfer(lot="L-SA-03", figure=LotFigure(method="belt_scale", wet_t=10.0, u_wet_t=0.1, source="BF-3", scale="BF-3"),
                                        to="yard B", reason="rejected part"), "clerk", at(14))
    survey = honest.stock_survey(StockSurvey(lot="L-SA-03", surveyed=at(15), figure=LotFigure(method="stockpile_survey", wet_t=19_400.0, u_wet_t=300.0,
                                                                                              source="drone")), "surveyor")
    drift = honest.scale_drift(ScaleDrift(scale="BF-1", bias_pct=0.9, limit_pct=0.5, finding="against DS-2026-0331"), "metrology", at(15))
    shipped = honest.entries()[5]
    voided = [shipped, transfer, survey, drift]
    voids = [honest.void(entry.number, f"{entry.kind} recorded by mistake", "clerk", at(16)) for entry in voided]
    state = honest.state()
    assert state.voided == {6, 7, 8, 9} and not state.outbound and not state.drifts and not state.surveys
    assert [m.entry for m in state.movements if m.entry in state.voided] == []
    # Each voided entry stays in the history as it was, with the void that names it.
    entries = {e.number: e for e in honest.entries()}
    by_voided = honest.voids()
    for entry, void in zip(voided, voids, strict=True):
        assert entries[entry.number] == entry
        assert entries[void.number] == void and (void.kind, void.subject) == ("void", str(entry.number))
        void_entry, document = by_voided[entry.number]
        assert void_entry == void and (document.entry, document.entry_hash) == (entry.number, entry.hash)
        assert document.why == f"{entry.kind} recorded by mistake"
    # A void is not voided (by design: record the entry again instead), nor is a voided entry voided twice.
    with pytest.raises(EntryRefused, match=re.escape(f"entry #{voids[0].number} is a void; a void is not voided (record the entry again instead)")):
        honest.void(voids[0].number, "undo", "clerk")
    with pytest.raises(EntryRefused, match=re.escape("entry #6 is already voided")):
        honest.void(6, "again", "clerk")
    honest.verify(site_key.public_key())


def test_a_product_piles_moisture_sampled_after_a_run_is_not_used_for_that_runs_product(yard_path: Path) -> None:
    """A laboratory result of the product pile sampled on day 14 (after the day-12 run) does not reach back: the
    run's product keeps the moisture of its components; a result sampled before a later run applies to that run."""
    from bulkdaq.yard.lot import MoistureResult

    with YardLedger(yard_path) as ledger:
        record_honest(ledger)
        before = next(m for m in ledger.movements() if m.role == "product")
        ledger.moisture(MoistureResult(lot="PB-blend-62", sampled=at(14), moisture=Moisture(pct=6.0, u_pct=0.1, source="LAB-PB-14")), "laboratory")
        after = next(m for m in ledger.movements() if m.role == "product")
    # Components: 3,000 t at 7.9 % (Pilbara's day-10 result), 1,500 t at 9.0 %, 500 t at 5.0 % → 5,000 t wet, water
    # 237 + 135 + 25 = 397 t → 7.94 %; the day-14 result (6.0 %) must not replace it.
    assert before.moisture_pct == pytest.approx(7.94, abs=1e-9)
    assert after.moisture_pct == before.moisture_pct and after.dry_t == before.dry_t
