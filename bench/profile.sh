#!/usr/bin/env bash
# Where the CPU goes, by profile rather than by guess: async-profiler (CPU samples, Java and native frames, one
# root per thread) attached to the running JVMs after a warm-up, under a fixed load.
#
#   bench/profile.sh front [SECONDS]            V2 REST JSON infer of models/softmax at 64 connections (wrk),
#                                                then gRPC ModelInfer at 64 connections (h2load)
#   bench/profile.sh llm [SECONDS] [STREAMS] [SHAPE]
#                                                streaming chat on the `llama` runtime (worker process, 2
#                                                threads, $CPU_VARIANT or cooperlake), STREAMS concurrent streams (default 1);
#                                                SHAPE as RandomModelWriter names it (default llama-12x768)
#
# Writes collapsed stacks (`[thread];frame;...;frame count`, what flamegraph.pl, speedscope or async-profiler's
# converter read) and an HTML flame graph per JVM to bench/results/profile-*/, and prints a summary: CPU by thread
# group, the frames with the most self time, and the inclusive share of the costs named below. With EVENT=alloc,
# the same for bytes allocated (what the young collections have to sweep).
# async-profiler comes from Maven Central (tools.profiler:async-profiler, its Linux x64 library) into
# ~/.cache/sluice/async-profiler.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
MODE=${1:?usage: bench/profile.sh front|llm [SECONDS] ...}
SECONDS_PER=${2:-15}
# EVENT=alloc samples allocations (by bytes) instead of CPU time
EVENT=${EVENT:-cpu,interval=1ms}
. "$ROOT/bin/java-home.sh"

AP_VERSION=4.2
AP_DIR=${SLUICE_CACHE:-$HOME/.cache/sluice}/async-profiler/$AP_VERSION
AP=$AP_DIR/libasyncProfiler.so
if [ ! -f "$AP" ]; then
  mkdir -p "$AP_DIR"
  echo "fetching async-profiler $AP_VERSION from Maven Central ..." >&2
  curl -sfL -o "$AP_DIR/ap.jar" \
    "https://repo1.maven.org/maven2/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION.jar"
  (cd "$AP_DIR" && unzip -qoj ap.jar linux-x64/libasyncProfiler.so && rm ap.jar)
fi

"$ROOT/bin/sluice" --version >/dev/null
CP="$ROOT/sluice-server/target/sluice-server.jar:$ROOT/sluice-server/target/lib/*"
OUT="$BENCH/results/profile-$MODE-$(date -u +%Y%m%dT%H%M)"
mkdir -p "$OUT"
WORK=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; cp "$WORK"/*.log "$OUT/" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# profiler PID start|stop NAME: loads the agent into a running JVM (jcmd JVMTI.agent_load) to start or to stop
# and write NAME.collapsed and NAME.html. jcmd reads KEY=VALUE as its own option: the agent's options go quoted.
# The agent's messages go to a file: a worker's stdout carries its frames to the server.
profiler() {
  local pid=$1 action=$2 name=${3:-}
  agent() { "$JAVA_HOME/bin/jcmd" "$pid" JVMTI.agent_load "$AP" "\"$1\"" | grep -q "return code: 0" \
    || { echo "profile.sh: async-profiler refused '$1' in $pid" >&2; exit 1; }; }
  if [ "$action" = start ]; then
    agent "start,event=$EVENT,threads,log=$OUT/agent-$pid.log"
  else
    agent "dump,collapsed,file=$OUT/$name.collapsed"
    agent "stop,file=$OUT/$name.html"
  fi
}
summary() { # NAME LABEL=REGEX...
  local name=$1; shift
  "$JAVA_HOME/bin/java" "$BENCH/ProfileSummary.java" "$OUT/$name.collapsed" 25 "$@" | tee "$OUT/$name.md"
}
await_http() { for _ in $(seq 1 900); do curl -sf "$1" >/dev/null && return; sleep 0.2; done; echo "no answer from $1" >&2; exit 1; }

case "$MODE" in
front)
  command -v wrk >/dev/null && command -v h2load >/dev/null || { echo "profile.sh: needs wrk and h2load (bench/run.sh installs them)" >&2; exit 1; }
  PORT=18093
  cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
applications:
  - name: softmax
    deployments:
      - {name: softmax, runtime: onnx, storageUri: "file://$ROOT/models/softmax/model.onnx"}
YAML
  SLUICE_JAVA_OPTS="-Xms1g -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
    "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/sluice.log" 2>&1 & pids+=($!)
  server=$!
  await_http "http://127.0.0.1:$PORT/v2/health/ready"
  DATA=$(seq 0 59 | awk '{printf "%s%d", (NR>1?",":""), $1 % 5}')
  echo "{\"inputs\":[{\"name\":\"x\",\"shape\":[3,4,5],\"datatype\":\"FP32\",\"data\":[$DATA]}]}" > "$WORK/infer.json"
  "$JAVA_HOME/bin/java" -cp "$CP" "$BENCH/GrpcBody.java" softmax x 3,4,5 "$WORK/infer.grpc"
  rest() { BODY_FILE="$WORK/infer.json" wrk -t2 -c64 -d"$1s" --latency -s "$BENCH/post.lua" "http://127.0.0.1:$PORT/v2/models/softmax/infer"; }
  grpc() { h2load -D "$1" -c 64 -m 1 -t 1 -d "$WORK/infer.grpc" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$PORT/inference.GRPCInferenceService/ModelInfer"; }
  echo "warming up (20 s) ..." >&2
  rest 10 >/dev/null; grpc 10 >/dev/null
  costs=(
    "event loop (all)=vert.x-eventloop"
    "model threads (all)=sluice-model|onnx|model-"
    "JSON parse=JsonParser|readTree|ReaderBasedJsonParser|UTF8StreamJsonParser|ByteSourceJsonBootstrapper"
    "JSON write=JsonGenerator|writeNumber|NumberOutput|Schubfach"
    "ONNX Runtime run=OrtSession.run|OrtSession_run|onnxruntime"
    "access log / metrics=AccessLog|RequestMetrics|Micrometer|micrometer|prometheus"
    "hand-off (executor, wake-ups)=LockSupport|ThreadPoolExecutor|ForkJoinPool|runOnContext|futex"
    "socket write=writev|SocketChannel.write|sendmsg|__send|write\\b|epoll_ctl"
    "socket read=readv|SocketChannel.read|recvfrom|__recv|\\bread\\b"
    "gRPC codec=grpc|Protobuf|protobuf|CodedInputStream|CodedOutputStream"
    "GC=GC Thread|G1|ParallelGC|GCTaskThread|ParGC")
  profiler "$server" start
  rest "$SECONDS_PER" | tee "$OUT/wrk.txt" | grep -E "Requests/sec|99%"
  profiler "$server" stop rest
  profiler "$server" start
  grpc "$SECONDS_PER" | tee "$OUT/h2load.txt" | grep -E "^finished|^time for request"
  profiler "$server" stop grpc
  summary rest "${costs[@]}"
  summary grpc "${costs[@]}"
  ;;
llm)
  STREAMS=${3:-1}; SHAPE=${4:-llama-12x768}
  "$ROOT/bin/install-llama" >/dev/null
  "$JAVA_HOME/bin/java" -cp "$CP" io.sluice.runtime.llm.gguf.RandomModelWriter "$WORK/model.gguf" $SHAPE q8_0
  PORT=18094
  cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
applications:
  - name: llm
    deployments:
      - {name: llm, runtime: llama, hosting: worker, storageUri: "file://$WORK/model.gguf",
         settings: {parallel: "16", ctxSize: "16384", threads: "2", cpuVariant: "${CPU_VARIANT:-cooperlake}"}, maxOngoingRequests: 64}
YAML
  SLUICE_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
    "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/sluice.log" 2>&1 & pids+=($!)
  server=$!
  await_http "http://127.0.0.1:$PORT/v2/health/ready"
  worker=$("$JAVA_HOME/bin/jcmd" -l | awk '/WorkerMain/ {print $1}' | head -1)
  load() { WARMUP_SECONDS=${WARMUP_SECONDS:-0} STREAMS=$STREAMS "$JAVA_HOME/bin/java" "$BENCH/LlmBench.java" "$1" 1 "Sluice=http://127.0.0.1:$PORT=llm" 2>&1 | grep "tok/s" || true; }
  echo "warming up (20 s) ..." >&2
  WARMUP_SECONDS=20 load 64 >/dev/null
  profiler "$server" start; profiler "$worker" start
  end=$((SECONDS + SECONDS_PER))
  while [ $SECONDS -lt $end ]; do load 256; done | tee "$OUT/load.txt"
  profiler "$worker" stop worker; profiler "$server" stop server
  costs=(
    "llama_decode (all)=llama_decode"
    "ggml compute threads=ggml_graph_compute|ggml_compute_forward"
    "sampling=llama_sampler|Sampler|sample"
    "scheduler step outside decode=Scheduler.step|Scheduler.run"
    "token text=piece|TextAssembler|token_to_piece"
    "worker frames (encode, pipe write)=WorkerCodec|WorkerMain|FileOutputStream|writeBytes"
    "SSE / HTTP write=Sse|sse|HttpServerResponse|writev|SocketChannel"
    "JIT compiler=C2 CompilerThread|C1 CompilerThread|CompileBroker"
    "GC=GC Thread|G1|GCTaskThread|VM Thread")
  summary worker "${costs[@]}"
  summary server "${costs[@]}"
  ;;
*) echo "usage: bench/profile.sh front|llm [SECONDS] ..." >&2; exit 2 ;;
esac
echo "profiles: $OUT" >&2
