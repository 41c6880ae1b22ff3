# Two commands set up everything on a fresh machine (Python >= 3.12 and pip):
#   make run    install ecosim into .venv, run scenarios/baseline.yaml and write its report
#   make test   install ecosim with its test extras into .venv, lint, and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"

run: install
	$(BIN)/ecosim run scenarios/baseline.yaml --report

test: install-test
	$(BIN)/ruff check sim tests benchmarks docs/generate validation
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info
