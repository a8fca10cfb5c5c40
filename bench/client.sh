#!/usr/bin/env bash
# Client benchmarks: olconnect-wf against curl, libcurl and Python requests, side by side in one
# run on one simulator. Writes the "client" section of bench/RESULTS.md.
#   1. a large single-file result to disk   2. a large result into memory
#   3. many small results (keep-alive)       4. threads sharing one client
#   5. cost growth with the result size
# BENCH_SMOKE=1: small sizes, one run, nothing written (CI). RUNS=N: repetitions (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

B=build/bench
if [ -z "${SIM_URL:-}" ]; then
  scripts/install-deps.sh
  cargo build --release -q --workspace
  ln -sfn libolconnect_wf.so target/release/libolconnect_wf.so.0 # the SONAME programs look for
  mkdir -p "$B"
  cc -O2 -std=c11 -Wall -Wextra -Werror -Iinclude bench/src/wfbench.c -o "$B/wfbench" \
    -Ltarget/release -lolconnect_wf -Wl,-rpath,"$PWD/target/release" -lpthread
  cc -O2 -std=c11 -Wall -Wextra -Werror bench/src/curlbench.c -o "$B/curlbench" -lcurl
  test -x "$B/venv/bin/python" || python3 -m venv "$B/venv"
  "$B/venv/bin/pip" install -q --disable-pip-version-check requests ./bindings/python
  exec scripts/with-sim.sh --op-duration-ms 0 --spool-content pattern --log-capacity 0 --control true -- "$0" "$@"
fi

smoke=${BENCH_SMOKE:-}
runs=${RUNS:-3}
big=$((1 << 30)); mid=$((256 << 20)); small_calls=20000; py_calls=5000; thread_calls=40000
sizes="$((1 << 20)) $((16 << 20)) $((256 << 20)) $((1 << 30))"
if [ -n "$smoke" ]; then
  runs=1; big=$((16 << 20)); mid=$((4 << 20)); small_calls=500; py_calls=200; thread_calls=800
  sizes="$((1 << 20)) $((4 << 20))"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
PY="$B/venv/bin/python"
GET="$SIM_URL/rest/serverengine/workflow/print/getResult"

submit() {
  curl -s -u ol-admin:secret -D - -o /dev/null -X POST -H 'Content-Type: application/json' -d "$1" \
    "$SIM_URL/rest/serverengine/workflow/print/submit" | tr -d '\r' | awk 'tolower($1) == "operationid:" { print $2 }'
}
spool_op() {
  submit "{\"datamining\":{\"identifier\":\"invoices.csv\",\"config\":\"Invoice.OL-datamapper\"},\"contentcreation\":{\"config\":\"Invoice.OL-template\"},\"jobcreation\":{},\"outputcreation\":{\"config\":\"Invoice-PDF.OL-outputpreset\",\"parameters\":{\"sim_output_size\":$1}}}"
}
connections() { curl -s "$SIM_URL/sim/stats" | sed 's/.*"connections":\([0-9]*\).*/\1/'; }

# timed NAME COMMAND...: runs COMMAND (which prints "<seconds> ..."), records seconds and peak RSS.
# Dirty pages of the previous run are flushed first, so no tool pays for another's writeback.
timed() {
  local name=$1
  shift
  sync
  /usr/bin/time -f '%M' -o "$out/rss" "$@" >"$out/line"
  echo "$(awk '{ print $1 }' "$out/line")" >>"$out/$name.sec"
  cat "$out/rss" >>"$out/$name.rss"
}
curl_file() { curl -s -u ol-admin:secret -X POST -o "$1" -w '%{time_total}\n' "$GET/$2"; }
curl_file_sync() {
  local t0 t1
  t0=$(date +%s.%N)
  curl -s -u ol-admin:secret -X POST -o "$1" "$GET/$2"
  sync "$1"
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
export -f curl_file curl_file_sync
export GET

mbps() { awk -v b="$1" '{ printf "%.1f\n", b / $1 / 1e6 }' "$out/$2.sec" | stats; }
rate() { awk -v n="$1" '{ printf "%.0f\n", n / $1 }' "$out/$2.sec" | stats; }
rss() { awk '{ printf "%.1f\n", $1 / 1024 }' "$out/$1.rss" | stats; }
# ratio A B: median of the per-run ratios time(B)/time(A), i.e. how many times faster A is.
ratio() { paste "$out/$1.sec" "$out/$2.sec" | awk '{ printf "%.3f\n", $2 / $1 }' | stats | awk '{ print $1 }'; }
row() { # row LABEL NAME BYTES
  read -r m lo hi <<<"$(mbps "$3" "$2")"
  read -r r _ rhi <<<"$(rss "$2")"
  echo "| $1 | $m | $lo–$hi | $r (max $rhi) |"
}

# 1. Large single-file result to disk.
op_big=$(spool_op $big)
for _ in $(seq "$runs"); do
  timed ceiling_curl bash -c "curl -s -u ol-admin:secret -X POST -o /dev/null -w '%{time_total}\n' $GET/$op_big"
  timed wf_stream "$B/wfbench" stream "$SIM_URL" "$op_big"
  timed wf_file "$B/wfbench" file "$SIM_URL" "$op_big" "$out/wf.bin"
  timed wf_fastfile "$B/wfbench" fastfile "$SIM_URL" "$op_big" "$out/wffast.bin"
  timed curl_file bash -c "curl_file $out/curl.bin $op_big"
  timed curl_file_sync bash -c "curl_file_sync $out/curls.bin $op_big"
  timed libcurl_file "$B/curlbench" file "$SIM_URL" "$op_big" "$out/libcurl.bin"
  timed requests_file "$PY" bench/src/pybench.py requests-file "$SIM_URL" "$op_big" "$out/requests.bin"
  timed pywf_file "$PY" bench/src/pybench.py wf-file "$SIM_URL" "$op_big" "$out/pywf.bin"
  rm -f "$out"/*.bin
done

# 2. Large result into memory.
op_mid=$(spool_op $mid)
for _ in $(seq "$runs"); do
  timed wf_mem "$B/wfbench" mem "$SIM_URL" "$op_mid" "$mid"
  timed wf_memex "$B/wfbench" memex "$SIM_URL" "$op_mid"
  timed libcurl_mem "$B/curlbench" mem "$SIM_URL" "$op_mid" "$mid"
done

# 3. Many small results through one connection.
op_small=$(submit '{"datamining":{"identifier":"invoices.csv","config":"Invoice.OL-datamapper"}}')
for _ in $(seq "$runs"); do
  timed wf_small "$B/wfbench" small "$SIM_URL" "$op_small" "$small_calls"
  timed libcurl_small "$B/curlbench" small "$SIM_URL" "$op_small" "$small_calls"
  timed pywf_small "$PY" bench/src/pybench.py wf-small "$SIM_URL" "$op_small" "$py_calls"
  timed requests_small "$PY" bench/src/pybench.py requests-small "$SIM_URL" "$op_small" "$py_calls"
done

# 4. Threads sharing one client; connections counted by the simulator.
declare -A conns
for t in 1 2 4 8; do
  before=$(connections)
  for _ in $(seq "$runs"); do timed "threads_$t" "$B/wfbench" threads "$SIM_URL" "$op_small" "$thread_calls" "$t"; done
  conns[$t]=$(( ($(connections) - before - 1) / runs )) # the stats request itself is one
done

# 5. Cost growth with the size (streaming paths).
for s in $sizes; do
  op=$(spool_op "$s")
  for _ in $(seq "$runs"); do
    timed "grow_file_$s" "$B/wfbench" file "$SIM_URL" "$op" "$out/g.bin"
    timed "grow_stream_$s" "$B/wfbench" stream "$SIM_URL" "$op"
    rm -f "$out/g.bin"
  done
done

report=$(mktemp)
{
  echo "## Client benchmarks (bench/client.sh)"
  echo
  echo "$(date -u +%Y-%m-%d), $(machine). One simulator (release build, security on, Basic credentials on"
  echo "every request), loopback; every tool measured in the same run, interleaved, $runs runs each: median and"
  echo "min–max. Times are measured inside each program (process start excluded); peak RSS from \`/usr/bin/time\`."
  echo
  echo "### 1. $((big >> 20)) MiB single-file result to disk"
  echo
  echo "| tool | MB/s (median) | min–max | peak RSS MiB |"
  echo "|---|---|---|---|"
  row "ceiling: \`curl -o /dev/null\`" ceiling_curl $big
  row "olconnect-wf \`wf_get_result_stream\` (discarding)" wf_stream $big
  row "**olconnect-wf \`wf_get_result_to_file\`** (temp file, fsync, rename)" wf_file $big
  row "olconnect-wf \`wf_get_result_to_file\` with \`wf_client_set_durable_files(false)\`" wf_fastfile $big
  row "\`curl -X POST -o file\` (page cache, not synced)" curl_file $big
  row "\`curl -o file\` then \`sync file\`" curl_file_sync $big
  row "libcurl C program, \`fwrite\` callback (not synced)" libcurl_file $big
  row "Python requests, \`iter_content(1 MiB)\` (not synced)" requests_file $big
  row "Python olconnect_wf \`get_result_to_file\`" pywf_file $big
  echo
  echo "Ratios (median of per-run ratios, >1 means olconnect-wf is faster): to_file vs curl $(ratio wf_file curl_file),"
  echo "vs curl+sync $(ratio wf_file curl_file_sync), vs libcurl $(ratio wf_file libcurl_file), vs requests $(ratio wf_file requests_file);"
  echo "stream vs the ceiling $(ratio wf_stream ceiling_curl). Without the sync (\`wf_client_set_durable_files(false)\`: no"
  echo "fsync, like curl -o, still a temporary file and a rename): vs curl $(ratio wf_fastfile curl_file), vs libcurl $(ratio wf_fastfile libcurl_file), vs requests $(ratio wf_fastfile requests_file)."
  echo
  echo "### 2. $((mid >> 20)) MiB result into memory"
  echo
  echo "| tool | MB/s (median) | min–max | peak RSS MiB |"
  echo "|---|---|---|---|"
  row "**\`wf_get_result\`** into a caller buffer" wf_mem $mid
  row "\`wf_get_result_ex\` (library-owned result)" wf_memex $mid
  row "libcurl, write callback into a preallocated buffer" libcurl_mem $mid
  echo
  echo "Ratios: \`wf_get_result\` vs libcurl $(ratio wf_mem libcurl_mem), \`wf_get_result_ex\` vs libcurl $(ratio wf_memex libcurl_mem)."
  echo
  echo "Copies of the body beyond the socket read (kernel to user space): \`wf_get_result\` one (ureq's 64 KiB"
  echo "socket buffer to the caller's buffer, read straight into it when \`Content-Length\` fits); \`wf_get_result_ex\`"
  echo "one (socket buffer to a vector sized from \`Content-Length\`, handed to the caller without another copy);"
  echo "libcurl in this program also one (its receive buffer to the preallocated buffer). Python's \`get_result\`"
  echo "adds the copy into a \`bytes\` object."
  echo
  echo "### 3. Small results (entity IDs), one connection kept alive"
  echo
  echo "| tool | calls/s (median) | min–max |"
  echo "|---|---|---|"
  read -r a b c <<<"$(rate $small_calls wf_small)"; echo "| **C, one \`wf_client\`** | $a | $b–$c |"
  read -r a b c <<<"$(rate $small_calls libcurl_small)"; echo "| C, libcurl, one easy handle | $a | $b–$c |"
  read -r a b c <<<"$(rate $py_calls pywf_small)"; echo "| **Python, olconnect_wf** | $a | $b–$c |"
  read -r a b c <<<"$(rate $py_calls requests_small)"; echo "| Python, \`requests.Session\` | $a | $b–$c |"
  echo
  echo "Ratios: C vs libcurl $(ratio wf_small libcurl_small); Python olconnect_wf vs requests $(ratio pywf_small requests_small)."
  echo
  echo "### 4. Threads sharing one \`wf_client\` (small results)"
  echo
  echo "| threads | calls/s (median) | min–max | new connections per run (simulator's count) |"
  echo "|---|---|---|---|"
  for t in 1 2 4 8; do
    read -r a b c <<<"$(rate $thread_calls threads_$t)"
    echo "| $t | $a | $b–$c | ${conns[$t]} |"
  done
  echo
  echo "### 5. Cost growth (streaming paths)"
  echo
  echo "| size MiB | to_file s (median) | to_file peak RSS MiB | stream s (median) | stream peak RSS MiB |"
  echo "|---|---|---|---|---|"
  for s in $sizes; do
    read -r f _ <<<"$(stats <"$out/grow_file_$s.sec")"
    read -r fr _ <<<"$(rss "grow_file_$s")"
    read -r st _ <<<"$(stats <"$out/grow_stream_$s.sec")"
    read -r sr _ <<<"$(rss "grow_stream_$s")"
    echo "| $((s >> 20)) | $f | $fr | $st | $sr |"
  done
} >"$report"
cat "$report"
if [ -z "$smoke" ]; then replace_section client "$report"; fi
rm -f "$report"
