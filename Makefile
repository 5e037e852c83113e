# Two commands do all the set-up on a fresh machine:
#   make run    install into .venv and run the default scenario (writes under runs/)
#   make test   install into .venv (with test tools) and run the test suite
# Python 3.12+ is required (pinned in .python-version; pyenv's shim honours it).

PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: run test test-slow lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "inverse-qe needs Python >= 3.12; set PYTHON=/path/to/python3.12")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/inverse-qe run $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow"

# The stylized facts over 30 seeds each (a few minutes on 2 cores); CI runs them too.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m slow

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .hypothesis
