#!/usr/bin/env bash
# Model benchmarks on the default models: embeddings inputs/s through Sluice vs a bare ONNX Runtime
# loop, and the ASR real-time factor.   bench/models.sh [SECONDS]
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SECONDS_PER_POINT=${1:-10}
. "$ROOT/bin/java-home.sh"
"$ROOT/bin/sluice" --version >/dev/null
command -v espeak-ng >/dev/null || { echo "needs espeak-ng" >&2; exit 1; }
WORK=$(mktemp -d); pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=18095
SLUICE_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
  "$ROOT/bin/sluice" serve --port $PORT --no-watch > "$WORK/out.log" 2>&1 & pid=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && break; sleep 0.2; done
espeak-ng -v en-us --stdout "serving many models from one port is what this server does, and it measures how fast it listens to speech" > "$WORK/speech.wav"
{
  echo "Models, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| case | result | ratio |"
  echo "|---|---|---|"
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$ROOT/sluice-server/target/lib/*" \
    "$BENCH/ModelsBench.java" "http://127.0.0.1:$PORT" "$WORK/speech.wav" "$SECONDS_PER_POINT" 2>/dev/null
} | tee "$BENCH/results/models-$(date -u +%Y%m%dT%H%M).md"
