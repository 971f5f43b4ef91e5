"""The README's demo, run as a newcomer runs it: two shipments end to end on the simulators."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from bulkdaq.evidence.bundle import verify_bundle
from bulkdaq.evidence.chain import fingerprint as key_fingerprint
from bulkdaq.evidence.chain import load_public_key
from bulkdaq.shipments.registry import ShipmentRegistry
from figure_checks import figure_problems, page_text

REPO = Path(__file__).resolve().parents[1]
BULKDAQ = str(Path(sys.executable).with_name("bulkdaq"))


def test_demo_clears_one_shipment_and_flags_the_other(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    result = subprocess.run(
        [BULKDAQ, "demo", "examples/site.toml", "--seconds", "12", "--data-dir", str(data)],
        cwd=REPO, capture_output=True, text=True, timeout=240, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    out = result.stdout
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # Each meter ticket equals the simulator's ground truth, mass and volume.
    assert out.count("(equal)") == 4 and "DIFFERENT" not in out
    assert "a drop of 112,500.000 m³; the meters indicated 90,000.000 t" in out
    # The jet-fuel export is verified and released; the ore import's belt scale disagrees.
    assert re.search(r"meters vs shore_tanks \(meters-vs-shore-tanks\)\s*│\s*-0\.0\d\d %\s*│\s*0\.300 %\s*│\s*yes", out)
    assert "state: released" in out and "state: investigating" in out
    # Without a terminal the live view is a status line every 10 s, with the tonnes loaded so far, rising.
    loaded = [float(t.replace(",", "")) for t in re.findall(r"; DEMO-EXP-JET loaded ([\d,]+\.\d{3}) t of 89,900\.000 t in air \(\d+\.\d %\)", out)]
    assert len(loaded) >= 2 and loaded == sorted(loaded) and 89_000 < loaded[-1] <= 90_000
    assert re.search(r"draft_survey vs belt_scale \(draft-survey-vs-belt-scale\)\s*│\s*\+1\.2\d\d %\s*│\s*0\.559 %\s*│\s*NO", out)
    # The jet-fuel shipment's signed evidence verifies offline, figures recomputed from the raw readings.
    assert re.search(r"Evidence \S+evidence-DEMO-EXP-JET.json: \d+ signed blocks, \d+ readings, (\d+ signed events, )?key [0-9a-f]{16}….* → VERIFIED", out)
    check = subprocess.run(
        [BULKDAQ, "evidence", "verify", str(data / "evidence-DEMO-EXP-JET.json"), "--trusted-key", str(data / "site.pub")],
        capture_output=True, text=True, timeout=60,
    )
    assert check.returncode == 0 and "VERIFIED" in check.stdout
    # A certificate figure changed in the registry's document: its hash no longer matches, and the raw
    # readings contradict it.
    bundle = json.loads((data / "evidence-DEMO-EXP-JET.json").read_text(encoding="utf-8"))
    tickets = next(d for d in bundle["shipment"]["documents"].values() if d["kind"] == "meter_tickets")
    tickets["body"]["meters"][0]["indicated_exact"] = "45100000.000"
    problems = verify_bundle(bundle, bundle["manifest"]["key_fingerprint"]).problems
    assert any(p.startswith("shipment DEMO-EXP-JET: document meter_tickets altered") for p in problems)
    assert any("meter FT-101: the measurement report's indicated mass_total_kg is 45100000.000, the raw readings give 45000000.000" in p for p in problems)
    # The measurement reports: what the document is, final once released and provisional before, the site's
    # key fingerprint over a history signed event by event, every figure at its policy's decimals.
    fingerprint = key_fingerprint(load_public_key((data / "site.pub").read_bytes()))
    with ShipmentRegistry(data / "shipments.sqlite") as registry:
        assert registry.key_fingerprint == fingerprint
        assert all(e.signature for sid in ("DEMO-EXP-JET", "DEMO-IMP-ORE") for e in registry.events(sid))
    pages = {s: (data / "certificates" / f"certificate-{s}.html").read_text(encoding="utf-8") for s in ("DEMO-EXP-JET", "DEMO-IMP-ORE")}
    for shipment, page in pages.items():
        assert shipment in page and "码头计量报告（供海关核查）" in page and fingerprint in page
        assert "— history not signed" not in page and "Asia/Shanghai (UTC+08:00)" in page
        assert figure_problems(page, prose=("API MPMS 11.1-2004 (ASTM D1250-04) at 15 °C",) if "JET" in shipment else ()) == [], shipment
    assert "FINAL 最终" in page_text(pages["DEMO-EXP-JET"]) and "PROVISIONAL" not in pages["DEMO-EXP-JET"]
    assert "PROVISIONAL 临时" in page_text(pages["DEMO-IMP-ORE"])
    # The ore import cites the discharge survey, with the figure `bulkdaq survey draft` gives for that file.
    survey = subprocess.run([BULKDAQ, "survey", "draft", "examples/surveys/evership-discharge.json"], cwd=REPO, capture_output=True, text=True,
                            timeout=60, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    printed = re.search(r"Cargo discharged 卸货重量\s+([\d,]+\.\d{3} t)", survey.stdout)
    assert printed is not None and printed.group(1) == "88,798.400 t"
    ore = page_text(pages["DEMO-IMP-ORE"])
    assert f"Draft survey 水尺计重 — Measured 实测 {printed.group(1)}" in ore and "import 进口 · discharge 卸货" in ore and "装货" not in ore
    assert "evership-discharge.json" in ore and "IMO 9745017" in ore and "Voyage 航次 0902E" in ore
