.PHONY: setup demo test bench

setup:
	@scripts/setup.sh

demo: setup
	.venv/bin/bulkdaq demo examples/site.toml

test: setup
	.venv/bin/python -m pytest

bench: setup
	.venv/bin/python -m pip install -q -e ".[bench]"
	.venv/bin/python -m benchmarks
