#!/usr/bin/env bash
# Usage: scripts/with-sim.sh [simulator flags...] -- command [args...]
# Starts the simulator (target/release/olconnect-sim, or $OLCONNECT_SIM) on a free port, exports
# its address as SIM_URL, runs the command, and stops the simulator whatever happens.
set -euo pipefail
sim_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  sim_args+=("$1")
  shift
done
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || { echo "usage: $0 [simulator flags...] -- command [args...]" >&2; exit 2; }
sim=${OLCONNECT_SIM:-target/release/olconnect-sim}
out=$(mktemp)
"$sim" --port 0 "${sim_args[@]}" >"$out" 2>&1 &
pid=$!
stop_sim() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$out"
}
trap stop_sim EXIT
line=""
for _ in $(seq 200); do
  line=$(head -n 1 "$out")
  [ -n "$line" ] && break
  sleep 0.05
done
case "$line" in
  "listening on "*) ;;
  *) echo "the simulator did not start: $(cat "$out")" >&2; exit 1 ;;
esac
export SIM_URL=${line#listening on }
rc=0
"$@" || rc=$?
exit $rc
