#!/usr/bin/env bash
# Real network faults: the simulator runs in its own network namespace behind a veth pair, and
# the olcwf CLI (the library) downloads from it across that link while it is shaped with tc tbf
# (rate and queueing delay) and cut with an nftables drop rule (a partition). Checks: correct
# bytes through a slow link; a partition in the middle of a download ends with the timeout
# status within the read timeout, leaving no file; the next download after the partition heals
# is whole and correct; a connect into the partition ends within the connect timeout (times the
# attempts, when retries are on).
# Loss, jitter and reordering need tc netem, which this kernel lacks: see docs/RELIABILITY.md.
# Needs root; skips with a message where namespaces cannot be made.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
sim=$root/target/release/olconnect-sim
cli=$root/target/release/olcwf
tag=$$
ns=wfsim$tag
host=wfh$tag
peer=wfp$tag
table=wftest$tag
work=$(mktemp -d)
passed=0
failed=0

if [ "$(id -u)" -ne 0 ] || ! ip netns add "$ns" 2>/dev/null; then
  echo "SKIP: network namespaces need root and a kernel that allows them (ip netns add failed)"
  exit 0
fi
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
  nft delete table inet "$table" 2>/dev/null || true
  ip link del "$host" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

check() { # check NAME CONDITION...
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name" >&2
  fi
}

ip link add "$host" type veth peer name "$peer"
ip link set "$peer" netns "$ns"
ip addr add 10.77.0.1/24 dev "$host"
ip link set "$host" up
ip netns exec "$ns" ip addr add 10.77.0.2/24 dev "$peer"
ip netns exec "$ns" ip link set "$peer" up
ip netns exec "$ns" ip link set lo up

ip netns exec "$ns" "$sim" --bind 10.77.0.2 --port 9340 --op-duration-ms 0 --spool-content pattern >"$work/sim.log" 2>&1 &
sim_pid=$!
export OLCONNECT_URL=http://10.77.0.2:9340 OLCONNECT_USER=ol-admin OLCONNECT_PASSWORD=secret
for _ in $(seq 50); do "$cli" -q version >/dev/null 2>&1 && break; sleep 0.1; done

config() { # config SIZE: a one-file PDF job of SIZE bytes
  printf '{"datamining":{"identifier":"invoices.csv","config":"Invoice.OL-datamapper"},"contentcreation":{"config":"Invoice.OL-template"},"jobcreation":{},"outputcreation":{"config":"Invoice-PDF.OL-outputpreset","parameters":{"sim_output_size":%s}},"returnIdInHeader":true}' "$1" >"$work/config-$1.json"
  echo "$work/config-$1.json"
}
submit() { "$cli" -q submit "$(config "$1")"; }
elapsed_since() { echo $(( $(date +%s%N) / 1000000 - $1 )); }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

small=$(submit 20000000)
large=$(submit 200000000)
"$cli" -q wait "$small"
"$cli" -q wait "$large"

# 1. Through a slow link (40 Mbit/s each way, up to 100 ms of queueing): whole and correct.
ip netns exec "$ns" tc qdisc add dev "$peer" root tbf rate 40mbit burst 64kb latency 100ms
tc qdisc add dev "$host" root tbf rate 40mbit burst 64kb latency 100ms
start=$(now_ms)
status=0
"$cli" -q get-result "$small" -o "$work/slow.bin" || status=$?
echo "slow link: 20 MB in $(elapsed_since "$start") ms, exit $status"
check "slow link: success" test "$status" -eq 0
check "slow link: every byte" test "$(stat -c %s "$work/slow.bin" 2>/dev/null)" = 20000000

# 2. A partition 2 s into a 200 MB download (50 s at this rate): the read timeout (3 s) ends it
#    with the connection/timeout exit code, and no file (not even a temporary one) is left.
mkdir "$work/cut"
start=$(now_ms)
status=0
"$cli" -q --read-timeout 3 get-result "$large" -o "$work/cut/large.bin" &
pid=$!
sleep 2
nft add table inet "$table"
nft add chain inet "$table" in '{ type filter hook input priority 0 ; }'
nft add chain inet "$table" out '{ type filter hook output priority 0 ; }'
nft add rule inet "$table" in iifname "$host" drop
nft add rule inet "$table" out oifname "$host" drop
wait "$pid" || status=$?
took=$(elapsed_since "$start")
echo "partition: ended after $took ms, exit $status, left: $(ls -A "$work/cut" | wc -l) files"
check "partition: timeout exit code 6" test "$status" -eq 6
check "partition: ends within the read timeout (2 s + 3 s + 2 s slack)" test "$took" -lt 7000
check "partition: no file left" test -z "$(ls -A "$work/cut")"

# 3. A connect into the partition ends within the connect timeout (2 s) when retries are off;
#    with the default retries (4 attempts, pauses from 0.25 s doubling: a connect that could not
#    be made is retried), within 4 connect timeouts and the pauses (8 s + 1.75 s).
start=$(now_ms)
status=0
"$cli" -q --retry 0 --connect-timeout 2 version >/dev/null 2>&1 || status=$?
took=$(elapsed_since "$start")
echo "connect into the partition, no retry: exit $status after $took ms"
check "connect: exit code 6" test "$status" -eq 6
check "connect: within 2 s + 2 s slack" test "$took" -lt 4000
start=$(now_ms)
status=0
"$cli" -q --connect-timeout 2 version >/dev/null 2>&1 || status=$?
took=$(elapsed_since "$start")
echo "connect into the partition, default retries: exit $status after $took ms"
check "connect, retried: exit code 6" test "$status" -eq 6
check "connect, retried: 4 attempts, within 8 s + 1.75 s + 2 s slack" test "$took" -ge 8000 -a "$took" -lt 11750

# 4. The partition heals: the next download is whole and identical to the first.
nft delete table inet "$table"
status=0
"$cli" -q get-result "$small" -o "$work/again.bin" || status=$?
check "healed: success" test "$status" -eq 0
check "healed: same bytes" cmp -s "$work/slow.bin" "$work/again.bin"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
