"""The layout: the layer map of docs/design.md holds (import-linter), and `bulkdaq --version` answers."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import bulkdaq

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_the_layer_contract_holds() -> None:
    result = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "0 broken" in result.stdout


def test_the_layer_contract_names_every_package_of_the_map() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    named = {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}
    core = {p.name for p in (REPO / "bulkdaq").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    leaves = {p.stem for p in (REPO / "bulkdaq").glob("*.py") if p.stem != "__init__"}
    assert {f"bulkdaq.{name}" for name in core | leaves} <= named, "a bulkdaq subpackage or module is in no layer"
    assert {"simulators", "collectors", "dashboards", "calculators"} <= named


def test_version() -> None:
    result = subprocess.run([str(BIN / "bulkdaq"), "--version"], capture_output=True, text=True, timeout=60)
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert result.returncode == 0 and result.stdout == f"bulkdaq {bulkdaq.__version__}\n"
    assert bulkdaq.__version__ == project["version"]
