# Two commands: `make run` serves the seeded API, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test test-sqlite test-postgres lint lint-docker format migrate seed \
	bench bench-growth bench-smoke docs-performance

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

lint: install lint-docker
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

# No Docker engine runs here: the Dockerfile is linted (hadolint, from the dev extras) and
# tests/test_dockerfile.py checks its rules and runs its start script.
lint-docker: install
	$(BIN)/hadolint Dockerfile

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# SQLite always; PostgreSQL too when AUTOFACTS_TEST_DATABASE_URL names a database. Every test
# runs on both, the slow ones too (`pytest -m "not slow"` is the quick local loop).
test: lint test-sqlite test-postgres

# pytest-xdist workers with databases of their own (tests/conftest.py): one more than the
# cores, as a worker is often waiting (on PostgreSQL copying or dropping a database, on a
# live server's answer) and its core is then another's. The slowest tests are listed at
# the end of each run.
WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
PYTEST := $(BIN)/pytest -n $(WORKERS) --durations=15

test-sqlite: install
	@echo "== SQLite"
	env -u AUTOFACTS_TEST_DATABASE_URL $(PYTEST)

test-postgres: install
	@if [ -n "$$AUTOFACTS_TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$AUTOFACTS_TEST_DATABASE_URL"; \
		$(PYTEST); \
	else \
		echo "skipped: no PostgreSQL (set AUTOFACTS_TEST_DATABASE_URL=postgresql+psycopg://...)"; \
	fi

# Benchmarks (bench/README.md): Autofacts against the bare FastAPI route and Datasette on
# the same synthetic data (100k companies, 1M facts; built once, then reused), 3 runs.
# The run's summary (bench/results/<date>-<host>.json) is committed, and docs/performance.md
# rendered from it, whether or not every bar passed; the exit status is the run's.
bench: install
	$(BIN)/python bench/run.py; status=$$?; $(BIN)/python bench/report.py && exit $$status

# docs/performance.md from the newest committed summary in bench/results/.
docs-performance: install
	$(BIN)/python bench/report.py

# How each path's cost grows from 10k to 100k to 1M facts.
bench-growth: install
	$(BIN)/python bench/run.py --growth --runs 1

# A tiny pass through the whole pipeline (CI runs it from tests/test_bench_smoke.py).
bench-smoke: install
	$(BIN)/python bench/run.py --smoke
