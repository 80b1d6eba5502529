# Parley — run `make run` to start the demo, `make test` to run every check CI runs.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DATA ?= .data/demo
STRICT := -Xswiftc -warnings-as-errors
FORMAT_PATHS := Package.swift Sources Tests Tools Benchmarks/Package.swift Benchmarks/Sources

.PHONY: deps build run test lint format bench clean

## Install the system libraries the build needs (liblz4-dev), if missing.
deps:
	@pkg-config --exists liblz4 2>/dev/null || { \
	  echo "installing liblz4-dev"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liblz4-dev pkg-config; }

build: deps
	$(SWIFT) build $(STRICT)

## Build, then append the demo chat events to $(DATA), verify the log and show it.
run: build
	@mkdir -p $(DATA)
	@echo "== appending Tools/demo/chat-events.jsonl to $(DATA)"
	.build/debug/parley log append $(DATA) < Tools/demo/chat-events.jsonl
	.build/debug/parley log verify $(DATA)
	.build/debug/parley log stats $(DATA)
	@echo "== first records (parley log dump $(DATA) --limit 3)"
	.build/debug/parley log dump $(DATA) --limit 3

## Every check CI runs: formatting, a warnings-as-errors build, and all tests.
test: deps lint
	$(SWIFT) build --build-tests $(STRICT)
	$(SWIFT) test --skip-build

lint:
	$(SWIFT) format lint --strict --recursive $(wildcard $(FORMAT_PATHS))

format:
	$(SWIFT) format format --in-place --recursive $(wildcard $(FORMAT_PATHS))

## Log append/replay/recovery/verify figures next to SQLite (see docs/performance.md).
bench: deps
	@pkg-config --exists sqlite3 2>/dev/null || { \
	  echo "installing libsqlite3-dev"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsqlite3-dev; }
	$(SWIFT) run -c release --package-path Benchmarks log-bench

clean:
	rm -rf .build Benchmarks/.build .data
