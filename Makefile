# papersift: `make run` serves the site, `make test` runs the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench clean-venv system-packages

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "papersift needs Python 3.11 or newer (set PY=python3.11)")'
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/papersift migrate
	$(BIN)/papersift bootstrap
	$(BIN)/papersift run-all --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# PostgreSQL, redis-server and Chromium for the tests: installed when missing (needs root),
# or the command to run is printed and nothing else runs.
system-packages:
	@scripts/system-packages

test: system-packages $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest
	PAPERSIFT_TEST_DB=postgresql $(BIN)/python -m pytest -q -p no:cacheprovider tests/store tests/web \
		tests/accounts tests/search tests/recommend_web

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run_all.py

clean-venv:
	rm -rf $(VENV)
