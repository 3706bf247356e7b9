import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.pipelines.voice.VoiceSpec;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Voice pipeline latency on one question (spoken by the TTS model): POST /voice/v1/audio/voice with the WAV,
 * against a client that calls the stages itself one after another: /v1/audio/transcriptions, then
 * /v1/chat/completions (the pipeline's system prompt, the same max_tokens and temperature 0, so the same reply),
 * then /v1/audio/speech (itself streamed sentence by sentence). Measured: time to the first audio byte and to
 * the last. Requests run one at a time, the two paths alternating.
 * java -cp 'sluice-server/target/lib/*' bench/VoiceBench.java BASE_URL REQUESTS ROUNDS
 */
public class VoiceBench {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String QUESTION = "what is the weather like today";
  static final int MAX_TOKENS = 64;

  record Timing(double firstAudioMs, double totalMs) {}

  public static void main(String[] args) throws Exception {
    String base = args[0];
    int requests = Integer.parseInt(args[1]);
    int rounds = Integer.parseInt(args[2]);
    byte[] question = speech(base, QUESTION).readAllBytes();
    pipeline(base, question); // warm-up: every stage loaded, caches filled
    sequential(base, question);
    System.out.println("| round | first audio: pipeline | first audio: stages in turn | ratio | whole answer: pipeline | whole answer: stages in turn | ratio |");
    System.out.println("|---|---|---|---|---|---|---|");
    double[] firstRatios = new double[rounds];
    double[] totalRatios = new double[rounds];
    for (int round = 0; round < rounds; round++) {
      double[][] piped = new double[2][requests];
      double[][] staged = new double[2][requests];
      for (int i = 0; i < requests; i++) {
        boolean pipelineFirst = (round + i) % 2 == 0;
        Timing a = pipelineFirst ? pipeline(base, question) : sequential(base, question);
        Timing b = pipelineFirst ? sequential(base, question) : pipeline(base, question);
        Timing p = pipelineFirst ? a : b;
        Timing s = pipelineFirst ? b : a;
        piped[0][i] = p.firstAudioMs();
        piped[1][i] = p.totalMs();
        staged[0][i] = s.firstAudioMs();
        staged[1][i] = s.totalMs();
      }
      double pFirst = median(piped[0]);
      double sFirst = median(staged[0]);
      double pTotal = median(piped[1]);
      double sTotal = median(staged[1]);
      firstRatios[round] = pFirst / sFirst;
      totalRatios[round] = pTotal / sTotal;
      System.out.printf(Locale.ROOT, "| %d | %.0f ms | %.0f ms | %.2f | %.0f ms | %.0f ms | %.2f |%n", round + 1, pFirst, sFirst,
          firstRatios[round], pTotal, sTotal, totalRatios[round]);
    }
    System.out.printf(Locale.ROOT, "%nfirst audio byte, pipeline / stages in turn: %.2fx (%.2f–%.2f)%n", median(firstRatios),
        Arrays.stream(firstRatios).min().orElseThrow(), Arrays.stream(firstRatios).max().orElseThrow());
    System.out.printf(Locale.ROOT, "whole answer, pipeline / stages in turn: %.2fx (%.2f–%.2f)%n", median(totalRatios),
        Arrays.stream(totalRatios).min().orElseThrow(), Arrays.stream(totalRatios).max().orElseThrow());
  }

  static Timing pipeline(String base, byte[] question) throws Exception {
    long started = System.nanoTime();
    HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/voice/v1/audio/voice"))
        .header("content-type", "audio/wav").POST(HttpRequest.BodyPublishers.ofByteArray(question)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    return timed(started, response);
  }

  static Timing sequential(String base, byte[] question) throws Exception {
    long started = System.nanoTime();
    String boundary = "bench-" + UUID.randomUUID();
    ByteArrayOutputStream form = new ByteArrayOutputStream();
    form.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper\r\n--" + boundary
        + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"q.wav\"\r\nContent-Type: audio/wav\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8));
    form.writeBytes(question);
    form.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> transcription = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/audio/transcriptions"))
        .header("content-type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(form.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    String text = JSON.readTree(check(transcription)).get("text").asText();
    String chat = JSON.writeValueAsString(Map.of("model", "llm", "max_tokens", MAX_TOKENS, "temperature", 0,
        "messages", new Object[] {Map.of("role", "system", "content", VoiceSpec.DEFAULT_PROMPT),
            Map.of("role", "user", "content", text)}));
    HttpResponse<String> completion = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(chat)).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode reply = JSON.readTree(check(completion)).get("choices").get(0).get("message").get("content");
    String speak = JSON.writeValueAsString(Map.of("model", "tts", "input", reply.asText()));
    HttpResponse<InputStream> speech = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/audio/speech"))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(speak)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    return timed(started, speech);
  }

  static InputStream speech(String base, String text) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/audio/speech")).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("model", "tts", "input", text)))).build(),
        HttpResponse.BodyHandlers.ofInputStream()).body();
  }

  static Timing timed(long started, HttpResponse<InputStream> response) throws Exception {
    if (response.statusCode() != 200) {
      throw new IllegalStateException("status " + response.statusCode() + ": " + new String(response.body().readAllBytes()));
    }
    try (InputStream body = response.body()) {
      if (body.read() < 0) {
        throw new IllegalStateException("empty audio");
      }
      double first = (System.nanoTime() - started) / 1e6;
      body.readAllBytes();
      return new Timing(first, (System.nanoTime() - started) / 1e6);
    }
  }

  static String check(HttpResponse<String> response) {
    if (response.statusCode() != 200) {
      throw new IllegalStateException("status " + response.statusCode() + ": " + response.body());
    }
    return response.body();
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  }
}
