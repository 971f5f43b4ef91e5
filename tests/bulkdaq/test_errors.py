"""One error base: every error bulkdaq defines derives from BulkdaqError, the one the command line catches."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from bulkdaq.errors import BulkdaqError

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("bulkdaq", "collectors", "calculators", "dashboards", "simulators")
OPTIONAL = {"dashboards.grafana.panel_pictures"}  # needs the docs extra (matplotlib)


def defined_errors() -> list[type[BaseException]]:
    found = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        for module_info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if module_info.name in OPTIONAL:
                continue
            module = importlib.import_module(module_info.name)
            for name, value in vars(module).items():
                if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module.__name__ and not name.startswith("_"):
                    found.append(value)
    return found


def test_every_error_bulkdaq_defines_derives_from_the_one_base() -> None:
    errors = defined_errors()
    assert len(errors) > 30
    assert [e.__qualname__ for e in errors if not issubclass(e, BulkdaqError)] == []


def test_the_command_line_catches_the_base_and_nothing_broader() -> None:
    source = (REPO / "bulkdaq" / "cli" / "main.py").read_text(encoding="utf-8")
    assert "except BulkdaqError as error:" in source
    assert "except (" not in source and "except ValueError" not in source and "except Exception" not in source


@pytest.mark.parametrize(
    "argv, message",
    [
        (["survey", "draft", "no-such-file.json"], "no-such-file.json: (file): cannot read the file"),
        (["vcf", "--density", "800", "--density-unit", "api", "--temperature", "15", "--temperature-unit", "C",
          "--pressure", "0", "--pressure-unit", "kPa", "--base", "15C", "--edition", "2004"], "--density-unit: api is a 60 °F quantity"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv: list[str], message: str) -> None:
    result = subprocess.run([sys.executable, "-m", "bulkdaq.cli.main", *argv], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and message in result.stderr and "Traceback" not in result.stderr
