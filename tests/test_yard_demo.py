"""`bulkdaq yard demo` as a person runs it: two runs on the simulated belts through the real collector, the second
with BF-2 counting 3 % high; what it prints must tell that story with the figures the simulator's truth gives."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from scenario import REPO

BIN = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin"


def test_the_yard_demo_catches_the_drifting_feeder_and_closes_the_balance(tmp_path: Path) -> None:
    data = tmp_path / "demo-yard"
    run = subprocess.run([str(BIN / "bulkdaq"), "yard", "demo", "--seconds", "15", "--data-dir", str(data)], capture_output=True, text=True,
                         timeout=300, cwd=REPO, env={**os.environ, "COLUMNS": "250"})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout
    # Run 1 honest: each feeder's figure is the truth (60 / 30 / 10 % of 6,000 t), the product consistent.
    assert "run R-DEMO-1 recorded: ledger #4, product consistent" in out
    assert "│ L-BRAZIL-07  │ BF-2  │ 1,800.000 t │" in out
    # Run 2: BF-2 counts 3 % high, 1,854.000 t for the 1,800.000 t that passed; the product scale shows the sum short.
    assert "run R-DEMO-2 recorded: ledger #5, product product_short" in out and "1,854.000 t" in out
    assert "flag product_short: R-DEMO-2: product − components -54.000 t (U 42.362 t) (entries #5)" in out
    # The period closes within its uncertainty, wet and dry (the drift is 54 t against U of the whole yard).
    assert "yard balance, wet: opening + entered 180,000.000 t − out 9,600.000 t" in out and "+54.000 t (U 76.096 t): balanced within uncertainty" in out
    assert "yard balance, dry:" in out and out.count("balanced within uncertainty") >= 2
    assert "verified against site key" in out and (data / "yard-statement.html").is_file()
    # One lot (L-PILBARA-01) was weighed over the receiving scale as well as surveyed: too few for a verdict, no false alarm.
    assert "BR-1 insufficient (1 lot)" in out and "BF-2 insufficient (0 lots)" in out
