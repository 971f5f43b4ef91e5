.PHONY: setup demo test bench

setup:
	@scripts/setup.sh

demo: setup
	.venv/bin/bulkdaq demo examples/site.toml

# lint (ruff: F, I, E9, B), the layer map (import-linter), types (mypy; strict for calculators/), then the tests
test: setup
	.venv/bin/ruff check .
	.venv/bin/lint-imports
	.venv/bin/mypy
	.venv/bin/python -m pytest

bench: setup
	.venv/bin/python -m pip install -q -e ".[bench]"
	.venv/bin/python -m benchmarks
