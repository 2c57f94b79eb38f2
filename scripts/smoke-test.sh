#!/usr/bin/env bash
# Smoke test of a deployed AiFactory, through its gateway only: what the release workflow runs on staging after a
# deploy, and what you can run by hand against any deployment.
#
#   AIFACTORY_GATEWAY=http://localhost:8080 AIFACTORY_API_KEY=... scripts/smoke-test.sh [model.onnx]
#
# 1. infers on the sample model text-direction (OIP REST, the gateway's /v2 path) and checks the answer's shape;
# 2. checks that usage counted those requests (`aifactory usage`);
# 3. rolls a canary back: uploads a copy of the model as a new version (`aifactory models push <file> --model
#    <name>`, which waits until it is ready), gives it 10 % of the traffic (`aifactory traffic set`), rolls back
#    (`aifactory rollback`) and checks that the traffic policy is the one in force before.
#
# Needs curl, jq, python3 and the `aifactory` CLI (AiFactory.Cli, or $AIFACTORY_CLI) on PATH. The key needs the
# admin and infer scopes. The key is read from the environment (AIFACTORY_API_KEY, which the CLI reads too) and
# never put on a command line. [model.onnx] is the model uploaded as the canary; by default the sample model
# scripts/fetch-models.sh lays out (models/text-direction/1/model.onnx). Each run leaves one canary version at
# weight 0 behind (the registry keeps every version; versions are immutable).
set -euo pipefail

: "${AIFACTORY_GATEWAY:?set AIFACTORY_GATEWAY to the gateway URL}"
: "${AIFACTORY_API_KEY:?set AIFACTORY_API_KEY to an API key with the admin and infer scopes}"
export AIFACTORY_GATEWAY AIFACTORY_API_KEY

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model=text-direction
source_model="${1:-$root/models/$model/1/model.onnx}"
cli="${AIFACTORY_CLI:-aifactory}"
requests=3
work="$(mktemp -d)"
canary_has_traffic=false
# A failure after the canary got traffic still rolls it back: staging is never left serving the smoke test's canary.
cleanup() {
  if [ "$canary_has_traffic" = true ]; then
    "$cli" rollback "$model" --reason "aifactory smoke test failed: roll the canary back" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { echo "smoke-test: $*"; }
fail() { echo "smoke-test: FAILED: $*" >&2; exit 1; }

# Polls "$@" every 2 s until it succeeds, for at most $timeout seconds.
wait_for() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$what (waited ${timeout} s)"
    sleep 2
  done
}

# OIP REST through the gateway; the key goes in a header read from a file descriptor, not from the command line.
infer() {
  curl -sS --fail-with-body -X POST "$AIFACTORY_GATEWAY/v2/models/$model/infer" \
    -H @<(printf 'Authorization: Bearer %s\n' "$AIFACTORY_API_KEY") -H 'Content-Type: application/json' \
    -H 'Cache-Control: no-cache' --data-binary @"$work/request.json"
}

usage_of_model() {
  "$cli" usage --json | jq --arg model "$model" '[.rows[] | select(.model == $model and .status == 200) | .requests] | add // 0'
}

[ -f "$source_model" ] || fail "$source_model is missing: run scripts/fetch-models.sh or pass a model file"

step "1/3 infer on $model through $AIFACTORY_GATEWAY"
before="$(usage_of_model)"
python3 -c 'import json; print(json.dumps({"id": "smoke", "inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3, 48, 192], "data": [0.5] * (3 * 48 * 192)}]}))' \
  >"$work/request.json"
for i in $(seq "$requests"); do
  infer >"$work/response.json" || fail "inference $i: $(cat "$work/response.json")"
  jq -e '.model_name == "text-direction" and .outputs[0].shape == [1, 2] and (.outputs[0].data | length) == 2' \
    "$work/response.json" >/dev/null || fail "unexpected answer: $(cat "$work/response.json")"
done

step "2/3 usage counts the $requests requests (usage is written every few seconds)"
counted() { [ "$(usage_of_model)" -ge $((before + requests)) ]; }
wait_for 60 "usage of $model did not grow from $before by $requests" counted

step "3/3 canary: upload, 10 % of the traffic, roll back"
# A different artifact with the same graph: appending a field to a protobuf message is valid protobuf, and the
# ModelProto's doc_string (field 6, length-delimited: tag 0x32) changes nothing the runtime executes.
cp "$source_model" "$work/canary.onnx"
note="aifactory smoke test $(date -u +%Y%m%dT%H%M%SZ)"
printf "\\x32\\x$(printf '%02x' "${#note}")%s" "$note" >>"$work/canary.onnx"

"$cli" models show "$model" --json >"$work/before.json"
stable="$(jq -r '.traffic.desired | to_entries | max_by(.value) | .key' "$work/before.json")"
[[ -n "$stable" && "$stable" != null ]] || fail "$model has no version taking traffic: $(cat "$work/before.json")"

# The CLI waits for validation: exit 0 when the version is ready, 7 (with the report on stdout) when it is invalid.
"$cli" models push "$work/canary.onnx" --model "$model" --timeout 10m --json >"$work/pushed.json" \
  || fail "the canary was not accepted (aifactory exit code $?): $(cat "$work/pushed.json")"
canary="$(jq -r '.version' "$work/pushed.json")"
step "canary version $canary is ready (stable $stable)"

canary_has_traffic=true
"$cli" traffic set "$model" "$stable=90" "$canary=10" --reason "$note: canary"
"$cli" models show "$model" --json | jq -e --arg v "$canary" '.traffic.desired[$v] == 10' >/dev/null \
  || fail "the canary does not have 10 % of the traffic"

"$cli" rollback "$model" --reason "$note: roll the canary back"
canary_has_traffic=false
"$cli" models show "$model" --json >"$work/after.json"
jq -e --slurpfile before "$work/before.json" '.traffic.desired == $before[0].traffic.desired' "$work/after.json" >/dev/null \
  || fail "after the rollback the traffic is $(jq -c '.traffic.desired' "$work/after.json"), before it was $(jq -c '.traffic.desired' "$work/before.json")"

step "passed"
