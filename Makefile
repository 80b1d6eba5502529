# Parley — run `make run` to start the demo, `make test` to run every check CI runs.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DATA ?= .data/demo
STRICT := -Xswiftc -warnings-as-errors
FORMAT_PATHS := Package.swift Sources Tests Tools Benchmarks/Package.swift Benchmarks/Sources

.PHONY: deps conformance-deps build run seed serve test torture faults fuzz fuzz-smoke load lint format bench clean

## Install the system libraries the build needs (liblz4-dev), if missing.
deps:
	@pkg-config --exists liblz4 2>/dev/null || { \
	  echo "installing liblz4-dev"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liblz4-dev pkg-config; }

## python3 and boto3 for the conformance tests (real AWS clients against the server), if missing.
conformance-deps:
	@python3 -c 'import boto3' 2>/dev/null || { \
	  echo "installing python3 and boto3 for the conformance tests"; \
	  python3 -m pip --version >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip; }; \
	  python3 -m pip install --quiet --disable-pip-version-check 'boto3==1.43.11' 2>/dev/null || \
	    python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'boto3==1.43.11'; }

build: deps
	$(SWIFT) build $(STRICT)

## Build, then run the server with its demo instance on $(DATA) until Ctrl-C: HTTP (the Connect API, the participant
## service and the agent desktop) on 127.0.0.1:8321, the query socket $(DATA)/parley.sock. It prints how to chat.
run: build
	@mkdir -p $(DATA)
	.build/debug/parley serve --data $(DATA) --demo

## The seed scenario through the engine on a simulated clock into $(DATA)-seed, then its log, events and state.
seed: build
	@mkdir -p $(DATA)-seed
	.build/debug/parley demo $(DATA)-seed
	.build/debug/parley log verify $(DATA)-seed
	.build/debug/parley log stats $(DATA)-seed
	@echo "== the last chat's events (parley log dump $(DATA)-seed)"
	.build/debug/parley log dump $(DATA)-seed | tail -n 18
	@echo "== the state rebuilt from the log (parley replay $(DATA)-seed)"
	.build/debug/parley replay $(DATA)-seed

## Run the server on $(DATA) without the demo instance.
serve: build
	@mkdir -p $(DATA)
	.build/debug/parley serve --data $(DATA)

## Every check CI runs: formatting, a warnings-as-errors build, all tests, and each fuzz target for 30 s.
test: deps conformance-deps lint
	$(SWIFT) build --build-tests $(STRICT)
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory fuzz-smoke

## The libFuzzer targets (docs/reliability.md), built with -sanitize=fuzzer into .build-fuzz: each runs
## FUZZ_SMOKE_TIME seconds (default 30). A finding fails with the reproducer's path.
fuzz-smoke: deps
	Tools/fuzz.sh smoke

## The same, FUZZ_TIME seconds per target (default 600); the corpus grows in .build-fuzz/corpus across runs.
FUZZ_TIME ?= 600
fuzz: deps
	FUZZ_TIME=$(FUZZ_TIME) Tools/fuzz.sh long

## The kill -9 torture harness (docs/reliability.md): 1000 cycles of load over the real API, kill -9, restart and
## checks on a fresh $(DATA)-torture. `make test` runs 20 of them (TortureTests).
torture: build conformance-deps
	rm -rf $(DATA)-torture
	python3 Tools/torture.py --parley .build/debug/parley --data $(DATA)-torture --cycles 1000

## Disk faults against a real server (docs/reliability.md): a full disk, a failing fdatasync, unreadable, missing and
## damaged segments. `make test` runs the same scenarios (DiskFaultTests).
faults: build conformance-deps
	rm -rf $(DATA)-faults
	python3 Tools/faults.py --parley .build/debug/parley --work $(DATA)-faults

## The load generator (Tools/LoadGen, docs/reliability.md): a release build, then 10,000 concurrent chats held for
## 5 minutes against a `parley serve` it starts on a fresh $(DATA)-load; the figures print at the end and go to
## $(DATA)-load.json as well. It exits non-zero if a message was lost, the plateau did not hold or errors exceeded
## 0.1 % of the operations. About 15 minutes (4 of them creating and logging in 1050 agents: PBKDF2).
LOAD_FLAGS ?= --chats 10000 --arrival-rate 50 --message-interval 30 --think-time 3 --typing-fraction 0.5 \
	--leave-fraction 0.1 --away 10 --switch-fraction 0.05 --agent-websocket-fraction 0.5 --concurrency 10 \
	--hold 300 --seed 1
load: deps
	$(SWIFT) build -c release --product parley-load
	$(SWIFT) build -c release --product parley
	rm -rf $(DATA)-load
	.build/release/parley-load --parley .build/release/parley --data $(DATA)-load $(LOAD_FLAGS) \
	  --report $(DATA)-load.json
	rm -rf $(DATA)-load

lint:
	$(SWIFT) format lint --strict --recursive $(wildcard $(FORMAT_PATHS))

format:
	$(SWIFT) format format --in-place --recursive $(wildcard $(FORMAT_PATHS))

## Log append/replay/recovery/verify figures next to SQLite and PostgreSQL (see docs/performance.md). The benchmark
## starts its own PostgreSQL server (initdb into its scratch directory, 127.0.0.1 on a free port) and stops it.
bench: deps
	@pkg-config --exists sqlite3 2>/dev/null || { \
	  echo "installing libsqlite3-dev"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsqlite3-dev; }
	@{ pkg-config --exists libpq 2>/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || { \
	  echo "installing libpq-dev and postgresql"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpq-dev postgresql; }
	$(SWIFT) run -c release --package-path Benchmarks log-bench

clean:
	rm -rf .build .build-fuzz .build-fuzz-* Benchmarks/.build .data
