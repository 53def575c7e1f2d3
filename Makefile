# The two commands a newcomer needs: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/recovery
PYTEST_ARGS ?= -n auto

# Development settings for `make run` and the checks; production sets its own (see README).
export DJANGO_DEBUG ?= 1

.PHONY: help install install-test run worker serve-prod backup restore load-test bench test-e2e e2e-deps office-deps validate migrate demo test test-postgres lint format check-deploy mutation clean

help:
	@echo "make run            set up everything and serve the app at http://$(HOST):$(PORT)"
	@echo "make test           install test dependencies and run the whole test suite (SQLite)"
	@echo "make test-postgres  the suite against PostgreSQL ($(PG_URL))"
	@echo "make lint           ruff, ruff format --check, mypy, import contracts, makemigrations --check"
	@echo "make install        create $(VENV) and install the app"
	@echo "make mutation       mutation testing of the figures (mutmut; not in CI, about 25 minutes)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	@touch $@

install: $(VENV)/.installed
	@mkdir -p var

install-test: $(VENV)/.installed-test
	@mkdir -p var

migrate: install
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py load_demo

run: demo
	@echo "Serving at http://$(HOST):$(PORT)/ (sign in as manager, finance, executive or admin; password recovery-demo-2026)"
	@# The background worker (large PDFs, imports): one process that never reloads on code
	@# changes (restart make run for that) and ends with this recipe, even if it is killed.
	@# The server runs in the background too, so that the shell is in `wait` (which a signal
	@# interrupts) and `kill` of make (which passes SIGTERM on to this shell) stops both at once.
	$(BIN)/python manage.py run_jobs --exit-with-parent & worker=$$!; \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT) & server=$$!; \
	  trap 'kill $$worker $$server 2>/dev/null' EXIT INT TERM; \
	  wait $$server

worker: install
	$(BIN)/python manage.py run_jobs

# Production-like: collect static files, migrate, and serve with gunicorn (settings from the
# environment; see README "Configuration"). Run `make worker` beside it for background PDFs.
serve-prod: install
	DJANGO_DEBUG=0 $(BIN)/python manage.py collectstatic --no-input -v0
	DJANGO_DEBUG=0 $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=0 $(BIN)/gunicorn -c python:recovery.gunicorn recovery.wsgi

# The Nu Html Checker (npm package vnu-jar, run with the machine's Java) for the HTML validation test.
VNU_JAR := var/tools/node_modules/vnu-jar/build/dist/vnu.jar
$(VNU_JAR):
	@command -v java >/dev/null || (echo "Java is needed for the HTML checker (Debian: apt-get install default-jre-headless)" && exit 1)
	@mkdir -p var/tools
	npm install --silent --no-audit --no-fund --prefix var/tools vnu-jar@26 >/dev/null

validate: install-test $(VNU_JAR)
	$(BIN)/python -m pytest -p no:xdist tests/test_html_valid.py

# Debian packages some tests use (needs root, as in CI), installed only when missing:
# LibreOffice Calc and Writer (workbook and Word round trips; soffice alone opens neither) and
# poppler-utils (pdftotext, pdfinfo for PDF checks).
LO_PROGRAM ?= /usr/lib/libreoffice/program
office-deps:
	@missing=""; \
	[ -e $(LO_PROGRAM)/libsclo.so ] || missing="$$missing libreoffice-calc-nogui"; \
	[ -e $(LO_PROGRAM)/libswlo.so ] || missing="$$missing libreoffice-writer-nogui"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages for the tests:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

test: install-test $(VNU_JAR) office-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install-test
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

# Real-browser journeys (Playwright driving Debian's Chromium; `playwright install` cannot
# download here). Installs chromium with apt-get when it is missing (needs root, as in CI).
CHROMIUM ?= /usr/bin/chromium
e2e-deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

test-e2e: install-test e2e-deps office-deps
	@mkdir -p var/screenshots
	$(BIN)/python -m pytest -m e2e -p no:xdist tests/e2e

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python manage.py makemigrations --check --dry-run

# Mutation testing (not in CI; about 25 minutes on one core): mutmut mutates the modules every figure a
# committee reads comes from (calculations, report builders, money, periods; [tool.mutmut] in
# pyproject.toml) and runs their pure unit tests against each mutant, one at a time, in a fresh copy
# in mutants/. Prints the score per module; MUTATION_ARGS=--survivors lists the mutants that survived.
mutation: install-test
	rm -rf mutants
	@mkdir -p var
	@echo "mutmut run (log in var/mutation.log)"
	@$(BIN)/mutmut run --max-children 1 > var/mutation.log 2>&1 || (tail -n 30 var/mutation.log; exit 1)
	$(BIN)/python tests/mutation_score.py $(MUTATION_ARGS)

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-deploy: install
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  DJANGO_ALLOWED_HOSTS=recovery.example.gov.uk $(BIN)/python manage.py check --deploy --fail-level WARNING

# 16 concurrent clients x 50 saves and reads against real gunicorn processes on 127.0.0.1:
# SQLite, PostgreSQL, and two instances sharing PostgreSQL and Redis. Fails on any error or lost write.
load-test: install-test
	$(BIN)/python bench/load_test.py

# Benchmarks (about 4 minutes on 2 cores): each figure as a ratio against a baseline measured side
# by side in the same run; results in var/bench/latest.json and README. BENCH_ARGS=--profile profiles misses.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# One archive (mode 0600) with the database, history included, AND the stored files (attachments),
# with a manifest; whichever database and storage are in use. See README "Operations".
backup: install
	$(BIN)/python manage.py backup

# Restore an archive into an empty database and storage: make restore BACKUP=var/backups/recovery-….tar.gz
# (REPLACE=1 replaces everything already there; CHECK=1 only checks the archive).
restore: install
	@test -n "$(BACKUP)" || (echo "usage: make restore BACKUP=var/backups/recovery-….tar.gz [REPLACE=1] [CHECK=1]" && exit 2)
	$(BIN)/python manage.py restore "$(BACKUP)" $(if $(REPLACE),--replace) $(if $(CHECK),--check)

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache .mypy_cache .ruff_cache mutants
