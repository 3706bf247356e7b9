# What the LLM benchmarks share; sourced, not run:  . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Leaves BENCH and ROOT (this folder and the repository), JAVA_HOME (a JDK >= 25), Sluice built, CP (the
# server's classpath, for RandomModelWriter), WORK (a scratch folder) and pids (background processes): both are
# cleaned up when the script exits.
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
. "$ROOT/bin/java-home.sh"
"$ROOT/bin/sluice" --version >/dev/null
"$ROOT/bin/install-llama" >/dev/null
CP="$ROOT/sluice-server/target/sluice-server.jar:$ROOT/sluice-server/target/lib/*"
WORK=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# llama_server NAME: sets PEER to llama.cpp's own server (bench/build-llama-server.sh builds it), or stops NAME
llama_server() {
  PEER=${LLAMA_SERVER:-$HOME/.cache/sluice/peers/3.22.1/llama.cpp/build/bin/llama-server}
  [ -x "$PEER" ] || { echo "$1: no llama-server at $PEER: run bench/build-llama-server.sh (~20 min)" >&2; exit 1; }
}

# random_gguf FILE ARGS...: a random-weight GGUF of the shape ARGS name (RandomModelWriter's arguments)
random_gguf() { "$JAVA_HOME/bin/java" -cp "$CP" io.sluice.runtime.llm.gguf.RandomModelWriter "$@"; }

# llm_config PORT: $WORK/sluice.yaml serving $WORK/model.gguf as deployment `llm` of the `llama` runtime in a worker,
# shaped as start_peer shapes llama-server (2 threads, 16,384 cells) with 16 sequences; a script adds deployments
# by appending to the file
llm_config() {
  cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $1}
applications:
  - name: llm
    deployments:
      - {name: llm, runtime: llama, hosting: worker, storageUri: "file://$WORK/model.gguf",
         settings: {parallel: "16", ctxSize: "16384", threads: "2"}, maxOngoingRequests: 64}
YAML
}

# start_sluice PORT: serves $WORK/sluice.yaml in the background (log in $WORK/sluice.log) until it is ready;
# sets SERVER to its process
start_sluice() {
  SLUICE_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
    "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/sluice.log" 2>&1 & pids+=($!)
  SERVER=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$1/v2/health/ready" >/dev/null && return; sleep 0.2; done
  echo "Sluice on $1 did not get ready" >&2; tail -20 "$WORK/sluice.log" >&2; exit 1
}

# sluice_worker NAME: sets WORKER to the worker process under $SERVER (start_sluice), or stops NAME
sluice_worker() {
  WORKER=$(pgrep -f -P "$SERVER" WorkerMain | head -1)
  [ -n "$WORKER" ] || { echo "$1: no worker process under the server" >&2; exit 1; }
}

# start_peer PORT ARGS...: llama-server ($PEER, see llama_server) on the same file, 2 threads and 16,384 cells
# as Sluice, with ARGS (-np 4 ...), until it answers (log in $WORK/peer-PORT.log); sets PEER_PID
start_peer() {
  local port=$1; shift
  "$PEER" -m "$WORK/model.gguf" --host 127.0.0.1 --port "$port" -c 16384 -t 2 "$@" > "$WORK/peer-$port.log" 2>&1 & pids+=($!)
  PEER_PID=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && return; sleep 0.2; done
  echo "llama-server on $port did not start" >&2; cat "$WORK/peer-$port.log" >&2; exit 1
}
