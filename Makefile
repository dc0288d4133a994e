# Two commands: `make run` serves the seeded API, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test test-sqlite test-postgres lint format migrate seed

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

run: install
	scripts/start.sh

migrate: install
	$(BIN)/autofacts migrate

seed: install
	$(BIN)/autofacts seed

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# SQLite always; PostgreSQL too when AUTOFACTS_TEST_DATABASE_URL names a database.
test: lint test-sqlite test-postgres

test-sqlite: install
	env -u AUTOFACTS_TEST_DATABASE_URL $(BIN)/pytest

test-postgres: install
	@if [ -n "$$AUTOFACTS_TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$AUTOFACTS_TEST_DATABASE_URL"; \
		$(BIN)/pytest; \
	else \
		echo "skipped: no PostgreSQL (set AUTOFACTS_TEST_DATABASE_URL=postgresql+psycopg://...)"; \
	fi
