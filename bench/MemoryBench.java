import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Models under a memory budget (bench/memory.sh). {@code cycle}: 4 clients, each sending one request
 * to each model in turn (m1, m2, m3, m4, m1, ...); prints requests/s, p50/p99 latency and loads on
 * demand per second. {@code own}: 4 clients, client k on model k only; prints each model's requests/s,
 * the ratio of the busiest to the least busy, the most memory held at any status sample (every 50 ms)
 * against the budget, and failures.
 *
 * <p>java bench/MemoryBench.java URL TOKEN MODE SECONDS WIDTH
 */
public class MemoryBench {
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final List<String> MODELS = List.of("m1", "m2", "m3", "m4");

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String token = args[1];
    String mode = args[2];
    long seconds = Long.parseLong(args[3]);
    int width = Integer.parseInt(args[4]);
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < width; i++) {
      data.append(i == 0 ? "" : ",").append((i % 7) / 7.0);
    }
    String body =
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,"
            + width
            + "],\"data\":["
            + data
            + "]}]}";
    double swapsBefore = swaps(url);
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    ConcurrentHashMap<String, LongAdder> perModel = new ConcurrentHashMap<>();
    LongAdder failures = new LongAdder();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong maxUsed = new AtomicLong();
    AtomicLong budget = new AtomicLong();
    Thread sampler =
        Thread.ofPlatform()
            .start(
                () -> {
                  Pattern used = Pattern.compile("\"usedBytes\":(\\d+)");
                  Pattern total = Pattern.compile("\"budgetBytes\":(\\d+)");
                  while (running.get()) {
                    try {
                      String status =
                          HTTP.send(
                                  HttpRequest.newBuilder(URI.create(url + "/api/v1/status"))
                                      .header("Authorization", "Bearer " + token)
                                      .build(),
                                  HttpResponse.BodyHandlers.ofString())
                              .body();
                      Matcher u = used.matcher(status.substring(status.indexOf("\"memory\"")));
                      Matcher b = total.matcher(status.substring(status.indexOf("\"memory\"")));
                      if (u.find() && b.find()) {
                        maxUsed.accumulateAndGet(Long.parseLong(u.group(1)), Math::max);
                        budget.set(Long.parseLong(b.group(1)));
                      }
                      Thread.sleep(50);
                    } catch (Exception e) {
                      return;
                    }
                  }
                });
    List<Thread> clients = new ArrayList<>();
    long started = System.nanoTime();
    for (int c = 0; c < 4; c++) {
      int client = c;
      clients.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    int turn = client;
                    while (System.nanoTime() < deadline) {
                      String model =
                          mode.equals("cycle") ? MODELS.get(turn++ % 4) : MODELS.get(client);
                      long t0 = System.nanoTime();
                      try {
                        HttpResponse<String> response =
                            HTTP.send(
                                HttpRequest.newBuilder(
                                        URI.create(url + "/v2/models/" + model + "/infer"))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() != 200) {
                          failures.increment();
                          continue;
                        }
                      } catch (Exception e) {
                        failures.increment();
                        continue;
                      }
                      latencies.add(System.nanoTime() - t0);
                      perModel.computeIfAbsent(model, m -> new LongAdder()).increment();
                    }
                  }));
    }
    for (Thread client : clients) {
      client.join();
    }
    double elapsed = (System.nanoTime() - started) / 1e9;
    running.set(false);
    sampler.join();
    double loads = swaps(url) - swapsBefore;
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    if (mode.equals("cycle")) {
      System.out.printf(
          Locale.ROOT,
          "requests/s %.1f  p50 %.1f ms  p99 %.1f ms  loads on demand/s %.2f  failures %d%n",
          sorted.size() / elapsed,
          percentile(sorted, 0.5),
          percentile(sorted, 0.99),
          loads / elapsed,
          failures.sum());
    } else {
      double most = 0;
      double least = Double.MAX_VALUE;
      StringBuilder rates = new StringBuilder();
      for (String model : MODELS) {
        double rate = perModel.getOrDefault(model, new LongAdder()).sum() / elapsed;
        most = Math.max(most, rate);
        least = Math.min(least, rate);
        rates.append(String.format(Locale.ROOT, "%s %.1f/s  ", model, rate));
      }
      System.out.printf(
          Locale.ROOT,
          "%sbusiest/least %.2f  max held %.0f%% of budget  loads on demand/s %.2f  failures %d%n",
          rates,
          least == 0 ? Double.POSITIVE_INFINITY : most / least,
          100.0 * maxUsed.get() / Math.max(1, budget.get()),
          loads / elapsed,
          failures.sum());
    }
  }

  static double percentile(List<Long> sorted, double q) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    return sorted.get(Math.min(sorted.size() - 1, (int) (q * sorted.size()))) / 1e6;
  }

  /** Loads on demand so far: the sum of sluice_deployment_swap_seconds_count. */
  static double swaps(String url) throws Exception {
    String metrics =
        HTTP.send(
                HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    double total = 0;
    for (String line : metrics.lines().toList()) {
      if (line.startsWith("sluice_deployment_swap_seconds_count")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }
}
