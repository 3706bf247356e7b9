import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * LoRA adapters per request: aggregate decode tokens/s of 4 concurrent streams on the base model, on one
 * adapter, and on two adapters interleaved (2 streams each: llama.cpp applies an adapter to a whole batch, so
 * the scheduler alternates between them step by step). Rounds are interleaved; prints the median of the
 * rounds with their range and each mix's ratio to one adapter, round by round.
 *
 * java bench/LoraBench.java BASE_URL BASE ADAPTER_A ADAPTER_B TOKENS ROUNDS
 */
public class LoraBench {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static final ExecutorService THREADS = Executors.newFixedThreadPool(8);

  public static void main(String[] args) throws Exception {
    String url = args[0];
    int tokens = Integer.parseInt(args[4]);
    int rounds = Integer.parseInt(args[5]);
    Map<String, List<String>> mixes = new LinkedHashMap<>();
    mixes.put("one adapter, 4 streams", List.of(args[2], args[2], args[2], args[2]));
    mixes.put("two adapters, 2 + 2 streams", List.of(args[2], args[3], args[2], args[3]));
    mixes.put("base model, 4 streams", List.of(args[1], args[1], args[1], args[1]));
    List<String> names = new ArrayList<>(mixes.keySet());
    run(url, mixes.get(names.get(1)), 16); // warm-up
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (int k = 0; k < names.size(); k++) {
        String name = names.get((k + round) % names.size());
        double rate = run(url, mixes.get(name), tokens);
        rates.computeIfAbsent(name, n -> new ArrayList<>()).add(rate);
        System.err.printf("round %d %-28s %7.1f tokens/s%n", round, name, rate);
      }
    }
    System.out.println("| mix | tokens/s (range) | vs one adapter |");
    System.out.println("|---|---|---|");
    for (String name : names) {
      System.out.printf("| %s | %s | %s |%n", name, median(rates.get(name)),
          ratio(rates.get(name), rates.get(names.get(0))));
    }
    THREADS.shutdownNow();
  }

  /** Aggregate decode rate of one stream per model in {@code models}, all started together. */
  static double run(String url, List<String> models, int tokens) throws Exception {
    long started = System.nanoTime();
    List<Future<Integer>> streams = new ArrayList<>();
    for (String model : models) {
      streams.add(THREADS.submit(() -> stream(url, model, tokens)));
    }
    int total = 0;
    for (Future<Integer> stream : streams) {
      total += stream.get();
    }
    return total / ((System.nanoTime() - started) / 1e9);
  }

  static int stream(String url, String model, int tokens) throws Exception {
    String body = """
        {"model": "%s", "max_tokens": %d, "temperature": 0, "ignore_eos": true, "stream": true,
         "messages": [{"role": "user", "content": "Tell me about the river and its gates."}]}"""
        .formatted(model, tokens);
    HttpResponse<String> response = HTTP.send(
        HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
            .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(model + ": " + response.statusCode() + " " + response.body());
    }
    return tokens;
  }

  static String median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return String.format("%.1f (%.1f–%.1f)", sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1]);
  }

  static String ratio(List<Double> values, List<Double> peer) {
    double[] ratios = new double[values.size()];
    for (int i = 0; i < ratios.length; i++) {
      ratios[i] = values.get(i) / peer.get(i);
    }
    Arrays.sort(ratios);
    return String.format("%.2fx (%.2f–%.2f)", ratios[ratios.length / 2], ratios[0], ratios[ratios.length - 1]);
  }
}
