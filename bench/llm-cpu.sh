#!/usr/bin/env bash
# CPU time per generated token of each process, from /proc/PID/stat: Sluice's server JVM, its `llama` worker
# (the compute threads included) and llama-server (everything in one process), each driven alone by
# streaming chats through /v1/chat/completions. Where a small model makes a token every few milliseconds on
# the same two cores as everything else, what the serving code costs per token shows here, not as a ratio of
# rates that the machine's noise swamps.
#
#   bench/llm-cpu.sh [TOKENS] [SHAPE]     (defaults 256 and "llama-12x768 q8_0"; STREAMS="1 4"; each target gets
#                                         LlmBench's warm-up first, WARMUP_SECONDS=20)
set -euo pipefail
TOKENS=${1:-256}; SHAPE=${2:-llama-12x768 q8_0}; STREAMS=${STREAMS:-1 4}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
llama_server llm-cpu.sh
random_gguf "$WORK/model.gguf" $SHAPE
PORT=18196; PEER_PORT=18197
llm_config $PORT
start_sluice $PORT; server=$SERVER
start_peer $PEER_PORT -np 4; peer=$PEER_PID
sluice_worker llm-cpu.sh; worker=$WORKER

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system, in clock ticks
HZ=$(getconf CLK_TCK)
drive() { # PORT STREAMS TOKENS → the bench's line
  WARMUP_SECONDS=0 STREAMS=$2 "$JAVA_HOME/bin/java" "$BENCH/LlmBench.java" "$3" 1 "target=http://127.0.0.1:$1=llm" 2>&1 | grep "^round" \
    | sed 's/.*target *//'
}
echo "warming up ..." >&2
STREAMS=1 "$JAVA_HOME/bin/java" "$BENCH/LlmBench.java" 2 1 "Sluice=http://127.0.0.1:$PORT=llm" \
  "llama-server=http://127.0.0.1:$PEER_PORT=llm" >/dev/null 2>&1

out="$BENCH/results/llm-cpu-$(date -u +%Y%m%dT%H%M).md"
mkdir -p "$BENCH/results"
{
  echo "CPU per generated token, $(nproc) cores, random-weight model ($SHAPE), $TOKENS tokens/stream, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| target | streams | rate | server JVM µs/token | worker µs/token | llama-server µs/token |"
  echo "|---|---|---|---|---|---|"
  for s in $STREAMS; do
    for target in Sluice llama-server; do
      port=$PORT; [ "$target" = llama-server ] && port=$PEER_PORT
      s0=$(ticks $server); w0=$(ticks $worker); p0=$(ticks $peer)
      rate=$(drive "$port" "$s" "$TOKENS")
      s1=$(ticks $server); w1=$(ticks $worker); p1=$(ticks $peer)
      per() { awk -v a="$1" -v b="$2" -v n=$((TOKENS * s)) -v hz="$HZ" 'BEGIN { printf "%.0f", (b - a) / hz * 1e6 / n }'; }
      echo "| $target | $s | $rate | $(per "$s0" "$s1") | $(per "$w0" "$w1") | $(per "$p0" "$p1") |"
    done
  done
} | tee "$out"
