# The README's two commands: `make run` opens the app, `make test` checks the house rules
# (import-linter contracts, ruff) and runs every test.
# Both create .venv with the newest of the machine's Pythons 3.11 to 3.13 (or python3 if it
# is 3.11 or newer; `make PYTHON=...` to choose) and install the project into it (again only
# when pyproject.toml, setup.py or the Cython sources change).
ifndef PYTHON
PYTHON := $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
endif
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench install clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "mlpgui needs Python 3.11 or newer: none of python3.13, python3.12," \
		"python3.11, python3 is; install one, or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
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
	$(BIN)/python benchmarks/bench_build.py

clean:
	rm -rf $(VENV) build *.egg-info mlpgui/*.so mlpgui/*.pyd ext/*.c
