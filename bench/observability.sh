#!/usr/bin/env bash
# What observing costs: Sluice V2 REST infer on the tiny ONNX model at 16 connections (wrk), the same server
# started five ways, one at a time (each alone on the machine, warmed 15 s), in rotating rounds: plain (dashboard served, nobody watching), with the
# dashboard open (its SSE stream read), with tracing at ratio 1.0 and at 0.01 exporting to a local OTLP sink, and
# with JSON access logs (to /dev/null). Prints throughput and p99 with their ratio to plain (median and range of the rounds).
#
#   bench/observability.sh [SECONDS_PER_POINT] [ROUNDS]     (defaults 10 and 3)
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
DURATION=${1:-10}
ROUNDS=${2:-3}
. "$ROOT/bin/java-home.sh"
command -v wrk >/dev/null 2>&1 || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q wrk; }
"$ROOT/bin/sluice" --version >/dev/null

WORK=$(mktemp -d)
RESULTS="$BENCH/results"; mkdir -p "$RESULTS"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 300); do port_free "$1" || return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }
to_ms() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.2f", n }'; }

# A local OTLP/HTTP sink: accepts every export and drops it.
SINK_PORT=18431
python3 - "$SINK_PORT" > /dev/null 2>&1 <<'PY' & pids+=($!)
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
wait_port $SINK_PORT

MODEL="$ROOT/models/softmax/model.onnx"
DATA=$(seq 0 59 | awk '{printf "%s%d", (NR>1?",":""), $1 % 5}')
echo "{\"inputs\":[{\"name\":\"x\",\"shape\":[3,4,5],\"datatype\":\"FP32\",\"data\":[$DATA]}]}" > "$WORK/infer.json"

declare -A EXTRA=(
  [plain]=""
  [dashboard]=""
  [tracing]="tracing: {endpoint: 'http://127.0.0.1:$SINK_PORT', sampleRatio: 1.0}"
  [tracing1pct]="tracing: {endpoint: 'http://127.0.0.1:$SINK_PORT', sampleRatio: 0.01}"
  [accesslog]="accessLog: true"
)
PORT=18500
start() { # name: starts it alone on the machine; its port in PORT_NOW, its pid in PID_NOW
  local name=$1
  PORT_NOW=$((PORT++))
  cat > "$WORK/$name.yaml" <<YAML
server:
  port: $PORT_NOW
  ${EXTRA[$name]}
applications:
  - name: softmax
    deployments:
      - {name: softmax, runtime: onnx, storageUri: '$MODEL'}
YAML
  "$ROOT/bin/sluice" serve --config "$WORK/$name.yaml" > /dev/null 2> "$WORK/$name.log" & PID_NOW=$!; pids+=($PID_NOW)
  wait_port "$PORT_NOW"
}

NAMES=(plain dashboard tracing tracing1pct accesslog)
stamp=$(date -u +%Y%m%dT%H%M)
raw="$RESULTS/observability-$stamp.tsv"
: > "$raw"
order=("${NAMES[@]}")
for round in $(seq 1 "$ROUNDS"); do
  for name in "${order[@]}"; do
    start "$name"
    url="http://127.0.0.1:$PORT_NOW/v2/models/softmax/infer"
    viewer=""
    if [ "$name" = dashboard ]; then
      curl -sN "http://127.0.0.1:$PORT_NOW/dashboard/stream" > /dev/null & viewer=$!
    fi
    BODY_FILE="$WORK/infer.json" wrk -t2 -c16 -d15s -s "$BENCH/post.lua" "$url" > /dev/null # warm up (the JIT needs ~15 s)
    out=$(BODY_FILE="$WORK/infer.json" wrk -t2 -c16 -d"${DURATION}s" --latency -s "$BENCH/post.lua" "$url")
    rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
    p99=$(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')")
    errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
    printf "%s\t%s\t%s\t%s\t%s\n" "$round" "$name" "$rps" "$p99" "$errors" >> "$raw"
    [ -n "$viewer" ] && kill "$viewer" 2>/dev/null
    kill -9 "$PID_NOW" 2>/dev/null; wait "$PID_NOW" 2>/dev/null || true
  done
  order=("${order[@]:1}" "${order[0]}") # rotate, so no configuration always runs first
done

python3 - "$raw" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
by = {}
for r, name, rps, p99, errors in rows:
    by.setdefault(name, {})[r] = (float(rps), float(p99), errors.strip())
print("| configuration | req/s (median) | vs plain (median, range) | p99 ms (median) | p99 vs plain (median, range) | errors |")
print("|---|---|---|---|---|---|")
for name in ["plain", "dashboard", "tracing", "tracing1pct", "accesslog"]:
    rounds = sorted(by[name])
    rps = [by[name][r][0] for r in rounds]; p99 = [by[name][r][1] for r in rounds]
    ratio = [by[name][r][0] / by["plain"][r][0] for r in rounds]
    pratio = [by[name][r][1] / by["plain"][r][1] for r in rounds]
    errs = " ".join(e for e in (by[name][r][2] for r in rounds) if e) or "0"
    print(f"| {name} | {statistics.median(rps):.0f} | {statistics.median(ratio):.2f} ({min(ratio):.2f}-{max(ratio):.2f}) "
          f"| {statistics.median(p99):.2f} | {statistics.median(pratio):.2f} ({min(pratio):.2f}-{max(pratio):.2f}) | {errs} |")
PY
echo "raw rounds: $raw"
