#!/usr/bin/env bash
# make cross-test: for every target of targets.tsv (or those named), the C test suite linked
# against that target's release library and run on it (natively, under qemu-user or under Wine)
# against the native simulator; for the targets run under an emulator (aarch64, Windows) also the
# Rust test suite of the library, less the measurements listed in tests/cross/emulator-skips.tsv.
# Prints the glibc symbol-version floor of each Linux library. docs/platforms.md.
source "$(dirname "$0")/common.sh"
cd "$ROOT"
names=("$@"); [ ${#names[@]} -gt 0 ] || mapfile -t names < <(target_names)
scripts/cross/build.sh --tests "${names[@]}"
[ -x target/release/olconnect-sim ] || { echo "build the native simulator first (make lib)" >&2; exit 1; }
export OLCONNECT_WF_TIME_SCALE=${OLCONNECT_WF_TIME_SCALE:-4}
C_TESTS=(test_core test_workflow test_control test_filestore)
CFLAGS=(-std=c11 -Wall -Wextra -Wpedantic -Werror -g -Iinclude)
sim=(scripts/with-sim.sh --control true --op-duration-ms 0 --spool-content pattern --)
failed=()

floor() { # the newest GLIBC_ symbol version a Linux library needs
  objdump -T "$1" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1
}

c_suite() {
  local name=$1 rel lib out cc
  rel=$(release_dir "$name"); lib=$(target_field "$name" 5); cc=$(target_cc "$name")
  out=build/cross/$name; rm -rf "$out"; mkdir -p "$out"
  case "$name" in
    win-x64)
      cp "$rel/$lib" "$out/"
      wine_ready "$out"
      for t in "${C_TESTS[@]}"; do
        "$cc" "${CFLAGS[@]}" "tests/c/$t.c" -o "$out/$t.exe" -L"$rel" -l:libolconnect_wf.dll.a -lws2_32 \
          -static-libgcc -Wl,-Bstatic -lpthread -Wl,-Bdynamic
      done ;;
    *)
      cp "$rel/$lib" "$out/"; ln -sfn "$lib" "$out/$lib.0"
      for t in "${C_TESTS[@]}"; do
        "$cc" "${CFLAGS[@]}" "tests/c/$t.c" -o "$out/$t" -L"$out" -lolconnect_wf -lpthread \
          -Wl,-rpath,"$ROOT/$out"
      done ;;
  esac
  for t in "${C_TESTS[@]}"; do
    local prog=$out/$t; [ "$name" = win-x64 ] && prog=$out/$t.exe
    echo "== $name: $t"
    if ! timeout 600 "${sim[@]}" bash -c "source scripts/cross/common.sh; run_on $name $prog \"\$SIM_URL\""; then
      failed+=("$name C $t")
    fi
  done
}

# The main job (make demo) end to end on Windows: examples/fetch_result.c built with MinGW, run
# under Wine against the native simulator, the PDF it wrote checked by poppler.
windows_demo() {
  local out=build/cross/win-x64 pdf
  pdf=$out/result.pdf; rm -f "$pdf"
  x86_64-w64-mingw32-gcc "${CFLAGS[@]}" examples/fetch_result.c -o "$out/fetch_result.exe" \
    -L"$(release_dir win-x64)" -l:libolconnect_wf.dll.a
  echo "== win-x64: the main job (examples/fetch_result.c)"
  if ! timeout 300 scripts/with-sim.sh --op-duration-ms 1000 --output-size 500000 -- bash -c \
      "source scripts/cross/common.sh; run_on win-x64 $out/fetch_result.exe \"\$SIM_URL\" $pdf --data examples/invoices.csv" ||
     ! scripts/pdf-pages.sh "$pdf"; then
    failed+=("win-x64 the main job")
  fi
}

rust_suite() {
  local name=$1 runner list test exe
  runner=$(target_field "$name" 4)
  # Built by build.sh --tests: this only lists them.
  list=$(cross_test_build "$name" --message-format=json |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["target"]["name"], m["executable"])')
  [ "$name" = win-x64 ] && wine_ready "$(release_dir "$name")/deps"
  while read -r test exe; do
    local skips=() whole=""
    while read -r who binary filter reason; do
      [ "$who" = "$runner" ] || [ "$who" = any ] || continue
      [ "$binary" = "$test" ] || continue
      if [ "$filter" = "*" ]; then whole=$reason; else skips+=(--skip "$filter"); echo "   ($test: $filter left out: $reason)"; fi
    done < <(grep -v '^#' tests/cross/emulator-skips.tsv | awk 'NF')
    if [ -n "$whole" ]; then echo "== $name: Rust $test: left out: $whole"; continue; fi
    echo "== $name: Rust $test"
    if ! timeout 900 bash -c 'source scripts/cross/common.sh; run_on "$@"' _ "$name" "$exe" -q "${skips[@]}"; then
      failed+=("$name Rust $test")
    fi
  done <<<"$list"
}

for name in "${names[@]}"; do
  start=$(date +%s)
  c_suite "$name"
  [ "$name" = win-x64 ] && windows_demo
  case "$(target_field "$name" 4)" in qemu|wine) rust_suite "$name" ;; esac
  case "$name" in
    win-x64) ;;
    *) needs=$(floor "$(release_dir "$name")/$(target_field "$name" 5)" || true)
       echo "$name: $(target_field "$name" 5) needs ${needs:-no glibc symbol} (floor: $(target_field "$name" 7))" ;;
  esac
  echo "$name: tested in $(( $(date +%s) - start )) s"
done
if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "cross-test: every target passed (${names[*]})"
