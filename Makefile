# Guichet — the two commands: `make run` and `make test` (and `make journeys`, the whole DMN and
# TLC journeys in a browser, and `make probe`, schemathesis against the API, which CI runs after
# the suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
MANAGE := $(BIN)/python manage.py

.PHONY: run test journeys probe cluster crash bench install system-deps lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

run: install
	@echo "Base de données : migrations…"
	@$(MANAGE) migrate --noinput -v 0
	$(MANAGE) load_demo
	@echo "Guichet : http://127.0.0.1:$(PORT)/"
	$(BIN)/python scripts/serve.py --port $(PORT)

# System packages the suite drives for real (Chromium, pdfsig): installed when missing.
system-deps:
	@bash scripts/system-deps.sh

# The journeys (marker `journey`, minutes each) are left to `make journeys`, and the API probe
# (marker `probe`) to `make probe`, so that the suite stays within its 3 minutes; so is applying the migrations: the suite's databases are built
# from the models (--no-migrations, tests/conftest.py builds the rest), the journeys' by
# migrating, as `make run` does.
# Bytecode is kept even where the environment says not to (PYTHONDONTWRITEBYTECODE): each of
# the suite's processes would otherwise compile the project and rewrite every test module's
# assertions again, half of its start.
test: install system-deps
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n auto --dist worksteal -m "not journey and not probe and not cluster and not crash" --no-migrations $(PYTEST_ARGS)

# The DMN and the TLC journey through the pages only (tests/e2e/journeys), side by side, on
# databases migrated as in production; their screenshots in var/captures/journeys/.
journeys: install system-deps
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 2 -m journey tests/e2e/journeys $(PYTEST_ARGS)

# The schemathesis CLI with every check against a live server (tests/test_api_probe.py), once
# with an applicant's token and once with an instructor's, side by side: a few minutes. What it
# printed in var/probe/.
probe: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 2 -m probe --no-migrations tests/test_api_probe.py $(PYTEST_ARGS)

# Issue 23's process tests, over PostgreSQL and moto_server, left out of `make test` (.ci/run
# runs both); DATABASE_URL must name a PostgreSQL database (each test creates and drops its own
# beside it).
# Several nodes at once (tests/ops/test_cluster.py, issue 23 §2): two web nodes, two workers and
# two schedulers started from the Procfile. About two minutes.
cluster: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 0 -m cluster --no-migrations tests/ops $(PYTEST_ARGS)

# The crash loop (tests/ops/test_crash_loop.py, issue 23 §3): the Procfile's processes SIGKILLed
# under load at least 30 times, the invariants checked by the operators' commands; its figures
# printed. About seven minutes.
crash: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 0 -s -m crash --no-migrations tests/ops/test_crash_loop.py $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run_all.py

lint: install
	$(BIN)/ruff check guichet tests bench
	$(BIN)/ruff format --check guichet tests bench

clean:
	rm -rf $(VENV) var
