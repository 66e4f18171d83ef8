# Two commands set everything up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test test-fast test-dbt test-flow test-server test-render bench docs template sample-data clean report-preview

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

# The whole suite (what .ci/run calls): whole modules per worker (module fixtures are built once),
# the longest modules first (tests/conftest.py), one shared sample night. One worker more than cores:
# part of the suite waits (servers starting, a 60-s PostgreSQL outage, Prefect's zombie window) and the
# spare worker fills that time (2 cores: 637 s with three workers, 747 s with two). The slowest tests
# are listed at the end. Serially: `.venv/bin/pytest`.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
test: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

# The contributor loop: every test that needs no nightly flow, dbt build, Prefect server or Quarto
# (the tiers are pytest markers, applied in tests/conftest.py), on every core (pytest-xdist). About 60 s on 2 cores.
FAST := not (flow or dbt or server or render or slow)
test-fast: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q -p no:cacheprovider -n auto -m "$(FAST)"

# dbt's own unit tests only (`unit_tests:` in the model yml; models created empty first, no data).
test-dbt: setup
	$(BIN)/python -m tests.dbt_unit

# One heavy tier alone.
test-flow test-server test-render: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -m "$(@:test-%=%)"

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
