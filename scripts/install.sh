#!/usr/bin/env bash
# Installs (or uninstalls) the built library like any C library:
#
#   scripts/install.sh install   [PREFIX=/usr/local] [DESTDIR=]   (after cargo build --release)
#   scripts/install.sh uninstall [PREFIX=/usr/local] [DESTDIR=]
#
# Installs, under DESTDIR/PREFIX:
#   lib/libolconnect_wf.so.MAJOR.MINOR.PATCH   stripped; SONAME libolconnect_wf.so.MAJOR
#   lib/libolconnect_wf.so.MAJOR, lib/libolconnect_wf.so   the usual links
#   lib/.debug/libolconnect_wf.so.X.Y.Z.debug  its debug info (found by gdb through a debuglink)
#   lib/libolconnect_wf.a                      without debug info
#   include/olconnect_wf.h, include/olconnect_wf.hpp
#   lib/pkgconfig/olconnect_wf.pc              Libs.private from rustc's native-static-libs
#   lib/cmake/olconnect_wf/                    find_package(olconnect_wf): olconnect_wf::olconnect_wf
#                                              (shared) and olconnect_wf::olconnect_wf_static
#   bin/olconnect-sim                          the simulator (stripped)
#   share/doc/olconnect_wf/olconnect-sim.sample.toml   its sample configuration file
#   bin/olcwf                                  the command-line client, when built (stripped)
#   share/man/man1/olconnect-sim.1, olcwf.1, olcwf-COMMAND.1   manual pages, made from the
#                                              programs' clap definitions (--generate-man)
#   share/bash-completion/completions/olcwf, share/zsh/site-functions/_olcwf,
#   share/fish/vendor_completions.d/olcwf.fish olcwf's shell completions
#   share/doc/olconnect_wf/                    README.md and docs/ (simulator.md, c-contract.md, ...)
#   share/olconnect_wf/install-manifest.txt    what was installed; uninstall removes exactly that
# The .pc and CMake files locate everything relative to themselves, so a DESTDIR staging tree
# or a moved prefix works.
# scripts/dist.sh stages another target's build the same way: WF_RELEASE_DIR (its release
# folder), WF_TOOL_PREFIX (its binutils, e.g. aarch64-linux-gnu-), WF_NATIVE_LIBS (what its
# static library needs) and WF_LIBRARY_ONLY=1 (no programs, no manifest).
set -euo pipefail
cd "$(dirname "$0")/.."

action=${1:-install}
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
root="$DESTDIR$PREFIX"
manifest_rel=share/olconnect_wf/install-manifest.txt
manifest="$root/$manifest_rel"

if [ "$action" = uninstall ]; then
  [ -f "$manifest" ] || { echo "nothing to uninstall: $manifest is missing" >&2; exit 1; }
  while IFS= read -r rel; do
    rm -f "$root/$rel"
  done <"$manifest"
  rm -f "$manifest"
  # Remove the folders this install created, when empty (never the prefix's common ones).
  for dir in share/olconnect_wf share/doc/olconnect_wf lib/cmake/olconnect_wf lib/.debug \
    share/bash-completion/completions share/bash-completion share/zsh/site-functions share/zsh \
    share/fish/vendor_completions.d share/fish share/man/man1 share/man; do
    rmdir "$root/$dir" 2>/dev/null || true
  done
  echo "uninstalled from $root"
  exit 0
fi
[ "$action" = install ] || { echo "usage: $0 install|uninstall" >&2; exit 2; }

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
release=${WF_RELEASE_DIR:-target/release}
objcopy=${WF_TOOL_PREFIX:-}objcopy
strip=${WF_TOOL_PREFIX:-}strip
library_only=${WF_LIBRARY_ONLY:-}
needed=(libolconnect_wf.so libolconnect_wf.a)
[ -n "$library_only" ] || needed+=(olconnect-sim)
for f in "${needed[@]}"; do
  [ -f "$release/$f" ] || { echo "$release/$f is missing: run cargo build --release --workspace" >&2; exit 1; }
done
native_libs=${WF_NATIVE_LIBS:-$(cargo rustc --release -q --lib --crate-type staticlib -- --print native-static-libs 2>&1 |
  sed -n 's/.*native-static-libs: //p' | tail -n 1)}
[ -n "$native_libs" ] || { echo "cannot learn the native libraries of the static library" >&2; exit 1; }

installed=()
put() { # put SOURCE RELATIVE-DESTINATION MODE
  install -D -m "$3" "$1" "$root/$2"
  installed+=("$2")
}

so="libolconnect_wf.so.$version"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The shared library, stripped, its debug info apart and linked back to it.
cp "$release/libolconnect_wf.so" "$work/$so"
"$objcopy" --only-keep-debug "$work/$so" "$work/$so.debug"
"$strip" --strip-unneeded "$work/$so"
"$objcopy" --add-gnu-debuglink="$work/$so.debug" "$work/$so"
put "$work/$so" "lib/$so" 755
put "$work/$so.debug" "lib/.debug/$so.debug" 644
ln -sfn "$so" "$root/lib/libolconnect_wf.so.$major"
ln -sfn "libolconnect_wf.so.$major" "$root/lib/libolconnect_wf.so"
installed+=("lib/libolconnect_wf.so.$major" "lib/libolconnect_wf.so")

cp "$release/libolconnect_wf.a" "$work/libolconnect_wf.a"
"$strip" --strip-debug "$work/libolconnect_wf.a"
put "$work/libolconnect_wf.a" lib/libolconnect_wf.a 644

put include/olconnect_wf.h include/olconnect_wf.h 644
put include/olconnect_wf.hpp include/olconnect_wf.hpp 644

if [ -z "$library_only" ]; then
  put sim/olconnect-sim.sample.toml share/doc/olconnect_wf/olconnect-sim.sample.toml 644
  put README.md share/doc/olconnect_wf/README.md 644
  for doc in docs/*; do
    [ -f "$doc" ] && put "$doc" "share/doc/olconnect_wf/${doc#docs/}" 644
  done
fi

for bin in olconnect-sim olcwf; do
  [ -z "$library_only" ] || break
  if [ -f "$release/$bin" ]; then
    cp "$release/$bin" "$work/$bin"
    strip --strip-unneeded "$work/$bin"
    put "$work/$bin" "bin/$bin" 755
  fi
done

# Manual pages and completions, made by the programs from their own clap definitions.
mkdir -p "$work/man"
[ -n "$library_only" ] || "$release/olconnect-sim" --generate-man "$work/man"
if [ -z "$library_only" ] && [ -f "$release/olcwf" ]; then
  "$release/olcwf" generate-man "$work/man"
  "$release/olcwf" completions bash >"$work/olcwf.bash"
  "$release/olcwf" completions zsh >"$work/_olcwf"
  "$release/olcwf" completions fish >"$work/olcwf.fish"
  put "$work/olcwf.bash" share/bash-completion/completions/olcwf 644
  put "$work/_olcwf" share/zsh/site-functions/_olcwf 644
  put "$work/olcwf.fish" share/fish/vendor_completions.d/olcwf.fish 644
fi
for page in "$work"/man/*.1; do
  [ -f "$page" ] || continue
  put "$page" "share/man/man1/$(basename "$page")" 644
done

scripts/package-files.sh "$work" "$version" "$native_libs" "lib/$so" "libolconnect_wf.so.$major"
put "$work/olconnect_wf.pc" lib/pkgconfig/olconnect_wf.pc 644
put "$work/olconnect_wfConfig.cmake" lib/cmake/olconnect_wf/olconnect_wfConfig.cmake 644
put "$work/olconnect_wfConfigVersion.cmake" lib/cmake/olconnect_wf/olconnect_wfConfigVersion.cmake 644

[ -z "$library_only" ] || { echo "staged olconnect_wf $version into $root"; exit 0; }
mkdir -p "$(dirname "$manifest")"
printf '%s\n' "${installed[@]}" >"$manifest"
echo "installed olconnect_wf $version into $root (${#installed[@]} files; see $manifest_rel)"
