"""Run every benchmark module in this folder (each has a `main()`), in name order.

A module is registered by being here: `catch_up`, `ctpl`, `draft_survey`, `ingest`, `latency`, `memory`,
`modbus_fanout`, `office_registry` (a private PostgreSQL cluster: needs Debian's postgresql, see
scripts/setup.sh), `opcua`, `reliability`. `bench_site` (shared servers, no figures of its own) runs as a
no-op; `performance_report` writes the page and is not a benchmark.
"""

import importlib
import pkgutil
from pathlib import Path

for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
    if module.name in {"performance_report", "__main__"}:
        continue
    print(f"== benchmarks.{module.name}")
    importlib.import_module(f"benchmarks.{module.name}").main()
