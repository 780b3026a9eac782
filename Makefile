# certbridge tasks. `make help` lists them.
VENV ?= .venv
BIN := $(VENV)/bin
STORE ?= store

.PHONY: help init build test test-fast lint fmt arch check bench

help: ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

init: ## create the venv with the test extras (editable install)
	python3 -m venv $(VENV) && $(BIN)/pip install -e '.[test]'

build: ## build the store from data/ into $(STORE)
	$(BIN)/certbridge build --store $(STORE)

test: ## run every test (what CI runs)
	$(BIN)/pytest

test-fast: ## skip the slow tests (whole real data set, wheel install)
	$(BIN)/pytest -m "not slow"

lint: ## ruff check and format check
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

fmt: ## ruff format and autofix
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

arch: ## import-linter contracts, ruff and mypy
	$(BIN)/pytest tests/test_architecture.py tests/test_types.py tests/test_docstrings.py

check: lint test ## lint and every test

bench: ## scale benchmark: build, reasoning vs owlrl, route latency (figures in bench/README.md)
	$(BIN)/python bench/bench_scale.py
