# olconnect-wf: build, demo and tests. `make demo` runs the main job end to end on the bundled
# simulator; `make test` runs every test. See README.md.

CARGO    ?= cargo
LIB_DIR  := target/release
BUILD    := build
CFLAGS   := -std=c11 -Wall -Wextra -Wpedantic -Werror -g -Iinclude
CXXFLAGS := -x c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror -g -Iinclude
LDSHARED := -L$(LIB_DIR) -lolconnect_wf -Wl,-rpath,$(abspath $(LIB_DIR)) -lpthread
LDSTATIC := $(LIB_DIR)/libolconnect_wf.a -lpthread -ldl -lm
# AddressSanitizer (with its leak checker) and UndefinedBehaviorSanitizer on the C side; any
# report ends the test binary with a failure.
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SANENV   := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
C_TESTS  := test_core test_workflow test_control test_filestore
WITH_SIM := scripts/with-sim.sh

.PHONY: all lib demo deps test lint fuzz-smoke cross-test cross-build cross-tools dist test-dist test-netns test-tsan test-rust test-sim test-c test-cpp test-install test-python test-csharp bench bench-smoke header clean install uninstall wheel

PREFIX  ?= /usr/local
DESTDIR ?=

all: lib

# Programs linked in the build tree look for the SONAME, libolconnect_wf.so.0.
lib:
	$(CARGO) build --release --workspace
	ln -sfn libolconnect_wf.so $(LIB_DIR)/libolconnect_wf.so.0

$(BUILD):
	mkdir -p $(BUILD)

# The main job: start the simulator, upload examples/invoices.csv, submit, wait with a progress
# bar, download the result to a file, delete the upload.
demo: lib | $(BUILD)
	$(CC) $(CFLAGS) examples/fetch_result.c -o $(BUILD)/fetch_result $(LDSHARED)
	$(WITH_SIM) --op-duration-ms 3000 --output-size 5000000 -- \
	  sh -c '$(BUILD)/fetch_result "$$SIM_URL" $(BUILD)/result.pdf --data examples/invoices.csv'
	@scripts/pdf-pages.sh $(BUILD)/result.pdf

# Every test, one step after another; scripts/timed-steps.sh prints each step's time as it ends,
# and all of them at the end (or at the first failure).
# The cross builds (bg:cross-build) run in the background at the lowest priority from the start,
# on the CPU the other steps leave idle, and are waited for before cross-test runs its tests
# (docs/platforms.md, "CI time"); their tools are installed first, in the foreground.
TEST_STEPS := deps cross-tools bg:cross-build lint bench-smoke test-rust test-sim test-c test-cpp test-install test-python test-csharp test-netns test-tsan fuzz-smoke wait cross-test test-dist
test:
	MAKE="$(MAKE)" scripts/timed-steps.sh $(TEST_STEPS)

# The simulator as a product: its PDFs opened by poppler and qpdf, and docs/openapi.yaml replayed
# against it with schemathesis (CONTRACT_SECONDS, default 60).
test-sim: lib
	tests/sim/run.sh
	tests/sim/contract.sh

# Real network faults across a veth pair into a network namespace (root; skips otherwise).
test-netns: lib
	tests/netns/run.sh

# ThreadSanitizer over the concurrency tests, Rust and C (bounded; docs/RELIABILITY.md).
test-tsan:
	scripts/tsan.sh

# Every platform of scripts/cross/targets.tsv (Windows x64 under Wine, Linux aarch64 under
# qemu-user, x86_64 glibc 2.17 and musl natively): the C suite, and under the emulators the Rust
# suite too, against the native simulator. Installs its toolchains; docs/platforms.md.
cross-test: lib
	scripts/cross/test.sh

# What cross-test builds (every target, with the test binaries of the emulated ones), and the
# tools it needs (apt packages, zig from PyPI), without running anything.
cross-build:
	scripts/cross/build.sh --tests

cross-tools:
	scripts/cross/build.sh --tools

# What a user installs, for every platform, into build/dist: tarballs, Python wheels, the NuGet
# package (docs/platforms.md); test-dist checks them, as a user would receive them.
dist: lib
	scripts/dist.sh

test-dist: dist
	tests/dist/check.sh

# Every fuzz target for a few seconds (longer runs: scripts/fuzz.sh SECONDS, docs/RELIABILITY.md).
fuzz-smoke:
	scripts/fuzz.sh 5

# Installs like a C library under $(DESTDIR)$(PREFIX) (see scripts/install.sh for the layout).
install: lib
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" scripts/install.sh install

# Removes exactly what `make install` installed (its manifest).
uninstall:
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" scripts/install.sh uninstall

# What the tests need beyond Rust, a C compiler and Python (valgrind, Mono, libcurl, wrk...).
deps:
	scripts/install-deps.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust:
	$(CARGO) test --workspace

# C tests: as C and as C++, linked dynamically and statically, under valgrind, and built with
# the address and undefined-behaviour sanitizers.
test-c: lib | $(BUILD)
	for t in $(C_TESTS); do \
	  $(CC) $(CFLAGS) tests/c/$$t.c -o $(BUILD)/$$t $(LDSHARED) && \
	  $(CXX) $(CXXFLAGS) tests/c/$$t.c -o $(BUILD)/$${t}_cpp $(LDSHARED) && \
	  $(CC) $(CFLAGS) tests/c/$$t.c -o $(BUILD)/$${t}_static $(LDSTATIC) && \
	  $(CC) $(CFLAGS) $(SANFLAGS) tests/c/$$t.c -o $(BUILD)/$${t}_sanitized $(LDSHARED) || exit 1; \
	done
	$(CC) $(CFLAGS) examples/fetch_result.c -o $(BUILD)/fetch_result $(LDSHARED)
	$(SANENV) $(WITH_SIM) --control true --op-duration-ms 0 --spool-content pattern -- tests/c/run.sh \
	  $(foreach t,$(C_TESTS),$(BUILD)/$(t) $(BUILD)/$(t)_cpp $(BUILD)/$(t)_static $(BUILD)/$(t)_valgrind $(BUILD)/$(t)_sanitized)
	$(WITH_SIM) --control true --op-duration-ms 0 --spool-content pattern -- tests/c/example_ctrl_c.sh $(BUILD)/fetch_result

# The C++ wrapper (include/olconnect_wf.hpp), built as C++17 and C++20 (and as C++17 with the
# sanitizers), run against the simulator; then examples/fetch_result.cpp (built with the
# sanitizers) does the main job against it, with an upload, and stops cleanly on Ctrl-C.
CXXWARN := -Wall -Wextra -Wpedantic -Werror -g -Iinclude
CPPTEST := $(CXX) $(CXXWARN) tests/cpp/test_wrapper.cpp
test-cpp: lib | $(BUILD)
	$(CPPTEST) -std=c++17 -o $(BUILD)/test_wrapper_c++17 $(LDSHARED)
	$(CPPTEST) -std=c++20 -o $(BUILD)/test_wrapper_c++20 $(LDSHARED)
	$(CPPTEST) -std=c++17 $(SANFLAGS) -o $(BUILD)/test_wrapper_sanitized $(LDSHARED)
	$(CXX) $(CXXWARN) -std=c++17 $(SANFLAGS) examples/fetch_result.cpp -o $(BUILD)/fetch_result_cpp $(LDSHARED)
	$(SANENV) $(WITH_SIM) --control true --op-duration-ms 0 --spool-content pattern -- sh -c \
	  'cd $(BUILD) && ./test_wrapper_c++17 "$$SIM_URL" && ./test_wrapper_c++20 "$$SIM_URL" && ./test_wrapper_sanitized "$$SIM_URL"'
	$(SANENV) $(WITH_SIM) --control true --op-duration-ms 300 --output-size 200000 -- \
	  tests/cpp/example.sh $(BUILD)/fetch_result_cpp examples/invoices.csv
	$(SANENV) $(WITH_SIM) --control true --op-duration-ms 0 --spool-content pattern -- tests/c/example_ctrl_c.sh $(BUILD)/fetch_result_cpp

# Install into a temporary prefix and build against it with pkg-config and CMake.
test-install: lib
	$(WITH_SIM) --control true --op-duration-ms 0 --spool-content pattern -- tests/install/run.sh

# Python: the wheel (tagged py3-none-manylinux, checked with auditwheel; the sdist builds a wheel
# from its own Rust sources), installed into a fresh venv and tested with no cargo on the PATH.
VENV := $(BUILD)/venv
# The suite runs with no usable cargo: the rustup folders are left out of PATH, and a stub that
# fails comes first, shadowing any cargo left in a system folder (Debian's cross toolchain).
NO_CARGO_PATH := $(shell echo "$$PATH" | tr ':' '\n' | grep -v cargo | paste -sd:)
NO_CARGO_BIN  := $(BUILD)/no-cargo
wheel: lib
	scripts/python-wheel.sh

test-python: lib | $(BUILD)
	scripts/python-wheel.sh --check-sdist
	rm -rf $(VENV) && python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check pytest mypy build/wheel/*.whl
	mkdir -p $(NO_CARGO_BIN) && printf '#!/bin/sh\necho "cargo is hidden: the wheel must work without Rust" >&2\nexit 127\n' > $(NO_CARGO_BIN)/cargo && chmod +x $(NO_CARGO_BIN)/cargo
	cd bindings/python && env -u OLCONNECT_WF_LIB PATH="$(abspath $(NO_CARGO_BIN)):$(abspath $(VENV))/bin:$(NO_CARGO_PATH)" OLCONNECT_WF_EXPECT_BUNDLED=1 \
	  sh -c '! cargo --version >/dev/null 2>&1 && python -m pytest -q -p no:cacheprovider tests'
	# The README's Python example, the main job end to end, with the installed wheel.
	rm -f $(BUILD)/python_job.pdf
	env -u OLCONNECT_WF_LIB PATH="$(abspath $(NO_CARGO_BIN)):$(abspath $(VENV))/bin:$(NO_CARGO_PATH)" \
	  $(WITH_SIM) --op-duration-ms 500 --output-size 2000000 -- \
	  sh -c 'python examples/python_job.py "$$SIM_URL" $(BUILD)/python_job.pdf && test -s $(BUILD)/python_job.pdf'

# C#: the library and the test program compiled with Mono's mcs (C# 7.2 subset of the 7.3 the
# .csproj allows), run under mono against the simulator.
CS_OUT := $(BUILD)/csharp
# XML documentation on every public member is enforced (CS1591 is an error).
CS_REFS := -r:System.Runtime.Serialization -r:System.Xml -r:System.Xml.Linq
test-csharp: lib | $(BUILD)
	mkdir -p $(CS_OUT)
	mcs -langversion:7.2 -warnaserror -target:library -doc:$(CS_OUT)/OLConnect.Workflow.xml $(CS_REFS) \
	  -out:$(CS_OUT)/OLConnect.Workflow.dll bindings/csharp/src/*.cs
	mcs -langversion:7.2 -warnaserror -r:$(CS_OUT)/OLConnect.Workflow.dll $(CS_REFS) -out:$(CS_OUT)/tests.exe bindings/csharp/tests/*.cs
	mcs -langversion:7.2 -warnaserror -r:$(CS_OUT)/OLConnect.Workflow.dll -out:$(CS_OUT)/csharp_job.exe examples/csharp_job.cs
	$(WITH_SIM) --control true --op-duration-ms 0 --spool-content pattern -- \
	  sh -c 'cd $(CS_OUT) && LD_LIBRARY_PATH=$(abspath $(LIB_DIR)) mono tests.exe "$$SIM_URL" $(abspath include/olconnect_wf.h)'
	# The README's .NET job (examples/csharp_job.cs): upload, run, wait with progress, fetch, clean up.
	$(WITH_SIM) --op-duration-ms 1500 -- \
	  sh -c 'cd $(CS_OUT) && rm -f csharp_job.pdf && LD_LIBRARY_PATH=$(abspath $(LIB_DIR)) mono csharp_job.exe "$$SIM_URL" csharp_job.pdf --data $(abspath examples/invoices.csv) && test -s csharp_job.pdf'

# Benchmarks (figures go to bench/RESULTS.md); the smoke run keeps them from rotting.
bench: lib
	bench/sim.sh
	bench/client.sh
	bench/wait.sh

bench-smoke: lib
	BENCH_SMOKE=1 bench/sim.sh
	BENCH_SMOKE=1 bench/client.sh
	BENCH_SMOKE=1 bench/wait.sh

# Writes the header generated by build.rs over the committed one, through the drift test itself.
header:
	WF_WRITE_HEADER=1 $(CARGO) test --quiet --test header committed_header_is_up_to_date

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
