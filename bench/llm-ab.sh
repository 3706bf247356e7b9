#!/usr/bin/env bash
# A/B of the LLM path: this working tree against an earlier revision, both serving the same random-weight GGUF
# through the `llama` runtime in a worker (bench/lib.sh's deployment), with llama-server -np 4 beside them for
# scale, streaming chats in interleaved rounds (LlmBench). The ratios printed are against the earlier revision:
# on this noisy machine a change of a few percent shows between the two Sluice builds of the same run, not in
# either one's ratio to the peer. The earlier revision is built in a git worktree outside the clone.
#
#   bench/llm-ab.sh REVISION [TOKENS] [ROUNDS] [SHAPE]   (defaults 512, 4 and "llama-12x768 q8_0"; STREAMS=1,4,8;
#                                                        WARMUP_SECONDS=30 of load on each target first;
#                                                        SETTINGS='parallel: "4", ctxSize: "16384", threads: "2",
#                                                        kvUnified: "false"' replaces the working tree's deployment
#                                                        settings: HEAD against an unchanged tree so compares two
#                                                        settings of one build)
set -euo pipefail
REVISION=${1:?a git revision to compare with}
TOKENS=${2:-512}; ROUNDS=${3:-4}; SHAPE=${4:-llama-12x768 q8_0}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
llama_server llm-ab.sh
BASE="${TMPDIR:-/tmp}/sluice-ab-$(git -C "$ROOT" rev-parse --short "$REVISION")"
if [ ! -f "$BASE/sluice-server/target/sluice-server.jar" ]; then
  rm -rf "$BASE"; git -C "$ROOT" worktree prune
  git -C "$ROOT" worktree add --detach "$BASE" "$REVISION" >/dev/null
  (cd "$BASE" && mvn -q -B -ntp -DskipTests -Dspotless.check.skip=true package -pl sluice-server -am >/dev/null)
fi
random_gguf "$WORK/model.gguf" $SHAPE
llm_config 0

# serve TREE PORT [SETTINGS]: the server built in TREE on PORT with the deployment llm_config wrote (SETTINGS,
# if given, replacing its settings), until it is ready
serve() {
  local edit="s/port: 0/port: $2/"
  [ -z "${3:-}" ] || edit+="; s/settings: {[^}]*}/settings: {$3}/"
  mkdir -p "$WORK/$2"
  sed "$edit" "$WORK/sluice.yaml" > "$WORK/$2/sluice.yaml"
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$1/sluice-server/target/sluice-server.jar:$1/sluice-server/target/lib/*" io.sluice.server.cli.SluiceCommand \
    serve --no-watch --config "$WORK/$2/sluice.yaml" > "$WORK/$2/sluice.log" 2>&1 & pids+=($!)
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$2/v2/health/ready" >/dev/null && return; sleep 0.2; done
  echo "llm-ab.sh: the server of $1 did not get ready" >&2; tail -20 "$WORK/$2/sluice.log" >&2; exit 1
}
serve "$BASE" 18496
serve "$ROOT" 18596 "${SETTINGS:-}"
start_peer 18497 -np 4

out="$BENCH/results/llm-ab-$(date -u +%Y%m%dT%H%M).md"
mkdir -p "$BENCH/results"
{
  echo "LLM A/B, working tree ($(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo ', uncommitted changes')) against $REVISION, $(nproc) cores, random-weight model ($SHAPE), $TOKENS tokens/stream, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  STREAMS=${STREAMS:-1,4,8} WARMUP_SECONDS=${WARMUP_SECONDS:-30} "$JAVA_HOME/bin/java" "$BENCH/LlmBench.java" "$TOKENS" "$ROUNDS" \
    "Sluice at $REVISION=http://127.0.0.1:18496=llm" "Sluice, working tree${SETTINGS:+ ($SETTINGS)}=http://127.0.0.1:18596=llm" \
    "llama-server -np 4=http://127.0.0.1:18497=llm"
} | tee "$out"
