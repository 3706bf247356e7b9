#!/usr/bin/env bash
# LLM decode benchmark on a random-weight GGUF of a real shape (written by RandomModelWriter): Sluice's
# streaming chat endpoint (llama.cpp in a worker process) vs a bare in-process llama.cpp loop, and vs
# llama.cpp's own llama-server when $LLAMA_SERVER (or ~/.cache/sluice/peers/llama.cpp/build/bin/llama-server)
# exists: bench/build-llama-server.sh builds it from the source inside the npm package node-llama-cpp@3.21.1.
#   bench/llm.sh [TOKENS] [SHAPE]   (defaults 200 and "qwen2.5-0.5b q8_0": Qwen2.5-0.5B's shape, Q8_0, 529 MB;
#                                    SHAPE "768 12" is a tiny-style F32 llama of that width and depth)
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
TOKENS=${1:-200}; SHAPE=${2:-qwen2.5-0.5b q8_0}
. "$ROOT/bin/java-home.sh"
"$ROOT/bin/sluice" --version >/dev/null
WORK=$(mktemp -d); pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
CP="$ROOT/sluice-server/target/sluice-server.jar:$ROOT/sluice-server/target/lib/*"
"$JAVA_HOME/bin/java" -cp "$CP" io.sluice.runtime.llama.gguf.RandomModelWriter "$WORK/model.gguf" $SHAPE
PORT=18096
PEER=${LLAMA_SERVER:-$HOME/.cache/sluice/peers/llama.cpp/build/bin/llama-server}
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
applications:
  - name: llm
    deployments:
      - {name: llm, runtime: llama-cpp, hosting: worker, storageUri: "file://$WORK/model.gguf",
         settings: {parallel: "4", ctxSize: "16384", threads: "2"}, maxOngoingRequests: 8}
YAML
if [ -x "$PEER" ]; then   # the same peer, started and proxied by Sluice's openai-upstream runtime
  cat >> "$WORK/sluice.yaml" <<YAML
      - {name: llm-upstream, runtime: openai-upstream, storageUri: "file://$WORK/model.gguf", maxOngoingRequests: 8,
         settings: {command: "$PEER -m {model} --port {port} -np 4 -c 16384 -t 2"}}
YAML
fi
SLUICE_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
  "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/out.log" 2>&1 & pid=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && break; sleep 0.2; done
{
  echo "LLM decode, $(nproc) cores, random-weight model ($SHAPE, $(du -h "$WORK/model.gguf" | cut -f1)), $TOKENS tokens/stream, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| path | 1 stream | TTFT | 4 streams (aggregate) | mean TTFT |"
  echo "|---|---|---|---|---|"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""   # warm the page cache, then measure each path alone
  SLUICE_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
    "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/out.log" 2>&1 & pid=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && break; sleep 0.2; done
  peer_url=()
  if [ -x "$PEER" ]; then
    "$PEER" -m "$WORK/model.gguf" --host 127.0.0.1 --port 18097 -np 4 -c 16384 -t 2 > "$WORK/peer.log" 2>&1 & peer=$!
    for _ in $(seq 1 300); do curl -sf http://127.0.0.1:18097/health >/dev/null && break; sleep 0.2; done
    peer_url=("http://127.0.0.1:18097")
  fi
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$CP" "$BENCH/LlmBench.java" "$WORK/model.gguf" \
    "http://127.0.0.1:$PORT" "$TOKENS" "${peer_url[@]}" 2>/dev/null
  [ -n "${peer:-}" ] && kill "$peer" 2>/dev/null
} | tee "$BENCH/results/llm-$(date -u +%Y%m%dT%H%M).md"
