"""Writes one benchmark's section of docs/performance.md, leaving the other sections as they are."""

from __future__ import annotations

import platform
import re
from datetime import datetime, timezone
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
HEADER = (
    "# Performance\n\n"
    "Written by the benchmarks (`make bench`, or `python -m benchmarks.NAME`). Every figure is a ratio "
    "against a baseline measured in the same run on the same machine, because these machines are shared "
    "and noisy; absolute rates are given for orientation only.\n"
)


def write_section(name: str, markdown: str) -> Path:
    """Replace (or append) the section `name` of docs/performance.md with `markdown`."""
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else HEADER
    stamp = (
        f"_measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"Python {platform.python_version()}_\n\n"
    )
    block = f"<!-- begin:{name} -->\n{stamp}{markdown.rstrip()}\n<!-- end:{name} -->"
    pattern = re.compile(rf"<!-- begin:{re.escape(name)} -->.*?<!-- end:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    return REPORT
