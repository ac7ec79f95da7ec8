# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make demo   - install, generate the synthetic dataset, train, evaluate, export, try on
#   make test   - the test suite (what .ci/run calls)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: venv test test-all demo lint clean

$(BIN)/activate: setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

venv: $(BIN)/activate

test: venv
	$(BIN)/python -m pytest -n 2 -m "not large" -q

test-all: venv
	$(BIN)/python -m pytest -n 2 -q

lint: venv
	$(BIN)/ruff check sievenet_tf training export tests

demo: venv
	$(BIN)/python training/demo.py --out runs/demo

clean:
	rm -rf runs build dist *.egg-info
