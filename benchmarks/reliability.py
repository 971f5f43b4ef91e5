"""Runs the fault drill (bulkdaq/app/fault_drill.py) and writes its audit to docs/reliability.md."""

from __future__ import annotations

import asyncio
import platform
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from bulkdaq.app.fault_drill import run_fault_drill

REPORT = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        report = asyncio.run(run_fault_drill(Path(folder)))
    text = (
        "# Reliability: the fault drill\n\n"
        "`python -m benchmarks.reliability` (also run, and asserted, by `tests/bulkdaq/app/test_fault_drill.py`): one flowmeter\n"
        "loads through the Modbus collector and the durable spool into a private influxd while the faults below are\n"
        "injected one after another, then the record in InfluxDB is audited.\n\n"
        f"_run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()}, Python {platform.python_version()}_\n\n"
        + report.markdown()
        + "\n"
    )
    REPORT.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
