#!/usr/bin/env bash
# scripts/timed-steps.sh STEP...: runs `make STEP` for each step in turn (make test passes its one
# list, TEST_STEPS), stops at the first that fails, as make would, and prints after each step how
# long it took, and at the end (or at the failure) every step's time: where a CI run spends it.
#
# A step written `bg:NAME` starts `make NAME` in the background at the lowest CPU and I/O priority
# (nice 19, idle I/O class), its output kept in build/steps/NAME.log; the pseudo-step `wait` waits
# for every step started so, prints its output and time, and fails if one failed. Meant for builds
# (no test runs: their timing bounds assume a quiet machine): they use the CPU that the steps in
# between leave idle (docs/platforms.md, "CI time").
set -uo pipefail
make=${MAKE:-make}
logs=build/steps
times=()
declare -A bg_pid bg_start
summary() {
  echo "== step times"
  printf '%s\n' "${times[@]}"
}
record() { # record STEP SECONDS STATUS [NOTE]
  local line
  line=$(printf 'step %-12s %5d s%s' "$1:" "$2" "${4:-}")
  [ "$3" -eq 0 ] || line="$line  FAILED (exit $3)"
  echo "$line"
  times+=("$line")
}
wait_background() {
  local failed=0 name status
  for name in "${!bg_pid[@]}"; do
    status=0; wait "${bg_pid[$name]}" || status=$?
    echo "== $name (in the background at nice 19)"; cat "$logs/$name.log"
    record "$name" $(( $(date +%s) - bg_start[$name] )) $status " (background, until the wait)"
    [ $status -eq 0 ] || failed=$status
    unset "bg_pid[$name]"
  done
  return $failed
}
total_start=$(date +%s)
for step in "$@"; do
  start=$(date +%s)
  case "$step" in
    bg:*)
      name=${step#bg:}; mkdir -p "$logs"
      # A session of its own, so that a failure of the foreground stops all of it. Linux puts
      # a new session in a scheduling group of its own (autogroup), which shares the CPU
      # equally with the foreground's whatever the nice values inside: the group itself gets
      # nice 19 (measured: lint took 69 s instead of 34 s beside the builds without it).
      (exec setsid nice -n 19 sh -c '
        echo 19 2>/dev/null >/proc/self/autogroup
        command -v ionice >/dev/null && exec ionice -c 3 "$@" || exec "$@"' _ \
        "$make" --no-print-directory "$name" >"$logs/$name.log" 2>&1) &
      bg_pid[$name]=$!; bg_start[$name]=$start
      echo "step $name: started in the background (log: $logs/$name.log)"
      continue ;;
    wait)
      wait_background; status=$?
      record wait $(( $(date +%s) - start )) $status ;;
    *)
      "$make" --no-print-directory "$step"; status=$?
      record "$step" $(( $(date +%s) - start )) $status ;;
  esac
  if [ $status -ne 0 ]; then
    for pid in "${bg_pid[@]}"; do kill -- "-$pid" 2>/dev/null; done
    summary; exit $status
  fi
done
[ ${#bg_pid[@]} -eq 0 ] || wait_background || { summary; exit 1; }
times+=("$(printf 'all %-13s %5d s' "steps:" $(( $(date +%s) - total_start )))")
summary
