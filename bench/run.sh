#!/usr/bin/env bash
# Front-door benchmark: Sluice V2 REST infer (and gRPC ModelInfer) on a tiny ONNX model, side by side
# with nginx (`return 200`, one worker) and a raw Netty hello server, driven by wrk and h2load on
# loopback. Prints a markdown table with Sluice/nginx ratios; results also land in bench/results/.
#
#   bench/run.sh [DURATION_SECONDS]      (default 10 s per point)
#
# Installs nginx, wrk and nghttp2-client (h2load) with apt when missing (needs root or sudo).
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
DURATION=${1:-10}
. "$ROOT/bin/java-home.sh"

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v h2load >/dev/null 2>&1 || need+=(nghttp2-client)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# Build the server if needed (bin/sluice does it on first use), and the testkit (its ONNX writer).
"$ROOT/bin/sluice" --version >/dev/null
(cd "$ROOT" && mvn -q -B -ntp -DskipTests install -pl sluice-testkit >/dev/null)
LIB="$ROOT/sluice-server/target/lib/*:$ROOT/sluice-server/target/sluice-server.jar"

WORK=$(mktemp -d)
RESULTS="$BENCH/results"; mkdir -p "$RESULTS"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 100); do port_free "$1" || return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

# nginx: one worker, return 200 to everything.
NGINX_PORT=18081
mkdir -p "$WORK/nginx/logs"
cat > "$WORK/nginx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_buffer_size 64k;
  server { listen 127.0.0.1:$NGINX_PORT; location / { return 200 "ok"; } }
}
NGX
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" & pids+=($!)

# Raw Netty hello (2 event loops, as Sluice uses on this machine by default).
NETTY_PORT=18082
"$JAVA_HOME/bin/java" -cp "$LIB" "$BENCH/RawNettyHello.java" $NETTY_PORT "$(nproc)" > "$WORK/netty.log" 2>&1 & pids+=($!)

# Sluice with the repository's example model (softmax, FP32 [3,4,5]), and for 1 MiB tensors a 16-wide
# MLP whose batch of 16,384 rows is 1 MiB in and out (a cheap model: the transfer is what is measured).
SLUICE_PORT=18083
"$JAVA_HOME/bin/java" -cp "$ROOT/sluice-testkit/target/sluice-testkit-0.1.0-SNAPSHOT.jar:$LIB" \
  io.sluice.testkit.OnnxModelWriter "$WORK/mlp16.onnx" 16
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $SLUICE_PORT}
applications:
  - name: softmax
    deployments:
      - {name: softmax, runtime: onnx, storageUri: "file://$ROOT/models/softmax/model.onnx"}
      - {name: mlp16, runtime: onnx, storageUri: "file://$WORK/mlp16.onnx"}
YAML
SLUICE_JAVA_OPTS="-Xms1g -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
  "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" > "$WORK/sluice.log" 2>&1 & pids+=($!)
wait_port $NGINX_PORT; wait_port $NETTY_PORT; wait_port $SLUICE_PORT

DATA=$(seq 0 59 | awk '{printf "%s%d", (NR>1?",":""), $1 % 5}')
echo "{\"inputs\":[{\"name\":\"x\",\"shape\":[3,4,5],\"datatype\":\"FP32\",\"data\":[$DATA]}]}" > "$WORK/infer.json"
"$JAVA_HOME/bin/java" -cp "$LIB" "$BENCH/GrpcBody.java" softmax x 3,4,5 "$WORK/infer.grpc"
curl -sf -X POST --data-binary @"$WORK/infer.json" "http://127.0.0.1:$SLUICE_PORT/v2/models/softmax/infer" > /dev/null

# wrk → "rps p50_ms p99_ms"
run_wrk() { # url connections [post]
  local threads=2; [ "$2" -lt 2 ] && threads=1
  local out
  if [ "${3:-}" = post ]; then
    out=$(BODY_FILE="$WORK/infer.json" wrk -t$threads -c"$2" -d"${DURATION}s" --latency -s "$BENCH/post.lua" "$1")
  else
    out=$(wrk -t$threads -c"$2" -d"${DURATION}s" --latency "$1")
  fi
  echo "$out" >> "$RESULTS/wrk-raw.log"
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}
to_ms() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.2f", n }'; }

# h2load gRPC → "rps p50_ms? p99_ms?" (h2load reports mean/sd/max for request time; we give mean and max)
run_h2load() { # connections [streams per connection]
  local clients=$1 streams=${2:-1}
  local out
  out=$(h2load -D "$DURATION" -c "$clients" -m "$streams" -t 1 -d "$WORK/infer.grpc" \
    -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$SLUICE_PORT/inference.GRPCInferenceService/ModelInfer" 2>&1)
  echo "$out" >> "$RESULTS/h2load-raw.log"
  local rps mean max ok
  rps=$(echo "$out" | awk '/^finished in/ {gsub(",", "", $4); printf "%.0f", $4}')
  mean=$(echo "$out" | awk '/^time for request:/ {print $6}')
  max=$(echo "$out" | awk '/^time for request:/ {print $5}')
  ok=$(echo "$out" | awk '/^status codes:/ {gsub(",", "", $3); print $3}')
  echo "$rps $(to_ms "$mean") $(to_ms "$max") $ok"
}

: > "$RESULTS/wrk-raw.log"; : > "$RESULTS/h2load-raw.log"
echo "warming up (JIT) ..." >&2
run_wrk "http://127.0.0.1:$SLUICE_PORT/v2/models/softmax/infer" 64 post > /dev/null
run_h2load 16 > /dev/null
run_wrk "http://127.0.0.1:$SLUICE_PORT/v2/health/live" 16 > /dev/null
: > "$RESULTS/wrk-raw.log"; : > "$RESULTS/h2load-raw.log"
{
  echo "Front door, $(nproc) cores, ${DURATION}s per point, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| connections | nginx rps | raw Netty rps | Sluice /v2/health/live rps | Sluice V2 REST infer rps (p50 / p99 ms) | infer / nginx | Sluice gRPC ModelInfer rps (mean / max ms) | gRPC / REST |"
  echo "|---|---|---|---|---|---|---|---|"
  for c in 1 16 64; do
    read -r n_rps _ _ <<< "$(run_wrk "http://127.0.0.1:$NGINX_PORT/" "$c")"
    read -r r_rps _ _ <<< "$(run_wrk "http://127.0.0.1:$NETTY_PORT/" "$c")"
    read -r h_rps _ _ <<< "$(run_wrk "http://127.0.0.1:$SLUICE_PORT/v2/health/live" "$c")"
    read -r i_rps i_p50 i_p99 <<< "$(run_wrk "http://127.0.0.1:$SLUICE_PORT/v2/models/softmax/infer" "$c" post)"
    read -r g_rps g_mean g_max g_ok <<< "$(run_h2load "$c")"
    ratio=$(awk -v a="$i_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", a/b }')
    gratio=$(awk -v a="$g_rps" -v b="$i_rps" 'BEGIN { printf "%.2f", a/b }')
    echo "| $c | $n_rps | $r_rps | $h_rps | $i_rps ($i_p50 / $i_p99) | $ratio | $g_rps ($g_mean / $g_max; ${g_ok} 2xx) | $gratio |"
    rest64=$i_rps
  done
  echo
  # gRPC clients (grpc-java, grpc-go, Triton's) multiplex concurrent calls over one channel's connection;
  # HTTP/1.1 cannot, so REST keeps one connection per call in flight.
  echo "| 64 gRPC calls in flight, connections x streams | Sluice gRPC ModelInfer rps (mean / max ms) | gRPC / REST at 64 connections |"
  echo "|---|---|---|"
  for shape in "8 8" "1 64"; do
    read -r conns streams <<< "$shape"
    read -r g_rps g_mean g_max g_ok <<< "$(run_h2load "$conns" "$streams")"
    echo "| $conns x $streams | $g_rps ($g_mean / $g_max; ${g_ok} 2xx) | $(awk -v a="$g_rps" -v b="$rest64" 'BEGIN { printf "%.2f", a/b }') |"
  done
  echo
  # 1 MiB tensors (FP32 [16384, 16] in and out): the JSON body against the binary tensor extension
  header_length=$("$JAVA_HOME/bin/java" "$BENCH/TensorBodies.java" "$WORK" x 16384 16)
  big() { # json|binary connections
    local out threads=2; [ "$2" -lt 2 ] && threads=1
    if [ "$1" = json ]; then
      out=$(BODY_FILE="$WORK/json.body" wrk -t$threads -c"$2" -d"${DURATION}s" --latency -s "$BENCH/post.lua" \
        "http://127.0.0.1:$SLUICE_PORT/v2/models/mlp16/infer")
    else
      out=$(BODY_FILE="$WORK/binary.body" CONTENT_TYPE=application/octet-stream \
        EXTRA_HEADER="Inference-Header-Content-Length: $header_length" \
        wrk -t$threads -c"$2" -d"${DURATION}s" --latency -s "$BENCH/post.lua" "http://127.0.0.1:$SLUICE_PORT/v2/models/mlp16/infer")
    fi
    echo "$out" >> "$RESULTS/wrk-raw.log"
    echo "$out" | awk '/Requests\/sec/ {printf "%.1f", $2}'
    echo -n " "; echo "$out" | awk '/Non-2xx/ {print $NF; found=1} END {if (!found) print 0}'
  }
  echo "| 1 MiB FP32 tensor in and out, connections | JSON rps | binary extension rps | binary / JSON |"
  echo "|---|---|---|---|"
  for c in 1 4; do
    read -r j_rps j_bad <<< "$(big json "$c")"
    read -r b_rps b_bad <<< "$(big binary "$c")"
    [ "$j_bad" = 0 ] && [ "$b_bad" = 0 ] || echo "non-2xx answers: JSON $j_bad, binary $b_bad" >&2
    echo "| $c | $j_rps | $b_rps | $(awk -v a="$b_rps" -v b="$j_rps" 'BEGIN { printf "%.1f", a/b }') |"
  done
} | tee "$RESULTS/frontdoor-$(date -u +%Y%m%dT%H%M).md"
