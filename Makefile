# Two commands set everything up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test bench docs template sample-data clean report-preview

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip<27"
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@# Quarto is an external tool. Try to get it; go on without it (offline machines, CI).
	@command -v quarto >/dev/null || test -x $(BIN)/quarto || $(BIN)/pip install -q quarto-cli >/dev/null 2>&1 \
	  || echo "Quarto kunde inte installeras (kräver internet) / Quarto could not be installed: rendering is skipped. See README."
	@touch $(STAMP)

setup: $(STAMP)
	@# reports/_environment points Quarto at reports/.venv/bin/python (QUARTO_PYTHON), so an analyst's plain
	@# `quarto render arsrapport.qmd` in reports/ runs the report with the project's Python.
	@ln -sfn ../$(VENV) reports/.venv

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

# The rendered PDFs as PNG pages (poppler-utils' pdftoppm), to look at: data/output/reports/<year>/preview/.
PREVIEW_DPI ?= 60
report-preview: setup
	@command -v pdftoppm >/dev/null || { echo "pdftoppm saknas / missing: apt-get install poppler-utils"; exit 1; }
	@ls data/output/reports/*/arsrapport.pdf >/dev/null 2>&1 || PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/folkhalsa render --to typst
	@for pdf in data/output/reports/*/arsrapport.pdf; do \
	  dir=$$(dirname $$pdf)/preview; rm -rf $$dir; mkdir -p $$dir; \
	  pdftoppm -r $(PREVIEW_DPI) -png $$pdf $$dir/page; \
	  echo "$$pdf -> $$dir/ ($$(ls $$dir | wc -l) pages)"; \
	done

clean:
	rm -rf data/output
