# Hearth — `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HEARTH := $(BIN)/hearth
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint fmt check-migrations migrate demo serve worker clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

var/keyring.json: $(VENV)/.installed
	$(HEARTH) keys init

migrate: $(VENV)/.installed var/keyring.json
	$(HEARTH) migrate --no-input

demo: migrate
	$(HEARTH) demo

## Set up everything and serve the demo practice on http://127.0.0.1:8000
run: demo
	$(HEARTH) serve --host $(HOST) --port $(PORT)

serve: migrate
	$(HEARTH) serve --host $(HOST) --port $(PORT)

worker: migrate
	$(HEARTH) worker

## Gates: lint, format, types, migrations
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(HEARTH) makemigrations --check --dry-run

fmt: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## The whole suite (gates first). PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set;
## then, on PostgreSQL, the tests marked both_databases once more on SQLite.
test: lint
	$(BIN)/pytest $(PYTEST_ARGS)
	@if [ -n "$$DATABASE_URL" ]; then \
	  echo "== tests marked both_databases, again on SQLite"; \
	  env -u DATABASE_URL HEARTH_TEST_DB=sqlite $(BIN)/pytest -m both_databases; \
	fi

bench: $(VENV)/.installed-dev bench-scheduling bench-calls bench-messaging bench-safety
	@echo "Benchmarks live under bench/; see BENCHMARKS.md for each command."

clean:
	rm -rf $(VENV) var/static .pytest_cache .mypy_cache .ruff_cache

## Scheduling benchmarks (PostgreSQL at BENCH_POSTGRES_URL, default
## postgres://postgres@127.0.0.1:5432/postgres); figures and how to read them: BENCHMARKS.md
.PHONY: bench-scheduling
bench-scheduling: $(VENV)/.installed
	$(BIN)/python bench/scheduling/slots.py $(BENCH_ARGS)
	$(BIN)/python bench/scheduling/booking.py $(BENCH_ARGS)

## Call benchmarks (PostgreSQL as above; Redis at BENCH_REDIS_URL, default
## redis://127.0.0.1:6379/0; Chromium at HEARTH_CHROMIUM, default /usr/bin/chromium);
## figures and how to read them: BENCHMARKS.md
.PHONY: bench-calls
bench-calls: $(VENV)/.installed-dev
	$(BIN)/python bench/calls/join.py $(BENCH_ARGS)
	$(BIN)/python bench/calls/signalling.py $(BENCH_ARGS)

## Messaging benchmark (PostgreSQL and Redis as above); figures and how to read them:
## BENCHMARKS.md
.PHONY: bench-messaging
bench-messaging: $(VENV)/.installed
	@for script in bench/messaging/*.py; do \
	  echo "== $$script"; $(BIN)/python $$script $(BENCH_ARGS) || exit 1; \
	done
## Risk-language detector: precision and recall on labelled sentences, against a keyword
## baseline; a few seconds, no database. Figures and how to read them: BENCHMARKS.md
.PHONY: bench-safety
bench-safety: $(VENV)/.installed
	$(BIN)/python bench/safety/risk_language.py $(BENCH_ARGS)
