# The user's verbs. Each installs what is missing first (tools/deps.sh).
#   make run    build, then start hxe serve on examples/demo.yaml (SQLite in ./var)
#   make test   unit + corpus + CLI tests, then the same under ASan/UBSan/LSan
#   make bench  benchmarks against peer parsers (writes docs/performance.md)
#   make fuzz   each libFuzzer target for FUZZ_SECONDS (default 60)

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60

.PHONY: all deps build run test test-release test-asan bench fuzz clean

all: build

deps:
	@sh tools/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p var
	@echo "hxe: serving examples/demo.yaml (MLLP on 127.0.0.1:2575, store in ./var); Ctrl-C stops it."
	./$(BUILD)/hxe serve examples/demo.yaml

test: test-release test-asan

test-release: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	@CC=$${SANITIZE_CC:-clang} cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHXE_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

bench: build
	@sh bench/run.sh $(BUILD)

fuzz: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHXE_FUZZ=ON -DHXE_TESTS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@sh fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
