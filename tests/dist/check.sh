#!/usr/bin/env bash
# Checks what make dist produced (build/dist), as a user would receive it:
#   - each tarball has the library, its links or import library, the headers, pkg-config and
#     CMake files; the libraries are stripped; the DLL exports exactly the header's functions;
#   - each Linux library needs no newer C library than its target's floor (targets.tsv);
#   - the linux-x64 tarball builds and runs a C test through pkg-config, from its own folder;
#   - each wheel carries its target's library under the loader's file name, with the target's
#     platform tag (auditwheel agrees for the Linux ones); the linux-x64 wheel, installed into a
#     fresh venv, passes the Python test suite with no cargo anywhere;
#   - the NuGet package has its .nuspec and runtimes/RID/native/ for every target, byte for byte.
source "$(dirname "$0")/../../scripts/cross/common.sh"
cd "$ROOT"
dist=build/dist
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
header_functions() { grep -o '\bwf_[a-z0-9_]*(' include/olconnect_wf.h | tr -d '(' | sort -u; }
mapfile -t names < <(target_names)

for name in "${names[@]}"; do
  tarball=$dist/olconnect_wf-$VERSION-$name.tar.gz
  [ -f "$tarball" ] || { bad "$tarball is missing"; continue; }
  top=olconnect_wf-$VERSION-$name
  list=$(tar -tzvf "$tarball")
  case "$name" in
    win-*) expect=(bin/olconnect_wf.dll bin/olcwf.exe bin/olconnect-sim.exe lib/libolconnect_wf.dll.a
                   lib/olconnect_wf.def lib/libolconnect_wf.a) ;;
    *) expect=("lib/libolconnect_wf.so.$VERSION" lib/libolconnect_wf.so.0 lib/libolconnect_wf.so lib/libolconnect_wf.a
               "lib/.debug/libolconnect_wf.so.$VERSION.debug") ;;
  esac
  expect+=(include/olconnect_wf.h include/olconnect_wf.hpp lib/pkgconfig/olconnect_wf.pc
           lib/cmake/olconnect_wf/olconnect_wfConfig.cmake share/doc/olconnect_wf/platforms.md)
  for f in "${expect[@]}"; do
    grep -q " $top/$f\( \|$\)" <<<"$list" || bad "$name: $f is not in $tarball"
  done
  grep -q " $top/lib/libolconnect_wf.so.0 -> libolconnect_wf.so.$VERSION" <<<"$list" || [[ $name == win-* ]] ||
    bad "$name: the SONAME link is missing"
  lib=$dist/native/$name-$(target_field "$name" 5)
  if objdump -h "$lib" 2>/dev/null | grep -q '\.debug_info'; then bad "$name: $lib is not stripped"; fi
  case "$name" in
    win-*)
      tmp=$(mktemp -d); tar -C "$tmp" -xzf "$tarball"
      diff <(header_functions) <(awk '/^ +wf_/ { print $1 }' "$tmp/$top/lib/olconnect_wf.def" | sort -u) >/dev/null ||
        bad "$name: the DLL's exports differ from the header's functions"
      rm -rf "$tmp" ;;
    *)
      got=$(objdump -T "$lib" | { grep -o 'GLIBC_[0-9.]*' || true; } | sort -uV | tail -n 1 | sed 's/GLIBC_//')
      want=$(target_field "$name" 7)
      case "$want" in
        glibc*) [ "$(printf '%s\n%s\n' "$got" "${want#glibc }" | sort -V | tail -n 1)" = "${want#glibc }" ] ||
                  bad "$name: needs GLIBC_$got, above its floor ($want)" ;;
        musl*) [ -z "$got" ] || bad "$name: a musl library needs GLIBC_$got" ;;
      esac
      if [ -n "$got" ]; then echo "$name: needs GLIBC_$got at most"; else echo "$name: needs no glibc symbol"; fi ;;
  esac
done

# The linux-x64 tarball used from its own folder, through pkg-config, against the simulator.
tmp=$(mktemp -d)
tar -C "$tmp" -xzf "$dist/olconnect_wf-$VERSION-linux-x64.tar.gz"
prefix=$tmp/olconnect_wf-$VERSION-linux-x64
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Werror tests/c/test_core.c -o "$tmp/test_core" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs olconnect_wf) -lpthread -Wl,-rpath,"$prefix/lib"
scripts/with-sim.sh --control true --op-duration-ms 0 --spool-content pattern -- sh -c "$tmp/test_core \"\$SIM_URL\" >/dev/null" ||
  bad "the linux-x64 tarball's library fails the C core test"
rm -rf "$tmp"

# Wheels.
for name in "${names[@]}"; do
  tag=$(target_field "$name" 6); lib=$(target_field "$name" 5)
  wheel=$(ls "$dist"/wheels/olconnect_wf-"$VERSION"-py3-none-"$tag".whl 2>/dev/null || true)
  [ -n "$wheel" ] || { bad "$name: no wheel tagged $tag"; continue; }
  python3 - "$wheel" "olconnect_wf/_lib/$lib" "$dist/native/$name-$lib" <<'PY' || bad "$name: $wheel does not carry the target's library"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
libs = [n for n in z.namelist() if n.startswith("olconnect_wf/_lib/")]
assert libs == [sys.argv[2]], libs
assert z.read(sys.argv[2]) == open(sys.argv[3], "rb").read()
PY
  case "$tag" in
    *linux*)
      first=${tag%%.*}
      ldpaths=(); [[ $tag == musllinux* ]] && ldpaths=(--ldpaths /usr/lib/x86_64-linux-musl) # musl-tools' C library
      "$TOOLS/bin/auditwheel" show "${ldpaths[@]}" "$wheel" 2>&1 | tr -s '\n ' '  ' | grep -q "consistent with the following platform tag: \"$first\"" ||
        bad "$name: auditwheel does not find $wheel consistent with $first" ;;
  esac
  echo "$name: $(basename "$wheel")"
done
venv=build/dist-venv
rm -rf "$venv"; python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check pytest "$dist"/wheels/*manylinux2014_x86_64.whl
nocargo=build/no-cargo; mkdir -p "$nocargo"
printf '#!/bin/sh\necho "cargo is hidden: the wheel must work without Rust" >&2\nexit 127\n' >"$nocargo/cargo"; chmod +x "$nocargo/cargo"
path=$(echo "$PATH" | tr ':' '\n' | grep -v cargo | paste -sd:)
(cd bindings/python && env -u OLCONNECT_WF_LIB PATH="$ROOT/$nocargo:$ROOT/$venv/bin:$path" OLCONNECT_WF_EXPECT_BUNDLED=1 \
  python -m pytest -q -p no:cacheprovider tests -k "not typing") || bad "the linux-x64 wheel fails the Python tests"

# NuGet.
nupkg=$dist/OLConnect.Workflow.$VERSION.nupkg
python3 - "$nupkg" "$VERSION" "$dist" "${names[@]}" <<'PY' || bad "$nupkg: wrong layout or .nuspec"
import sys, zipfile, xml.etree.ElementTree as ET
path, version, dist, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
libs = {n: ("olconnect_wf.dll" if n.startswith("win") else "libolconnect_wf.so") for n in names}
z = zipfile.ZipFile(path)
entries = set(z.namelist())
for need in ["[Content_Types].xml", "_rels/.rels", "OLConnect.Workflow.nuspec", "lib/net45/OLConnect.Workflow.dll",
             "lib/net45/OLConnect.Workflow.xml", "README.md"]:
    assert need in entries, f"{need} missing"
assert any(e.startswith("package/services/metadata/core-properties/") for e in entries)
for rid, lib in libs.items():
    name = f"runtimes/{rid}/native/{lib}"
    assert name in entries, f"{name} missing"
    assert z.read(name) == open(f"{dist}/native/{rid}-{lib}", "rb").read(), f"{name} differs"
assert {e.split("/")[1] for e in entries if e.startswith("runtimes/")} == set(names), "unexpected RIDs"
ns = {"n": "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"}
meta = ET.fromstring(z.read("OLConnect.Workflow.nuspec")).find("n:metadata", ns)
assert meta.find("n:id", ns).text == "OLConnect.Workflow"
assert meta.find("n:version", ns).text == version
assert meta.find("n:license", ns).get("type") == "expression"
print(f"{path}: {len(entries)} entries, runtimes {sorted(libs)}")
PY
[ $fail -eq 0 ] && echo "dist: every artifact checked"
exit $fail
