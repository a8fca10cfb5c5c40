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
  echo "built $name in $(( $(date +%s) - start )) s: $(release_dir "$name")/$(target_field "$name" 5)"
done
