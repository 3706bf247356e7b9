#!/usr/bin/env bash
# Realtime voice: end of speech → the reply's first audio, a realtime session with the LLM prefilled while the
# user speaks vs without, and the HTTP /voice route, on a 40-word question spoken by espeak-ng; Silero VAD,
# Vosk, a random-weight Qwen2.5-0.5B-shaped LLM (Q8_0: prefill costs what a real one's does), espeak-ng.
# Then how many sessions at once the machine keeps up with (VAD + ASR per stream, LLM and TTS shared).
#   bench/realtime.sh [ROUNDS] [SESSIONS...]   (defaults 5 and 1 2 4 8; ROUNDS 0 measures sessions only)
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
ROUNDS=${1:-5}; shift || true; SESSIONS=${*:-1 2 4 8}
. "$ROOT/bin/java-home.sh"
"$ROOT/bin/sluice" --version >/dev/null
WORK=$(mktemp -d); pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=18096
QWEN="$HOME/.cache/sluice/bench/qwen2.5-0.5b-q8_0.gguf"
if [ ! -f "$QWEN" ]; then
  mkdir -p "$(dirname "$QWEN")"
  "$JAVA_HOME/bin/java" -cp "$ROOT/sluice-server/target/lib/*" io.sluice.runtime.llm.gguf.RandomModelWriter "$QWEN" qwen2.5-0.5b q8_0
fi
"$ROOT/bin/install-llama" >/dev/null
QUESTION="I am planning a trip to the mountains next weekend with two friends and a dog, and I would like to know which warm clothes we should pack, how much water to carry, and whether we really need a map"
espeak-ng -w "$WORK/question.wav" "$QUESTION"
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
applications:
  - name: models
    deployments:
      - {name: whisper, runtime: vosk, hosting: worker, storageUri: "mvn://com.alphacephei:vosk-model-en:0.3.45:aar!/assets/model-en-us"}
      - {name: llm, runtime: llama, hosting: worker, storageUri: "$QWEN", settings: {parallel: "2", ctxSize: "4096", threads: "2"}}
      - {name: tts, runtime: espeak, storageUri: "file:///usr/lib/x86_64-linux-gnu/espeak-ng-data"}
      - {name: vad, runtime: onnx, storageUri: "npm://@ricky0123/vad-web@0.0.31!/dist/silero_vad_v5.onnx"}
pipelines:
  - {name: voice, type: voice, asr: whisper, llm: llm, tts: tts, vad: vad, maxTokens: 16, temperature: 0}
  - {name: voice-plain, type: voice, asr: whisper, llm: llm, tts: tts, vad: vad, maxTokens: 16, temperature: 0, prefillWhileSpeaking: false}
YAML
SLUICE_JAVA_OPTS="-Dorg.slf4j.simpleLogger.defaultLogLevel=warn" \
  "$ROOT/bin/sluice" serve --config "$WORK/sluice.yaml" --no-watch > "$WORK/sluice.log" 2>&1 & pid=$!
for _ in $(seq 1 900); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && break; sleep 0.2; done
mkdir -p "$BENCH/results"
{
  echo "Realtime voice, $(nproc) cores, Silero VAD + Vosk + random Qwen2.5-0.5B-shaped Q8_0 (2 threads, 16 tokens, temperature 0) + espeak-ng, a $(echo "$QUESTION" | wc -w)-word question, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  if [ "$ROUNDS" -gt 0 ]; then
    "$JAVA_HOME/bin/java" -cp "$ROOT/sluice-server/target/lib/*" "$BENCH/RealtimeBench.java" "http://127.0.0.1:$PORT" \
      "$WORK/question.wav" "$ROUNDS" 2>&1
  fi
  echo
  echo "Sessions at once, each speaking the question twice at real-time pace:"
  echo
  espeak-ng -w "$WORK/short.wav" "please call me tomorrow morning at nine"
  "$JAVA_HOME/bin/java" -cp "$ROOT/sluice-server/target/lib/*" "$BENCH/RealtimeLoadBench.java" "http://127.0.0.1:$PORT" \
    "$WORK/short.wav" $SESSIONS 2>&1
} | tee "$BENCH/results/realtime-$(date -u +%Y%m%dT%H%M).md"
