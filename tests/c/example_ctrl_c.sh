#!/usr/bin/env bash
# Ctrl-C during the example's download: it must exit with 130 promptly and leave no file (no
# partial file, no temporary file). Runs against $SIM_URL (with its control routes on).
set -u
example=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# A slow download: 64 KiB every 200 ms.
curl -sf -X POST "$SIM_URL/sim/faults" -d '{"kind":"trickle","chunk":65536,"interval_ms":200,"path":"getResult"}' >/dev/null
"$example" "$SIM_URL" "$dir/out.pdf" >"$dir/log" 2>&1 &
pid=$!
# Interrupt once the download has started (the log shows bytes).
for _ in $(seq 100); do
  grep -q "bytes" "$dir/log" 2>/dev/null && break
  sleep 0.1
done
start=$(date +%s%N)
kill -INT "$pid"
wait "$pid"
rc=$?
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
left=$(find "$dir" -name 'out.pdf' -o -name '.wf-*' | wc -l)
curl -sf -X DELETE "$SIM_URL/sim/faults" >/dev/null
if [ "$rc" -eq 130 ] && [ "$left" -eq 0 ] && [ "$took_ms" -lt 1000 ]; then
  echo "1 passed, 0 failed"
  exit 0
fi
echo "example after Ctrl-C: exit $rc (want 130), files left $left (want 0), ${took_ms} ms (want < 1000)"
cat "$dir/log"
echo "0 passed, 1 failed"
exit 1
