"""The customs office over many terminals: officers' keys, the office registry's intake, pushes from terminals (docs/office.md)."""
