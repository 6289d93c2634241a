# jssync: Jungle Scout -> DuckDB landing -> staging + production PostgreSQL.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install browser demo test test-fast snapshots lint format migrate hourly master serve sandbox bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv with the project and its tools

browser: ## Debian's chromium for the browser tests (apt-get as root when missing; never a download of its own)
	@if command -v chromium >/dev/null; then echo "chromium: $$(command -v chromium)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && \
		echo "chromium installed: $$(command -v chromium)"; \
	else echo "make browser: chromium is missing; as root run: apt-get install -y chromium" >&2; fi

demo: install ## embedded PostgreSQL + sandbox API, seed, migrate, run a real hourly sync
	$(BIN)/python -m sandbox.demo

# Some machines export PYTHONDONTWRITEBYTECODE=1: then every test worker and every `jssync`
# child process compiles the project (and pytest rewrites every test module) from source again.
unexport PYTHONDONTWRITEBYTECODE

# pytest exits 5 when it collected no test: a failure here, said out loud (never a silent pass).
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider
NO_TESTS = { code=$$?; [ $$code -ne 5 ] || echo "make: pytest collected no tests (exit 5)" >&2; exit $$code; }
# pytest-xdist workers: the tests wait on PostgreSQL, HTTP and child processes more than on the
# CPU, so 4 workers beat 2 even on 2 cores (each worker has its own databases and sandbox).
# PYTEST_WORKERS=0 runs the suite in one process (e.g. to debug with pdb).
# test-fast's tests are few and short: 2 workers repay their start-up, 4 do not.
PYTEST_WORKERS ?= 4
PYTEST_FAST_WORKERS ?= 2
XDIST = -n

test: install browser ## run the whole test suite against a real PostgreSQL (PYTEST_WORKERS=4)
	$(PYTEST) $(XDIST) $(PYTEST_WORKERS) $(PYTEST_ARGS) || $(NO_TESTS)

test-fast: install ## the tests that need no database (15 s; PYTEST_FAST_WORKERS=2)
	$(PYTEST) $(XDIST) $(PYTEST_FAST_WORKERS) -m "not db" $(PYTEST_ARGS) || $(NO_TESTS)

snapshots: install ## rewrite tests/snapshots and sql/schema.sql from the templates (refused under CI)
	UPDATE_SNAPSHOTS=1 $(PYTEST) tests/sql $(PYTEST_ARGS) || $(NO_TESTS)

lint: install ## ruff (checks, and the format of `make format`), then parse every rendered SQL model and migration with sqlglot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/jssync lint

format: install ## ruff format, then ruff check --fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install ## apply pending migrations to staging and production
	$(BIN)/jssync migrate

hourly: install ## one hourly sync (the Cloud Run Job entry point)
	$(BIN)/jssync hourly $(ARGS)

master: install ## one master sync of every visible ASIN
	$(BIN)/jssync master $(ARGS)

serve: install ## the HTTP service on $$PORT (gunicorn)
	$(BIN)/jssync serve

sandbox: install ## the Jungle Scout sandbox API on loopback
	$(BIN)/jssync sandbox $(ARGS)

bench: install ## benchmarks: write path, API phase, memory -> bench/results.json
	$(BIN)/python -m bench

clean: ## remove .venv and local data
	rm -rf $(VENV) .local
