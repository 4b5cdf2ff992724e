# skillcard: `make demo` serves the demo (`make demo PORT=8017` on another port), `make test`
# runs every test (on two processes: TEST_WORKERS=0 for one). Both set up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)

.PHONY: setup demo test test-fast lint bench browser lock clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

demo: setup
	$(BIN)/skillcard demo --port $(PORT)

browser:
	@scripts/ensure-chromium

# The suite on two processes (pytest-xdist): it waits on servers, PostgreSQL and Chromium as
# much as it computes. `make test TEST_WORKERS=0` runs it in one. loadgroup keeps the tests of
# one xdist_group (the replica tests: one throwaway cluster pair) on one process.
TEST_WORKERS ?= 2
test: setup browser
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

test-fast: setup
	$(BIN)/pytest -m "not browser" tests/unit

lint: setup
	$(BIN)/ruff check src tests bench deploy
	$(BIN)/ruff format --check src tests bench deploy
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/load.py

# Refresh the lock file from a clean environment after changing pyproject.toml.
lock:
	rm -rf /tmp/skillcard-lock && $(PYTHON) -m venv /tmp/skillcard-lock
	/tmp/skillcard-lock/bin/pip install --quiet --upgrade pip setuptools
	/tmp/skillcard-lock/bin/pip install --quiet -e '.[dev]'
	/tmp/skillcard-lock/bin/pip freeze --all --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache src/*.egg-info
