# The README's commands. Everything installs into .venv from this repository's files.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run stop demo test bench lint services venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

services:
	scripts/ensure-services

# Until the services exist: migrate every service's database and self-check the kit.
run: venv services
	$(BIN)/unionctl db migrate all
	$(BIN)/unionctl broker setup
	$(BIN)/unionctl selfcheck
	$(BIN)/unionctl audit verify
	$(BIN)/unionctl up
	$(BIN)/unionctl status

stop: venv
	$(BIN)/unionctl down

# A county year through the running services (after `make run`); harmless to repeat.
demo: venv
	$(BIN)/unionctl demo

test: venv services
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv services
	$(BIN)/python -m bench.append_bench
	$(BIN)/python -m bench.checks_bench
	$(BIN)/python -m bench.read_bench
	$(BIN)/python -m bench.relay_bench
	$(BIN)/python -m bench.load_bench

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
