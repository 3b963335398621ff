# The two commands a newcomer needs: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast test-sqlite test-postgres migrate audit bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/wallet-bot run

migrate: install
	$(BIN)/wallet-bot migrate

audit: install
	$(BIN)/wallet-bot audit

# Runs the whole suite on SQLite, then again on PostgreSQL when
# WALLET_TEST_POSTGRES_URL is set (each run creates and drops its own database).
test: install
	@bash scripts/ensure-chromium.sh || true
	@bash scripts/ensure-zbar.sh || true
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)
	@if [ -n "$$WALLET_TEST_POSTGRES_URL" ]; then \
	  echo "== again on PostgreSQL =="; \
	  WALLET_TEST_DB=postgres $(BIN)/python -m pytest -q -m "not browser" $(PYTEST_ARGS); \
	fi

# The inner loop: unit and service tests on SQLite (`make test` runs everything), in FAST_WORKERS
# processes (pytest-xdist; each has its own tmp dir, SQLite files and PostgreSQL database), from
# FAST_PATHS only: the folders of those tiers (tests/conftest.py TIERS, checked by
# tests/handlers/test_tiers.py), which spares collecting the chat tier (~6 s a process).
# `make test-fast FAST_WORKERS=0` runs in one process (pdb, -x); FAST_PATHS=<file> runs one file.
# Figures on this 2-CPU machine with other test runs beside it (load average 2-5), `time make
# test-fast`: before, one process, 4 min 4 s and 5 min 3 s (5 min 52 s measured earlier; 287 s of
# test time by --durations=0); after, 1 min 30 s to 1 min 58 s (126 s of test time; one
# process: 2 min 32 s). What changed: the state machines and the concurrency scenarios of each
# SQLite path are in the stress tier; a test's SQLite database is a copy of one schema file, not
# a create_all of its own; the worlds of test_same_outcome and test_audit are made once per
# process and copied (tests/worlds.py); two workers.
FAST_WORKERS ?= 2
FAST_PATHS ?= tests/handlers tests/wallet
test-fast: install
	$(BIN)/python -m pytest -q -n $(FAST_WORKERS) -m "unit or service" $(FAST_PATHS) $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) .pytest_cache
