#!/usr/bin/env bash
# The agent APIs (Anthropic Messages, OpenAI Responses) against chat/completions on one Sluice, same model,
# same prompt, one request at a time: the fixed cost of a request and the cost per streamed token, as ratios
# to chat taken round by round (bench/AgentApisBench.java). A random-weight model of a real shape keeps the
# protocol's share visible.
#   bench/agent-apis.sh [TOKENS] [ROUNDS] [REQUESTS] [SHAPE]   (defaults 128, 5, 50, a 12x768 llama)
set -euo pipefail
TOKENS=${1:-128}; ROUNDS=${2:-5}; REQUESTS=${3:-50}; SHAPE=${4:-768 12}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
random_gguf "$WORK/model.gguf" $SHAPE
PORT=18196
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
applications:
  - name: llm
    deployments:
      - {name: llm, runtime: llama, hosting: worker, storageUri: "file://$WORK/model.gguf",
         settings: {parallel: "4", ctxSize: "4096", threads: "2"}}
YAML
start_sluice $PORT
out="$BENCH/results/agent-apis-$(date -u +%Y%m%dT%H%M).md"
mkdir -p "$BENCH/results"
{
  echo "Agent APIs vs chat/completions, $(nproc) cores, random-weight llama ($SHAPE, $(du -h "$WORK/model.gguf" | cut -f1)), one request at a time, $REQUESTS one-token answers and one $TOKENS-token stream per API per round, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  "$JAVA_HOME/bin/java" "$BENCH/AgentApisBench.java" "http://127.0.0.1:$PORT" llm "$TOKENS" "$ROUNDS" "$REQUESTS"
} | tee "$out"
