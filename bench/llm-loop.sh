#!/usr/bin/env bash
# One stream's decoding loop with no server in the way: Sluice's (its llama.cpp bindings in a plain loop, the same
# with 15 idle cached prefixes left in the shared cache, and the `llama` runtime's scheduler) against llama.cpp's
# own loop (llama-bench's tg test) on the same libraries, in interleaved pairs (bench/LlmLoopBench.java). What a
# token costs in each loop, without the HTTP hop, the client or a second process competing for the two cores.
#
#   bench/llm-loop.sh [PAIRS] [TOKENS] [SHAPE]   (defaults 6, 512 and "llama-12x768 q8_0")
# llama-bench comes from bench/build-llama-server.sh's build (the same llama.cpp source as the npm libraries);
# it runs here on the npm libraries Sluice loads (a folder of links under the names it was linked with), so
# both loops run the same kernels.
set -euo pipefail
PAIRS=${1:-6}; TOKENS=${2:-512}; SHAPE=${3:-llama-12x768 q8_0}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
llama_server llm-loop.sh
LLAMA_BENCH=$(dirname "$PEER")/llama-bench
[ -x "$LLAMA_BENCH" ] || { echo "llm-loop.sh: no llama-bench at $LLAMA_BENCH: run bench/build-llama-server.sh" >&2; exit 1; }
NPM=${SLUICE_LLAMA_HOME:-$HOME/.cache/sluice/llama/3.22.1}/lib/cpu   # where bin/install-llama put them
LIBS="$WORK/libs"; mkdir -p "$LIBS"
ln -s "$NPM"/libllama.v*.so "$LIBS/libllama.so.0"
ln -s "$NPM"/libggml.v*.so "$LIBS/libggml.so.0"
ln -s "$NPM/libggml-base.so" "$LIBS/libggml-base.so.0"
for variant in "$NPM"/libggml-cpu-*.so; do ln -s "$variant" "$LIBS/"; done
random_gguf "$WORK/model.gguf" $SHAPE
out="$BENCH/results/llm-loop-$(date -u +%Y%m%dT%H%M).md"
mkdir -p "$BENCH/results"
{
  echo "One stream's decoding loop, $TOKENS tokens, $PAIRS pairs, $(nproc) cores, random-weight model ($SHAPE), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" \
    "$BENCH/LlmLoopBench.java" "$WORK/model.gguf" "$TOKENS" "$PAIRS" "$LLAMA_BENCH" "$LIBS"
} | tee "$out"
