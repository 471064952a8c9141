# One entry point for newcomers and CI. `make help` lists the targets.
#
#   make run    set up .venv, migrate, load the demo data, serve http://127.0.0.1:5000
#   make test   the one test command (CI runs exactly this, through .ci/run)

VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
FLASK   := $(BIN)/flask --app hub
HOST    ?= 127.0.0.1
PORT    ?= 5000

.DEFAULT_GOAL := help
.PHONY: help venv install install-test run test test-services lint format translations screenshot clean

help:
	@echo "make run           set up, migrate, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test          lint, format check and the whole test suite (what CI runs)"
	@echo "make lint          ruff check"
	@echo "make format        ruff format and ruff check --fix"
	@echo "make translations  extract, update and compile the message catalogs"
	@echo "make screenshot    refresh docs/screenshot.png (needs Chromium)"

LANGUAGES := nb nn en

# The virtualenv is made once; the packages are installed again when pyproject.toml changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

venv: $(BIN)/python
install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The scheduler (no-show release and other jobs) runs beside the web server as its own
# process, and is stopped when the server stops (Ctrl-C included).
run: install
	$(FLASK) db upgrade
	$(FLASK) hub demo --history
	@$(FLASK) hub scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# Chromium (for the browser tests) and PostgreSQL (for the database matrix).
test-services:
	scripts/ensure-test-services

test: install-test test-services
	$(BIN)/ruff check hub tests
	$(BIN)/ruff format --check hub tests
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check hub tests

format: install-test
	$(BIN)/ruff format hub tests
	$(BIN)/ruff check --fix hub tests

translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o hub/translations/messages.pot hub
	@for lang in $(LANGUAGES); do \
	  test -f hub/translations/$$lang/LC_MESSAGES/messages.po || \
	    $(BIN)/pybabel init -i hub/translations/messages.pot -d hub/translations -l $$lang; \
	done
	$(BIN)/pybabel update -i hub/translations/messages.pot -d hub/translations
	$(BIN)/pybabel compile -d hub/translations

# Screenshots of /, a hub page and the login page; the hub page goes in the README.
screenshot: install-test
	HUB_SCREENSHOT_DIR=$(CURDIR)/build/screenshots $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/browser/test_look.py
	cp build/screenshots/hub.png docs/screenshot.png

clean:
	rm -rf build .pytest_cache .ruff_cache

# Benchmarks (issues 3 and 4, Speed): booking over HTTP under gunicorn, a week's availability
# with 10k and 1M bookings, and usage reports over a busy hub's year of 100k and 1M bookings,
# on SQLite and PostgreSQL; about an hour, most of it the finance benchmark (1,000 statements with PDFs per run). See bench/README.md.
# One of them: make bench BENCH_ARGS="--only usage".
# Options go through BENCH_ARGS, e.g. make bench BENCH_ARGS="--backends sqlite --requests 500".
.PHONY: bench
bench: install
	@test -x $(BIN)/gunicorn || $(BIN)/python -m pip install --quiet -e ".[prod]"
	$(BIN)/python -m bench $(BENCH_ARGS)
