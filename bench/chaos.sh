#!/usr/bin/env bash
# Chaos under load (64 connections, V2 REST and OpenAI chat): kill -9 of a worker process, kill -9 of an
# openai-upstream process, then SIGTERM of Sluice itself. Every accepted request must get an answer (a
# success, or an error for requests that ran on the killed process); none may hang; after SIGTERM the
# server must have answered every request it accepted (drain) and exit 0.
#
#   bench/chaos.sh [SECONDS]      (default 20 s of load per scenario; results: bench/results/chaos.txt)
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SECONDS_PER=${1:-20}
CONNECTIONS=64
. "$ROOT/bin/java-home.sh"
"$ROOT/bin/sluice" --version >/dev/null
(cd "$ROOT" && mvn -q -B -ntp -DskipTests install -pl sluice-testkit >/dev/null)
CP="$ROOT/sluice-testkit/target/sluice-testkit-0.1.0-SNAPSHOT.jar:$ROOT/sluice-server/target/sluice-server.jar:$ROOT/sluice-server/target/lib/*"
JAVA="$JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn"
mkdir -p "$ROOT/bench/results"
RESULTS="$ROOT/bench/results/chaos.txt"
WORK=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; pkill -9 -f "$WORK" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

echo echo > "$WORK/placeholder"
cat > "$WORK/upstream.yaml" <<YAML
applications:
  - name: llm
    deployments:
      - {name: text, runtime: test-echo-text, storageUri: placeholder, settings: {tokenDelayMs: '5'}}
YAML
PORT=18097
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT, adminToken: chaos-admin-token-0123456789}
applications:
  - name: worker
    deployments:
      - {name: in-worker, runtime: test-echo, storageUri: placeholder, hosting: worker, maxOngoingRequests: 64,
         settings: {delayMs: '20'}}
  - name: local
    deployments:
      - {name: in-process, runtime: test-echo, storageUri: placeholder, maxOngoingRequests: 64, settings: {delayMs: '20'}}
  - name: llm
    deployments:
      - name: upstream
        runtime: openai-upstream
        storageUri: placeholder
        maxOngoingRequests: 64
        settings:
          model: text
          startTimeout: '60'
          command: '$JAVA -cp $CP io.sluice.server.cli.SluiceCommand serve --no-watch --config $WORK/upstream.yaml --port {port}'
YAML
INFER='{"inputs":[{"name":"INPUT0","shape":[4],"datatype":"FP32","data":[1,2,3,4]}]}'
CHAT='{"model":"upstream","max_tokens":8,"messages":[{"role":"user","content":"one two three four five six seven eight"}]}'

start_server() {
  $JAVA -cp "$CP" io.sluice.server.cli.SluiceCommand serve --no-watch --config "$WORK/sluice.yaml" \
    > "$WORK/out.log" 2> "$WORK/err.log" & pid=$!
  for _ in $(seq 1 300); do grep -q "Sluice listening" "$WORK/out.log" 2>/dev/null && return; sleep 0.2; done
  echo "chaos: the server did not start" >&2; cat "$WORK/err.log" >&2; exit 1
}
load() { # path body -> JSON line
  $JAVA_HOME/bin/java "$BENCH/Chaos.java" "http://127.0.0.1:$PORT$1" "$2" "$CONNECTIONS" "$SECONDS_PER"
}
kill_under_load() { # name path body pattern: load PATH, then kill -9 the newest process matching PATTERN
  load "$2" "$3" > "$WORK/$1.json" & local loader=$!
  sleep $((SECONDS_PER / 3))
  local victim
  victim=$(pgrep -n -f "$4" || true)
  echo "kill -9 $1 process $victim"
  kill -9 "$victim"
  wait $loader || true
  printf '%-15s %s\n' "$1 kill:" "$(cat "$WORK/$1.json")"
}

{
echo "# bench/chaos.sh $(date -u +%Y-%m-%dT%H:%MZ): $CONNECTIONS connections, $SECONDS_PER s per scenario"
start_server

kill_under_load worker /worker/v2/models/in-worker/infer "$INFER" "io.sluice.engine.worker.WorkerMain"
kill_under_load upstream /llm/v1/chat/completions "$CHAT" "$WORK/upstream.yaml"

load /local/v2/models/in-process/infer "$INFER" > "$WORK/term.json" & loader=$!
sleep $((SECONDS_PER / 3))
echo "SIGTERM Sluice $pid"
kill -TERM "$pid"
set +e
wait "$pid"; code=$?
set -e
pid=""
wait $loader || true
echo "SIGTERM:        $(cat "$WORK/term.json")"
echo "exit code:      $code"
grep "stopped after accepting" "$WORK/err.log" || true
accepted=$(sed -n 's/.*stopped after accepting \([0-9]*\) requests.*/\1/p' "$WORK/err.log")
answered=$(($(grep -o '"answered":[0-9]*' "$WORK/worker.json" | cut -d: -f2) \
  + $(grep -o '"answered":[0-9]*' "$WORK/upstream.json" | cut -d: -f2) \
  + $(grep -o '"answered":[0-9]*' "$WORK/term.json" | cut -d: -f2)))
echo "accepted by the server: $accepted; answered to the clients: $answered; lost: $((accepted - answered))"
} | tee "$RESULTS"
