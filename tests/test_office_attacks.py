"""The attacks an adversarial review of the customs office found (docs/office.md, "What the office record
proves"), each run against a real PostgreSQL with the roles a terminal and the officers really have: a
terminal with its own site key and role, a third party with only a terminal's role password, the officers'
role, and a clumsy operator. Each test is one finding; each asserts what is refused, or how it is named."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bulkdaq.evidence.canonical_json import canonical_json, sha256_hex
from bulkdaq.evidence.chain import fingerprint
from bulkdaq.evidence.heads import sign_head
from bulkdaq.office.intake import PushRefused, conflicts, receive_events, receive_heads, site_intake
from bulkdaq.office.officer_key import OfficerCard, OfficerKeyError
from bulkdaq.office.outbox import TerminalOutbox
from bulkdaq.office.pusher import OfficePusher
from bulkdaq.office.roles import RoleRefused, grant_terminal
from bulkdaq.shipments.registry import Event, HistoryAltered, ShipmentRegistry, _event_fields, _iso, check_event_chain
from bulkdaq.shipments.registry_database import WriteRefused
from office_terminals import (
    TERMINAL_STEPS,
    Office,
    Terminal,
    _role_url,
    bulkdaq,
    registered_officer_at,
    rewritten,
    terminal_url,
)


def pushed(terminal: Terminal, office: Office, number: int, steps: tuple[str, ...] = TERMINAL_STEPS) -> str:
    shipment_id = terminal.declare(number, steps)
    pusher = terminal.pusher(terminal_url(office, terminal))
    report = pusher.push_once()
    pusher.close()
    assert report.held == {} and report.unreachable is None, report
    return shipment_id


def signed_event(key: Ed25519PrivateKey, previous: Event, to_state: str, reason: str = "by the terminal", *,
                 from_state: str | None = None, minutes: int = 1) -> Event:
    """A site event following `previous`, signed with `key` (what a terminal can always make)."""
    from_state = previous.to_state if from_state is None else from_state
    fields = _event_fields(2, previous.number + 1, previous.shipment, _iso(previous.time + timedelta(minutes=minutes)), from_state, to_state,
                           "terminal", reason, [], previous.hash)
    return Event(previous.number + 1, previous.shipment, previous.time + timedelta(minutes=minutes), from_state, to_state, "terminal", reason, (),
                 previous.hash, sha256_hex(fields), key.sign(canonical_json(fields)).hex())


def test_a_terminal_cannot_undo_an_officers_investigation_or_skip_the_lifecycle(office: Office, terminals: dict[str, Terminal]) -> None:
    """Finding 1: the office took `investigating → verified` signed by the site, and `declared → verified`."""
    dl = terminals["DL-ORE"]
    shipment_id = pushed(dl, office, 1, TERMINAL_STEPS[:5] + ("discrepancy",))
    officer = registered_officer_at(office)
    with ShipmentRegistry(office.officer_url) as at_office:
        opened = at_office.transition(shipment_id, "investigating", "", "belt scale and draft survey disagree", officer_key=officer)
    undo = signed_event(dl.key, opened, "verified", "investigation closed by the terminal")
    with ShipmentRegistry(terminal_url(office, dl), create=False) as as_dl:
        with pytest.raises(PushRefused, match=rf"site DL-ORE: event #9 of {shipment_id} is not a step of the clearance lifecycle"):
            receive_events(as_dl, "DL-ORE", [undo], {})
        # a skip straight from the declaration to verified, signed by the site
        skipping_id = dl.declare(2, ())
        declaration = dl.registry.events(skipping_id)[0]
        documents = {d: dl.registry.evidence(d) for d in declaration.evidence}
        skip = signed_event(dl.key, declaration, "verified")
        with pytest.raises(PushRefused, match=rf"event #2 of {skipping_id} is not a step of the clearance lifecycle"):
            receive_events(as_dl, "DL-ORE", [declaration, skip], documents)
        # an event claiming to start from another state than the one its predecessor left
        lying = signed_event(dl.key, declaration, "loading", from_state="precheck")
        with pytest.raises(PushRefused, match=r"starts from 'precheck', but the event before it left the shipment 'declared'"):
            receive_events(as_dl, "DL-ORE", [lying], documents)
    with ShipmentRegistry(office.owner_url) as owner:
        assert owner.state(shipment_id) == "investigating" and owner.events(skipping_id)[-1].to_state == "declared"
    # verification names such a link wherever it comes from (a bundle, a registry edited behind bulkdaq's back)
    with ShipmentRegistry(office.owner_url) as owner:
        history, officer_keys = [*owner.events(shipment_id), undo], owner.officer_keys()
    assert check_event_chain(shipment_id, history, None, officer_keys=officer_keys) == [
        f"event #9 of {shipment_id} (investigating → verified) is not a step of the clearance lifecycle"]


def test_no_officer_decides_on_top_of_a_link_written_behind_bulkdaqs_back(office: Office, terminals: dict[str, Terminal]) -> None:
    """Finding 2: a raw row (a forged certification, an unsigned verification) and then an officer's
    genuine release recorded on top of it."""
    dl = terminals["DL-ORE"]
    shipment_id = pushed(dl, office, 1)
    officer = registered_officer_at(office)
    last = ShipmentRegistry(office.owner_url).events(shipment_id)[-1]
    raw = ("INSERT INTO events (shipment, number, time, from_state, to_state, actor, reason, evidence, previous_hash, hash, signature, "
           "signer, site) VALUES (:id, 8, '2026-11-30T09:00:00.000Z', 'verified', 'certified', 'x', 'x', '[]', :previous, :hash, '00', "
           ":signer, 'DL-ORE')")
    # with only the terminal's role password: an officer's state naming no registered officer is refused by the database
    with ShipmentRegistry(terminal_url(office, dl), create=False) as as_dl:
        with pytest.raises(WriteRefused, match="goes to certified, an officer's decision: it must name a registered officer's key"), \
                as_dl.database.writing() as db:
            db.execute(sa.text(raw), {"id": shipment_id, "previous": last.hash, "hash": "f" * 64, "signer": "e" * 64})
        # naming a real officer's key gets past the database (it cannot check Ed25519) …
        with as_dl.database.writing() as db:
            db.execute(sa.text(raw), {"id": shipment_id, "previous": last.hash, "hash": "f" * 64, "signer": fingerprint(officer.public_key())})
    # … but no officer's decision is recorded on top of it, and verification names it
    with ShipmentRegistry(office.officer_url) as at_office:
        assert at_office.state(shipment_id) == "certified"
        with pytest.raises(HistoryAltered, match=rf"no officer's decision is recorded on shipment {shipment_id}: its history does not verify "
                                                 rf"\(event #8 of {shipment_id} \(verified → certified\) does not match its hash"):
            at_office.transition(shipment_id, "released", "", "duties paid", officer_key=officer)
        assert len(at_office.events(shipment_id)) == 8
    # the officers' role writing an unsigned site step, then certifying on it: refused the same way
    zj = terminals["ZJ-JET"]
    other = pushed(zj, office, 2, TERMINAL_STEPS[:5])
    last = ShipmentRegistry(office.owner_url).events(other)[-1]
    with ShipmentRegistry(office.officer_url) as at_office:
        with at_office.database.writing() as db:
            db.execute(sa.text("INSERT INTO events (shipment, number, time, from_state, to_state, actor, reason, evidence, previous_hash, hash, "
                               "signature) VALUES (:id, 7, '2026-11-30T09:00:00.000Z', 'reconciled', 'verified', 'x', 'x', '[]', :previous, "
                               "'abc', '')"), {"id": other, "previous": last.hash})
        with pytest.raises(HistoryAltered, match=r"event #7 .* does not match its hash"):
            at_office.transition(other, "certified", "", "ok", officer_key=officer)


def test_text_from_a_terminal_or_a_card_cannot_pass_for_other_output(office: Office, terminals: dict[str, Terminal]) -> None:
    """Finding 3: a signed reason with line breaks printed fake lines in `office verify`; a card name with a
    right-to-left override or a zero-width space was accepted."""
    dl = terminals["DL-ORE"]
    fake = "reconciled at DL-ORE\n#8 2026-11-30T10:00:00+00:00 verified → certified: officer 4401-0231 Wang; on no evidence"
    shipment_id = dl.declare(1, TERMINAL_STEPS[:4])
    dl.registry.transition(shipment_id, "reconciled", "terminal", fake)
    pusher = dl.pusher(terminal_url(office, dl))
    assert pusher.push_once().events.accepted == 6
    pusher.close()
    owner_url = _role_url(office.cluster, office.database, "postgres")
    printed = bulkdaq("office", "verify", shipment_id, "--registry", owner_url, env={"BULKDAQ_OFFICE_PASSWORD": office.cluster.superuser_password})
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert len(lines) == 1 + 6 and not any(line.startswith("#8") for line in lines)
    assert "reconciled at DL-ORE\\n#8 2026-11-30T10:00:00+00:00 verified → certified" in lines[-1]
    for spoof in ("Wang\u202e", "\u202eWang 1320-1044", "Wa\u200bng"):
        with pytest.raises(OfficerKeyError, match="holds invisible formatting"):
            OfficerCard("4401-0231", spoof, "unused")


def test_evidence_is_its_hashs_document_and_no_terminal_reads_another_sites(office: Office, terminals: dict[str, Terminal]) -> None:
    """Finding 4: a different body stored first under a hash an officer would cite; a terminal reading every
    site's declarations."""
    zj, dl = terminals["ZJ-JET"], terminals["DL-ORE"]
    declared = pushed(dl, office, 1, ())
    cited = dl.registry.events(declared)[0].evidence[0]
    with ShipmentRegistry(terminal_url(office, dl), create=False) as as_dl, as_dl.database.reading() as db:
        assert [row[0] for row in db.execute(sa.text("SELECT hash FROM evidence"))] == [cited]  # what its own events cite
    with ShipmentRegistry(terminal_url(office, zj), create=False) as as_zj:
        with as_zj.database.reading() as db:
            assert db.execute(sa.text("SELECT count(*) FROM evidence")).scalar_one() == 0  # not DL-ORE's declaration
        with pytest.raises(sa.exc.IntegrityError, match="evidence_matches_its_hash"), as_zj.database.writing() as db:
            db.execute(sa.text("INSERT INTO evidence (hash, kind, body) VALUES (:hash, 'declaration', :body)"),
                       {"hash": sha256_hex({"survey": "the officer's file"}), "body": '{"forged":true}'})


def test_a_declaration_names_the_shipment_it_declares(office: Office, terminals: dict[str, Terminal]) -> None:
    """Finding 5 (in part): a pushed declaration whose document is of another shipment id."""
    zj = terminals["ZJ-JET"]
    shipment_id = zj.declare(1, ())
    declaration = zj.registry.events(shipment_id)[0]
    documents = {d: zj.registry.evidence(d) for d in declaration.evidence}
    renamed = rewritten(declaration, zj.key, shipment="ZJ-JET-2026-9999")
    with ShipmentRegistry(terminal_url(office, zj), create=False) as as_zj, \
            pytest.raises(PushRefused, match=r"the declaration is of shipment 'ZJ-JET-2026-0001'; the event names 'ZJ-JET-2026-9999'"):
        receive_events(as_zj, "ZJ-JET", [renamed], documents)


def test_a_head_from_the_future_is_refused_and_a_raw_one_does_not_hide_a_silent_site(office: Office, terminals: dict[str, Terminal]) -> None:
    """Finding 6: a head dated 2100 (signed, or a raw row) kept a quiet site from ever looking stale."""
    zj, dl = terminals["ZJ-JET"], terminals["DL-ORE"]
    future_ms = 4_102_444_800_000  # 2100-01-01
    with ShipmentRegistry(terminal_url(office, zj), create=False) as as_zj:
        with pytest.raises(PushRefused, match="ahead of the office's clock"):
            receive_heads(as_zj, "ZJ-JET", [sign_head(zj.key, "ZJ-JET", 5, "a" * 64, future_ms)])
    with ShipmentRegistry(terminal_url(office, dl), create=False) as as_dl, as_dl.database.writing() as db:
        db.execute(sa.text("INSERT INTO chain_heads (site, seq, hash, time_ms, signature, received_at) "
                           "VALUES ('DL-ORE', 9223372036854775807, 'x', :future, 'junk', '2100-01-01T00:00:00.000Z')"), {"future": future_ms})
    now_ms = time.time_ns() // 1_000_000
    with ShipmentRegistry(office.owner_url) as owner:
        rows = {row.site: row for row in site_intake(owner)}
        with owner.database.reading() as db:
            received = db.execute(sa.text("SELECT received_at FROM chain_heads WHERE site = 'DL-ORE'")).scalar_one()
    assert rows["DL-ORE"].stale(now_ms, 180.0) and received < "2100"  # the office's clock, not the writer's


def test_a_conflict_written_without_bulkdaq_is_told_from_a_real_one(office: Office, terminals: dict[str, Terminal]) -> None:
    """Finding 7: a raw row in push_conflicts printed as if the terminal had rewritten its history."""
    zj = terminals["ZJ-JET"]
    shipment_id = pushed(zj, office, 1, TERMINAL_STEPS[:3])
    real = rewritten(zj.registry.events(shipment_id)[2], zj.key, reason="rewritten")
    with ShipmentRegistry(terminal_url(office, zj), create=False) as as_zj:
        assert len(receive_events(as_zj, "ZJ-JET", [real], {}).conflicts) == 1
        with as_zj.database.writing() as db:
            db.execute(sa.text("INSERT INTO push_conflicts (site, what, held_hash, offered_hash, offered, received_at) "
                               "VALUES ('ZJ-JET', :what, 'aaaa', 'bbbb', '{}', 'now')"), {"what": f"event #3 of {shipment_id}"})
    with ShipmentRegistry(office.owner_url) as owner:
        found = conflicts(owner, "ZJ-JET")
    assert [(c["held_hash"], c["confirmed"]) for c in found] == [(zj.registry.events(shipment_id)[2].hash, True), ("aaaa", False)]


def test_events_the_office_could_never_verify_are_refused(office: Office, terminals: dict[str, Terminal]) -> None:
    """Finding 8 and 11: format 3 without a signer was stored and then failed verification for ever; an
    event dated far ahead was taken."""
    zj = terminals["ZJ-JET"]
    shipment_id = pushed(zj, office, 1, TERMINAL_STEPS[:1])
    last = zj.registry.events(shipment_id)[-1]
    fields = _event_fields(3, 3, shipment_id, _iso(last.time + timedelta(minutes=1)), "precheck", "loading", "t", "r", [], last.hash, None)
    odd = Event(3, shipment_id, last.time + timedelta(minutes=1), "precheck", "loading", "t", "r", (), last.hash, sha256_hex(fields),
                zj.key.sign(canonical_json(fields)).hex(), 3)
    ahead = signed_event(zj.key, last, "loading", minutes=60 * 24 * 365)
    with ShipmentRegistry(terminal_url(office, zj), create=False) as as_zj:
        with pytest.raises(PushRefused, match="is of format 3 without a signer"):
            receive_events(as_zj, "ZJ-JET", [odd], {})
        with pytest.raises(PushRefused, match="ahead of the office's clock by more than 300 s"):
            receive_events(as_zj, "ZJ-JET", [ahead], {})
    with ShipmentRegistry(office.owner_url) as owner, pytest.raises(WriteRefused, match="alembic_version are append-only"), \
            owner.database.writing() as db:
        db.execute(sa.text("TRUNCATE alembic_version"))


def test_operator_mistakes_are_said_not_crashed_on(office: Office, terminals: dict[str, Terminal]) -> None:
    """Finding 9 and 10: a grant for a mistyped site crashed the pusher; an outbox ahead of the office (an
    office restored from backup) left the shipment out for ever."""
    zj = terminals["ZJ-JET"]
    with ShipmentRegistry(office.owner_url) as owner, pytest.raises(RoleRefused, match="site 'ZJ_JET' has no key registered at the office"):
        grant_terminal(owner, zj.role, "ZJ_JET")
    # a role granted for another site: the push says so and keeps everything
    dl = terminals["DL-ORE"]
    shipment_id = zj.declare(1, ())
    wrong_role = OfficePusher("ZJ-JET", zj.registry, TerminalOutbox(zj.folder / "wrong-role.sqlite"),
                              lambda: ShipmentRegistry(terminal_url(office, dl), create=False), zj.key, None)
    report = wrong_role.push_once()
    wrong_role.close()
    assert report.unreachable is not None and "row-level security" in report.unreachable
    # the outbox claims more than the office holds
    with TerminalOutbox(zj.folder / "outbox.sqlite") as outbox:
        outbox.confirm(shipment_id, 1)
    fresh_office = zj.pusher(terminal_url(office, zj))
    report = fresh_office.push_once()
    fresh_office.close()
    assert report.events.accepted == 0 and list(report.held) == [shipment_id]
    assert "the outbox says the office confirmed event #1" in report.held[shipment_id] and "but the office holds #0" in report.held[shipment_id]


def test_replaying_an_officers_signed_event_onto_another_shipment_is_refused(office: Office, terminals: dict[str, Terminal]) -> None:
    """What held in the review, kept so: an officer's signed decision moved to another shipment."""
    dl = terminals["DL-ORE"]
    first, second = pushed(dl, office, 1), pushed(dl, office, 2)
    officer = registered_officer_at(office)
    with ShipmentRegistry(office.officer_url) as at_office:
        decision = at_office.transition(first, "certified", "", "ok", officer_key=officer)
    moved = Event(**{**decision.__dict__, "shipment": second})
    with ShipmentRegistry(terminal_url(office, dl), create=False) as as_dl, pytest.raises(PushRefused, match="does not match its hash"):
        receive_events(as_dl, "DL-ORE", [moved], {})


def test_with_id_prefixes_no_terminal_takes_another_sites_shipment_ids(office: Office, terminals: dict[str, Terminal], tmp_path: Path) -> None:
    """Finding 5: ZJ-JET declared DL-ORE's next id first, and DL-ORE's push of it was held for good. A site
    registered with its own id prefix owns its ids."""
    from bulkdaq.evidence.chain import create_site_key, load_private_key
    from bulkdaq.office.intake import register_site_key
    from office_terminals import shipment_of
    zj = terminals["ZJ-JET"]
    create_site_key(tmp_path / "qd.key", tmp_path / "qd.pub")
    qd_key = load_private_key(tmp_path / "qd.key")
    with ShipmentRegistry(office.owner_url) as owner:
        register_site_key(owner, "QD-COAL", qd_key.public_key(), "office admin", id_prefix="QD-COAL-")
        with pytest.raises(PushRefused, match=r"id prefix 'QD-' overlaps site QD-COAL's 'QD-COAL-'"):
            register_site_key(owner, "QD-ORE", Ed25519PrivateKey.generate().public_key(), "office admin", id_prefix="QD-")
        with pytest.raises(PushRefused, match=r"is registered with id prefix 'QD-COAL-'; a registration is never changed"):
            register_site_key(owner, "QD-COAL", qd_key.public_key(), "office admin", id_prefix="QD-C-")
    # ZJ-JET squatting QD-COAL's next id: refused, naming whose ids they are
    squat = shipment_of("ZJ-JET", 1)
    document = squat.as_document()
    document["id"] = "QD-COAL-2026-0001"
    from bulkdaq.shipments.model import shipment_from_data
    zj.registry.declare(shipment_from_data(document, "test"), "terminal")
    pusher = zj.pusher(terminal_url(office, zj))
    report = pusher.push_once()
    pusher.close()
    assert list(report.held) == ["QD-COAL-2026-0001"]
    assert "ids beginning with 'QD-COAL-' are site QD-COAL's" in report.held["QD-COAL-2026-0001"]
    with ShipmentRegistry(office.owner_url) as owner:
        assert "QD-COAL-2026-0001" not in owner.ids()
        # a prefix already used by another site's shipment is refused at registration
        zj.declare(2, ())
        again = zj.pusher(terminal_url(office, zj))
        assert again.push_once().events.accepted == 1
        again.close()
        with pytest.raises(PushRefused, match=r"id prefix 'ZJ-JET-2026' is already used by shipment ZJ-JET-2026-0002 of site ZJ-JET"):
            register_site_key(owner, "ZJ-NEW", Ed25519PrivateKey.generate().public_key(), "office admin", id_prefix="ZJ-JET-2026")


def test_a_raw_shipment_row_cannot_take_another_sites_prefixed_id(office: Office, terminals: dict[str, Terminal]) -> None:
    """Second review, F1: the prefixes were checked only by bulkdaq; one raw row with a terminal's role password took
    another site's id."""
    from bulkdaq.office.intake import register_site_key
    dl = terminals["DL-ORE"]
    with ShipmentRegistry(office.owner_url) as owner:
        register_site_key(owner, "QD-COAL", Ed25519PrivateKey.generate().public_key(), "office admin", id_prefix="QD-COAL-")
    with ShipmentRegistry(terminal_url(office, dl), create=False) as as_dl, \
            pytest.raises(WriteRefused, match=r"shipment QD-COAL-2026-0002 of site DL-ORE: ids beginning with QD-COAL- are site QD-COAL's"), \
            as_dl.database.writing() as db:
        db.execute(sa.text("INSERT INTO shipments (id, declaration_hash, declared_at, site) VALUES ('QD-COAL-2026-0002', 'x', 'now', 'DL-ORE')"))


def test_nothing_the_office_sends_back_stops_the_terminals_push_or_registers_a_card_unasked(office: Office, terminals: dict[str, Terminal]) -> None:
    """Second review, F2 and F9: an officer's card that is not one, a decision citing a document the office does not
    hold, or one with a bad signature stopped the pusher for good, or left a card registered at the terminal."""
    from bulkdaq.evidence.chain import public_pem
    from bulkdaq.office.officers import registered_officers
    zj = terminals["ZJ-JET"]
    first, second, third = pushed(zj, office, 1), pushed(zj, office, 2), pushed(zj, office, 3)
    spoof_key, honest = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    with ShipmentRegistry(office.owner_url) as owner:
        with owner.database.writing() as db:  # the owner writes officers' rows past bulkdaq's checks
            for officer_id, name, key in (("9999-0001", "Li\u202eWei", spoof_key), ("9999-0002", "Fake Officer", honest)):
                db.execute(sa.text("INSERT INTO officers (officer_id, name, fingerprint, public_key_pem, registered_at, registered_by) "
                                   "VALUES (:id, :name, :fp, :pem, 'now', 'owner')"),
                           {"id": officer_id, "name": name, "fp": fingerprint(key.public_key()), "pem": public_pem(key.public_key())})
        for shipment_id, key, evidence, bad_signature in ((first, spoof_key, [], False), (second, honest, ["ab" * 32], False), (third, honest, [], True)):
            last = owner.events(shipment_id)[-1]
            fields = _event_fields(3, 8, shipment_id, _iso(last.time + timedelta(minutes=1)), "verified", "certified", "x", "ok", evidence,
                                   last.hash, fingerprint(key.public_key()))
            signature = (Ed25519PrivateKey.generate() if bad_signature else key).sign(canonical_json(fields)).hex()
            with owner.database.writing(shipment_id) as db:
                owner._insert_event(db, Event(8, shipment_id, last.time + timedelta(minutes=1), "verified", "certified", "x", "ok", tuple(evidence),
                                              last.hash, sha256_hex(fields), signature, 3, None, fingerprint(key.public_key())), site=None)
    pusher = zj.pusher(terminal_url(office, zj))
    report = pusher.push_once()
    pusher.close()
    assert report.unreachable is None and report.decisions_pulled == 0 and sorted(report.pull_refused) == [first, second, third]
    assert "holds invisible formatting" in report.pull_refused[first]
    assert "no evidence with hash" in report.pull_refused[second]
    assert "signature is not officer key" in report.pull_refused[third]
    assert registered_officers(zj.registry) == [] and [zj.registry.state(i) for i in (first, second, third)] == ["verified"] * 3
