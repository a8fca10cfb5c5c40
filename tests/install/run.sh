#!/usr/bin/env bash
# Installs the library into a temporary prefix and uses it like any C library: SONAME and links
# (readelf), a C program through pkg-config (shared and static), a C++ program through CMake's
# find_package (shared and static), all run against $SIM_URL; the headers compile cleanly as C99
# and C++11 with -Wpedantic; uninstall leaves nothing. Prints "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
passed=0
failed=0
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@" >/dev/null 2>"$work/err"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $what" >&2
    sed 's/^/  /' "$work/err" >&2
  fi
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}

PREFIX="$prefix" scripts/install.sh install >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
lib="$prefix/lib"
check "SONAME is libolconnect_wf.so.$major" sh -c "readelf -d '$lib/libolconnect_wf.so.$version' | grep -q 'SONAME.*\[libolconnect_wf.so.$major\]'"
check "libolconnect_wf.so.$major links to the versioned file" test "$(readlink "$lib/libolconnect_wf.so.$major")" = "libolconnect_wf.so.$version"
check "libolconnect_wf.so links to the SONAME" test "$(readlink "$lib/libolconnect_wf.so")" = "libolconnect_wf.so.$major"
check "the shared library is stripped" sh -c "! readelf -S '$lib/libolconnect_wf.so.$version' | grep -q '\.debug_info'"
check "its debug info is apart and linked" sh -c "readelf -S '$lib/.debug/libolconnect_wf.so.$version.debug' | grep -q '\.debug_info' && readelf -S '$lib/libolconnect_wf.so.$version' | grep -q gnu_debuglink"
check "the static library has no debug info" sh -c "! readelf -S '$lib/libolconnect_wf.a' 2>/dev/null | grep -q '\.debug_info'"
check "the simulator is installed" test -x "$prefix/bin/olconnect-sim"
check "its --help is a manual" sh -c "\"$prefix/bin/olconnect-sim\" --help | grep -q 'close-mid-body'"
sample="$prefix/share/doc/olconnect_wf/olconnect-sim.sample.toml"
check "its sample configuration is installed" test -f "$sample"
check "the installed simulator starts with the installed sample" sh -c "
  \"$prefix/bin/olconnect-sim\" --port 0 --config '$sample' >'$work/sim.out' 2>&1 & pid=\$!
  for _ in \$(seq 100); do grep -q '^listening on http://' '$work/sim.out' && break; sleep 0.05; done
  kill \$pid; grep -q '^listening on http://' '$work/sim.out'"
check "cargo install --path sim installs the simulator alone" sh -c "
  CARGO_TARGET_DIR=target cargo install --quiet --locked --path sim --root '$work/cargo-root' &&
  '$work/cargo-root/bin/olconnect-sim' --version | grep -q 'olconnect-sim $version'"
check "olcwf is installed and runs" sh -c "\"$prefix/bin/olcwf\" --version | grep -q \"olcwf $version\""
man1="$prefix/share/man/man1"
check "olconnect-sim has a manual page" grep -q '^\.TH olconnect-sim 1' "$man1/olconnect-sim.1"
check "olcwf has a manual page, and one per command" sh -c "test -f '$man1/olcwf.1' && test -f '$man1/olcwf-run.1' && test -f '$man1/olcwf-resume.1' && grep -q 'EXTRA\|Examples' '$man1/olcwf-run.1'"
check "olcwf's completions are installed" sh -c "grep -q olcwf '$prefix/share/bash-completion/completions/olcwf' && grep -q olcwf '$prefix/share/zsh/site-functions/_olcwf' && grep -q olcwf '$prefix/share/fish/vendor_completions.d/olcwf.fish'"
check "the bash completion completes olcwf's commands" bash -c "source '$prefix/share/bash-completion/completions/olcwf' && COMP_WORDS=(olcwf res) COMP_CWORD=1 && _olcwf olcwf res olcwf && printf '%s\n' \"\${COMPREPLY[@]}\" | grep -qx resume"
check "the docs are installed" sh -c "test -f '$prefix/share/doc/olconnect_wf/README.md' && test -f '$prefix/share/doc/olconnect_wf/simulator.md' && test -f '$prefix/share/doc/olconnect_wf/c-contract.md'"
check "the installed simulator's --help points to files that exist" sh -c "
  \"$prefix/bin/olconnect-sim\" --help >'$work/sim-help.txt' &&
  ref=\$(grep -o '/[^ ]*/simulator\.md' '$work/sim-help.txt') && test -f \"\$ref\" &&
  sample=\$(grep -o '/[^ ]*/olconnect-sim\.sample\.toml' '$work/sim-help.txt') && test -f \"\$sample\""

export PKG_CONFIG_PATH="$lib/pkgconfig"
check "pkg-config knows the version" test "$(pkg-config --modversion olconnect_wf)" = "$version"
check "C program, shared, through pkg-config" sh -c "cc -std=c11 -Wall -Wextra -Werror examples/fetch_result.c -o '$work/c_shared' \$(pkg-config --cflags --libs olconnect_wf) -Wl,-rpath,'$lib'"
check "it needs the SONAME" sh -c "readelf -d '$work/c_shared' | grep -q 'NEEDED.*libolconnect_wf.so.$major'"
check "it runs the main job" "$work/c_shared" "$SIM_URL" "$work/out-shared.pdf"
check "C program, static, through pkg-config" sh -c "cc -std=c11 -Wall -Wextra -Werror examples/fetch_result.c -o '$work/c_static' \$(pkg-config --cflags olconnect_wf) \"\$(pkg-config --variable=libdir olconnect_wf)/libolconnect_wf.a\" \$(pkg-config --variable=static_libs olconnect_wf)"
check "it does not need the shared library" sh -c "! readelf -d '$work/c_static' | grep -q libolconnect_wf"
check "it runs the main job" "$work/c_static" "$SIM_URL" "$work/out-static.pdf"

check "C++ program through CMake find_package" sh -c "cmake -S tests/install/cmake -B '$work/cmake' -DCMAKE_PREFIX_PATH='$prefix' && cmake --build '$work/cmake'"
check "it runs (shared)" sh -c "test \"\$('$work/cmake/consumer' '$SIM_URL')\" = 777"
check "it runs (static)" sh -c "test \"\$('$work/cmake/consumer_static' '$SIM_URL')\" = 777 && ! readelf -d '$work/cmake/consumer_static' | grep -q libolconnect_wf"

printf '#include <olconnect_wf.h>\nint main(void) { return wf_abi_version() == WF_ABI_VERSION ? 0 : 1; }\n' >"$work/h.c"
check "olconnect_wf.h is clean C99" cc -std=c99 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$prefix/include" "$work/h.c"
check "olconnect_wf.h is clean C++11" c++ -x c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$prefix/include" "$work/h.c"
printf '#include <olconnect_wf.hpp>\nint main() { return 0; }\n' >"$work/hpp.cpp"
for std in c++17 c++20; do
  check "olconnect_wf.hpp is clean $std" c++ -std=$std -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$prefix/include" "$work/hpp.cpp"
done
check "olconnect_wf.hpp refuses C++14 with a clear message" sh -c "! c++ -std=c++14 -fsyntax-only -I'$prefix/include' '$work/hpp.cpp' 2>&1 | grep -q . || c++ -std=c++14 -fsyntax-only -I'$prefix/include' '$work/hpp.cpp' 2>&1 | grep -q 'needs C++17'"

# A DESTDIR staging install lands under DESTDIR only.
check "DESTDIR staging" sh -c "DESTDIR='$work/stage' PREFIX=/usr scripts/install.sh install && test -f '$work/stage/usr/lib/libolconnect_wf.so.$version' && DESTDIR='$work/stage' PREFIX=/usr scripts/install.sh uninstall && test -z \"\$(find '$work/stage' -type f -o -type l)\""

PREFIX="$prefix" scripts/install.sh uninstall >/dev/null
check "uninstall leaves nothing" test -z "$(find "$prefix" -type f -o -type l)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
