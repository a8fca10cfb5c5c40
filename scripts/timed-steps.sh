#!/usr/bin/env bash
# scripts/timed-steps.sh STEP...: runs `make STEP` for each step in turn (make test passes its one
# list, TEST_STEPS), stops at the first that fails, as make would, and prints after each step how
# long it took, and at the end (or at the failure) every step's time: where a CI run spends it.
set -uo pipefail
make=${MAKE:-make}
times=()
summary() {
  echo "== step times"
  printf '%s\n' "${times[@]}"
}
total_start=$(date +%s)
for step in "$@"; do
  start=$(date +%s)
  "$make" --no-print-directory "$step"
  status=$?
  line=$(printf 'step %-12s %5d s' "$step:" $(( $(date +%s) - start )))
  [ $status -eq 0 ] || line="$line  FAILED (exit $status)"
  echo "$line"
  times+=("$line")
  if [ $status -ne 0 ]; then summary; exit $status; fi
done
times+=("$(printf 'all %-13s %5d s' "steps:" $(( $(date +%s) - total_start )))")
summary
