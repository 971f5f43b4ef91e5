"""Printable reports (HTML, English / 中文): the terminal's measurement report for customs verification
and the surveyor's draft survey report, on one shared page layout."""
