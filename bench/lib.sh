# Helpers shared by the benchmark scripts: statistics, machine description, RESULTS.md sections.

# median/min/max of the numbers on stdin, one per line: prints "median min max".
stats() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "n/a n/a n/a"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.6g %.6g %.6g\n", m, v[1], v[NR] }'
}

machine() {
  local cpu
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
  echo "$(nproc) cores, ${cpu:-unknown CPU}, $(free -g | awk '/Mem:/ {print $2}') GiB, Linux $(uname -r)"
}

# replace_section NAME FILE: replaces the text between <!-- NAME:begin --> and <!-- NAME:end -->
# in bench/RESULTS.md with FILE's content (appends the section when missing).
replace_section() {
  python3 - "$1" "$2" <<'PY'
import sys, pathlib
name, src = sys.argv[1], pathlib.Path(sys.argv[2]).read_text()
path = pathlib.Path("bench/RESULTS.md")
text = path.read_text() if path.exists() else "# Benchmark results\n\nWritten by the scripts in bench/; each section says how and where it was measured.\n"
begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
block = f"{begin}\n{src.rstrip()}\n{end}"
if begin in text and end in text:
    text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
else:
    text = text.rstrip() + "\n\n" + block + "\n"
path.write_text(text)
PY
}
