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

.PHONY: help setup dev test test-python lint format generate check-generated bench migrate seed

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

setup: ## Install every Python package (one locked uv workspace)
	$(UV) sync --frozen --all-packages

migrate: setup ## Apply database migrations (DATABASE_URL)
	$(RUN) monstercoach migrate

seed: migrate ## Load demo data: a coach and 25 clients with four weeks of history
	$(RUN) monstercoach seed-demo

dev: seed ## Run the services locally against DATABASE_URL / REDIS_URL (dry-run Discord)
	@echo "Starting api on http://127.0.0.1:8000 and the workers; Ctrl-C stops all."
	@trap 'kill 0' INT TERM EXIT; \
	  $(RUN) monstercoach-api & \
	  $(RUN) monstercoach-bot & \
	  $(RUN) monstercoach-scheduler & \
	  $(RUN) monstercoach-flagworker & \
	  wait

test: setup ## Run the whole test suite against real PostgreSQL and Redis
	$(RUN) pytest

lint: setup ## ruff (lint + format check) and mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy shared-schemas/src services/kit/src services/cli/src services/api/src services/bot/src services/scheduler/src services/flagworker/src services/discord-sim/src

format: setup ## Apply ruff's formatting and safe fixes
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

generate: setup ## Regenerate docs/schema_definitions.md (and every other generated file)
	$(RUN) monstercoach generate

check-generated: setup ## Fail when a generated file is stale
	$(RUN) monstercoach generate --check

bench: setup ## Run the benchmarks in bench/
	$(RUN) python bench/bus.py
	$(RUN) python bench/api.py
	$(RUN) python bench/delivery.py
	$(RUN) python bench/scan.py
	$(RUN) python bench/tick.py

.PHONY: up down
# Until web/ exists, `up` starts everything but the web container (it has nothing to build).
up: ## Run the whole system in containers (docker compose); Battle Station on :8080
	docker compose up --build --detach $(if $(wildcard web/package.json),,postgres redis migrate api bot scheduler flagworker)
	@echo "Battle Station: http://localhost:8080   api: http://127.0.0.1:8000/health   logs: docker compose logs -f"

down: ## Stop the containers (data volumes stay; `docker compose down -v` wipes them)
	docker compose --profile demo down
