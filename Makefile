# Two commands set everything up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test bench docs template sample-data clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip<27"
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@# Quarto is an external tool. Try to get it; go on without it (offline machines, CI).
	@command -v quarto >/dev/null || test -x $(BIN)/quarto || $(BIN)/pip install -q quarto-cli >/dev/null 2>&1 \
	  || echo "Quarto kunde inte installeras (kräver internet) / Quarto could not be installed: rendering is skipped. See README."
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/folkhalsa run

test: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest

bench: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m benchmarks.run

docs: setup
	$(BIN)/python -m folkhalsa.dbt_docs

template: setup
	$(BIN)/folkhalsa template

sample-data: setup
	$(BIN)/folkhalsa sample-data --out data/sample

clean:
	rm -rf data/output
