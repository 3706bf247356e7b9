#!/usr/bin/env bash
# Voice pipeline latency: time to the first audio byte and to the whole answer through /voice/v1/audio/voice
# vs a client calling the same stages one after another (transcription → chat completion → speech), on the
# default models (Vosk, the tiny random-weight llama, MaryTTS), the same reply both ways (temperature 0).
#   bench/voice.sh [REQUESTS] [ROUNDS]
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
REQUESTS=${1:-5}; ROUNDS=${2:-3}
. "$ROOT/bin/java-home.sh"
"$ROOT/bin/sluice" --version >/dev/null
WORK=$(mktemp -d); pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=18095
TINY="$ROOT/models/tiny-llama/model.gguf"
if [ ! -f "$TINY" ]; then
  mkdir -p "$(dirname "$TINY")"
  "$JAVA_HOME/bin/java" -cp "$ROOT/sluice-server/target/lib/*" io.sluice.runtime.llm.gguf.RandomModelWriter "$TINY" 256 4
fi
"$ROOT/bin/install-llama" >/dev/null
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
applications:
  - name: models
    deployments:
      - {name: whisper, runtime: vosk, hosting: worker, storageUri: "mvn://com.alphacephei:vosk-model-en:0.3.45:aar!/assets/model-en-us"}
      - {name: llm, runtime: llama, hosting: worker, storageUri: "$TINY", settings: {parallel: "4", ctxSize: "4096", threads: "${LLM_THREADS:-1}"}}
      - {name: tts, runtime: marytts, storageUri: "mvn://de.dfki.mary:voice-cmu-slt-hsmm:5.2.1"}
pipelines:
  - {name: voice, type: voice, asr: whisper, llm: llm, tts: tts, maxTokens: 64, temperature: 0}
YAML
SLUICE_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
  "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/sluice.log" 2>&1 & pid=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && break; sleep 0.2; done
mkdir -p "$BENCH/results"
{
  echo "Voice pipeline, $(nproc) cores, Vosk + tiny llama (64 tokens, temperature 0) + MaryTTS, $REQUESTS requests a point, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  "$JAVA_HOME/bin/java" -cp "$ROOT/sluice-server/target/lib/*" "$BENCH/VoiceBench.java" "http://127.0.0.1:$PORT" \
    "$REQUESTS" "$ROUNDS" 2>&1
} | tee "$BENCH/results/voice-$(date -u +%Y%m%dT%H%M).md"
