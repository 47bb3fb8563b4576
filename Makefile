# Ketenkameleon: `make run` for the demo, `make test` for the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The demo's configuration (DEBUG, MFA off) is for `make run` and the tests only; a server
# gets its own environment (.env.example lists it) and never reads .env.demo.
DEMO_ENV := ENV_FILE=.env.demo

.PHONY: install install-dev run test test-fast lint migrate seed clean bench cluster

# Production dependencies (requirements.lock) for `make run`; the test tools come on top
# (requirements-dev.lock) for `make test`. Both are pinned with hashes.
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(DEMO_ENV) $(PY) manage.py seed_demo

run: seed
	@echo ""
	@echo "Ketenkameleon draait op http://127.0.0.1:8000"
	@echo "Demo-accounts (wachtwoord: ketenkameleon-demo):"
	@echo "  coordinator                 coördinator: zaken, toewijzen"
	@echo "  bip1 ... bip6               breed inzetbare professionals (alle drie de rollen)"
	@echo "  regular1 ... regular6       professionals in de controlearm (eigen rol)"
	@echo "  researcher                  onderzoeker: evaluatie"
	@echo "  beheerder                   functioneel beheerder: /beheer/"
	@echo "  (de achtergrondwerker voor exports draait mee: manage.py worker)"
	@echo ""
	$(DEMO_ENV) $(PY) manage.py worker --interval 1 & WORKER=$$!; \
	  trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	  $(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# pytest caches its rewritten test modules as bytecode; with PYTHONDONTWRITEBYTECODE set (some
# shells and containers set it) every worker rewrites all ~400 of them again (~5 s each run).
test: install-dev
	env -u PYTHONDONTWRITEBYTECODE $(DEMO_ENV) $(VENV)/bin/pytest -n 2 --dist loadfile

# The fast suite: everything except the browser journeys, the fuzzers and the tests marked
# `slow` (whole demo worlds, subprocesses, R); `make test` and CI run all of them.
test-fast: install-dev
	env -u PYTHONDONTWRITEBYTECODE $(DEMO_ENV) $(VENV)/bin/pytest -n 2 --dist loadfile \
	  -m "not browser and not slow and not fuzz"

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The performance benchmark of issue 15 (benchmarks/bench/): a PostgreSQL world of BENCH_CASES
# cases (default 1,000,000; BENCH_CASES=50000 for a quick run), gunicorn with production
# settings, real login and MFA; the table goes to benchmarks/results/.
bench: install-dev
	$(PY) -m benchmarks.bench

# Two gunicorn instances behind nginx (TLS, round-robin) on one PostgreSQL database: a browser
# journey and a load test through the proxy (benchmarks/cluster.py; needs nginx and Chromium).
cluster: install-dev
	$(PY) benchmarks/cluster.py

clean:
	rm -rf $(VENV) staticfiles
