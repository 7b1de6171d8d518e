# Koppelaar: every target creates .venv when missing and installs what it needs.
# A new user needs nothing but Python >= 3.11 and make.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# The stamps record which extras are installed; pyproject.toml changes reinstall.
CORE_STAMP := $(VENV)/.stamp-core
DEV_STAMP  := $(VENV)/.stamp-dev

.PHONY: demo test lint bench install install-dev services clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Koppelaar needs Python 3.11 or newer: run 'make PYTHON=python3.12 ...'"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(CORE_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,postgres,dask]'
	@touch $@ $(CORE_STAMP)

install: $(CORE_STAMP)
install-dev: $(DEV_STAMP)

## demo: set up and run the main job on the embedded default (the shipped sample world)
demo: $(CORE_STAMP)
	$(BIN)/koppelaar demo

## services: start the local PostgreSQL the tests use, and install Debian's Chromium for the browser tests
services:
	@bash .ci/postgres
	@bash .ci/chromium

## test: set up and run every check: lint, types, layer contracts and the test suite (SQLite and PostgreSQL)
test: $(DEV_STAMP) services
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest

## lint: ruff, ruff format --check, mypy (strict) on every package (matching, models, api, data), import-linter
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy matching models api data
	$(BIN)/lint-imports

## bench: speed and quality benchmarks (not part of the test run)
bench: $(DEV_STAMP)
	$(PY) -m tests.benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
