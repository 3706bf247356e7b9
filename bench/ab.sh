#!/usr/bin/env bash
# A/B of the front door: this working tree against an earlier revision, same model, same load, rounds
# interleaved (this machine is noisy). V2 REST infer on a small ONNX MLP and the health route, wrk at 64
# connections, the order of the pair alternating. The earlier revision is built in a git worktree outside the
# clone (never installed).
#
#   bench/ab.sh REVISION [SECONDS] [ROUNDS]      e.g. bench/ab.sh ecb5a9a 10 3
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
REVISION=${1:?a git revision to compare with}
DURATION=${2:-10}
ROUNDS=${3:-3}
. "$ROOT/bin/java-home.sh"
command -v wrk >/dev/null 2>&1 || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get install -y -q wrk; }
"$ROOT/bin/sluice" --version >/dev/null
(cd "$ROOT" && mvn -q -B -ntp -DskipTests install -pl sluice-testkit >/dev/null)
BASE="${TMPDIR:-/tmp}/sluice-ab-$(git -C "$ROOT" rev-parse --short "$REVISION")"
if [ ! -f "$BASE/sluice-server/target/sluice-server.jar" ]; then
  rm -rf "$BASE"; git -C "$ROOT" worktree prune
  git -C "$ROOT" worktree add --detach "$BASE" "$REVISION" >/dev/null
  (cd "$BASE" && mvn -q -B -ntp -DskipTests package >/dev/null)
fi
WORK=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
"$JAVA_HOME/bin/java" -cp "$ROOT/sluice-testkit/target/sluice-testkit-0.1.0-SNAPSHOT.jar:$ROOT/sluice-server/target/lib/*" \
  io.sluice.testkit.OnnxModelWriter "$WORK/mlp.onnx" 16
PORT=18099
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
applications:
  - name: bench
    deployments:
      - {name: mlp, runtime: onnx, storageUri: mlp.onnx, maxOngoingRequests: 64}
YAML
DATA=$(seq 1 16 | awk '{printf "%s%.3f", (NR>1?",":""), $1 / 16.0}')
echo "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,16],\"datatype\":\"FP32\",\"data\":[$DATA]}]}" > "$WORK/body.json"

serve() { # tree
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xms1g -Xmx1g \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$1/sluice-server/target/sluice-server.jar:$1/sluice-server/target/lib/*" \
    io.sluice.server.cli.SluiceCommand serve --no-watch --config "$WORK/sluice.yaml" > "$WORK/out.log" 2>&1 & pid=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && return; sleep 0.1; done
  echo "ab: server did not start" >&2; cat "$WORK/out.log" >&2; exit 1
}
rps() { # path [lua] -> requests per second
  local out
  if [ -n "${2:-}" ]; then
    out=$(BODY_FILE="$WORK/body.json" wrk -t2 -c64 -d"${DURATION}s" -s "$2" "http://127.0.0.1:$PORT$1")
  else
    out=$(wrk -t2 -c64 -d"${DURATION}s" "http://127.0.0.1:$PORT$1")
  fi
  echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}'
}
echo "| round | tree | V2 infer rps | health rps |"
echo "|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
  # Which tree goes first alternates: on this machine the second server of a pair tends to measure lower.
  order=("$BASE" "$ROOT")
  [ $((round % 2)) -eq 0 ] && order=("$ROOT" "$BASE")
  for tree in "${order[@]}"; do
    serve "$tree"
    rps /v2/models/mlp/infer "$BENCH/post.lua" >/dev/null # warm-up
    infer=$(rps /v2/models/mlp/infer "$BENCH/post.lua")
    health=$(rps /v2/health/live)
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    name=$([ "$tree" = "$ROOT" ] && echo "working tree" || echo "$REVISION")
    echo "| $round | $name | $infer | $health |"
  done
done
