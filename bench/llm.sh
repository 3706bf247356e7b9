#!/usr/bin/env bash
# LLM serving benchmark on a random-weight GGUF of a real shape (written by RandomModelWriter), through each
# target's streaming /v1/chat/completions at 1, 4, 8 and 16 concurrent streams, in interleaved rounds:
#  - llama.cpp's own llama-server, 4 slots (the peer; its usual -np 4) and 16 slots over one unified KV cache,
#    built by bench/build-llama-server.sh from the same source as the libraries Sluice loads (npm
#    node-llama-cpp@3.22.1) for this CPU (GGML_NATIVE) but without AMX (see that script);
#  - Sluice's `llama` runtime (llama.cpp through FFM, Sluice's scheduler, worker process), 16 sequences, with the
#    CPU backend it picks itself (AMX where the kernel grants it) and with $SAME_ISA (default cooperlake:
#    AVX-512 with VNNI and BF16, no AMX: the instruction set of the peer's build).
# Every target gets the same GGUF, 2 threads and 16,384 KV cells, and 20 s of load before the rounds
# (LlmBench's WARMUP_SECONDS): a JVM server's per-token code is compiled by then.
#   bench/llm.sh [TOKENS] [ROUNDS] [SHAPE]   (defaults 128, 3 and "qwen2.5-0.5b q8_0": Qwen2.5-0.5B's shape, Q8_0, 529 MB)
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
TOKENS=${1:-128}; ROUNDS=${2:-3}; SHAPE=${3:-qwen2.5-0.5b q8_0}; SAME_ISA=${SAME_ISA:-cooperlake}
. "$ROOT/bin/java-home.sh"
"$ROOT/bin/sluice" --version >/dev/null
"$ROOT/bin/install-llama" >/dev/null
PEER=${LLAMA_SERVER:-$HOME/.cache/sluice/peers/3.22.1/llama.cpp/build/bin/llama-server}
[ -x "$PEER" ] || { echo "llm.sh: no llama-server at $PEER: run bench/build-llama-server.sh (~20 min)" >&2; exit 1; }
WORK=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
CP="$ROOT/sluice-server/target/sluice-server.jar:$ROOT/sluice-server/target/lib/*"
"$JAVA_HOME/bin/java" -cp "$CP" io.sluice.runtime.llm.gguf.RandomModelWriter "$WORK/model.gguf" $SHAPE
PORT=18096
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
applications:
  - name: llm
    deployments:
      - {name: llm, runtime: llama, hosting: worker, storageUri: "file://$WORK/model.gguf",
         settings: {parallel: "16", ctxSize: "16384", threads: "2"}, maxOngoingRequests: 64}
      - {name: llm-same-isa, runtime: llama, hosting: worker, storageUri: "file://$WORK/model.gguf",
         settings: {parallel: "16", ctxSize: "16384", threads: "2", cpuVariant: "$SAME_ISA"}, maxOngoingRequests: 64}
YAML
start_peer() { # PORT ARGS...
  local port=$1; shift
  "$PEER" -m "$WORK/model.gguf" --host 127.0.0.1 --port "$port" -c 16384 -t 2 "$@" > "$WORK/peer-$port.log" 2>&1 & pids+=($!)
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && return; sleep 0.2; done
  echo "llm.sh: llama-server on $port did not start" >&2; cat "$WORK/peer-$port.log" >&2; exit 1
}
SLUICE_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
  "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/sluice.log" 2>&1 & pids+=($!)
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && break; sleep 0.2; done
start_peer 18097 -np 4
start_peer 18098 -np 16 --kv-unified
out="$BENCH/results/llm-$(date -u +%Y%m%dT%H%M).md"
mkdir -p "$BENCH/results"
{
  echo "LLM serving, $(nproc) cores, random-weight model ($SHAPE, $(du -h "$WORK/model.gguf" | cut -f1)), $TOKENS tokens/stream, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  "$JAVA_HOME/bin/java" "$BENCH/LlmBench.java" "$TOKENS" "$ROUNDS" \
    "llama-server -np 4=http://127.0.0.1:18097=llm" \
    "Sluice llama, CPU backend auto=http://127.0.0.1:$PORT=llm" \
    "Sluice llama, $SAME_ISA (no AMX)=http://127.0.0.1:$PORT=llm-same-isa" \
    "llama-server -np 16 --kv-unified=http://127.0.0.1:18098=llm"
  grep -ho "CPU backend [a-z0-9]*" "$WORK/sluice.log" | sort | uniq -c | sed 's/^/    /' || true
} | tee "$out"
