#!/usr/bin/env bash
# Replays docs/openapi.yaml against the simulator with schemathesis (property-based: examples,
# coverage, fuzzing and stateful phases) and fails on any status, content type, header or body
# the document does not allow, and on any dropped connection or crash. Then checks that the
# check can fail: a simulator answering an undocumented status must be caught.
# CONTRACT_SECONDS (default 60) bounds the main run; the seed is printed to replay a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=build/schemathesis
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'schemathesis==4.32.5'
fi
export PYTHONPATH=tests/sim SCHEMATHESIS_HOOKS=st_hooks
checks=status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
st() {
  "$venv/bin/st" run docs/openapi.yaml --url "$SIM_URL/rest/serverengine" -a ol-admin:secret \
    --checks "$checks" --request-timeout 10 "$@"
}
export -f st
export venv checks

echo "== the contract, ${CONTRACT_SECONDS:-60} s"
scripts/with-sim.sh --op-duration-ms 0 --output-size 4096 -- \
  bash -c 'st --max-time "${CONTRACT_SECONDS:-60}" -w 2'

echo "== the check itself: an undocumented answer must fail it"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if scripts/with-sim.sh --op-duration-ms 0 --fault 'getOperations:error-500-text:message=odd:times=always' -- \
  bash -c 'st --include-operation-id getOperations --phases examples,coverage --max-time 20' >"$log" 2>&1; then
  cat "$log"
  echo "FAIL: a 500 text/plain answer, which docs/openapi.yaml does not allow, was not caught" >&2
  exit 1
fi
grep -q "Undocumented status code" "$log" || { cat "$log"; echo "FAIL: not caught for its status" >&2; exit 1; }
echo "ok: the undocumented status was caught"
