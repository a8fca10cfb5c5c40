#!/usr/bin/env bash
# Many concurrent waits in one process (issue 31): N operations of staggered durations waited on
# through one wf_client, in three ways, each run against a simulator of its own (fresh, on a free
# port, its access log kept to count what the server sees):
#   baseline  a thread per operation polling wf_get_progress (100 ms growing x1.5 to 2 s): how a
#             wait worked before the watcher, rebuilt in bench/src/waitbench.c
#   wait      a thread per operation in wf_wait (the watcher)
#   any       $ANY_THREADS threads looping wf_wait_any over their share of the pending ones
# Writes the "wait" section of bench/RESULTS.md. BENCH_SMOKE=1: N=50, operations of 1-3 s,
# nothing written (for CI). NS="1000 10000": the numbers of operations; MODES: the ways.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

B=build/bench
if [ -z "${WAITBENCH_BUILT:-}" ]; then
  scripts/install-deps.sh
  cargo build --release -q --workspace
  ln -sfn libolconnect_wf.so target/release/libolconnect_wf.so.0 # the SONAME programs look for
  mkdir -p "$B"
  cc -O2 -std=c11 -Wall -Wextra -Wpedantic -Werror -Iinclude bench/src/waitbench.c -o "$B/waitbench" \
    -Ltarget/release -lolconnect_wf -Wl,-rpath,"$PWD/target/release" -lpthread
  export WAITBENCH_BUILT=1
fi

smoke=${BENCH_SMOKE:-}
ns=${NS:-1000 10000}
modes=${MODES:-baseline wait any}
min_ms=5000; max_ms=20000
any_threads=${ANY_THREADS:-4}
if [ -n "$smoke" ]; then ns=50; min_ms=1000; max_ms=3000; fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The simulator, its access log (stderr) to a file of the run: with-sim.sh starts it through this.
cat >"$out/sim" <<EOF
#!/usr/bin/env bash
echo \$\$ >"\$SIM_PID_FILE"
exec "$PWD/target/release/olconnect-sim" "\$@" 2>"\$SIM_ACCESS_LOG"
EOF
chmod +x "$out/sim"

# CPU time of the whole machine so far (user, nice, system, irq, softirq, steal), in seconds.
machine_cpu() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { print ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat; }

# run NAME MODE N [THREADS]: one measurement; NAME.kv (the program's figures, with the
# simulator's CPU seconds and the machine's CPU seconds and wall time over the run appended),
# NAME.log (the simulator's access log).
run() {
  local name=$1 mode=$2 n=$3 threads=${4:-} t0 c0
  t0=$(date +%s.%N)
  c0=$(machine_cpu)
  SIM_ACCESS_LOG="$out/$name.log" SIM_PID_FILE="$out/$name.pid" OLCONNECT_SIM="$out/sim" \
    scripts/with-sim.sh --access-log true --op-duration-ms 0 --log-capacity 0 -- \
    bash -c "\"$B/waitbench\" $mode \"\$SIM_URL\" $n $min_ms $max_ms $threads; rc=\$?
      awk -v hz=\$(getconf CLK_TCK) '{ print \"sim_cpu_s=\" (\$14 + \$15) / hz }' /proc/\$(cat \"$out/$name.pid\")/stat
      exit \$rc" >"$out/$name.kv" 2>"$out/$name.err" ||
    { echo "failed=exit $?" >>"$out/$name.kv"; broken=1; }
  echo "machine_cpu_s=$(echo "$(machine_cpu) - $c0" | bc)" >>"$out/$name.kv"
  echo "run_s=$(echo "$(date +%s.%N) - $t0" | bc)" >>"$out/$name.kv"
  echo "$name: $(tr '\n' ' ' <"$out/$name.kv")" >&2
  if [ -s "$out/$name.err" ]; then head -n 6 "$out/$name.err" >&2; fi
  # The smoke run (CI) also fails when a wait failed or timed out: with 50 operations none may.
  if [ -n "$smoke" ] && grep -qE '^(errors|timed_out)=[1-9]' "$out/$name.kv"; then broken=1; fi
}
broken=

started=$(date +%s)
for n in $ns; do
  for mode in $modes; do
    case $mode in
      any) run "${mode}_$n" any "$n" "$any_threads" ;;
      *) run "${mode}_$n" "$mode" "$n" ;;
    esac
  done
done
took=$(($(date +%s) - started))

report=$(mktemp)
python3 bench/src/waitreport.py "$out" "$ns" "$modes" "$any_threads" "$min_ms" "$max_ms" "$took" \
  "$(date -u +%Y-%m-%d)" "$(machine)" >"$report"
cat "$report"
if [ -z "$smoke" ]; then replace_section wait "$report"; fi
rm -f "$report"
if [ -n "$broken" ]; then echo "bench/wait.sh: a run failed (see above)" >&2; exit 1; fi
