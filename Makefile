# Two commands do all the set-up on a fresh machine:
#   make run    install the package into .venv (what a run needs) and run the default scenario
#   make test   add the dashboard, Dask and the test tools to .venv and run the test suite
# Python 3.12+ is required (pinned in .python-version; pyenv's shim honours it).

PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The package with its core dependencies (make run).
STAMP := $(VENV)/.installed
# ... plus the extras: the dashboard, Dask and the test tools (make test).
TEST_STAMP := $(VENV)/.installed-test
ARGS ?=

.PHONY: run test test-slow lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "inverse-qe needs Python >= 3.12; set PYTHON=/path/to/python3.12")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(TEST_STAMP)

run: $(STAMP)
	$(BIN)/inverse-qe run $(ARGS)

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow"

# The stylized facts over 30 seeds each (a few minutes on 2 cores); CI runs them too.
test-slow: $(TEST_STAMP)
	$(BIN)/python -m pytest -n 2 -m slow

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .hypothesis
