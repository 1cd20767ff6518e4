# Two commands for a fresh machine: `make run` and `make test`.
# They assume only python3, make and git; everything else they install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck unit bench package clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

run: install
	$(BIN)/busgps local up

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install
	$(BIN)/mypy src

test: lint typecheck
	$(BIN)/pytest

bench: install
	$(BIN)/python -m busgps.bench

package: install
	$(BIN)/python -m busgps.packaging

clean:
	rm -rf $(VENV) .local dist build .pytest_cache .mypy_cache .ruff_cache
