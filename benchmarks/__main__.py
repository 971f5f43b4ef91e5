"""Run every benchmark module in this folder (each has a `main()`)."""

import importlib
import pkgutil
from pathlib import Path

for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
    if module.name in {"performance_report", "__main__"}:
        continue
    print(f"== benchmarks.{module.name}")
    importlib.import_module(f"benchmarks.{module.name}").main()
