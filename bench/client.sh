#!/usr/bin/env bash
# Client benchmarks: olconnect-wf against curl, libcurl, raw socket loops and Python requests,
# side by side in one run, on two servers: the bundled simulator and nginx (Debian's nginx-light,
# started here on a free port, serving the getResult path from files with sendfile: faster than
# the simulator and closer to a tuned production stack). Writes the "client" section of
# bench/RESULTS.md.
#   1. a large result to a file (tmpfs and disk; durable and not)
#   2. a large result into memory (fresh and resident buffers; raw loops as ceilings)
#   3. many small results (keep-alive): calls/s and per-call latency
#   4. threads sharing one client (simulator)   5. cost growth with the size (simulator)
# BENCH_SMOKE=1: small sizes, one run, nothing written (CI). RUNS=N: repetitions (default 5).
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
  cc -O2 -std=c11 -Wall -Wextra -Werror bench/src/rawbench.c -o "$B/rawbench"
  test -x "$B/venv/bin/python" || python3 -m venv "$B/venv"
  "$B/venv/bin/pip" install -q --disable-pip-version-check requests ./bindings/python
  exec scripts/with-sim.sh --op-duration-ms 0 --spool-content pattern --log-capacity 0 --control true -- "$0" "$@"
fi

smoke=${BENCH_SMOKE:-}
runs=${RUNS:-5}
big=$((512 << 20)); small_calls=20000; py_calls=5000; thread_calls=40000
sizes="$((1 << 20)) $((16 << 20)) $((256 << 20)) $((1 << 30))"
if [ -n "$smoke" ]; then
  runs=1; big=$((16 << 20)); small_calls=500; py_calls=200; thread_calls=800
  sizes="$((1 << 20)) $((4 << 20))"
fi
out=$(mktemp -d)
# Destinations of the file rows: memory (tmpfs) and this machine's disk.
tmpfs_dir=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
disk_dir=$(mktemp -d -p "$PWD/build")
PY="$B/venv/bin/python"
export PY B

# --- nginx: the same paths, answered from files -------------------------------------------------
ngx=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
ngx_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
results="$ngx/root/rest/serverengine/workflow/print/getResult"
mkdir -p "$results" "$ngx/tmp"
cat >"$ngx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $ngx/tmp;
  server {
    listen 127.0.0.1:$ngx_port;
    root $ngx/root;
    # The client POSTs; the static module answers POST with 405, turned into the file itself.
    location /rest/serverengine/workflow/print/getResult/ {
      default_type application/octet-stream;
      error_page 405 =200 \$uri;
    }
  }
}
EOF
head -c "$big" /dev/urandom >"$results/big"
printf 123 >"$results/small"
chmod -R a+rX "$ngx" # nginx's workers run as an unprivileged user when started by root
$(command -v nginx || echo /usr/sbin/nginx) -c "$ngx/nginx.conf" -p "$ngx" &
ngx_pid=$!
trap 'kill $ngx_pid 2>/dev/null; wait $ngx_pid 2>/dev/null; rm -rf "$out" "$ngx" "$tmpfs_dir" "$disk_dir"' EXIT
NGX_URL="http://127.0.0.1:$ngx_port"
for _ in $(seq 100); do curl -sf -o /dev/null -X POST "$NGX_URL/rest/serverengine/workflow/print/getResult/small" && break; sleep 0.05; done

# --- the simulator's operations -----------------------------------------------------------------
submit() {
  curl -s -u ol-admin:secret -D - -o /dev/null -X POST -H 'Content-Type: application/json' -d "$1" \
    "$SIM_URL/rest/serverengine/workflow/print/submit" | tr -d '\r' | awk 'tolower($1) == "operationid:" { print $2 }'
}
spool_op() {
  submit "{\"datamining\":{\"identifier\":\"invoices.csv\",\"config\":\"Invoice.OL-datamapper\"},\"contentcreation\":{\"config\":\"Invoice.OL-template\"},\"jobcreation\":{},\"outputcreation\":{\"config\":\"Invoice-PDF.OL-outputpreset\",\"parameters\":{\"sim_output_size\":$1}}}"
}
connections() { curl -s "$SIM_URL/sim/stats" | sed 's/.*"connections":\([0-9]*\).*/\1/'; }

# timed NAME COMMAND...: runs COMMAND (which prints "<seconds> ..."), records seconds, the rest
# of its line and peak RSS. Dirty pages of the previous run are flushed first, so no tool pays
# for another's writeback.
timed() {
  local name=$1
  shift
  sync
  /usr/bin/time -f '%M' -o "$out/rss" "$@" >"$out/line"
  awk '{ print $1 }' "$out/line" >>"$out/$name.sec"
  cut -d' ' -f2- "$out/line" >>"$out/$name.rest"
  cat "$out/rss" >>"$out/$name.rss"
}
curl_file() { curl -s -u ol-admin:secret -X POST -o "$1" -w '%{time_total}\n' "$2"; }
curl_file_sync() {
  local t0 t1
  t0=$(date +%s.%N)
  curl -s -u ol-admin:secret -X POST -o "$1" "$2"
  sync "$1"
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
export -f curl_file curl_file_sync

mbps() { awk -v b="$1" '{ printf "%.1f\n", b / $1 / 1e6 }' "$out/$2.sec" | stats; }
rate() { awk -v n="$1" '{ printf "%.0f\n", n / $1 }' "$out/$2.sec" | stats; }
rss() { awk '{ printf "%.1f\n", $1 / 1024 }' "$out/$1.rss" | stats; }
# latency NAME COLUMN: median over runs of a per-run figure printed after the seconds.
latency() { awk -v c="$2" '{ print $c }' "$out/$1.rest" | stats | awk '{ print $1 }'; }
# ratio A B: median of the per-run ratios time(B)/time(A), i.e. how many times faster A is.
ratio() { paste "$out/$1.sec" "$out/$2.sec" | awk '{ printf "%.3f\n", $2 / $1 }' | stats | awk '{ print $1 }'; }
# lat_ratio A B: median of the per-run ratios of B's median call time to A's.
lat_ratio() { paste "$out/$1.rest" "$out/$2.rest" | awk '{ printf "%.3f\n", $5 / $2 }' | stats | awk '{ print $1 }'; }
row() { # row LABEL NAME BYTES
  local m lo hi r rhi
  read -r m lo hi <<<"$(mbps "$3" "$2")"
  read -r r _ rhi <<<"$(rss "$2")"
  echo "| $1 | $m | $lo–$hi | $r (max $rhi) |"
}

# file_run SERVER DEST DIR URL OP TOOL: one tool's download to a file, deleted right after, so
# that every tool starts with the same free memory and page cache.
file_run() {
  local s=$1 dest=$2 url=$4 op=$5 tool=$6 get="$4/rest/serverengine/workflow/print/getResult"
  local f="$3/$tool.bin" name="${1}_${2}_$6"
  case $tool in
    wf_file) timed "$name" "$B/wfbench" file "$url" "$op" "$f" ;;
    wf_fastfile) timed "$name" "$B/wfbench" fastfile "$url" "$op" "$f" ;;
    curl) timed "$name" bash -c "curl_file $f $get/$op" ;;
    curl_sync) timed "$name" bash -c "curl_file_sync $f $get/$op" ;;
    libcurl) timed "$name" "$B/curlbench" file "$url" "$op" "$f" ;;
    requests) timed "$name" "$PY" bench/src/pybench.py requests-file "$url" "$op" "$f" ;;
    pywf) timed "$name" "$PY" bench/src/pybench.py wf-file "$url" "$op" "$f" ;;
    pywf_fast) timed "$name" "$PY" bench/src/pybench.py wf-fastfile "$url" "$op" "$f" ;;
  esac
  rm -f "$f"
}
file_tools=(wf_file wf_fastfile curl curl_sync libcurl requests pywf pywf_fast)

# suite RUN SERVER URL OP_BIG OP_SMALL: sections 1 to 3 against one server. The file tools run
# in an order rotated by RUN, so that none is always first or last.
suite() {
  local run=$1 s=$2 url=$3 op=$4 small=$5 n=${#file_tools[@]}
  for dest in tmpfs disk; do
    local d=$tmpfs_dir
    [ $dest = disk ] && d=$disk_dir
    for i in $(seq 0 $((n - 1))); do
      file_run "$s" "$dest" "$d" "$url" "$op" "${file_tools[$(((i + run) % n))]}"
    done
  done
  timed "${s}_stream" "$B/wfbench" stream "$url" "$op"
  timed "${s}_raw_discard" "$B/rawbench" discard "$url" "$op" 0
  timed "${s}_raw_discard_waitall" "$B/rawbench" discard-waitall "$url" "$op" 0
  for pages in fresh resident; do
    timed "${s}_wf_mem_$pages" "$B/wfbench" mem "$url" "$op" "$big" "$pages"
    timed "${s}_libcurl_mem_$pages" "$B/curlbench" mem "$url" "$op" "$big" "$pages"
    timed "${s}_raw_direct_$pages" "$B/rawbench" direct "$url" "$op" "$big" "$pages"
    timed "${s}_raw_waitall_$pages" "$B/rawbench" waitall "$url" "$op" "$big" "$pages"
    timed "${s}_raw_prefault_$pages" "$B/rawbench" prefault "$url" "$op" "$big" "$pages"
    timed "${s}_raw_copy_$pages" "$B/rawbench" copy "$url" "$op" "$big" "$pages"
  done
  timed "${s}_wf_memex" "$B/wfbench" memex "$url" "$op"
  timed "${s}_wf_small" "$B/wfbench" small "$url" "$small" "$small_calls"
  timed "${s}_libcurl_small" "$B/curlbench" small "$url" "$small" "$small_calls"
  timed "${s}_pywf_small" "$PY" bench/src/pybench.py wf-small "$url" "$small" "$py_calls"
  timed "${s}_requests_small" "$PY" bench/src/pybench.py requests-small "$url" "$small" "$py_calls"
}

op_big=$(spool_op $big)
op_small=$(submit '{"datamining":{"identifier":"invoices.csv","config":"Invoice.OL-datamapper"}}')
for run in $(seq "$runs"); do
  suite "$run" sim "$SIM_URL" "$op_big" "$op_small"
  suite "$run" nginx "$NGX_URL" big small
done

# 4. Threads sharing one client; connections counted by the simulator.
declare -A conns
for t in 1 2 4 8; do
  before=$(connections)
  for _ in $(seq "$runs"); do timed "threads_$t" "$B/wfbench" threads "$SIM_URL" "$op_small" "$thread_calls" "$t"; done
  conns[$t]=$(((($(connections) - before - 1) / runs))) # the stats request itself is one
done

# 5. Cost growth with the size (streaming paths).
for s in $sizes; do
  op=$(spool_op "$s")
  for _ in $(seq "$runs"); do
    timed "grow_file_$s" "$B/wfbench" file "$SIM_URL" "$op" "$disk_dir/g.bin"
    timed "grow_stream_$s" "$B/wfbench" stream "$SIM_URL" "$op"
    rm -f "$disk_dir/g.bin"
  done
done

# The best raw loop of a run, per run: the ceiling the into-memory and streaming rows are held to.
best_of() { # best_of OUT IN...: writes OUT.sec, the per-run minimum of the IN.sec files
  local out_name=$1
  shift
  paste "${@/#/$out/}" | awk '{ m = $1; for (i = 2; i <= NF; i++) if ($i < m) m = $i; print m }' >"$out/$out_name.sec"
}
for s in sim nginx; do
  for p in fresh resident; do
    best_of "${s}_raw_best_$p" "${s}_raw_direct_$p.sec" "${s}_raw_waitall_$p.sec" "${s}_raw_prefault_$p.sec" "${s}_raw_copy_$p.sec"
  done
  best_of "${s}_raw_best_discard" "${s}_raw_discard.sec" "${s}_raw_discard_waitall.sec"
done

file_section() { # file_section SERVER DEST
  local p="$1_$2"
  echo "| tool | MB/s (median) | min–max | peak RSS MiB |"
  echo "|---|---|---|---|"
  row "**\`wf_get_result_to_file\`** (temp file, fsync, rename)" "${p}_wf_file" $big
  row "\`wf_get_result_to_file\`, \`wf_client_set_durable_files(false)\`" "${p}_wf_fastfile" $big
  row "\`curl -X POST -o file\` (not synced)" "${p}_curl" $big
  row "\`curl -o file\` then \`sync file\`" "${p}_curl_sync" $big
  row "libcurl C program, \`fwrite\` callback (not synced)" "${p}_libcurl" $big
  row "Python requests, \`iter_content(1 MiB)\` (not synced)" "${p}_requests" $big
  row "Python olconnect_wf \`get_result_to_file\`" "${p}_pywf" $big
  row "Python olconnect_wf \`get_result_to_file\`, \`durable_files=False\`" "${p}_pywf_fast" $big
}

report=$(mktemp)
{
  echo "## Client benchmarks (bench/client.sh)"
  echo
  echo "$(date -u +%Y-%m-%d), $(machine). Two servers on loopback: the simulator (release build, security"
  echo "on, Basic credentials on every request) and nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') (one worker, \`sendfile\`, the"
  echo "same getResult path served from files in tmpfs). Every tool measured in the same run, interleaved,"
  echo "$runs runs each: median and min–max. Times are measured inside each program (process start"
  echo "excluded); peak RSS from \`/usr/bin/time\`. The large result is $((big >> 20)) MiB."
  echo
  echo "### Ratios per path (median of the per-run ratios; > 1: olconnect-wf is faster)"
  echo
  echo "| path | peer | simulator | nginx |"
  echo "|---|---|---|---|"
  r() { echo "| $1 | $2 | $(ratio "sim_$3" "sim_$4") | $(ratio "nginx_$3" "nginx_$4") |"; }
  r "\`wf_get_result\`, fresh buffer" "libcurl, fresh buffer" wf_mem_fresh libcurl_mem_fresh
  r "\`wf_get_result\`, fresh buffer" "best raw loop, fresh" wf_mem_fresh raw_best_fresh
  r "\`wf_get_result\`, resident buffer" "libcurl, resident buffer" wf_mem_resident libcurl_mem_resident
  r "\`wf_get_result\`, resident buffer" "best raw loop, resident" wf_mem_resident raw_best_resident
  r "\`wf_get_result_ex\`" "libcurl, fresh buffer" wf_memex libcurl_mem_fresh
  r "\`wf_get_result_stream\` (discarding)" "best raw loop, discarding" stream raw_best_discard
  for dest in tmpfs disk; do
    r "\`wf_get_result_to_file\`, durable, $dest" "\`curl -o\` + \`sync\`" "${dest}_wf_file" "${dest}_curl_sync"
    r "\`wf_get_result_to_file\`, durable, $dest" "libcurl (not synced)" "${dest}_wf_file" "${dest}_libcurl"
    r "\`wf_get_result_to_file\`, durable, $dest" "\`curl -o\` (not synced)" "${dest}_wf_file" "${dest}_curl"
    r "\`wf_get_result_to_file\`, not durable, $dest" "libcurl" "${dest}_wf_fastfile" "${dest}_libcurl"
    r "\`wf_get_result_to_file\`, not durable, $dest" "\`curl -o\`" "${dest}_wf_fastfile" "${dest}_curl"
    r "Python \`get_result_to_file\`, durable, $dest" "the same C call" "${dest}_pywf" "${dest}_wf_file"
    r "Python \`get_result_to_file\`, durable, $dest" "requests (not synced)" "${dest}_pywf" "${dest}_requests"
  done
  r "small results, calls/s" "libcurl" wf_small libcurl_small
  echo "| small results, median call time | libcurl | $(lat_ratio sim_wf_small sim_libcurl_small) | $(lat_ratio nginx_wf_small nginx_libcurl_small) |"
  r "Python small results, calls/s" "requests" pywf_small requests_small
  echo
  for s in sim nginx; do
    label=simulator
    [ $s = nginx ] && label=nginx
    echo "### 1 ($label). $((big >> 20)) MiB result to a file"
    for dest in tmpfs disk; do
      echo
      echo "On $dest ($( [ $dest = tmpfs ] && echo /dev/shm || echo "this machine's disk")):"
      echo
      file_section $s $dest
    done
    echo
    echo "### 2 ($label). $((big >> 20)) MiB result into memory"
    echo
    echo "| tool | MB/s (median) | min–max | peak RSS MiB |"
    echo "|---|---|---|---|"
    for p in fresh resident; do
      row "**\`wf_get_result\`**, $p buffer" "${s}_wf_mem_$p" $big
      row "libcurl, write callback + \`memcpy\`, $p buffer" "${s}_libcurl_mem_$p" $big
      row "ceiling: raw \`read()\` straight into the buffer, $p" "${s}_raw_direct_$p" $big
      row "ceiling: raw \`recv(MSG_WAITALL)\` of 256 KiB straight into the buffer, $p" "${s}_raw_waitall_$p" $big
      row "ceiling: the same, pages faulted in 8 MiB ahead (\`MADV_POPULATE_WRITE\`), $p" "${s}_raw_prefault_$p" $big
      row "ceiling: raw \`read()\` into 256 KiB + \`memcpy\`, $p" "${s}_raw_copy_$p" $big
    done
    row "\`wf_get_result_ex\` (library-owned, fresh)" "${s}_wf_memex" $big
    row "\`wf_get_result_stream\`, discarding" "${s}_stream" $big
    row "ceiling: raw \`read()\`, 64 KiB, discarding" "${s}_raw_discard" $big
    row "ceiling: raw \`recv(MSG_WAITALL)\`, 128 KiB, discarding" "${s}_raw_discard_waitall" $big
    echo
    echo "### 3 ($label). Small results, one connection kept alive"
    echo
    echo "| tool | calls/s (median) | min–max | median call µs | p99 call µs |"
    echo "|---|---|---|---|---|"
    read -r a b c <<<"$(rate $small_calls ${s}_wf_small)"
    echo "| **C, one \`wf_client\`** | $a | $b–$c | $(latency ${s}_wf_small 2) | $(latency ${s}_wf_small 3) |"
    read -r a b c <<<"$(rate $small_calls ${s}_libcurl_small)"
    echo "| C, libcurl, one easy handle | $a | $b–$c | $(latency ${s}_libcurl_small 2) | $(latency ${s}_libcurl_small 3) |"
    read -r a b c <<<"$(rate $py_calls ${s}_pywf_small)"
    echo "| **Python, olconnect_wf** | $a | $b–$c | | |"
    read -r a b c <<<"$(rate $py_calls ${s}_requests_small)"
    echo "| Python, \`requests.Session\` | $a | $b–$c | | |"
    echo
  done
  echo "### 4. Threads sharing one \`wf_client\` (small results, simulator)"
  echo
  echo "| threads | calls/s (median) | min–max | new connections per run (simulator's count) |"
  echo "|---|---|---|---|"
  for t in 1 2 4 8; do
    read -r a b c <<<"$(rate $thread_calls threads_$t)"
    echo "| $t | $a | $b–$c | ${conns[$t]} |"
  done
  echo
  echo "### 5. Cost growth (streaming paths, simulator, file on disk)"
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
