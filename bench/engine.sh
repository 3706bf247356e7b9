#!/usr/bin/env bash
# Engine benchmarks on a batchable ONNX model (a 2-layer perceptron with a dynamic batch dimension and
# random weights, written by sluice-testkit's OnnxModelWriter):
#   1. routing overhead: 1 replica vs the same model behind 2 replicas (V2 REST infer, wrk, 64 connections)
#   2. batching: maxBatchSize 8 vs no batching, same load
#   3. cold start from zero: time to first response minus the replica's model load time (5 runs)
#
#   bench/engine.sh [SECONDS] [WIDTH]     (defaults: 10 s per point, width 512)
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
DURATION=${1:-10}
WIDTH=${2:-512}
. "$ROOT/bin/java-home.sh"
command -v wrk >/dev/null 2>&1 || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get install -y -q wrk; }
"$ROOT/bin/sluice" --version >/dev/null
(cd "$ROOT" && mvn -q -B -ntp -DskipTests install -pl sluice-testkit >/dev/null)
CP="$ROOT/sluice-testkit/target/sluice-testkit-0.1.0-SNAPSHOT.jar:$ROOT/sluice-server/target/lib/*"

WORK=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
"$JAVA_HOME/bin/java" -cp "$CP" io.sluice.testkit.OnnxModelWriter "$WORK/mlp.onnx" "$WIDTH"

PORT=18093
TOKEN=bench-admin-token-0123456789
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT, adminToken: $TOKEN, autoscalerInterval: 100ms}
applications:
  - name: bench
    deployments:
      - {name: one, runtime: onnx, storageUri: "file://$WORK/mlp.onnx", maxOngoingRequests: 64}
      - {name: two, runtime: onnx, storageUri: "file://$WORK/mlp.onnx", numReplicas: 2, maxOngoingRequests: 32}
      - {name: batched, runtime: onnx, storageUri: "file://$WORK/mlp.onnx", maxOngoingRequests: 64,
         batching: {maxBatchSize: 8, batchWaitTimeout: 2ms}}
      - name: cold
        runtime: onnx
        storageUri: "file://$WORK/mlp.onnx"
        autoscaling: {minReplicas: 0, maxReplicas: 1, initialReplicas: 1, downscaleDelay: 1s, scaleToZeroDelay: 1s, lookBackPeriod: 500ms}
YAML
SLUICE_JAVA_OPTS="-Xms1g -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
  "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/out.log" 2>&1 & pid=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && break; sleep 0.1; done

DATA=$(seq 1 "$WIDTH" | awk '{printf "%s%.3f", (NR>1?",":""), ($1 % 13) / 13.0 - 0.5}')
echo "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,$WIDTH],\"datatype\":\"FP32\",\"data\":[$DATA]}]}" > "$WORK/body.json"

run() { # model -> "rps p99"
  local out
  out=$(BODY_FILE="$WORK/body.json" wrk -t2 -c64 -d"${DURATION}s" --latency -s "$BENCH/post.lua" \
    "http://127.0.0.1:$PORT/v2/models/$1/infer")
  echo "$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}') $(echo "$out" | awk '$1=="99%" {print $2}')"
}
echo "warming up ..." >&2
run one > /dev/null; run batched > /dev/null
read -r one_rps one_p99 <<< "$(run one)"
read -r two_rps two_p99 <<< "$(run two)"
read -r bat_rps bat_p99 <<< "$(run batched)"

status() { curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/status"; }
cold_runs=()
for i in 1 2 3 4 5; do
  for _ in $(seq 1 300); do
    n=$(status | python3 -c 'import json,sys; d=[d for a in json.load(sys.stdin)["applications"] for d in a["deployments"] if d["name"]=="cold"][0]; print(sum(len(r["replicas"]) for r in d["revisions"]))')
    [ "$n" = "0" ] && break; sleep 0.1
  done
  total=$(curl -s -o /dev/null -w '%{time_total}' -X POST --data-binary @"$WORK/body.json" "http://127.0.0.1:$PORT/v2/models/cold/infer")
  load=$(status | python3 -c 'import json,sys; d=[d for a in json.load(sys.stdin)["applications"] for d in a["deployments"] if d["name"]=="cold"][0]; print(d["revisions"][0]["replicas"][0]["loadMs"])')
  cold_runs+=("$(awk -v t="$total" -v l="$load" 'BEGIN { printf "%.1f %.1f %.1f", t*1000, l, t*1000-l }')")
done

{
  echo "Engine, $(nproc) cores, MLP width $WIDTH, ${DURATION}s per point, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| case | rps | p99 | ratio |"
  echo "|---|---|---|---|"
  echo "| 1 replica | $one_rps | $one_p99 | 1.00 |"
  echo "| 2 replicas (router spreads, same cores) | $two_rps | $two_p99 | $(awk -v a="$two_rps" -v b="$one_rps" 'BEGIN{printf "%.2f", a/b}') |"
  echo "| 1 replica, batching maxBatchSize 8 | $bat_rps | $bat_p99 | $(awk -v a="$bat_rps" -v b="$one_rps" 'BEGIN{printf "%.2f", a/b}') |"
  echo
  echo "| cold start run | first response ms | model load ms | platform overhead ms |"
  echo "|---|---|---|---|"
  i=1; for r in "${cold_runs[@]}"; do read -r t l o <<< "$r"; echo "| $i | $t | $l | $o |"; i=$((i+1)); done
} | tee "$BENCH/results/engine-$(date -u +%Y%m%dT%H%M).md" 2>/dev/null || true
