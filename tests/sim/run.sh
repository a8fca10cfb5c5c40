#!/usr/bin/env bash
# The simulator's PDFs opened by real PDF software (poppler's pdfinfo, pdftotext and pdftoppm,
# and qpdf --check): a page per record of an uploaded CSV, the requested size exactly, the
# records shared out over a multi-file preset's PDFs, and a 1 GiB PDF streamed while the
# simulator's memory stays flat.
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in pdfinfo pdftotext pdftoppm qpdf curl; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (make deps installs it)" >&2; exit 1; }
done
work=$(mktemp -d)
out="$work/sim.out"
target/release/olconnect-sim --port 0 --op-duration-ms 0 >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "^listening on" "$out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$out")
api="$url/rest/serverengine"
c() { curl -sS --fail-with-body -u ol-admin:secret "$@"; }
fails=0
check() {
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what" >&2; fails=$((fails + 1)); fi
}
# $1 data file id, $2 preset, $3 parameters; prints the operation id
submit() {
  c -D - -o /dev/null -H 'Content-Type: application/json' -d "{\"datamining\":{\"identifier\":\"$1\",\"config\":\"Invoice.OL-datamapper\"},\"contentcreation\":{\"config\":\"Invoice.OL-template\"},\"jobcreation\":{},\"outputcreation\":{\"config\":\"$2\",\"parameters\":{$3}}}" \
    "$api/workflow/print/submit" | tr -d '\r' | sed -n 's/^operationId: //Ip'
}
pages() { pdfinfo "$1" | awk '/^Pages:/ {print $2}'; }

printf 'id,customer,city\n' >"$work/data.csv"
for i in $(seq 25); do printf '%d,Customer %d,Zürich\n' "$i" "$i" >>"$work/data.csv"; done
data=$(c --data-binary @"$work/data.csv" "$api/filestore/DataFile?filename=data.csv")

op=$(submit "$data" Invoice-PDF.OL-outputpreset '"sim_output_size":2000000')
c -X POST -o "$work/one.pdf" "$api/workflow/print/getResult/$op"
check "pdfinfo: one page per record" test "$(pages "$work/one.pdf")" = 25
check "exactly the requested size" test "$(stat -c %s "$work/one.pdf")" = 2000000
quiet() { "$@" >/dev/null; }
check "qpdf --check finds no error" quiet qpdf --check "$work/one.pdf"
check "pdftotext reads page 2's record" grep -q "Record 2 of 25 (data.csv)" <(pdftotext -f 2 -l 2 "$work/one.pdf" -)
check "pdftotext reads Latin-1 text" grep -q "city: Zürich" <(pdftotext -f 25 -l 25 "$work/one.pdf" -)
check "make demo's summary reads the page count with pdfinfo" grep -q "a PDF of 25 page(s), 2000000 bytes (read by pdfinfo)" <(scripts/pdf-pages.sh "$work/one.pdf")
# ... and from the page tree on a machine without poppler (a PATH without pdfinfo).
mkdir "$work/bin"
for tool in bash head grep sed realpath stat awk; do ln -s "$(command -v $tool)" "$work/bin/$tool"; done
check "... and without pdfinfo" grep -q "a PDF of 25 page(s), 2000000 bytes (read by its page tree" <(PATH="$work/bin" bash scripts/pdf-pages.sh "$work/one.pdf")
pdftoppm -r 30 -png -f 25 -l 25 "$work/one.pdf" "$work/page"
check "pdftoppm renders the last page" test -s "$work/page-25.png"

op=$(submit "$data" Invoice-Split.OL-outputpreset '')
folder=$(c -X POST "$api/workflow/print/getManagedResult/$op" | python3 -c 'import json,sys; print(json.load(sys.stdin)["identifier"])')
total=0
for name in job_0001.pdf job_0002.pdf job_0003.pdf; do
  c -o "$work/$name" "$api/filestore/file/$folder/$name"
  check "qpdf --check $name" quiet qpdf --check "$work/$name"
  total=$((total + $(pages "$work/$name")))
done
check "three PDFs share the 25 records" test "$total" = 25

op=$(submit "$data" Invoice-PDF.OL-outputpreset '"sim_output_size":1073741824')
c -X POST "$api/workflow/print/getResult/$op" | tail -c 6 >"$work/end"
check "a 1 GiB PDF is streamed to its end" grep -q '%%EOF' "$work/end"
peak_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
echo "simulator peak RSS after a 1 GiB PDF: $peak_kib KiB"
check "the simulator's memory stayed under 64 MiB" test "$peak_kib" -lt 65536

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed" >&2; exit 1; }
