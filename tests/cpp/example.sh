#!/usr/bin/env bash
# examples/fetch_result.cpp does the main job against $SIM_URL (a simulator with its control
# routes on): it uploads the data file, submits, waits with progress, downloads the result to a
# file with byte progress and deletes the upload. Checks its exit status, the file (a complete
# PDF of the size it reports), its progress output and, in the simulator's request log, the
# upload, the download and the delete.
set -u
example=$1
data=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
curl -sf -X DELETE "$SIM_URL/sim/requests" >/dev/null
"$example" "$SIM_URL" "$dir/out.pdf" --data "$data" >"$dir/stdout" 2>"$dir/stderr"
rc=$?
requests=$(curl -sf "$SIM_URL/sim/requests")
count() { grep -o "\"target\":\"[^\"]*$1" <<<"$requests" | wc -l; }
passed=0
failed=0
check() {
  if eval "$2"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi
}
size=$(stat -c %s "$dir/out.pdf" 2>/dev/null || echo 0)
check "exit status 0 (got $rc)" '[ "$rc" -eq 0 ]'
check "a PDF was written" '[ "$(head -c 5 "$dir/out.pdf" 2>/dev/null)" = "%PDF-" ]'
check "the size it reports is the file's ($size)" 'grep -q "  $size bytes written to $dir/out.pdf" "$dir/stdout"'
check "it says what arrived" 'grep -q "^result: spool file$" "$dir/stdout" && grep -q "job set [0-9]" "$dir/stdout"'
check "the wait drew its bar to 100%" 'grep -q "100%" "$dir/stderr"'
check "the download drew its bytes" 'grep -q "$size / $size bytes" "$dir/stderr"'
check "one upload" '[ "$(count /filestore/DataFile)" -eq 1 ]'
check "one download" '[ "$(count /getResult/)" -eq 1 ]'
check "the upload was deleted" '[ "$(count /filestore/delete/)" -eq 1 ] && grep -q "upload .* deleted" "$dir/stdout"'
check "no temporary file left" '[ "$(find "$dir" -name ".wf-*" | wc -l)" -eq 0 ]'
if [ "$failed" -ne 0 ]; then
  echo "--- stdout"; cat "$dir/stdout"; echo "--- stderr"; cat "$dir/stderr"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
