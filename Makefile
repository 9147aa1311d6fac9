# Two commands: `make run` (the demo on the embedded default) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: run run-scaled test test-fast lint bench setup setup-test system-deps clean screenshots

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt $(VENV)/bin/activate
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	# face_recognition's declared dlib dependency would compile for ages;
	# dlib-bin (in requirements.txt) provides the same module as a wheel.
	$(PIP) install -q --no-deps face_recognition
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(PIP) install -q -r requirements-test.txt
	touch $@

# gettext's msgfmt compiles translations; a CJK font draws the Chinese of a PDF lesson whose fonts are
# not embedded (training.pdf_pages: PDFium falls back to the system's fonts; our own certificate and demo
# PDFs use reportlab's non-embedded STSong-Light) and makes the browser tests' screenshots legible;
# chromium runs the browser tests.
# Installed from Debian's packages when missing (needs root, as on CI).
system-deps:
	@command -v msgfmt >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext; }
	@fc-list :lang=zh | grep -q . || { apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei; }

system-deps-test: system-deps
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

setup: $(VENV)/.installed system-deps
	$(PY) manage.py compilemessages -v0 --ignore=.venv
	$(PY) manage.py migrate --no-input -v0

run: setup
	$(PY) manage.py seed_demo
	@echo "safetrain on http://127.0.0.1:$(PORT)/  (demo accounts: see README)"
	$(VENV)/bin/daphne -b 127.0.0.1 -p $(PORT) config.asgi:application

# The district topology on one machine: two gunicorn web processes, daphne for /ws/, a Celery
# worker and beat (and nginx in front when installed), against DATABASE_URL (PostgreSQL) and
# REDIS_URL, both required. Ctrl-C stops them all. README: "Running a district".
run-scaled: $(VENV)/.installed system-deps
	VENV=$(VENV) deploy/run-scaled.sh

setup-test: $(VENV)/.installed-test system-deps-test
	$(PY) manage.py compilemessages -v0 --ignore=.venv

# The suite runs on TEST_WORKERS processes (pytest-xdist; one per core here). xdist's default
# `--dist load` hands each worker its tests in collection order, which pytest-django sorts as
# Django does: database tests, then transactional ones, then the rest (the browser tests among
# them). Keep it so: a worker that has started Playwright's sync API cannot use Django's
# database afterwards (SynchronousOnlyOperation), and a transactional test's flush must not
# come before a plain database test; `--dist loadfile` or `loadscope` would break both.
# TEST_WORKERS=0 runs the suite in this one process.
TEST_WORKERS ?= 2

test: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The browser tests save screenshots under var/screenshots/ (ignored by git), so a
# test run never changes a tracked file. This target alone refreshes the docs' copies.
screenshots: setup-test
	$(VENV)/bin/pytest tests/browser -q -n $(TEST_WORKERS) $(PYTEST_ARGS)
	@mkdir -p docs/screenshots
	cp var/screenshots/*.png docs/screenshots/
	@echo "docs/screenshots/ refreshed from var/screenshots/: review with git diff --stat docs/ and commit"

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

bench: $(VENV)/.installed-test
	@for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) var db.sqlite3*
