#!/usr/bin/env bash
# Four ONNX MLPs (WIDTH x WIDTH, two layers) under a memory budget, in interleaved rounds (bench/MemoryBench.java):
#   resident  budget for all four (the ceiling)
#   swap      budget for two of the four (their sum is 2x the budget), keepAlive, swapQuantum 2s (checked every 250 ms)
#   floor     budget for one: every change of model is a load from the page cache
# Each: 4 clients cycling through the models; and for swap, 4 clients each on its own model (fairness, budget).
#   bench/memory.sh [SECONDS] [ROUNDS] [WIDTH]   (defaults 15, 3, 2048)
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SECONDS_EACH=${1:-15}; ROUNDS=${2:-3}; WIDTH=${3:-2048}
. "$ROOT/bin/java-home.sh"
"$ROOT/bin/sluice" --version >/dev/null
(cd "$ROOT" && mvn -q -B -ntp -DskipTests install -pl sluice-testkit >/dev/null)
WORK=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
for k in 1 2 3 4; do
  "$JAVA_HOME/bin/java" -cp "$ROOT/sluice-testkit/target/sluice-testkit-0.1.0-SNAPSHOT.jar:$ROOT/sluice-server/target/lib/*" \
    io.sluice.testkit.OnnxModelWriter "$WORK/m$k.onnx" "$WIDTH"
done
SIZE=$(stat -c %s "$WORK/m1.onnx")
PORT=18297; TOKEN=memory-bench-admin-token
serve() { # budget-in-models keepAlive
  local budget=$(( SIZE * $1 + SIZE / 2 ))
  { echo "server: {host: 127.0.0.1, port: $PORT, adminToken: $TOKEN, memoryBudget: \"$budget\", swapQuantum: 2s, autoscalerInterval: 250ms}"
    echo "applications:"; echo "  - name: models"; echo "    deployments:"
    for k in 1 2 3 4; do
      echo "      - {name: m$k, runtime: onnx, storageUri: \"file://$WORK/m$k.onnx\"$2, maxQueueWait: 120s}"
    done; } > "$WORK/sluice.yaml"
  SLUICE_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
    "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/sluice.log" 2>&1 & pids+=($!)
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && return; sleep 0.2; done
  echo "server did not start"; cat "$WORK/sluice.log"; exit 1
}
stop() { kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }
bench() { "$JAVA_HOME/bin/java" "$BENCH/MemoryBench.java" "http://127.0.0.1:$PORT" "$TOKEN" "$1" "$SECONDS_EACH" "$WIDTH"; }
out="$BENCH/results/memory-$(date -u +%Y%m%dT%H%M).md"
mkdir -p "$BENCH/results"
{
  echo "Four ONNX MLPs of $(( SIZE / 1048576 )) MiB each under a memory budget, $(nproc) cores, 4 clients, ${SECONDS_EACH} s per run, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
  for round in $(seq 1 "$ROUNDS"); do
    echo; echo "round $round"
    serve 4 ""; echo -n "resident (budget for 4), cycling:  "; bench cycle; stop
    serve 2 ", keepAlive: 10m"; echo -n "swap (budget for 2), cycling:      "; bench cycle
    echo -n "swap (budget for 2), own model:    "; bench own; stop
    serve 1 ", keepAlive: 10m"; echo -n "floor (budget for 1), cycling:     "; bench cycle; stop
  done
} | tee "$out"
