# hwlock: the two commands of the README, and their parts.
#   make demo   install dependencies, build, run the end-to-end demo
#   make test   install dependencies, build, run every test (what CI runs)
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: deps build demo test test-unit test-asan fuzz bench format clean

deps:
	./scripts/install-deps.sh all

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHWLOCK_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/src/cli/hwlock demo

test: build
	$(MAKE) test-unit test-asan fuzz

test-unit:
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

# Runtime tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHWLOCK_WERROR=ON \
	  -DHWLOCK_SANITIZE=ON -DHWLOCK_WITH_TORCH=OFF -DHWLOCK_BUILD_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -L runtime --timeout 900

# libFuzzer on the header parser for a bounded time, seeded with the malformed-file corpus.
fuzz:
	CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DHWLOCK_FUZZ=ON -DHWLOCK_SANITIZE=ON -DHWLOCK_WITH_TORCH=OFF -DHWLOCK_BUILD_TESTS=OFF \
	  -DHWLOCK_BUILD_BENCH=OFF -DHWLOCK_BUILD_EXAMPLES=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_safetensors_header
	mkdir -p $(FUZZ_BUILD)/corpus
	./$(FUZZ_BUILD)/fuzz/fuzz_safetensors_header -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=65536 -print_final_stats=1 $(FUZZ_BUILD)/corpus fuzz/corpus

bench: build
	./$(BUILD)/bench/bench_unlock

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
