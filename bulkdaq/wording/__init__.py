"""What the officer reads, in one place: the bilingual glossary (every English / Chinese label), how
every figure is written (decimals from its policy, with its unit), and the draft survey's summary lines.

Reports, the Grafana clearance board, the CLI and the shipment workflow (whose events and method figures
carry officer-facing text) all write through here, so it sits in the core, below all of them.
"""
