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

# The inner loop: unit and service tests on SQLite (a few minutes); `make test` runs everything.
test-fast: install
	$(BIN)/python -m pytest -q -m "unit or service" $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) .pytest_cache
