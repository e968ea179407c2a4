# MonsterCoach — every target does its own setup from a fresh clone.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# Python 3.12 is the target; uv cannot download interpreters here, so point it at one.
PY312 := $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null))
ifneq ($(PY312),)
export UV_PYTHON ?= $(PY312)
endif
UV ?= uv
RUN := $(UV) run --frozen --all-packages

.PHONY: help setup dev test test-python test-faults lint format generate check-generated bench migrate seed

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

setup: ## Install every Python package (one locked uv workspace)
	$(UV) sync --frozen --all-packages

migrate: setup ## Apply database migrations (DATABASE_URL)
	$(RUN) monstercoach migrate

seed: migrate ## Load demo data: a coach and 25 clients with four weeks of history
	$(RUN) monstercoach seed-demo

# Which PostgreSQL and Redis (configured, local ports, or embedded under .data/), the
# migrations and the demo seed are `monstercoach dev`'s own steps: only it knows the
# database it picked. DEV_FLAGS passes options, e.g. DEV_FLAGS="--speed 60" (see README).
DEV_FLAGS ?=
dev: setup $(if $(wildcard web/package.json),web-setup) ## Run everything locally: services, simulated clients, Battle Station (dry-run Discord)
	$(RUN) monstercoach dev $(DEV_FLAGS)

test: test-python test-web ## Run the whole test suite (Python, then Battle Station) against real PostgreSQL and Redis

# web-setup too: the generated-files test renders the web's types with openapi-typescript.
test-python: setup web-setup ## Run the Python tests
	$(RUN) pytest

test-faults: setup ## Fault injection: the services as real processes, killed and starved (CI runs it too)
	$(RUN) pytest -m integration tests/integration

lint: setup ## ruff (lint + format check) and mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy shared-schemas/src services/kit/src services/cli/src services/api/src services/bot/src services/scheduler/src services/flagworker/src services/discord-sim/src

format: setup ## Apply ruff's formatting and safe fixes
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

generate: setup web-setup ## Regenerate docs/schema_definitions.md (and every other generated file)
	$(RUN) monstercoach generate

check-generated: setup web-setup ## Fail when a generated file is stale
	$(RUN) monstercoach generate --check

# BENCH_FLAGS passes options, e.g. BENCH_FLAGS="--sizes 1000 10000" or "--only bus tick".
BENCH_FLAGS ?=
bench: setup ## Run every benchmark: figures against their limits, and a scaling table (~40 min)
	$(RUN) python bench/run.py $(BENCH_FLAGS)

.PHONY: up down
# Until web/ exists, `up` starts everything but the web container (it has nothing to build).
up: ## Run the whole system in containers (docker compose); Battle Station on :8080
	docker compose up --build --detach $(if $(wildcard web/package.json),,postgres redis migrate api bot scheduler flagworker)
	@echo "Battle Station: http://localhost:8080   api: http://127.0.0.1:8000/health   logs: docker compose logs -f"

down: ## Stop the containers (data volumes stay; `docker compose down -v` wipes them)
	docker compose --profile demo down

# --- Battle Station (web/) -------------------------------------------------------------------

.PHONY: web-setup web-chromium test-web
CHROMIUM_PATH ?= /usr/bin/chromium

# npm ci again only when the lock changed (npm writes this file on every install).
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web-setup: web/node_modules/.package-lock.json ## Install Battle Station's npm packages (npm ci)

# playwright-core drives the system's Chromium: Playwright's own downloads are not
# reachable here. Installed with apt when missing (CI runs as root on Debian).
web-chromium: ## Make sure Chromium is installed for the browser e2e
	@if [ ! -x "$(CHROMIUM_PATH)" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "install Chromium (apt-get install chromium) or set CHROMIUM_PATH" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; \
	fi

test-web: setup web-setup web-chromium ## Battle Station: type check, lint, unit tests, build, browser e2e (real api)
	cd web && npm run typecheck && npm run lint && npm test
	cd web && UV="$(UV)" CHROMIUM_PATH="$(CHROMIUM_PATH)" npm run test:e2e
