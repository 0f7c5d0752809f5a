# The two commands: `make run` and `make test`. Both set everything up first; `make lint` checks the code.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app rotation

.PHONY: run test lint setup migrate clean bench-import bench-plan bench-invites bench-pages

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "Rotation needs Python 3.11 or newer; set PYTHON=/path/to/python3.11."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(FLASK) db upgrade

# The background worker (plan runs and imports from the pages, the outbox) runs beside the server and stops with it.
run: migrate
	$(FLASK) demo load --if-empty
	@echo "Rotation is serving on http://127.0.0.1:5000, with its background worker (Ctrl-C stops both)."
	@$(FLASK) worker --interval 5 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host 127.0.0.1 --port 5000

# The suite runs in one process per core (pytest-xdist); PYTEST_ARGS="-n 0" runs it in one.
test: setup
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# The linter and the type checker, configured in pyproject.toml; CI runs this before the suite.
lint: setup
	$(BIN)/ruff check rotation tests
	$(BIN)/mypy rotation tests

clean:
	rm -rf $(VENV) instance .pytest_cache

.PHONY: bench-import
bench-import: setup
	$(BIN)/python -m tests.benchmarks.bench_import

.PHONY: bench-plan
bench-plan: setup
	$(BIN)/python -m tests.benchmarks.bench_plan $(BENCH_ARGS)

.PHONY: bench-invites
bench-invites: setup
	$(BIN)/python -m tests.benchmarks.bench_invites $(BENCH_ARGS)

# Needs the load generator wrk (Debian: apt-get install -y wrk); installed by the benchmark when run as root.
.PHONY: bench-pages
bench-pages: setup
	@command -v wrk >/dev/null || [ "$$(id -u)" = 0 ] \
	  || { echo "make bench-pages needs wrk: apt-get install -y wrk"; exit 1; }
	$(BIN)/python -m tests.benchmarks.bench_pages $(BENCH_ARGS)
