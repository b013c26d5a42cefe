# HRP Clinic: `make run` for the demo clinic, `make test` for the whole suite.
# Both create .venv on first use. See README.md.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# Python 3.12+: the first that exists of python3.13, python3.12, then python3 (checked below).
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do command -v $$p >/dev/null 2>&1 && { echo $$p; break; }; done)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-system-deps lint format checks messages demo worker beat backup restore verify reinstall clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "HRP Clinic needs Python 3.12 or newer; found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when the pinned requirements change.
$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $@ $(VENV)/.base-installed

# The demo clinic: SQLite file, tasks in-process, demo accounts. Never for real records.
run: export DEBUG := 1
run: export DEMO_MODE := 1
run: $(VENV)/.base-installed
	unset DATABASE_URL REDIS_URL; \
	$(BIN)/python manage.py migrate --no-input && \
	$(BIN)/python manage.py seed_demo && \
	echo "Sign in at http://$(HOST):$(PORT)/" && \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite. On PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set. In parallel
# (pytest-xdist): one process per core, each with its own test database (test_<name>_gw<N>) and
# cache key prefix (conftest.py); tests that must share a process carry an xdist_group marker
# (docs/PERFORMANCE.md, "Test suite time"). TEST_WORKERS=0 runs it in one process;
# PYTEST_ARGS adds options (e.g. PYTEST_ARGS="--durations=30").
TEST_WORKERS ?= auto
test: $(VENV)/.dev-installed test-system-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Chromium for the browser tests, Pango and a font for WeasyPrint: installed with apt when missing
# and running as root; otherwise it says what to run (scripts/test_system_deps.sh).
test-system-deps: $(VENV)/.dev-installed
	PYTHON=$(BIN)/python scripts/test_system_deps.sh

# Style, then architecture: dependencies point one way (import-linter's layers contract in
# pyproject.toml) and no project import hides inside a function (docs/ARCHITECTURE.md).
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python scripts/lint_function_imports.py

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Migrations in step with models, and Django's deployment checklist with production-like
# settings (a throwaway key; DEBUG off; HSTS, secure cookies and SSL redirect at defaults).
checks: $(VENV)/.dev-installed
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	env -u DEBUG -u STATIC_MANIFEST -u SECURE_SSL_REDIRECT -u SECURE_COOKIES -u DEMO_MODE \
		SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
		FIELD_ENCRYPTION_KEYS="$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
		ALLOWED_HOSTS=clinic.example.org \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

# The staff interface's translations (README, "Languages"): every string marked for translation
# in the code and templates into locale/<language>/LC_MESSAGES/django.po (new ones with an empty
# msgstr), then compiled to the django.mo committed beside it. Needs GNU gettext. Skips .venv,
# tests, bench, static and node_modules (manage.py update_messages).
messages: $(VENV)/.base-installed
	DEBUG=1 $(BIN)/python manage.py update_messages

# With REDIS_URL set: a worker and (exactly one) beat, for local work against Redis.
worker: $(VENV)/.base-installed
	$(BIN)/celery -A hrp worker --loglevel=INFO

beat: $(VENV)/.base-installed
	$(BIN)/celery -A hrp beat --loglevel=INFO

# Backup and restore (README, "Backup and restore"), against DATABASE_URL with the keys in
# FIELD_ENCRYPTION_KEYS. `make backup [BACKUP_DIR=...]`, `make restore DUMP=path/to/hrp-....dump`.
backup: $(VENV)/.base-installed
	$(BIN)/python manage.py backup $(if $(BACKUP_DIR),--output-dir "$(BACKUP_DIR)")

restore: $(VENV)/.base-installed
	@test -n "$(DUMP)" || { echo "Usage: make restore DUMP=backups/hrp-<time>.dump"; exit 2; }
	$(BIN)/python manage.py restore "$(DUMP)"

verify: $(VENV)/.base-installed
	$(BIN)/python manage.py verify_integrity

reinstall:
	rm -f $(VENV)/.base-installed $(VENV)/.dev-installed

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
