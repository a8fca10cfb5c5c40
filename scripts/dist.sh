#!/usr/bin/env bash
# make dist: what a user installs, for every target of scripts/cross/targets.tsv, into build/dist:
#   olconnect_wf-VERSION-NAME.tar.gz  the library (stripped; Linux: SONAME links and split debug
#                                     info; Windows: the DLL, its MinGW import library and a .def
#                                     for MSVC's lib.exe, olcwf.exe, olconnect-sim.exe), the static
#                                     library, the C and C++ headers, pkg-config and CMake files
#   wheels/olconnect_wf-VERSION-py3-none-TAG.whl   one per target, the target's stripped library
#   OLConnect.Workflow.VERSION.nupkg  the .NET assembly and runtimes/RID/native/ per target
# Each target is built once (scripts/cross/build.sh); tests/dist/check.sh checks the result.
source "$(dirname "$0")/cross/common.sh"
cd "$ROOT"
mapfile -t names < <(target_names)
scripts/cross/build.sh "${names[@]}"
out=build/dist
rm -rf "$out"; mkdir -p "$out/wheels" "$out/stage" "$out/native"

native_static_libs() { # what the static library of target NAME needs besides it, as rustc said
  cat "$(target_dir "$1")/native-static-libs"   # kept by build.sh from the build's output
}

stage_linux() {
  local name=$1 prefix=""
  [ "$name" = linux-arm64 ] && prefix=aarch64-linux-gnu-
  WF_RELEASE_DIR="$(release_dir "$name")" WF_TOOL_PREFIX=$prefix WF_LIBRARY_ONLY=1 \
    WF_NATIVE_LIBS="$(native_static_libs "$name")" PREFIX=/ DESTDIR="$out/stage/$name" \
    scripts/install.sh install >/dev/null
  cp "$out/stage/$name/lib/libolconnect_wf.so.$VERSION" "$out/native/$name-libolconnect_wf.so"
}

stage_windows() {
  local name=$1 rel root=$out/stage/$1
  rel=$(release_dir "$name")
  mkdir -p "$root/bin" "$root/lib/pkgconfig" "$root/lib/cmake/olconnect_wf" "$root/include"
  for f in olconnect_wf.dll olcwf.exe olconnect-sim.exe; do
    x86_64-w64-mingw32-strip --strip-unneeded -o "$root/bin/$f" "$rel/$f"
  done
  cp "$rel/libolconnect_wf.dll.a" "$root/lib/"
  x86_64-w64-mingw32-strip --strip-debug -o "$root/lib/libolconnect_wf.a" "$rel/libolconnect_wf.a"
  # The exports, for MSVC: lib /def:olconnect_wf.def /machine:x64 /out:olconnect_wf.lib
  { echo "LIBRARY olconnect_wf.dll"; echo "EXPORTS"
    x86_64-w64-mingw32-objdump -p "$root/bin/olconnect_wf.dll" |
      awk '/\[Ordinal\/Name Pointer\] Table/ { on = 1; next } on && /^\t\[/ { print "    " $3 } on && !/^\t\[/ { on = 0 }'
  } >"$root/lib/olconnect_wf.def"
  cp include/olconnect_wf.h include/olconnect_wf.hpp "$root/include/"
  scripts/package-files.sh "$root/lib/cmake/olconnect_wf" "$VERSION" "$(native_static_libs "$name")" \
    bin/olconnect_wf.dll lib/libolconnect_wf.dll.a
  mv "$root/lib/cmake/olconnect_wf/olconnect_wf.pc" "$root/lib/pkgconfig/"
  cp "$root/bin/olconnect_wf.dll" "$out/native/$name-olconnect_wf.dll"
}

for name in "${names[@]}"; do
  case "$name" in win-*) stage_windows "$name" ;; *) stage_linux "$name" ;; esac
  mkdir -p "$out/stage/$name/share/doc/olconnect_wf"
  cp README.md docs/c-contract.md docs/platforms.md "$out/stage/$name/share/doc/olconnect_wf/"
  tar -C "$out/stage" --owner=0 --group=0 -czf "$out/olconnect_wf-$VERSION-$name.tar.gz" \
    --transform "s,^$name,olconnect_wf-$VERSION-$name," "$name"
  echo "dist: $out/olconnect_wf-$VERSION-$name.tar.gz"
done

# Python wheels: the package with one target's library, tagged for that platform.
for name in "${names[@]}"; do
  lib=$(target_field "$name" 5); tmp=$(mktemp -d)
  cp "$out/native/$name-$lib" "$tmp/$lib"
  rm -rf bindings/python/build bindings/python/src/*.egg-info
  OLCONNECT_WF_LIB="$tmp/$lib" OLCONNECT_WF_WHEEL_PLATFORM="$(target_field "$name" 6)" \
    "$TOOLS/bin/python" -m build -q --wheel --outdir "$out/wheels" bindings/python >"$tmp/log" 2>&1 ||
    { cat "$tmp/log" >&2; exit 1; }
  rm -rf "$tmp" bindings/python/build bindings/python/src/*.egg-info
done
ls "$out/wheels" | sed 's/^/dist: wheel /'

# NuGet: the assembly (compiled here with Mono's mcs) and each target's library.
mkdir -p "$out/csharp"
mcs -langversion:7.2 -warnaserror -optimize+ -target:library -doc:"$out/csharp/OLConnect.Workflow.xml" \
  -r:System.Runtime.Serialization -r:System.Xml -r:System.Xml.Linq \
  -out:"$out/csharp/OLConnect.Workflow.dll" bindings/csharp/src/*.cs
natives=()
for name in "${names[@]}"; do
  lib=$(target_field "$name" 5)
  natives+=("$name=$out/native/$name-$lib=$lib")
done
"$TOOLS/bin/python" scripts/nuget-pack.py --version "$VERSION" --assembly "$out/csharp/OLConnect.Workflow.dll" \
  --docs "$out/csharp/OLConnect.Workflow.xml" --readme bindings/csharp/README.md --out "$out" "${natives[@]}"
