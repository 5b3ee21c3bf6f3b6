# netfin: `make run` and `make test` work on a fresh Debian machine.
# Everything the build needs comes from scripts/setup (Debian packages only).

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
NETFIN     := $(BUILD)/src/cli/netfin

.PHONY: all setup build build-asan run stop test test-release test-asan bench clean

all: build

setup:
	@bash scripts/setup

build: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: setup
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNETFIN_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# Starts `netfin serve` on ./netfin.db, drives a short demonstration load and
# leaves the server running (stop it with `make stop`).
run: build
	@NETFIN=$(NETFIN) bash scripts/run-demo

stop:
	@bash scripts/run-demo --stop

# Every test, in a normal build and again under AddressSanitizer and
# UndefinedBehaviorSanitizer.
test: test-release test-asan

test-release: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

test-asan: build-asan
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 1800

bench: build
	@$(NETFIN) bench ledger --accounts 100000 --transfers 2000000 --batch 8190 --json
	@$(NETFIN) bench ledger --store journal --accounts 100000 --transfers 2000000 --batch 8190 --json
	@$(NETFIN) bench http --store journal --transfers 1000000 --batch 8190 --connections 4 --json
	@$(NETFIN) bench http --transfers 1000000 --batch 8190 --connections 4 --json
	@$(NETFIN) bench http --transfers 20000 --batch 1 --connections 1 --json
	@$(BUILD)/bench/netfin_microbench --benchmark_min_time=0.5
	@NETFIN_BIN=$(NETFIN) bench/compare-postgres

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
