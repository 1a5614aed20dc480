# The README's two commands: `make run` opens the app, `make test` runs every test.
# Both create .venv with the machine's Python 3.11 and install the project into it.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

run: install
	$(BIN)/mlpgui

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/bench_epoch.py

clean:
	rm -rf $(VENV) build *.egg-info mlpgui/*.so ext/*.c
