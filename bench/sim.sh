#!/usr/bin/env bash
# Simulator throughput: a 1 GiB getResult streamed to curl -o /dev/null, and small getResult
# requests per second from wrk with keep-alive (with and without Basic credentials).
# Writes the "sim" section of bench/RESULTS.md. BENCH_SMOKE=1: small sizes, one short run,
# nothing written (for CI).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

if [ -z "${SIM_URL:-}" ]; then
  scripts/install-deps.sh
  cargo build --release -q -p olconnect-sim
  exec scripts/with-sim.sh --security false --op-duration-ms 0 --spool-content pattern --log-capacity 0 -- "$0" "$@"
fi

smoke=${BENCH_SMOKE:-}
runs=${RUNS:-5}
size=$((1 << 30))
seconds=5
if [ -n "$smoke" ]; then runs=1; size=$((16 << 20)); seconds=1; fi

submit() {
  curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' -d "$1" \
    "$SIM_URL/rest/serverengine/workflow/print/submit" | tr -d '\r' | awk 'tolower($1) == "operationid:" { print $2 }'
}
big=$(submit "{\"datamining\":{\"identifier\":\"invoices.csv\",\"config\":\"Invoice.OL-datamapper\"},\"contentcreation\":{\"config\":\"Invoice.OL-template\"},\"jobcreation\":{},\"outputcreation\":{\"config\":\"Invoice-PDF.OL-outputpreset\",\"parameters\":{\"sim_output_size\":$size}}}")
small=$(submit '{"datamining":{"identifier":"invoices.csv","config":"Invoice.OL-datamapper"}}')

speeds=$(for _ in $(seq "$runs"); do
  curl -s -X POST -o /dev/null -w '%{speed_download}\n' "$SIM_URL/rest/serverengine/workflow/print/getResult/$big"
done | awk '{ printf "%.3f\n", $1 / 1e9 }')
read -r s_med s_min s_max <<<"$(echo "$speeds" | stats)"

lua=$(mktemp)
echo 'wrk.method = "POST"' >"$lua"
rps() {
  for _ in $(seq "$runs"); do
    wrk -t2 -c8 -d"${seconds}s" -s "$lua" "$@" "$SIM_URL/rest/serverengine/workflow/print/getResult/$small" |
      awk '/Requests\/sec/ { print $2 }'
  done | stats
}
read -r r_med r_min r_max <<<"$(rps)"
read -r b_med b_min b_max <<<"$(rps -H 'Authorization: Basic b2wtYWRtaW46c2VjcmV0')"
rm -f "$lua"

report=$(mktemp)
cat >"$report" <<MD
## Simulator throughput (bench/sim.sh)

$(date -u +%Y-%m-%d), $(machine); simulator built with \`--release\`, loopback, $runs runs each
(median, min–max). Targets: ≥ 2 GB/s for a 1 GiB result, ≥ 20,000 small getResult/s.

| measurement | tool | median | min | max |
|---|---|---|---|---|
| 1 GiB getResult, GB/s | \`curl -X POST -o /dev/null\` | $s_med | $s_min | $s_max |
| small getResult (entity ID), requests/s, no auth | \`wrk -t2 -c8 -d${seconds}s\` keep-alive | $r_med | $r_min | $r_max |
| small getResult, requests/s, Basic credentials | \`wrk -t2 -c8 -d${seconds}s\` keep-alive | $b_med | $b_min | $b_max |

Security off for the first two rows and the request log off (\`--log-capacity 0\`). The 1 GiB
body is generated from a 1 MiB pattern and written with one \`write\` per MiB, so the simulator
needs no memory for the result; small answers go out in one \`write\` with their head.
MD
cat "$report"
if [ -z "$smoke" ]; then replace_section sim "$report"; fi
rm -f "$report"
