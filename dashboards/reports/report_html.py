"""The printable bilingual HTML report page that the draft survey report and the measurement report for customs share.

One self-contained A4 page (no scripts, no external files): the page style, every label in English with
its Chinese beside it, the particulars table at the top and the signature line at the bottom. Each
report brings its own body and the style of its own tables.

Only the standard library is used (string.Template, html.escape): a report must render on a terminal PC
without extra packages. Print it to PDF from any browser.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from string import Template
from typing import Literal

_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>$title</title>
<style>
  @page { size: A4 $orientation; margin: 12mm; }
  body { font-family: "Noto Sans", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", Arial, sans-serif;
         font-size: $font_size; color: #111; margin: 1.5em; }
  h1 { font-size: 16pt; margin: 0 0 .2em 0; }
  h2 { font-size: 12pt; margin: 1.2em 0 .4em 0; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border: 1px solid #888; padding: 2px 6px; vertical-align: top; }
  table.particulars td { border: none; padding: 1px 12px 1px 0; }
$style
  .signatures td { border: none; padding-top: 3em; width: 33%; }
  @media print { body { margin: 0; } tr { page-break-inside: avoid; } }
</style>
</head>
<body>
$body

<table class="signatures"><tr>
$signatures
</tr></table>
</body>
</html>
"""
)


def zh(chinese: str) -> str:
    """The Chinese of a label, set beside the English."""
    return f'<span class="zh">{html.escape(chinese)}</span>'


def bilingual(english: str, chinese: str) -> str:
    """An English label with its Chinese (none when `chinese` is empty), escaped."""
    return f"{html.escape(english)} {zh(chinese)}" if chinese else html.escape(english)


def particulars_rows(particulars: Iterable[tuple[str, str, str]], per_row: int = 1) -> str:
    """The rows of the particulars table: (english, chinese, value) each, the value in bold; `per_row`
    label/value pairs side by side (2 makes a compact two-column block)."""
    cells = [f'<td class="label">{bilingual(english, chinese)}</td><td><b>{html.escape(value)}</b></td>' for english, chinese, value in particulars]
    return "\n".join("<tr>" + "".join(cells[i:i + per_row]) + "</tr>" for i in range(0, len(cells), per_row))


def page(
    title: str,
    body: str,
    *,
    orientation: Literal["portrait", "landscape"],
    font_size: str,
    style: str,
    signatories: Iterable[tuple[str, str]],
) -> str:
    """The whole HTML page.

    Parameters
    ----------
    title : str
        Page title (plain text; escaped here).
    body : str
        The report's HTML between its heading and the signature line.
    orientation, font_size : str
        A4 orientation and body font size (``"10pt"``).
    style : str
        CSS rules for the report's own tables and classes.
    signatories : iterable of (english, chinese)
        Who signs, one signature field each.
    """
    signatures = "\n".join(f"<td>{bilingual(english, chinese)}: ____________________</td>" for english, chinese in signatories)
    return _PAGE.substitute(
        title=html.escape(title),
        orientation=orientation,
        font_size=font_size,
        style=style.strip("\n"),
        body=body.strip("\n"),
        signatures=signatures,
    )


__all__ = ["bilingual", "page", "particulars_rows", "zh"]
