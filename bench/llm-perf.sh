#!/usr/bin/env bash
# Where the whole machine's CPU goes while one long stream decodes, Sluice and llama-server in turn: Linux `perf`
# samples every core (-a) for a window in the middle of the stream, after the warm-up, and the samples are
# split by process (the decoding process, Sluice's server JVM, the benchmark client, idle, anything else) and,
# inside the decoding process, by what its code does (the matrix-vector dot products, waiting for the other
# compute thread at a barrier or for the next graph, flash attention, the rest). A JVM's own frames stay
# unnamed (no perf map): the split by process is what this script is for; bench/profile.sh names Java frames.
#
#   bench/llm-perf.sh [PAIRS] [TOKENS] [SHAPE]     (defaults 2, 2048 and "llama-12x768 q8_0"; each target gets
#                                                 LlmBench's warm-up first, WARMUP_SECONDS=20; root, or
#                                                 kernel.perf_event_paranoid <= 0, for -a)
set -euo pipefail
PAIRS=${1:-2}; TOKENS=${2:-2048}; SHAPE=${3:-llama-12x768 q8_0}
command -v perf >/dev/null 2>&1 || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get install -y -q linux-perf; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
llama_server llm-perf.sh
random_gguf "$WORK/model.gguf" $SHAPE
PORT=18396; PEER_PORT=18397
llm_config $PORT
start_sluice $PORT; server=$SERVER
start_peer $PEER_PORT -np 4; peer=$PEER_PID
sluice_worker llm-perf.sh; worker=$WORKER
echo "warming up ..." >&2
STREAMS=1 "$JAVA_HOME/bin/java" "$BENCH/LlmBench.java" 16 1 "Sluice=http://127.0.0.1:$PORT=llm" \
  "llama-server=http://127.0.0.1:$PEER_PORT=llm" >/dev/null 2>&1

# window PORT FILE: one TOKENS-long stream to PORT, sampled from its 4th second for 6 s into FILE; prints the
# client's rate (and says so when the stream did not outlast the window) and leaves its process id in FILE.client
window() {
  WARMUP_SECONDS=0 WARMUP_STREAMS=1 STREAMS=1 "$JAVA_HOME/bin/java" "$BENCH/LlmBench.java" "$TOKENS" 1 "t=http://127.0.0.1:$1=llm" \
    > "$WORK/client.out" 2>&1 & local client=$!
  echo "$client" > "$2.client"
  sleep 4
  perf record -a -F 999 -o "$2" -- sleep 6 >/dev/null 2>&1
  local ended=""; kill -0 "$client" 2>/dev/null || ended=" (the stream ended inside the window: use more TOKENS)"
  wait "$client"
  echo "$(grep "^round" "$WORK/client.out" | sed 's/.*t  *//')$ended"
}
# shares FILE DECODER: one markdown row's cells: % of all samples by process (Sluice's server JVM counted apart
# in both targets' windows), then % of the decoding process's samples by what its code does
shares() {
  perf script -i "$1" -F comm,pid,tid,ip,sym,dso 2>/dev/null | awk -v decoder="$2" -v server="$server" -v client="$(cat "$1.client")" '
    {
      for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) break
      split($i, ids, "/"); pid = ids[1]; line = $0
      all++
      if (pid == 0) { idle++; next }
      if (pid == client) { cli++; next }
      if (pid == server) { srv++; next }
      if (pid != decoder) { other++; next }
      dec++
      if (line ~ /ggml_vec_dot_/) dot++
      else if (line ~ /ggml_barrier|ggml_graph_compute_secondary_thread|libgomp/) wait++
      else if (line ~ /flash_attn/) fa++
    }
    function pct(n, of) { return sprintf("%.1f%%", of ? 100 * n / of : 0) }
    END {
      printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", pct(dec, all), pct(srv, all), pct(cli, all),
        pct(idle, all), pct(other, all), pct(dot, dec), pct(wait, dec), pct(fa, dec)
    }'
}

out="$BENCH/results/llm-perf-$(date -u +%Y%m%dT%H%M).md"
mkdir -p "$BENCH/results"
{
  echo "Whole-machine CPU samples (perf -a, 999 Hz, 6 s) in the middle of one $TOKENS-token stream, $(nproc) cores, random-weight model ($SHAPE), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| pair | target | client's rate | decoding process | Sluice server JVM | client | idle | other | decoder: dot products | decoder: waiting (barrier, next graph) | decoder: flash attention |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for pair in $(seq 1 "$PAIRS"); do
    rate=$(window $PORT "$WORK/sluice.data")
    echo "| $pair | Sluice (worker) | $rate $(shares "$WORK/sluice.data" "$worker")"
    rate=$(window $PEER_PORT "$WORK/peer.data")
    echo "| $pair | llama-server | $rate $(shares "$WORK/peer.data" "$peer")"
  done
} | tee "$out"
