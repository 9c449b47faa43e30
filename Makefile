# Shopmesh: the two commands are `make up` and `make test`. Everything runs natively on Debian 12
# (no Docker engine needed); state lives in var/, build output in build/.
SHELL := /bin/bash
PRESET ?= dev
BUILD_DIR := build/$(PRESET)
export SHOPMESH_BUILD_DIR := $(CURDIR)/$(BUILD_DIR)
s ?=

.PHONY: help bootstrap configure build up down ps logs test unit integration bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

bootstrap: ## Install missing Debian packages and fetch Kafka (idempotent)
	@scripts/bootstrap

configure: bootstrap
	@cmake --preset $(PRESET) > /dev/null

build: configure ## Build every binary and test (PRESET=dev|release|asan)
	@cmake --build --preset $(PRESET)

up: build ## Start PostgreSQL, Kafka and every service; wait until /api/health is green
	@scripts/stack up

down: ## Stop everything `make up` started
	@scripts/stack down

ps: ## Show each component with its pid, address and memory
	@scripts/stack ps

logs: ## Follow the logs (one service: make logs s=orders)
	@scripts/stack logs $(s)

unit: build ## Unit tests only (no servers)
	@ctest --preset $(PRESET) -L unit

integration: build ## Integration tests on an ephemeral stack (free ports, torn down after)
	@scripts/stack ephemeral -- ctest --preset $(PRESET) -L integration

test: build ## Everything: unit tests, then integration tests on an ephemeral real stack
	@ctest --preset $(PRESET) -L unit
	@scripts/stack ephemeral -- ctest --preset $(PRESET) -L integration

bench: build ## Benchmarks on an ephemeral real stack; results in build/bench/results.{json,md}
	@scripts/bench

clean: ## Remove the build tree (state in var/ is kept; `make down` first)
	@rm -rf build
