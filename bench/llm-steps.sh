#!/usr/bin/env bash
# Time per generated token inside each server's own decoding loop, one stream, Sluice and llama-server in turn:
# Sluice's worker from its counters (sluice_llm_decode_seconds_total and sluice_llm_host_seconds_total over
# sluice_llm_steps_total: inside llama_decode and outside it), llama-server from its own log line ("eval time
# = ... ms per token"). Neither figure includes the client, the HTTP hop or the time to first token, so a pair
# differs by what the loops do per token, not by the machine's noise between two clients' rounds: the
# comparison for a gap of a few percent that LlmBench's tokens/s cannot resolve.
#
#   bench/llm-steps.sh [PAIRS] [TOKENS] [SHAPE]     (defaults 8, 512 and "llama-12x768 q8_0"; each target gets
#                                                   LlmBench's warm-up first, WARMUP_SECONDS=20)
set -euo pipefail
PAIRS=${1:-8}; TOKENS=${2:-512}; SHAPE=${3:-llama-12x768 q8_0}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
llama_server llm-steps.sh
random_gguf "$WORK/model.gguf" $SHAPE
PORT=18296; PEER_PORT=18297
llm_config $PORT
start_sluice $PORT
start_peer $PEER_PORT -np 4

SLUICE="Sluice=http://127.0.0.1:$PORT=llm"; LLAMA="llama-server=http://127.0.0.1:$PEER_PORT=llm"
echo "warming up ..." >&2
STREAMS=1 "$JAVA_HOME/bin/java" "$BENCH/LlmBench.java" 16 1 "$LLAMA" "$SLUICE" >/dev/null 2>&1
# decode seconds, host seconds, steps: the worker's counters, which /metrics shows a few seconds late
counters() {
  local text; text=$(curl -sf "http://127.0.0.1:$PORT/metrics")
  for name in decode_seconds host_seconds steps; do
    echo "$text" | awk -v m="sluice_llm_${name}_total" '$1 ~ "^"m"[{ ]" {print $2}'
  done | tr '\n' ' '
}
settled() { local now; now=$(counters); while sleep 3; do local next; next=$(counters); [ "$next" = "$now" ] && break; now=$next; done; echo "$now"; }
one() { WARMUP_SECONDS=0 WARMUP_STREAMS=1 STREAMS=1 "$JAVA_HOME/bin/java" "$BENCH/LlmBench.java" "$TOKENS" 1 "$1" >/dev/null 2>&1; }

out="$BENCH/results/llm-steps-$(date -u +%Y%m%dT%H%M).md"
mkdir -p "$BENCH/results"
{
  echo "Time per generated token inside each decoding loop, one stream, $TOKENS tokens, $(nproc) cores, random-weight model ($SHAPE), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| pair | Sluice: in llama_decode | Sluice: outside it | Sluice: a step | llama-server: a token | llama-server / Sluice |"
  echo "|---|---|---|---|---|---|"
  ratios=()
  for pair in $(seq 1 "$PAIRS"); do
    before=$(settled); one "$SLUICE"; after=$(settled)
    read -r decode host step <<<"$(echo "$before $after" | awk '{n = $6 - $3; printf "%.3f %.3f %.3f", ($4 - $1) / n * 1e3, ($5 - $2) / n * 1e3, ($4 - $1 + $5 - $2) / n * 1e3}')"
    one "$LLAMA"
    peer=$(grep "       eval time" "$WORK/peer-$PEER_PORT.log" | tail -1 | sed 's/.*( *\([0-9.]*\) ms per token.*/\1/')
    ratio=$(awk -v p="$peer" -v s="$step" 'BEGIN { printf "%.2f", p / s }')
    ratios+=("$ratio")
    echo "| $pair | $decode ms | $host ms | $step ms | $peer ms | ${ratio}x |"
  done
  echo
  echo "Median llama-server / Sluice (above 1: Sluice's loop makes a token in less time): $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2) "x"}')"
} | tee "$out"
