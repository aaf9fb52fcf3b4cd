# The two commands of the README: `make demo` and `make test`. Both set themselves up.
SHELL := /bin/bash
VENV ?= .venv

.PHONY: demo test test-fast setup lint bench i18n clean

demo:
	@scripts/setup.sh runtime
	$(VENV)/bin/diagnose demo

test:
	@scripts/setup.sh dev
	@scripts/test.sh

# Lint and the tests that need no broker, browser or PostgreSQL and are not slow (pyproject.toml's markers).
test-fast:
	@scripts/setup.sh dev
	@scripts/test.sh --fast

setup:
	@scripts/setup.sh dev

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy scoring collectors

bench:
	@scripts/setup.sh dev
	$(VENV)/bin/python bench/ingest.py
	$(VENV)/bin/python bench/rollup_bench.py
	$(VENV)/bin/python bench/score_bench.py
	$(VENV)/bin/python bench/roadmap_bench.py
	$(VENV)/bin/python bench/report_bench.py
	$(VENV)/bin/python bench/anomaly_model_bench.py
	$(VENV)/bin/python bench/state_inference_bench.py
	$(VENV)/bin/python bench/partition_bench.py
	$(VENV)/bin/python bench/web_load.py
	$(VENV)/bin/python bench/startup_bench.py

i18n:
	$(VENV)/bin/python scripts/i18n.py

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache .ruff_cache .mypy_cache
