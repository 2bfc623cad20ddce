# hwlock: the two commands of the README, and their parts.
#   make demo   install dependencies, build, run the end-to-end demo
#   make test   install dependencies, build, run every test (what CI runs)
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 10
CMAKE_FLAGS ?=

.PHONY: deps deps-runtime configure build demo test test-unit test-asan fuzz bench format clean

deps:
	./scripts/install-deps.sh all

deps-runtime:
	./scripts/install-deps.sh runtime

# BENCH=ON adds the benchmarks (make bench); the test pass does not build them.
BENCH ?= OFF
configure:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHWLOCK_WERROR=ON \
	  -DHWLOCK_BUILD_BENCH=$(BENCH) $(CMAKE_FLAGS)

# Everything the tests need: the runtime, the workbench (libtorch), tests and examples.
build: deps
	$(MAKE) configure CMAKE_FLAGS="-DHWLOCK_WITH_TORCH=ON -DHWLOCK_BUILD_TESTS=ON \
	  -DHWLOCK_BUILD_EXAMPLES=ON $(CMAKE_FLAGS)"
	cmake --build $(BUILD) -j $(JOBS)

# The demo is the runtime's: it needs neither libtorch nor the tests.
# (The tests' packages are not installed for it, so neither tests nor examples are configured.)
demo: deps-runtime
	$(MAKE) configure CMAKE_FLAGS="-DHWLOCK_BUILD_TESTS=OFF -DHWLOCK_BUILD_EXAMPLES=OFF $(CMAKE_FLAGS)"
	cmake --build $(BUILD) -j $(JOBS) --target hwlock
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

# libFuzzer on every parser of untrusted input (fuzz/fuzz_*.cpp), FUZZ_SECONDS each (9 targets:
# ~90 s in all by default), each seeded with its checked-in corpus (fuzz/corpus_<name>/; the
# safetensors target's is fuzz/corpus/). New inputs go to $(FUZZ_BUILD)/corpus_<name>/, crash
# inputs to $(FUZZ_BUILD)/crash-*.
FUZZ_TARGETS = safetensors_header device_record fuzzy_helper key_file idx numfmt_format puf_file \
  lock_info source_params preaes_params structure_spec
fuzz:
	CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DHWLOCK_FUZZ=ON -DHWLOCK_SANITIZE=ON -DHWLOCK_WITH_TORCH=OFF -DHWLOCK_BUILD_TESTS=OFF \
	  -DHWLOCK_BUILD_BENCH=OFF -DHWLOCK_BUILD_EXAMPLES=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	set -e; for t in $(FUZZ_TARGETS); do \
	  seeds=fuzz/corpus_$$t; [ $$t = safetensors_header ] && seeds=fuzz/corpus; \
	  mkdir -p $(FUZZ_BUILD)/corpus_$$t; \
	  echo "== fuzz_$$t ($(FUZZ_SECONDS) s)"; \
	  ./$(FUZZ_BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ $(FUZZ_BUILD)/corpus_$$t $$seeds; \
	done

bench: deps
	$(MAKE) configure BENCH=ON CMAKE_FLAGS="-DHWLOCK_WITH_TORCH=ON -DHWLOCK_BUILD_TESTS=ON \
	  -DHWLOCK_BUILD_EXAMPLES=ON $(CMAKE_FLAGS)"
	cmake --build $(BUILD) -j $(JOBS)
	./$(BUILD)/bench/bench_unlock

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
