"""The `bulkdaq` command line; `main.py` assembles the sub-commands."""
