#!/usr/bin/env bash
# LoRA adapters per request on one llama deployment: 4 streams on one adapter, on two adapters interleaved, and on
# the base model, in interleaved rounds (bench/LoraBench.java), on a random-weight llama of a real shape with two
# random rank-16 adapters on its query and value projections.
#   bench/lora.sh [TOKENS] [ROUNDS] [EMBEDDING LAYERS]   (defaults 128, 5, 768 12)
set -euo pipefail
TOKENS=${1:-128}; ROUNDS=${2:-5}; EMBEDDING=${3:-768}; LAYERS=${4:-12}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
random_gguf "$WORK/model.gguf" "$EMBEDDING" "$LAYERS"
for seed in 1 2; do
  random_gguf "$WORK/lora-$seed.gguf" lora "$EMBEDDING" "$LAYERS" 16 "$seed"
done
PORT=18296
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
applications:
  - name: llm
    deployments:
      - {name: llm, runtime: llama, hosting: worker, storageUri: "file://$WORK/model.gguf",
         settings: {parallel: "8", ctxSize: "8192", threads: "2"}, maxOngoingRequests: 16,
         adapters: {a: "file://$WORK/lora-1.gguf", b: "file://$WORK/lora-2.gguf"}}
YAML
start_sluice $PORT
out="$BENCH/results/lora-$(date -u +%Y%m%dT%H%M).md"
mkdir -p "$BENCH/results"
{
  echo "LoRA adapters per request, $(nproc) cores, random-weight llama ($EMBEDDING x $LAYERS, $(du -h "$WORK/model.gguf" | cut -f1)) with two rank-16 adapters, 4 streams of $TOKENS tokens, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  "$JAVA_HOME/bin/java" "$BENCH/LoraBench.java" "http://127.0.0.1:$PORT" llm a b "$TOKENS" "$ROUNDS"
} | tee "$out"
