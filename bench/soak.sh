#!/usr/bin/env bash
# Soak: V2 REST, gRPC and OpenAI chat at 64 connections for MINUTES (default 10); every 10 s the errors and
# p99 of each protocol, the server's RSS, old generation after a full GC and open file descriptors. Writes
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
# AlwaysPreTouch: the heap's pages are resident from the start, so RSS shows growth outside the heap.
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xms512m -Xmx512m -XX:+AlwaysPreTouch \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" io.sluice.server.cli.SluiceCommand serve --no-watch \
  --config "$WORK/sluice.yaml" > "$WORK/out.log" 2> "$WORK/err.log" & pid=$!
for _ in $(seq 1 300); do grep -q "Sluice listening" "$WORK/out.log" 2>/dev/null && break; sleep 0.2; done
PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/out.log" | head -1)
CSV="$ROOT/bench/results/soak.csv"
echo "soak: $MINUTES min at $CONNECTIONS connections against port $PORT (pid $pid)" >&2
"$JAVA_HOME/bin/java" -cp "$TEST_CP:$CP" "$BENCH/Soak.java" "$PORT" "$pid" "$MINUTES" "$CONNECTIONS" "$WIDTH" "$CSV"

# The first window is warm-up (JIT, connection set-up) and the last one ends while clients stop: the
# slopes are fitted to the windows in between, from the second minute on.
awk -F, 'NR > 1 { n++; t[n] = $1 / 60; rss[n] = $11; heap[n] = $12; fds[n] = $13; ok[n] = $2 + $5 + $8; err[n] = $3 + $6 + $9
    p99[n] = ($4 > $7 ? ($4 > $10 ? $4 : $10) : ($7 > $10 ? $7 : $10)) }
  function slope(y,   i, k, mt, my, sxy, sxx) {
    for (i = 1; i < n; i++) if (t[i] >= 1) { k++; mt += t[i]; my += y[i] }
    if (k < 2) return 0; mt /= k; my /= k
    for (i = 1; i < n; i++) if (t[i] >= 1) { sxy += (t[i] - mt) * (y[i] - my); sxx += (t[i] - mt) ^ 2 }
    return sxy / sxx
  }
  END {
    for (i = 1; i <= n; i++) { answers += ok[i]; errors += err[i]; if (i > 1 && i < n && p99[i] > worst) worst = p99[i] }
    printf "answers %d, errors %d; first window (warm-up) p99 %.1f ms; worst p99 of any later 10-s window %.1f ms\n", answers, errors, p99[1], worst
    printf "RSS %d -> %d MiB (slope %.2f MiB/min); old generation after full GC %d -> %d MiB (%.2f MiB/min); fds %d -> %d (%.2f /min)\n",
      rss[1], rss[n - 1], slope(rss), heap[1], heap[n - 1], slope(heap), fds[1], fds[n - 1], slope(fds)
  }' "$CSV" | tee "$ROOT/bench/results/soak-summary.txt"
# Connections the server closed on its own (PING abuse, keep-alive timeouts) or anything else it warned of.
warnings=$(grep -cE " (WARN|ERROR) " "$WORK/err.log" || true)
echo "server warnings and errors logged: $warnings" | tee -a "$ROOT/bench/results/soak-summary.txt"
grep -E " (WARN|ERROR) " "$WORK/err.log" | head -5 >&2 || true

gnuplot <<GNUPLOT
set terminal pngcairo size 1100,700 font ",10"
set output "$ROOT/docs/images/soak.png"
set datafile separator ","
set key autotitle columnhead
set multiplot layout 2,2 title "bench/soak.sh: $MINUTES min, $CONNECTIONS connections (V2 REST, gRPC, OpenAI chat)"
set xlabel "seconds"
set ylabel "p99 per 10 s (ms, log scale)"
set logscale y
plot "$CSV" using 1:4 with lines title "V2 REST", "" using 1:7 with lines title "gRPC", "" using 1:10 with lines title "OpenAI chat"
unset logscale y
set ylabel "answers per 10 s"
plot "$CSV" using 1:(\$2+\$5+\$8) with lines title "answers", "" using 1:(\$3+\$6+\$9) with lines title "errors"
set ylabel "MiB"
plot "$CSV" using 1:11 with lines title "RSS", "" using 1:12 with lines title "old generation after full GC"
set ylabel "open file descriptors"
set yrange [0:*]
plot "$CSV" using 1:13 with lines title "fds"
unset multiplot
GNUPLOT
echo "soak: wrote $CSV and docs/images/soak.png" >&2
