# socialpulse — every command a user needs; `make` alone prints this help.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv: on PATH, or installed into the user's Python by `make bootstrap`
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
# Local settings (copy .env.example to .env); the environment still wins over the file.
ifneq (,$(wildcard .env))
include .env
export $(shell sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env)
endif

VENV := .venv
BIN := $(VENV)/bin
export SOCIALPULSE_HOME ?= $(CURDIR)/data
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export AIRFLOW__USAGE_DATA_COLLECTION__ENABLED := False

DAYS ?= 90
# pytest-xdist workers for `make test` (0: one process); a module's tests stay on one worker
TEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

.PHONY: help bootstrap install manifest demo test test-fast stack-test stack-up superset-install bi-check lint bench summary sandbox clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

bootstrap: ## Install uv if missing (pip), then the locked environment in .venv
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen

install: bootstrap ## Alias of bootstrap

$(BIN)/socialpulse: pyproject.toml uv.lock
	@$(MAKE) --no-print-directory bootstrap
	@touch $@

manifest: $(BIN)/socialpulse ## dbt parse: the manifest Cosmos renders the build DAG from
	cd dbt_project && ../$(BIN)/dbt parse --profiles-dir . --quiet

demo: $(BIN)/socialpulse ## Sandbox -> Airflow DAGs -> dbt -> audit -> publish, then a summary (DAYS=90)
	$(BIN)/socialpulse demo --days $(DAYS)

summary: $(BIN)/socialpulse ## Print what the serving warehouse holds
	$(BIN)/socialpulse summary

sandbox: $(BIN)/socialpulse ## Run the platform simulator in the foreground on :8765
	$(BIN)/socialpulse sandbox serve --port 8765

test: $(BIN)/socialpulse manifest ## Run every test (unit, dbt, GX, Airflow, end to end; TEST_WORKERS=2)
	$(BIN)/pytest $(PYTEST_PARALLEL)

test-fast: $(BIN)/socialpulse ## Tests without the integration ones
	$(BIN)/pytest $(PYTEST_PARALLEL) -m "not integration"

stack-test: $(BIN)/socialpulse manifest superset-install ## The compose services natively (PostgreSQL, Airflow REST API, sandbox), then the BI check
	$(BIN)/pytest -m stack tests/stack

stack-up: $(BIN)/socialpulse manifest ## The compose services natively, in the foreground: Airflow UI on a free port, Ctrl-C stops
	$(BIN)/python -m stack.native

superset-install: ## Superset in its own venv (.venv-superset) and Debian's Chromium, for the BI check
	stack/superset/install.sh

bi-check: ## Superset natively on the published warehouse: every chart's data and a screenshot
	stack/superset/run_check.sh

SCALES ?= region observatory
bench: $(BIN)/socialpulse ## Full build, daily increments, Airflow vs dbt, DAG parse at SCALES="region observatory" -> bench/RESULTS.md
	$(BIN)/python bench/bench.py $(foreach s,$(SCALES),--scale $(s)) --record

lint: $(BIN)/socialpulse ## ruff
	$(BIN)/ruff check .

clean: ## Remove runtime data (data/) and generated dbt artifacts
	rm -rf data dbt_project/target dbt_project/logs
