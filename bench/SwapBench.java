import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Time to first token of an LLM when it is loaded (warm) and right after BGE and Vosk took its room
 * (a load on demand), on a budget that holds two of the three (bench/swap.sh). Each round: the LLM
 * twice (the second is warm), then one embedding and one transcription (they evict the LLM), then
 * the LLM again (after a swap). Prints medians and ranges of each, and BGE's and Vosk's latency.
 *
 * <p>java bench/SwapBench.java URL ROUNDS
 */
public class SwapBench {
  static final HttpClient HTTP = HttpClient.newHttpClient();

  /** A delta with text in it (the first chunk carries only the role and an empty content). */
  static final java.util.regex.Pattern TOKEN =
      java.util.regex.Pattern.compile("\"content\":\"[^\"]");

  public static void main(String[] args) throws Exception {
    String url = args[0];
    int rounds = Integer.parseInt(args[1]);
    List<Double> warm = new ArrayList<>();
    List<Double> swapped = new ArrayList<>();
    List<Double> embed = new ArrayList<>();
    List<Double> transcribe = new ArrayList<>();
    byte[] wav = silence(16_000, 2);
    for (int round = 0; round < rounds; round++) {
      firstToken(url);
      warm.add(firstToken(url));
      long t0 = System.nanoTime();
      check(
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url + "/v1/embeddings"))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"model\": \"bge-small\", \"input\": \"how far is the moon\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
      embed.add((System.nanoTime() - t0) / 1e6);
      t0 = System.nanoTime();
      String boundary = UUID.randomUUID().toString();
      ByteArrayOutputStream form = new ByteArrayOutputStream();
      form.write(
          ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper\r\n")
              .getBytes(StandardCharsets.UTF_8));
      form.write(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                  + "Content-Type: audio/wav\r\n\r\n")
              .getBytes(StandardCharsets.UTF_8));
      form.write(wav);
      form.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
      check(
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url + "/v1/audio/transcriptions"))
                  .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                  .POST(HttpRequest.BodyPublishers.ofByteArray(form.toByteArray()))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
      transcribe.add((System.nanoTime() - t0) / 1e6);
      swapped.add(firstToken(url));
    }
    System.out.println("LLM time to first token, warm:       " + summary(warm));
    System.out.println("LLM time to first token, after swap: " + summary(swapped));
    System.out.println("BGE embedding (LLM evicted or not):  " + summary(embed));
    System.out.println("Vosk transcription of 2 s:           " + summary(transcribe));
  }

  static void check(HttpResponse<String> response) {
    if (response.statusCode() != 200) {
      throw new IllegalStateException(response.statusCode() + " " + response.body());
    }
  }

  /** Milliseconds from sending a streamed chat request to the first content delta. */
  static double firstToken(String url) throws Exception {
    String body =
        "{\"model\": \"llm\", \"stream\": true, \"max_tokens\": 8, \"messages\": [{\"role\": \"user\","
            + " \"content\": \"Tell me about the sea.\"}]}";
    long t0 = System.nanoTime();
    HttpResponse<InputStream> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    double first = -1;
    try (var lines =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        if (first < 0 && line.startsWith("data:") && TOKEN.matcher(line).find()) {
          first = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
    if (response.statusCode() != 200 || first < 0) {
      throw new IllegalStateException("no token: " + response.statusCode());
    }
    return first;
  }

  static String summary(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return String.format(
        Locale.ROOT,
        "median %.0f ms (%.0f–%.0f)",
        sorted.get(sorted.size() / 2),
        sorted.getFirst(),
        sorted.getLast());
  }

  static byte[] silence(int rate, int seconds) {
    int samples = rate * seconds;
    ByteBuffer wav = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
    wav.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples * 2);
    wav.put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1);
    wav.putShort((short) 1).putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16);
    wav.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples * 2);
    for (int i = 0; i < samples; i++) {
      wav.putShort((short) (Math.sin(i * 2 * Math.PI * 220 / rate) * 3000));
    }
    return wav.array();
  }
}
