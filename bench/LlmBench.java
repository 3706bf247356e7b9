import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * LLM serving: aggregate decode tokens/s and mean time to first token at 1, 4, 8 and 16 concurrent streams,
 * through /v1/chat/completions (SSE) of every target, in interleaved rounds (round r starts at target r, so no
 * target always runs first on a warm or a cold machine). Prints one markdown table: the median of the rounds
 * with their range, and each target's ratio to the first (the peer), taken round by round.
 *
 * java bench/LlmBench.java TOKENS ROUNDS NAME=URL=MODEL...   (the first target is the peer; STREAMS=1,4 to choose;
 * WARMUP_SECONDS=20 of load on each target first; PAUSE_SECONDS=1 of quiet before each run)
 */
public class LlmBench {
  record Target(String name, String url, String model) {}

  record Run(double seconds, double firstTokenMs, int tokens) {}

  record Sample(double tokensPerSecond, double meanFirstTokenMs) {}

  /** The concurrent stream counts measured: {@code STREAMS=1,4} in the environment, else 1, 4, 8, 16. */
  static final int[] STREAMS = Arrays.stream(System.getenv().getOrDefault("STREAMS", "1,4,8,16").split(","))
      .mapToInt(s -> Integer.parseInt(s.trim())).toArray();
  /**
   * Quiet before each run: a server's compute threads spin for a while after its last token (ggml's pool polls,
   * OpenMP's barrier spins for up to ~0.3 s), and on two cores the next target's first decode otherwise shares them
   * with the previous target's spinning threads: that first decode took 61-206 ms here (a step takes 7-25 ms).
   */
  static final long PAUSE_MILLIS = (long) (Double.parseDouble(System.getenv().getOrDefault("PAUSE_SECONDS", "1")) * 1000);
  static final ExecutorService THREADS = Executors.newCachedThreadPool();
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  public static void main(String[] args) throws Exception {
    int tokens = Integer.parseInt(args[0]);
    int rounds = Integer.parseInt(args[1]);
    List<Target> targets = new ArrayList<>();
    for (String spec : Arrays.copyOfRange(args, 2, args.length)) {
      String[] parts = spec.split("=", 3);
      targets.add(new Target(parts[0], parts[1], parts[2]));
    }
    // Warm-up: page cache and first graph allocation, then WARMUP_SECONDS of 4 streams each, so that a JVM
    // server's per-token code is compiled (C2 compiles a method after ~10,000 calls: a token's worth of code
    // runs once a token) before it is measured, as it is in a server that has run for a while.
    long warmupNanos = (long) (Double.parseDouble(System.getenv().getOrDefault("WARMUP_SECONDS", "20")) * 1e9);
    for (Target target : targets) {
      streams(target, Integer.parseInt(System.getenv().getOrDefault("WARMUP_STREAMS", "8")), 2);
      for (long start = System.nanoTime(); System.nanoTime() - start < warmupNanos; ) {
        streams(target, 4, 64);
      }
    }
    Map<String, List<Sample>> samples = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (int streams : STREAMS) {
        for (int i = 0; i < targets.size(); i++) {
          Target target = targets.get((i + round) % targets.size());
          Thread.sleep(PAUSE_MILLIS);
          List<Run> runs = streams(target, streams, tokens);
          double wall = runs.stream().mapToDouble(Run::seconds).max().orElseThrow();
          Sample sample = new Sample(runs.stream().mapToInt(Run::tokens).sum() / wall,
              runs.stream().mapToDouble(Run::firstTokenMs).average().orElseThrow());
          samples.computeIfAbsent(target.name() + "/" + streams, k -> new ArrayList<>()).add(sample);
          System.err.printf("round %d, %2d streams, %-40s %7.1f tok/s, TTFT %7.0f ms%n", round, streams, target.name(),
              sample.tokensPerSecond(), sample.meanFirstTokenMs());
        }
      }
    }
    System.out.println("| target | streams | tokens/s (aggregate) | mean TTFT | tokens/s vs " + targets.getFirst().name()
        + " | TTFT vs " + targets.getFirst().name() + " |");
    System.out.println("|---|---|---|---|---|---|");
    for (int streams : STREAMS) {
      List<Sample> peer = samples.get(targets.getFirst().name() + "/" + streams);
      for (Target target : targets) {
        List<Sample> own = samples.get(target.name() + "/" + streams);
        double[] rate = own.stream().mapToDouble(Sample::tokensPerSecond).toArray();
        double[] ttft = own.stream().mapToDouble(Sample::meanFirstTokenMs).toArray();
        double[] rateRatio = new double[own.size()];
        double[] ttftRatio = new double[own.size()];
        for (int r = 0; r < own.size(); r++) {
          rateRatio[r] = own.get(r).tokensPerSecond() / peer.get(r).tokensPerSecond();
          ttftRatio[r] = own.get(r).meanFirstTokenMs() / peer.get(r).meanFirstTokenMs();
        }
        System.out.printf("| %s | %d | %s | %s | %s | %s |%n", target.name(), streams, spread(rate, "%.1f"),
            spread(ttft, "%.0f ms"), target == targets.getFirst() ? "1" : spread(rateRatio, "%.2fx"),
            target == targets.getFirst() ? "1" : spread(ttftRatio, "%.2fx"));
      }
    }
    System.exit(0);
  }

  /** The median, then the range of the rounds in brackets. */
  static String spread(double[] values, String format) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    return String.format(format, median) + " (" + String.format(format, sorted[0]) + "–"
        + String.format(format, sorted[sorted.length - 1]) + ")";
  }

  static List<Run> streams(Target target, int streams, int tokens) throws Exception {
    List<CompletableFuture<Run>> runs = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      int seed = s;
      runs.add(CompletableFuture.supplyAsync(() -> stream(target, seed, tokens), THREADS));
    }
    return runs.stream().map(CompletableFuture::join).toList();
  }

  static Run stream(Target target, int seed, int tokens) {
    try {
      String body = "{\"model\":\"" + target.model() + "\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
          + "\"max_tokens\":" + tokens + ",\"seed\":" + seed + ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story "
          + "about river number " + seed + " and its gate.\"}]}";
      HttpRequest request = HttpRequest.newBuilder(URI.create(target.url() + "/v1/chat/completions"))
          .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
      long start = System.nanoTime();
      HttpResponse<java.io.InputStream> response;
      try {
        response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
      } catch (java.io.IOException closedBeforeAnswering) {
        // llama-server (cpp-httplib) closes a keep-alive connection after 100 requests; a request the client
        // had just sent on it gets no byte back. Nothing was answered, so it goes again on a new connection.
        start = System.nanoTime();
        response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
      }
      if (response.statusCode() != 200) {
        throw new IllegalStateException(target.name() + " answered " + response.statusCode() + ": "
            + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
      }
      double first = -1;
      int chunks = 0;
      int usage = -1;
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          if (line.startsWith("data: {") && line.contains("\"content\":\"") && !line.contains("\"content\":\"\"")) {
            if (first < 0) {
              first = (System.nanoTime() - start) / 1e6;
            }
            chunks++;
          }
          int at = line.indexOf("\"completion_tokens\":");
          if (at >= 0) {
            usage = Integer.parseInt(line.substring(at + 20).split("[,}]")[0].trim());
          }
        }
      }
      return new Run((System.nanoTime() - start) / 1e9, first, usage > 0 ? usage : chunks);
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }
}
