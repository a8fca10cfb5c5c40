#!/usr/bin/env bash
# Installs, from Debian's packages, what the tests need and the machine lacks: the C toolchain,
# valgrind, Mono (C# tests), libcurl headers, wrk and GNU time (benchmark smoke run), cmake and
# pkg-config (install tests), iproute2 and nftables (network fault tests), poppler-utils and
# qpdf (the simulator's PDFs are opened and checked), nginx-light (benchmark reference server). Does
# nothing when all is there; needs root (or sudo) otherwise.
set -euo pipefail
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need cc gcc
need g++ g++
need make make
need valgrind valgrind
need curl curl
need wrk wrk
need mcs mono-mcs
need mono mono-runtime
need curl-config libcurl4-openssl-dev
need cmake cmake
need pkg-config pkg-config
need objcopy binutils
need ip iproute2
need tc iproute2
need nft nftables
need pdftoppm poppler-utils
need pdfinfo poppler-utils
need qpdf qpdf
need nginx nginx-light
[ -x /usr/bin/time ] || missing+=(time)
# The C# wrapper parses the server's JSON with the framework's own JsonReaderWriterFactory.
[ -f /usr/lib/mono/4.5/System.Runtime.Serialization.dll ] || missing+=(libmono-system-runtime-serialization4.0-cil)
[ -f /usr/lib/mono/4.5/System.Xml.Linq.dll ] || missing+=(libmono-system-xml-linq4.0-cil)
python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# A mirror caught mid-sync fails an index or two; the lists it has are usually enough.
$sudo apt-get update -qq || echo "apt-get update reported errors; installing from the package lists at hand" >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
