# Every target that runs code depends on `install`, so a fresh clone needs nothing but `make demo`
# or `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE_DIR ?= .tmp/sample
SAMPLE_DB ?= .tmp/sample.duckdb
# The generator's default end date: the sample's "today".
SAMPLE_AS_OF ?= 2026-09-30
export DBT_PROFILES_DIR := $(CURDIR)

.PHONY: install system-deps demo test lint fix pytest sample-build dev docs bench lock clean

install: $(VENV)/.installed profiles.yml
	@mkdir -p warehouse

# The report is checked in a real headless browser: Debian's chromium, installed here when we are
# root (as on CI); otherwise the report tests say they were skipped and how to install it.
system-deps:
	@command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# pip's own lines show how far it is: on a terminal as pip prints them (with its download bars); in a
# log (CI) without the line per package already installed, so a reinstall stays a few lines.
PIP_INSTALL := $(BIN)/pip install --disable-pip-version-check --progress-bar on -c requirements.lock -e '.[dev]'

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(BIN)/python || { echo "install: creating the virtualenv $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "install: the pinned packages of requirements.lock and this project into $(VENV)"
	@echo "install: some 150 packages, 3 to 8 minutes the first time; about a minute after a pin changes"
	@started=$$SECONDS; \
	if [ -t 1 ]; then $(PIP_INSTALL); \
	else $(PIP_INSTALL) | grep -v '^Requirement already satisfied'; test $${PIPESTATUS[0]} -eq 0; fi && \
	echo "install: done in $$((SECONDS - started))s"
	@touch $@

profiles.yml: profiles.example.yml
	@test -f $@ || cp $< $@

demo: install
	$(BIN)/milestones demo

# The whole gate: style, then the Python tests, which generate sample data for the sample's seeds and
# for a second definition set, build it with its data tests on DuckDB and PostgreSQL, check every
# table against the generator's truth and run the dbt unit tests once.
test: install system-deps lint pytest

lint: install
	$(BIN)/ruff check src orchestration tests/python
	$(BIN)/ruff format --check src orchestration tests/python
	$(BIN)/dbt parse --quiet
	$(BIN)/sqlfluff lint models macros tests/dbt

fix: install
	$(BIN)/ruff check --fix src orchestration tests/python
	$(BIN)/ruff format src orchestration tests/python
	$(BIN)/sqlfluff fix models

# One worker per core (pytest-xdist): most of a test build is dbt's own Python, which uses one core.
# A test file stays on one worker, so its module fixtures (its own warehouse) are built once.
# The 25 slowest tests and fixtures close the report: where a slower machine spends the run.
PYTEST_WORKERS ?= auto
pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25

# By hand: the sample of `make demo` at a smaller size, built by the command line.
sample-build: install
	rm -rf $(SAMPLE_DIR) $(SAMPLE_DB)
	$(BIN)/milestones generate --accounts 300 --days 240 --seed 7 --dirty-rate 0.02 --out $(SAMPLE_DIR)
	MILESTONES_DUCKDB_PATH=$(SAMPLE_DB) $(BIN)/milestones load $(SAMPLE_DIR)
	MILESTONES_DUCKDB_PATH=$(SAMPLE_DB) $(BIN)/milestones build --as-of $(SAMPLE_AS_OF)

# The Dagster UI on 127.0.0.1:3000 with a persistent home in .dagster_home/; Ctrl-C stops everything.
dev: install
	$(BIN)/python -m orchestration.dev

BENCH_EVENTS ?= 10000000
bench: install
	$(BIN)/milestones bench --events $(BENCH_EVENTS)

docs: install
	$(BIN)/dbt docs generate
	@echo "dbt docs in target/; serve them with: $(BIN)/dbt docs serve --host 127.0.0.1"

# Refresh requirements.lock after changing a pin in pyproject.toml.
lock:
	rm -rf .tmp/lockvenv && $(PYTHON) -m venv .tmp/lockvenv
	.tmp/lockvenv/bin/pip install --quiet -e '.[dev]'
	(head -2 requirements.lock; .tmp/lockvenv/bin/pip freeze --exclude-editable) > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf target logs .tmp warehouse reports
