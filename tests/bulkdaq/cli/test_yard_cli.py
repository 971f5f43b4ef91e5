"""`bulkdaq yard` through the command line.

`yard drift`: six inbound lots weighed over the receiving belt scale BR-1 (class 0.5, MPE 0.5 % in service)
and by their discharge draft surveys, BR-1 counting about 1.5 % high. The scale is found drifted beyond its
class, the finding is recorded once in the signed ledger (a second check adds nothing), and the yard board
gets the check and the event in InfluxDB.

Worked by hand: d = 1.3, 1.6, 1.4, 1.7, 1.5, 1.5 % → d̄ = 1.5 %, s = √(0.1/5) = 0.141421 %, t(0.975, 5) =
2.570582, interval 1.5 ± 2.570582 · 0.141421/√6 = 1.351587 … 1.648413 %: wholly beyond +0.5 %.

`yard record`: a batch with a bad file records nothing; a lot entered twice is refused, the first kept."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bulkdaq.store.influx_reader import InfluxReader
from scenario import REPO

BIN = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin"
EXAMPLES = REPO / "examples" / "yard"
SURVEYS_T = (40_000.0, 55_000.0, 62_500.0, 38_000.0, 71_200.0, 49_800.0)
BIAS_PCT = (1.3, 1.6, 1.4, 1.7, 1.5, 1.5)


def bulkdaq(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "500", "BULKDAQ_ACTOR": "yard-clerk"}
    return subprocess.run([str(BIN / "bulkdaq"), *args], capture_output=True, text=True, timeout=120, cwd=folder, env=environment)


def site_file(folder: Path, influx: InfluxReader) -> Path:
    text = (EXAMPLES / "site.toml").read_text(encoding="utf-8")
    text = text.replace('url = "http://127.0.0.1:8086"', f'url = "{influx.url}"').replace('database = "bulkdaq"', f'database = "{influx.database}"')
    text = text.replace('ledger = "var/yard.sqlite"', f'ledger = "{folder / "yard.sqlite"}"')
    text = text.replace('balance_rules = "examples/yard/yard_rules.toml"', f'balance_rules = "{EXAMPLES / "yard_rules.toml"}"')
    text += f'\n[evidence]\nkey_file = "{folder / "site.key"}"\n'
    path = folder / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def received_lots(folder: Path) -> list[Path]:
    """Six lots, each with its discharge draft survey (of record, u 0.25 %) and BR-1's figure."""
    template = json.loads((EXAMPLES / "lots" / "L-SA-03.json").read_text(encoding="utf-8"))
    paths = []
    for n, (survey_t, bias) in enumerate(zip(SURVEYS_T, BIAS_PCT, strict=True), start=1):
        lot = {**template, "lot": f"L-RCV-{n:02d}", "declaration": f"2233202610000130{n:02d}"}
        lot["figures"] = [
            {"method": "draft_survey", "wet_t": survey_t, "u_wet_t": survey_t * 0.0025, "source": f"discharge draft survey DS-{n}"},
            {"method": "belt_scale", "scale": "BR-1", "wet_t": round(survey_t * (1 + bias / 100), 3), "u_wet_t": round(survey_t * 0.005 / 3**0.5, 3),
             "source": f"BR-1 totalizer over the discharge of lot {n}"},
        ]
        path = folder / f"L-RCV-{n:02d}.json"
        path.write_text(json.dumps(lot), encoding="utf-8")
        paths.append(path)
    return paths


def test_a_receiving_scale_counting_high_is_found_drifted_recorded_once_and_raised(influx_db: InfluxReader, tmp_path: Path) -> None:
    site = site_file(tmp_path, influx_db)
    assert bulkdaq(tmp_path, "evidence", "keygen", "--site", str(site)).returncode == 0
    recorded = bulkdaq(tmp_path, "yard", "record", *map(str, received_lots(tmp_path)), "--site", str(site), "--at", "2026-04-01T00:00:00Z")
    assert recorded.returncode == 0, recorded.stderr

    first = bulkdaq(tmp_path, "yard", "drift", "--site", str(site), "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    scales = {s["scale"]: s for s in report["scales"]}
    assert report["published"] is True
    br1 = scales["BR-1"]
    assert br1["verdict"] == "drifted" and br1["pairs_available"] == 6
    assert br1["bias_pct"] == pytest.approx(1.5, abs=1e-6) and br1["n"] == 6
    assert br1["ci_low_pct"] == pytest.approx(1.351587, abs=2e-6) and br1["ci_high_pct"] == pytest.approx(1.648413, abs=2e-6)
    assert br1["mpe_pct"] == 0.5 and br1["entry"]["entry"] == 7 and br1["entry"]["recorded_now"] is True
    # The feeders and the product scale moved no lot that a survey could check: no verdict, no alarm.
    assert {name: s["verdict"] for name, s in scales.items() if name != "BR-1"} == dict.fromkeys(("BF-1", "BF-2", "BF-3", "BP-1"), "insufficient")

    again = json.loads(bulkdaq(tmp_path, "yard", "drift", "--site", str(site), "--json").stdout)
    again_br1 = next(s for s in again["scales"] if s["scale"] == "BR-1")
    assert again_br1["entry"]["entry"] == 7 and again_br1["entry"]["recorded_now"] is False  # nothing new: not recorded twice
    verified = bulkdaq(tmp_path, "yard", "verify", "--site", str(site), "--public-key", str(tmp_path / "site.pub"))
    assert "VERIFIED against the site key " in verified.stdout and ": 7 entries, head #7 " in verified.stdout, verified.stdout + verified.stderr

    # The yard board's series: BR-1's check and one drift event (the second check wrote the same point again).
    (check,) = influx_db.query('SELECT "bias_pct", "ci_low_pct", "mpe_pct", "pairs", "verdict" FROM "scale_drift" WHERE "scale" = \'BR-1\'')
    newest = check.values[-1]
    assert newest[1:5] == pytest.approx([1.5, 1.351587, 0.5, 6], abs=2e-6) and newest[5] == "drifted"
    (events,) = influx_db.query('SELECT "message" FROM "event" WHERE "kind" = \'scale_drift\' AND "asset" = \'BR-1\'')
    assert len(events.values) == 1 and events.values[0][1].startswith("bias +1.50 % (95 % interval +1.35 … +1.65 %) beyond class 0.5")

    table = bulkdaq(tmp_path, "yard", "drift", "--site", str(site))
    assert table.returncode == 0 and "+1.50 %" in table.stdout and "+1.35 % … +1.65 %" in table.stdout and "#7" in table.stdout


def test_a_window_below_five_lots_is_refused(influx_db: InfluxReader, tmp_path: Path) -> None:
    site = site_file(tmp_path, influx_db)
    refused = bulkdaq(tmp_path, "yard", "drift", "--site", str(site), "--window", "3")
    assert refused.returncode == 2 and "--window" in refused.stderr


def test_a_bad_lot_file_among_good_ones_records_nothing(influx_db: InfluxReader, tmp_path: Path) -> None:
    site = site_file(tmp_path, influx_db)
    assert bulkdaq(tmp_path, "evidence", "keygen", "--site", str(site)).returncode == 0
    good, second = received_lots(tmp_path)[:2]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**json.loads(second.read_text(encoding="utf-8")), "moisture": {"pct": 85.0, "u_pct": 0.1, "source": "lab"}}), encoding="utf-8")
    refused = bulkdaq(tmp_path, "yard", "record", str(good), str(bad), "--site", str(site))
    assert refused.returncode == 2 and f"{bad}: moisture.pct: 85.0 % is outside 0 … 30 %" in refused.stderr and refused.stdout == ""
    listed = json.loads(bulkdaq(tmp_path, "yard", "stock", "--site", str(site), "--json").stdout)
    assert listed["piles"] == []  # the good file before the bad one was not recorded either
    recorded = bulkdaq(tmp_path, "yard", "record", str(good), str(good), "--site", str(site))
    # The ledger refuses a lot entered twice: the first stays recorded, and the refusal names the lot.
    assert recorded.returncode == 2 and "#1 lot_entered L-RCV-01" in recorded.stdout and "L-RCV-01" in recorded.stderr


def _six_lots(tmp_path: Path, influx: InfluxReader) -> Path:
    site = site_file(tmp_path, influx)
    assert bulkdaq(tmp_path, "evidence", "keygen", "--site", str(site)).returncode == 0
    recorded = bulkdaq(tmp_path, "yard", "record", *map(str, received_lots(tmp_path)), "--site", str(site), "--at", "2026-04-01T00:00:00Z")
    assert recorded.returncode == 0, recorded.stderr
    return site


def _head_of(tmp_path: Path, site: Path) -> tuple[str, str]:
    line = bulkdaq(tmp_path, "yard", "verify", "--site", str(site)).stdout
    number, digest = line.split("head #", 1)[1].split()[:2]
    return number, digest


def test_a_ledger_re_signed_with_another_key_does_not_verify_against_the_site_key(influx_db: InfluxReader, tmp_path: Path) -> None:
    """The operator rewrites the ledger with a key of his own (every entry re-signed, the key rows replaced): the
    file is consistent with itself, but not with the site's key, which verify, stock and the statement expect."""
    import sqlite3

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bulkdaq.evidence.canonical_json import canonical_json, sha256_hex
    from bulkdaq.evidence.chain import fingerprint, public_pem
    from bulkdaq.yard.ledger import YardLedger

    site = _six_lots(tmp_path, influx_db)
    ledger_path = tmp_path / "yard.sqlite"
    with YardLedger(ledger_path, create=False) as ledger:
        entries = ledger.entries()
    forger = Ed25519PrivateKey.generate()
    db = sqlite3.connect(ledger_path, isolation_level=None)
    for table in ("entries", "signing_key"):
        for verb in ("update", "delete"):
            db.execute(f"DROP TRIGGER {table}_no_{verb}")
    for entry in entries:
        db.execute("UPDATE entries SET signature = ? WHERE number = ?", (forger.sign(canonical_json(entry.hashed_fields())).hex(), entry.number))
    db.execute("UPDATE signing_key SET fingerprint = ?, public_key_pem = ?", (fingerprint(forger.public_key()), public_pem(forger.public_key())))
    db.close()
    assert sha256_hex(entries[-1].hashed_fields()) == entries[-1].hash  # nothing else changed: the chain itself is intact
    for command in (["verify"], ["stock"], ["statement", "--from", "2026-03-01T00:00:00Z", "--to", "2026-05-01T00:00:00Z", "--out", str(tmp_path / "s.html")]):
        refused = bulkdaq(tmp_path, "yard", *command, "--site", str(site))
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, (command, refused.stdout, refused.stderr)
    assert not (tmp_path / "s.html").exists()


def test_entries_cut_from_the_end_are_caught_against_a_head_kept(influx_db: InfluxReader, tmp_path: Path) -> None:
    import sqlite3

    site = _six_lots(tmp_path, influx_db)
    number, digest = _head_of(tmp_path, site)
    assert number == "6"
    kept = bulkdaq(tmp_path, "yard", "verify", "--site", str(site), "--head", f"6:{digest}")
    assert kept.returncode == 0 and f"head #6 {digest}" in kept.stdout
    db = sqlite3.connect(tmp_path / "yard.sqlite", isolation_level=None)
    guards = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ('entries_no_delete', 'documents_no_delete')"))
    for name in guards:
        db.execute(f"DROP TRIGGER {name}")
    (document,) = db.execute("SELECT document FROM entries WHERE number = 6").fetchone()
    db.execute("DELETE FROM entries WHERE number = 6")
    db.execute("DELETE FROM documents WHERE hash = ?", (document,))
    db.execute("UPDATE sqlite_sequence SET seq = 5 WHERE name = 'entries'")
    for sql in guards.values():  # a careful operator removes every trace, resets the row counter and puts the guards back
        db.execute(sql)
    db.close()
    # The shortened chain is consistent in itself; only the head kept from before shows what is gone.
    assert bulkdaq(tmp_path, "yard", "verify", "--site", str(site)).returncode == 0
    cut = bulkdaq(tmp_path, "yard", "verify", "--site", str(site), "--head", f"6:{digest}")
    assert cut.returncode == 2 and f"does not hold the head kept, #6 {digest} (it ends at #5)" in cut.stderr


def test_bad_options_are_named_in_one_line(influx_db: InfluxReader, tmp_path: Path) -> None:
    site = _six_lots(tmp_path, influx_db)
    cases = {
        ("verify", "--public-key", str(tmp_path / "missing.pem")): "command line: --public-key: cannot read",
        ("verify", "--public-key", str(tmp_path)): "command line: --public-key: cannot read",
        ("verify", "--head", "6:abc"): "command line: --head: expected NUMBER:HASH",
        ("statement", "--from", "2027-01-01T00:00:00Z", "--to", "2026-01-01T00:00:00Z"): "command line: --to: the period ends",
    }
    (tmp_path / "garbage.pem").write_text("not a key")
    cases[("verify", "--public-key", str(tmp_path / "garbage.pem"))] = f"command line: --public-key: {tmp_path / 'garbage.pem'} is not an Ed25519 public key in PEM"
    for args, message in cases.items():
        refused = bulkdaq(tmp_path, "yard", *args, "--site", str(site))
        assert refused.returncode == 2 and message in refused.stderr and "Traceback" not in refused.stderr, (args, refused.stderr)
