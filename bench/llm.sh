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
TOKENS=${1:-128}; ROUNDS=${2:-3}; SHAPE=${3:-qwen2.5-0.5b q8_0}; SAME_ISA=${SAME_ISA:-cooperlake}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
llama_server llm.sh
random_gguf "$WORK/model.gguf" $SHAPE
PORT=18096
llm_config $PORT
cat >> "$WORK/sluice.yaml" <<YAML
      - {name: llm-same-isa, runtime: llama, hosting: worker, storageUri: "file://$WORK/model.gguf",
         settings: {parallel: "16", ctxSize: "16384", threads: "2", cpuVariant: "$SAME_ISA"}, maxOngoingRequests: 64}
YAML
start_sluice $PORT
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
