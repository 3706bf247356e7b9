#!/usr/bin/env bash
# Soak: V2 REST, gRPC and OpenAI chat at 64 connections for MINUTES (default 10); every 10 s the errors and
# p99 of each protocol, the server's RSS, heap after a full GC and open file descriptors. Writes
# bench/results/soak.csv, a summary with the slopes, and docs/images/soak.png (gnuplot).
#
#   bench/soak.sh [MINUTES] [CONNECTIONS]
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
MINUTES=${1:-10}
CONNECTIONS=${2:-64}
WIDTH=64
. "$ROOT/bin/java-home.sh"
command -v gnuplot >/dev/null 2>&1 || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get install -y -q gnuplot-nox; }
"$ROOT/bin/sluice" --version >/dev/null
(cd "$ROOT" && mvn -q -B -ntp -DskipTests install -pl sluice-testkit >/dev/null)
TEST_CP=$(cd "$ROOT" && mvn -q -B -ntp -pl sluice-server dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=/dev/stdout)
CP="$ROOT/sluice-testkit/target/sluice-testkit-0.1.0-SNAPSHOT.jar:$ROOT/sluice-server/target/sluice-server.jar:$ROOT/sluice-server/target/lib/*"
mkdir -p "$ROOT/bench/results" "$ROOT/docs/images"
WORK=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$JAVA_HOME/bin/java" -cp "$CP" io.sluice.testkit.OnnxModelWriter "$WORK/mlp.onnx" "$WIDTH"
echo echo > "$WORK/placeholder"
cat > "$WORK/sluice.yaml" <<YAML
server: {host: 127.0.0.1, port: 0}
applications:
  - name: tensors
    deployments:
      - {name: mlp, runtime: onnx, storageUri: mlp.onnx, maxOngoingRequests: 64}
  - name: llm
    deployments:
      - {name: text, runtime: test-echo-text, storageUri: placeholder, maxOngoingRequests: 64}
YAML
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xms512m -Xmx512m \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" io.sluice.server.cli.SluiceCommand serve --no-watch \
  --config "$WORK/sluice.yaml" > "$WORK/out.log" 2> "$WORK/err.log" & pid=$!
for _ in $(seq 1 300); do grep -q "Sluice listening" "$WORK/out.log" 2>/dev/null && break; sleep 0.2; done
PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/out.log" | head -1)
CSV="$ROOT/bench/results/soak.csv"
echo "soak: $MINUTES min at $CONNECTIONS connections against port $PORT (pid $pid)" >&2
"$JAVA_HOME/bin/java" -cp "$TEST_CP:$CP" "$BENCH/Soak.java" "$PORT" "$pid" "$MINUTES" "$CONNECTIONS" "$WIDTH" "$CSV"

awk -F, 'NR > 1 {
    n++; t[n] = $1 / 60; rss[n] = $11; heap[n] = $12; fds[n] = $13
    ok += $2 + $5 + $8; errors += $3 + $6 + $9
    if ($4 > rest) rest = $4; if ($7 > grpc) grpc = $7; if ($10 > openai) openai = $10
  }
  function slope(y,   i, mt, my, sxy, sxx) {
    for (i = 2; i <= n; i++) { mt += t[i]; my += y[i] } mt /= n - 1; my /= n - 1
    for (i = 2; i <= n; i++) { sxy += (t[i] - mt) * (y[i] - my); sxx += (t[i] - mt) ^ 2 }
    return sxx == 0 ? 0 : sxy / sxx
  }
  END {
    printf "answers %d, errors %d; worst 10-s p99: rest %.1f ms, grpc %.1f ms, openai %.1f ms\n", ok, errors, rest, grpc, openai
    printf "RSS %d -> %d MiB (slope %.2f MiB/min after the first window); heap after GC %d -> %d MiB (%.2f MiB/min); fds %d -> %d (%.2f /min)\n",
      rss[1], rss[n], slope(rss), heap[1], heap[n], slope(heap), fds[1], fds[n], slope(fds)
  }' "$CSV" | tee "$ROOT/bench/results/soak-summary.txt"

gnuplot <<GNUPLOT
set terminal pngcairo size 1100,700 font ",10"
set output "$ROOT/docs/images/soak.png"
set datafile separator ","
set key autotitle columnhead
set multiplot layout 2,2 title "bench/soak.sh: $MINUTES min, $CONNECTIONS connections (V2 REST, gRPC, OpenAI chat)"
set xlabel "seconds"
set ylabel "p99 per 10 s (ms)"
plot "$CSV" using 1:4 with lines title "V2 REST", "" using 1:7 with lines title "gRPC", "" using 1:10 with lines title "OpenAI chat"
set ylabel "answers per 10 s"
plot "$CSV" using 1:(\$2+\$5+\$8) with lines title "answers", "" using 1:(\$3+\$6+\$9) with lines title "errors"
set ylabel "MiB"
plot "$CSV" using 1:11 with lines title "RSS", "" using 1:12 with lines title "heap after full GC"
set ylabel "open file descriptors"
plot "$CSV" using 1:13 with lines title "fds"
unset multiplot
GNUPLOT
echo "soak: wrote $CSV and docs/images/soak.png" >&2
