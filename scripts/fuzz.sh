#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets) for SECONDS each (default 5: the bounded smoke run
# of `make test`), starting from the committed seeds in fuzz/seeds/<target> and the corpus kept
# in fuzz/corpus/<target>. Any crash fails the run; libFuzzer leaves the input that made it in
# fuzz/artifacts/<target>/. Needs the nightly toolchain; installs cargo-fuzz when missing.
# Longer runs and their figures: docs/RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
shift || true
targets=("$@")
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
cargo +nightly fuzz build
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  seeds=()
  [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
  echo "== fuzz $t for ${seconds}s"
  log="fuzz/artifacts/$t.log"
  mkdir -p fuzz/artifacts
  status=0
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || status=$?
  # Only the summary of libFuzzer's output, and the panic when there is one.
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added)|ERROR|panicked|^#[0-9]+.*DONE' -A1 "$log" || true
  if [ "$status" -ne 0 ]; then
    echo "fuzz $t: crash (status $status); the input is in fuzz/artifacts/$t/, the whole output in $log" >&2
    exit 1
  fi
done
