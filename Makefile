# Atrium — the two commands of the README, and the checks CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The demo runs on the embedded defaults: SQLite, the file broker, local-memory cache, console e-mail.
DEMO_ENV := DEBUG=true LOG_FORMAT=console

.PHONY: run test check lint format venv install install-test demo-data clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@# Backstage's own JavaScript clients, which the API conformance tests drive (needs Node.js).
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/clients --no-audit --no-fund --ignore-scripts --loglevel=error; \
	else echo "npm not found: the Backstage client tests will be skipped"; fi

## make run: install, migrate the SQLite database, load demo data, start web + worker + beat.
run: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --no-input -v 0
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Atrium is starting at http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo ""
	$(DEMO_ENV) PORT=$(PORT) PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start -f Procfile.dev

## make test: install the test dependencies and run the whole suite.
test: install-test
	$(BIN)/python -m pytest

## make check: lint, format, types, migrations, deploy checks and the API schema (CI runs it too).
check: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# Types (settings in pyproject.toml, [tool.mypy]); the Django plugin loads the settings, as manage.py does.
	DEBUG=true $(BIN)/mypy
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python scripts/check_deploy.py
	DEBUG=true $(BIN)/python manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache test-results
