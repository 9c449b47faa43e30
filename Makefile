# Shopmesh: the two commands are `make up` and `make test`. Everything runs natively on Debian 12
# (no Docker engine needed); state lives in var/, build output in build/.
SHELL := /bin/bash
PRESET ?= dev
BUILD_DIR := build/$(PRESET)
export SHOPMESH_BUILD_DIR := $(CURDIR)/$(BUILD_DIR)
s ?=

.PHONY: help bootstrap bootstrap-test packages fetch configure configure-test build runtime up down ps logs test unit \
  integration e2e schemathesis hostile cluster-smoke cluster-smoke-run bench fault fuzz clean replay meshctl meshctl-bin

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

bootstrap: ## Install the missing Debian packages `make up` needs and fetch Kafka (idempotent)
	@scripts/bootstrap

# `make up` installs and builds only what the stack runs: the packages compiling needs first, then
# it compiles while it installs the ones only running needs and fetches Kafka and Swagger UI. The
# tests' packages and binaries come with `make build` and `make test` (the same build tree:
# nothing is compiled twice).
bootstrap-test:
	@scripts/bootstrap --test

packages:
	@scripts/bootstrap --build-only

fetch: packages
	@scripts/bootstrap --run-only

configure: packages
	@cmake --preset $(PRESET) > /dev/null

configure-test: bootstrap-test
	@cmake --preset $(PRESET) -DSHOPMESH_REQUIRE_TESTS=ON > /dev/null

build: configure-test ## Build every binary and test (PRESET=dev|release|asan)
	@cmake --build --preset $(PRESET)

runtime: configure ## Build only what the stack runs: the gateway, the services, meshctl
	@cmake --build --preset $(PRESET) --target runtime

up: ## Start PostgreSQL, Kafka, every service and Prometheus (OBSERVE=0: not it); cluster: KAFKA_NODES=3 REPLICAS=2
	@$(MAKE) --no-print-directory -j2 runtime fetch
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

e2e: build ## The Postman collection with newman on an ephemeral stack
	@scripts/stack ephemeral -- tests/e2e/run-newman

test: build ## Everything: unit, fuzz smoke; Prometheus, newman, the mesh page in Chromium, schemathesis, integration, hostile clients; cluster
	@ctest --preset $(PRESET) -L unit
	@scripts/fuzz smoke
	@scripts/stack ephemeral -- bash -c 'tests/e2e/check-prometheus && tests/e2e/run-newman && tests/e2e/mesh_page.py && \
	  tests/e2e/run-schemathesis && ctest --preset $(PRESET) -L integration && \
	  python3 tests/fault/hostile.py --out $(BUILD_DIR)/hostile.json'
	@$(MAKE) --no-print-directory cluster-smoke-run

schemathesis: build ## The API against contracts/openapi.yaml with schemathesis (~1.5 min) on an ephemeral stack
	@scripts/stack ephemeral -- tests/e2e/run-schemathesis

cluster-smoke: build ## Cluster mode (3 Kafka nodes, 2 instances each), ephemeral: orders, a broker and a relay killed
	@$(MAKE) --no-print-directory cluster-smoke-run

cluster-smoke-run:
	@KAFKA_NODES=3 REPLICAS=2 scripts/stack ephemeral -- bash -c 'tests/e2e/check-prometheus && \
	  python3 tests/cluster/smoke.py --out $(BUILD_DIR)/cluster-smoke.json'

hostile: build ## The hostile clients (tests/fault/hostile.py, ~1 min) on an ephemeral stack; report in build/<preset>/hostile.json
	@scripts/stack ephemeral -- python3 tests/fault/hostile.py --out $(BUILD_DIR)/hostile.json


fault: build ## Kafka/consumer/PostgreSQL/service faults under order load, poison, hostile clients, fuzzing; build/fault/report.md (TOPOLOGY=cluster: the cluster's faults)
	@scripts/fault $(if $(TOPOLOGY),--topology $(TOPOLOGY))

fuzz: ## libFuzzer targets (clang, ASan+UBSan), 120 s each; results in build/fault/fuzz.json
	@scripts/fuzz run

bench: ## Gateway vs nginx/Express, orders vs pgbench, outbox, on an ephemeral stack (release build); build/bench/
	@scripts/bench

# meshctl with the stack's settings: compose/.env, then compose/.env.example (the environment wins).
MESHCTL := $(BUILD_DIR)/bin/meshctl
# KAFKA_BROKERS: every node of the running stack (scripts/stack knows its topology).
MESHCTL_ENV = source scripts/lib/common.sh && load_env && \
  export KAFKA_BROKERS="$${KAFKA_BROKERS:-$$(scripts/stack brokers)}" &&

meshctl-bin:
	@[[ -f $(BUILD_DIR)/build.ninja ]] || $(MAKE) --no-print-directory configure
	@cmake --build --preset $(PRESET) --target meshctl > $(BUILD_DIR)/meshctl-build.log 2>&1 \
	  || { cat $(BUILD_DIR)/meshctl-build.log >&2; exit 1; }

replay: ## Replay a window, dry run unless apply=1: make replay t=order.events since=10m group=notification (or to=TOPIC [until=TIME])
	@[[ -n "$(t)" && -n "$(since)" && -n "$(group)$(to)" ]] || { \
	  echo "usage: make replay t=TOPIC since=TIME group=GROUP [apply=1]      reset a stopped group to the window" >&2; \
	  echo "       make replay t=TOPIC since=TIME to=TOPIC [until=TIME] [apply=1]  re-publish the window" >&2; exit 2; }
	@$(MAKE) --no-print-directory meshctl-bin
	@$(MESHCTL_ENV) $(MESHCTL) replay '$(t)' --since '$(since)' $(if $(group),--to-group '$(group)') \
	  $(if $(to),--to-topic '$(to)') $(if $(until),--until '$(until)') $(if $(filter 1,$(apply)),,--dry-run)

meshctl: meshctl-bin ## Run meshctl against the stack: make meshctl args="tail order.events -f"
	@$(MESHCTL_ENV) $(MESHCTL) $(args)

clean: ## Remove the build tree (state in var/ is kept; `make down` first)
	@rm -rf build
