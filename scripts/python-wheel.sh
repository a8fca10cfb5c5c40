#!/usr/bin/env bash
# Builds the Python wheel and sdist into build/wheel (make wheel):
#   - the wheel bundles target/release/libolconnect_wf.so and is tagged py3-none-manylinux_X_Y_ARCH
#     (setup.py reads the glibc floor from the library); `auditwheel show` must agree;
#   - the sdist carries the Rust sources; with --check-sdist, a wheel is built from it alone
#     (cargo compiles the library from the sdist's own sources).
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/wheel
venv=build/wheel-tools
rm -rf "$out"
mkdir -p "$out"
test -x "$venv/bin/python" || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check build auditwheel
OLCONNECT_WF_LIB="$PWD/target/release/libolconnect_wf.so" \
  "$venv/bin/python" -m build -q --wheel --sdist --outdir "$out" bindings/python >/dev/null
wheel=$(ls "$out"/*.whl)
echo "built $(basename "$wheel") and $(basename "$(ls "$out"/*.tar.gz)")"
case "$wheel" in
  *-py3-none-manylinux_*_x86_64.whl) ;;
  *) echo "unexpected wheel tag: $wheel" >&2; exit 1 ;;
esac
tag=$(basename "$wheel" .whl | sed 's/.*-py3-none-//')
report=$("$venv/bin/auditwheel" show "$wheel" | tr -s "\n " "  ")
echo "$report" | grep -q "consistent with the following platform tag: \"$tag\"" || {
  echo "auditwheel disagrees with the tag $tag:" >&2
  echo "$report" >&2
  exit 1
}
echo "auditwheel: consistent with $tag"
if [ "${1:-}" = --check-sdist ]; then
  sdist=$(ls "$out"/*.tar.gz)
  # Built from the sdist alone (no workspace, no prebuilt library); the compiled dependencies
  # of the workspace's target folder are reused, so only the crate itself is compiled.
  env -u OLCONNECT_WF_LIB CARGO_TARGET_DIR="$PWD/target" \
    "$venv/bin/pip" wheel -q --no-deps --disable-pip-version-check -w "$out/from-sdist" "$sdist" >/dev/null
  built=$(ls "$out"/from-sdist/*.whl)
  python3 -c "import sys, zipfile; names = zipfile.ZipFile(sys.argv[1]).namelist(); assert 'olconnect_wf/_lib/libolconnect_wf.so' in names, names" "$built"
  echo "sdist: built $(basename "$built") from its own Rust sources"
fi
