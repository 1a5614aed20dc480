# The README's two commands: `make run` opens the app, `make test` checks the house rules
# (import-linter contracts, ruff) and runs every test.
# Both create .venv with the machine's Python 3.11 and install the project into it
# (again only when pyproject.toml, setup.py or the Cython sources change).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml setup.py $(wildcard ext/*.pyx ext/*.pxd ext/*.h)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

run: install
	$(BIN)/mlpgui

test: install
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/bench_epoch.py

clean:
	rm -rf $(VENV) build *.egg-info mlpgui/*.so ext/*.c
