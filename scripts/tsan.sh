#!/usr/bin/env bash
# ThreadSanitizer over the concurrency tests (make test-tsan; docs/RELIABILITY.md): the Rust
# tests of calls in flight, callbacks calling back in, the watcher, concurrent logins and the
# stress run, then the C test of controls (threads, callbacks, abort switches) linked with the
# same instrumented library. std is rebuilt instrumented (-Z build-std) with Debian's rustc-web
# (Rust 1.96); its runtime archive comes from the rustup stable toolchain, which ships it.
# Any report fails the step (halt_on_error). Bounded: each part runs under a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
triple=x86_64-unknown-linux-gnu
if [ ! -x /usr/bin/cargo ] || [ ! -d /usr/lib/rustlib/src/rust/library ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq || echo "apt-get update reported errors; installing from the lists at hand" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq rustc-web cargo-web rust-web-src >/dev/null
fi
runtime=/usr/lib/rustlib/$triple/lib/librustc-stable_rt.tsan.a
if [ ! -f "$runtime" ]; then
  from="$(rustc --print sysroot)/lib/rustlib/$triple/lib/librustc-stable_rt.tsan.a"
  [ -f "$from" ] || { echo "no ThreadSanitizer runtime at $from" >&2; exit 1; }
  cp "$from" "$runtime"
fi
export PATH="/usr/bin:$PATH" RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=thread" CARGO_TARGET_DIR=target/tsan WF_STRESS_CALLS=200
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
# Everything runs several times slower: the latency bounds of tests/in_flight.rs widen to match.
export OLCONNECT_WF_TIME_SCALE=8
# The stress run with 200 calls per thread instead of 2000: the sanitizer makes each call slower.
# `test` among std's roots for both builds: cargo adds it to a test build, and every crate depends
# on all the roots; named here, the library build after the tests reuses every compiled
# dependency instead of compiling them (and the instrumented std's dependents) again.
flags=(-Z build-std=std,panic_unwind,test --target "$triple" -p olconnect-wf)
start=$(date +%s)
# The page tests measure residency, which the sanitizer's allocator changes: not races.
timeout 900 /usr/bin/cargo test "${flags[@]}" --no-fail-fast --lib --test reentry --test in_flight --test watch \
  --test auth --test retry --test stress -- --skip wire::pages
timeout 600 /usr/bin/cargo build "${flags[@]}" --lib
lib=target/tsan/$triple/debug/libolconnect_wf.a
mkdir -p build
gcc -std=c11 -g -fsanitize=thread -Iinclude tests/c/test_control.c tests/c/tsan/shim.c "$lib" \
  -o build/test_control_tsan -lpthread -ldl -lm
timeout 300 scripts/with-sim.sh --control true --op-duration-ms 0 --spool-content pattern -- \
  sh -c 'build/test_control_tsan "$SIM_URL"'
echo "ThreadSanitizer: no report in $(( $(date +%s) - start )) s"
