# Koppelaar: every target creates .venv when missing and installs what it needs.
# A new user needs nothing but Python >= 3.11 and make.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# The stamps record which extras are installed; pyproject.toml changes reinstall.
CORE_STAMP := $(VENV)/.stamp-core
DEV_STAMP  := $(VENV)/.stamp-dev
# make test keeps numba's compiled kernels between runs, also of fresh clones (compiling them takes
# about half a minute on 2 cores): one folder per content of matching/ and models/, because numba
# checks only the source of a kernel's own file, not of the files whose functions it inlines or
# whose constants it reads. Folders not used for 30 days are removed.
NUMBA_CACHE ?= $(HOME)/.cache/koppelaar-numba
KERNELS_KEY := $(shell $(PYTHON) -c 'import hashlib, pathlib; h = hashlib.sha1(); \
  [h.update(str(f).encode() + f.read_bytes()) for d in ("matching", "models") for f in sorted(pathlib.Path(d).rglob("*.py"))]; \
  print(h.hexdigest()[:16])')

.PHONY: demo test coverage lint bench install install-dev services node-packages web-assets clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Koppelaar needs Python 3.11 or newer: run 'make PYTHON=python3.12 ...'"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(CORE_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,postgres,dask,semantic]'
	@touch $@ $(CORE_STAMP)

install: $(CORE_STAMP)
install-dev: $(DEV_STAMP)

## demo: set up and run the main job on the embedded default (the shipped sample world)
demo: $(CORE_STAMP)
	$(BIN)/koppelaar demo

## services: start the local PostgreSQL the tests use, install Debian's Chromium for the browser tests and
## the Node packages of the sign-in and accessibility tests
services: node-packages
	@bash .ci/postgres
	@bash .ci/chromium

## node-packages: `npm ci` (package-lock.json): the test OpenID Connect provider (tests/oidc/provider.mjs),
## axe-core for the accessibility tests, the NL Design System CSS that web-assets vendors
node-packages:
	@bash .ci/node

## web-assets: refresh the NL Design System CSS vendored in api/http/web/static/vendor from the npm
## packages in package-lock.json (bump their versions there first); the page never builds at run time
web-assets: node-packages
	@bash api/http/web/vendor.sh

## test: set up and run every check: lint, types, layer contracts and the test suite (SQLite and PostgreSQL),
## the suite spread over every core (pytest-xdist; tests/conftest.py's work_unit: a test file's tests stay together
## in one process, as do the files that share a generated world; the units with slow tests start first)
test: $(DEV_STAMP) services
	$(MAKE) --no-print-directory lint
	@mkdir -p "$(NUMBA_CACHE)/$(KERNELS_KEY)" && touch "$(NUMBA_CACHE)/$(KERNELS_KEY)"
	@find "$(NUMBA_CACHE)" -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec rm -rf {} +
	NUMBA_CACHE_DIR="$(NUMBA_CACHE)/$(KERNELS_KEY)" $(BIN)/pytest -n auto --dist loadgroup --no-loadscope-reorder

## coverage: the test suite as in `make test` (no lint), measuring which lines of matching, models, api and data
## ran; it takes about twice the CPU time of the suite alone, so `make test` does not measure it
coverage: $(DEV_STAMP) services
	@mkdir -p "$(NUMBA_CACHE)/$(KERNELS_KEY)" && touch "$(NUMBA_CACHE)/$(KERNELS_KEY)"
	NUMBA_CACHE_DIR="$(NUMBA_CACHE)/$(KERNELS_KEY)" $(BIN)/pytest -n auto --dist loadgroup --no-loadscope-reorder \
	  --cov=models --cov=matching --cov=api --cov=data --cov-report=term:skip-covered

## lint: ruff, ruff format --check, mypy (strict) on every package (matching, models, api, data, tests), import-linter
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy matching models api data tests
	$(BIN)/lint-imports

## bench: speed and quality benchmarks (not part of the test run); BENCH passes names and options,
## e.g. make bench BENCH="quality --scale 0.3 --worlds skills,noisy --json quality.json"
bench: $(DEV_STAMP)
	$(PY) -m tests.benchmarks $(BENCH)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
