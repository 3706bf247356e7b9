import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The agent APIs against chat/completions on the same model and prompt, one request at a time: the
 * latency of a one-token answer (a request's fixed cost: parsing, rendering, the answer's shape) and
 * the streamed decode rate of a long answer (the cost per token: each API's events). Rounds are
 * interleaved (round r starts at API r); prints the median of the rounds with their range, and each
 * API's ratio to chat, taken round by round.
 *
 * java bench/AgentApisBench.java BASE_URL MODEL TOKENS ROUNDS REQUESTS
 */
public class AgentApisBench {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static final String QUESTION = "How fast does the water run through the gate?";

  record Api(String name, String path, String body) {}

  public static void main(String[] args) throws Exception {
    String base = args[0];
    String model = args[1];
    int tokens = Integer.parseInt(args[2]);
    int rounds = Integer.parseInt(args[3]);
    int requests = Integer.parseInt(args[4]);
    List<String> names = List.of("chat/completions", "messages (Anthropic)", "responses (OpenAI)");
    Map<String, List<Double>> latency = new LinkedHashMap<>();
    Map<String, List<Double>> rate = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) { // warm-up
      send(base, api(i, model, 4, false));
      send(base, api(i, model, 16, true));
    }
    for (int round = 0; round < rounds; round++) {
      for (int k = 0; k < 3; k++) {
        int i = (k + round) % 3;
        long started = System.nanoTime();
        for (int r = 0; r < requests; r++) {
          send(base, api(i, model, 1, false));
        }
        double ms = (System.nanoTime() - started) / 1e6 / requests;
        started = System.nanoTime();
        send(base, api(i, model, tokens, true));
        double perSecond = tokens / ((System.nanoTime() - started) / 1e9);
        latency.computeIfAbsent(names.get(i), n -> new ArrayList<>()).add(ms);
        rate.computeIfAbsent(names.get(i), n -> new ArrayList<>()).add(perSecond);
        System.err.printf("round %d %-22s %6.2f ms/request, %6.1f tokens/s%n", round, names.get(i), ms, perSecond);
      }
    }
    System.out.println("| API | one-token answer, ms (range) | vs chat | streamed decode, tokens/s (range) | vs chat |");
    System.out.println("|---|---|---|---|---|");
    for (String name : names) {
      System.out.printf("| %s | %s | %s | %s | %s |%n", name, median(latency.get(name)),
          ratio(latency.get(name), latency.get(names.get(0))), median(rate.get(name)),
          ratio(rate.get(name), rate.get(names.get(0))));
    }
  }

  static Api api(int which, String model, int maxTokens, boolean stream) {
    return switch (which) {
      case 0 -> new Api("chat", "/v1/chat/completions", """
          {"model": "%s", "max_tokens": %d, "temperature": 0, "stream": %b,
           "messages": [{"role": "user", "content": "%s"}]}""".formatted(model, maxTokens, stream, QUESTION));
      case 1 -> new Api("messages", "/v1/messages", """
          {"model": "%s", "max_tokens": %d, "temperature": 0, "stream": %b,
           "messages": [{"role": "user", "content": "%s"}]}""".formatted(model, maxTokens, stream, QUESTION));
      default -> new Api("responses", "/v1/responses", """
          {"model": "%s", "max_output_tokens": %d, "temperature": 0, "stream": %b, "store": false,
           "input": "%s"}""".formatted(model, maxTokens, stream, QUESTION));
    };
  }

  static void send(String base, Api api) throws Exception {
    HttpResponse<String> response = HTTP.send(
        HttpRequest.newBuilder(URI.create(base + api.path())).header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(api.body())).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(api.name() + ": " + response.statusCode() + " " + response.body());
    }
  }

  static String median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return String.format("%.2f (%.2f–%.2f)", sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1]);
  }

  /** The median of the round-by-round ratios, with their range. */
  static String ratio(List<Double> values, List<Double> peer) {
    double[] ratios = new double[values.size()];
    for (int i = 0; i < ratios.length; i++) {
      ratios[i] = values.get(i) / peer.get(i);
    }
    Arrays.sort(ratios);
    return String.format("%.3fx (%.3f–%.3f)", ratios[ratios.length / 2], ratios[0], ratios[ratios.length - 1]);
  }
}
