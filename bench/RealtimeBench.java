import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.audio.Pcm16;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Time from the end of speech to the reply's first audio, on one 40-word question spoken by espeak-ng:
 * a realtime session (WebSocket, audio streamed at real-time pace, the server's VAD ends the turn) with the
 * LLM prefilled while the user speaks (pipeline "voice") and without (pipeline "voice-plain"), and the HTTP
 * route /voice-plain/v1/audio/voice given the whole WAV once speech ends. Each session has instructions of its
 * own (and each HTTP request a first message of its own), so no run reuses another's prefix cache. Runs
 * alternate. Also reported: from the server's speech_stopped to the first audio (the VAD's silence wait
 * taken out).
 * java -cp 'sluice-server/target/lib/*' bench/RealtimeBench.java BASE_URL QUESTION.wav ROUNDS
 */
public class RealtimeBench {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final int CHUNK = 2400; // 50 ms of 24 kHz PCM16 (bytes: 4800)

  record Timing(double fromSpeechEndMs, double fromStopMs, double transcribedMs) {}

  public static void main(String[] args) throws Exception {
    String base = args[0];
    byte[] wav = Files.readAllBytes(Path.of(args[1]));
    int rounds = Integer.parseInt(args[2]);
    byte[] pcm = Pcm16.wav(wav).resample(24_000).rawBytes();
    realtime(base, "voice", pcm); // warm-up
    realtime(base, "voice-plain", pcm);
    http(base, wav);
    System.out.println(
        "| round | realtime, prefill while speaking | realtime, no prefill | ratio | after speech_stopped: prefill | no prefill | of which transcription: prefill | no prefill | HTTP /voice (whole WAV at end of speech) |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    double[][] all = new double[7][rounds];
    for (int round = 0; round < rounds; round++) {
      Timing with;
      Timing without;
      if (round % 2 == 0) {
        with = realtime(base, "voice", pcm);
        without = realtime(base, "voice-plain", pcm);
      } else {
        without = realtime(base, "voice-plain", pcm);
        with = realtime(base, "voice", pcm);
      }
      double viaHttp = http(base, wav);
      all[0][round] = with.fromSpeechEndMs();
      all[1][round] = without.fromSpeechEndMs();
      all[2][round] = with.fromStopMs();
      all[3][round] = without.fromStopMs();
      all[4][round] = viaHttp;
      all[5][round] = with.transcribedMs();
      all[6][round] = without.transcribedMs();
      System.out.printf(
          Locale.ROOT,
          "| %d | %.0f ms | %.0f ms | %.2fx | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms |%n",
          round + 1,
          with.fromSpeechEndMs(),
          without.fromSpeechEndMs(),
          without.fromSpeechEndMs() / with.fromSpeechEndMs(),
          with.fromStopMs(),
          without.fromStopMs(),
          with.transcribedMs(),
          without.transcribedMs(),
          viaHttp);
    }
    System.out.printf(
        Locale.ROOT,
        "| median | %.0f ms | %.0f ms | %.2fx | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms |%n",
        median(all[0]),
        median(all[1]),
        median(all[1]) / median(all[0]),
        median(all[2]),
        median(all[3]),
        median(all[5]),
        median(all[6]),
        median(all[4]));
  }

  static Timing realtime(String base, String model, byte[] pcm) throws Exception {
    LinkedBlockingQueue<Object[]> events = new LinkedBlockingQueue<>();
    WebSocket socket =
        HTTP.newWebSocketBuilder()
            .buildAsync(
                URI.create(base.replace("http", "ws") + "/v1/realtime?model=" + model),
                new WebSocket.Listener() {
                  final StringBuilder text = new StringBuilder();

                  @Override
                  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                    text.append(data);
                    if (last) {
                      try {
                        events.add(new Object[] {JSON.readTree(text.toString()), System.nanoTime()});
                      } catch (Exception e) {
                        throw new IllegalStateException(e);
                      }
                      text.setLength(0);
                    }
                    ws.request(1);
                    return null;
                  }
                })
            .get(20, TimeUnit.SECONDS);
    try {
      socket
          .sendText(
              "{\"type\": \"session.update\", \"session\": {\"instructions\": \"You are voice assistant "
                  + UUID.randomUUID()
                  + ". Answer in one to three short spoken sentences.\"}}",
              true)
          .get();
      byte[] silence = new byte[CHUNK * 2];
      long next = System.nanoTime();
      for (int i = 0; i < 10; i++) {
        next = paced(socket, silence, next);
      }
      for (int at = 0; at < pcm.length; at += CHUNK * 2) {
        next = paced(socket, Arrays.copyOfRange(pcm, at, Math.min(pcm.length, at + CHUNK * 2)), next);
      }
      long speechEnd = System.nanoTime();
      long stopped = -1;
      long transcribed = -1;
      while (true) {
        next = paced(socket, silence, next);
        Object[] event;
        while ((event = events.poll()) != null) {
          String type = ((JsonNode) event[0]).path("type").asText();
          if (type.equals("input_audio_buffer.speech_stopped")) {
            stopped = (long) event[1];
          } else if (type.equals("conversation.item.input_audio_transcription.completed")) {
            transcribed = (long) event[1];
          } else if (type.equals("response.output_audio.delta")) {
            long first = (long) event[1];
            return new Timing(
                (first - speechEnd) / 1e6, (first - stopped) / 1e6, (transcribed - stopped) / 1e6);
          } else if (type.equals("error")) {
            throw new IllegalStateException(event[0].toString());
          }
        }
        if (System.nanoTime() - speechEnd > TimeUnit.SECONDS.toNanos(60)) {
          throw new IllegalStateException("no reply audio within 60 s");
        }
      }
    } finally {
      socket.abort();
    }
  }

  /** Sends a chunk when real time says it is due. */
  static long paced(WebSocket socket, byte[] chunk, long due) throws Exception {
    long wait = due - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
    socket
        .sendText(
            "{\"type\": \"input_audio_buffer.append\", \"audio\": \""
                + Base64.getEncoder().encodeToString(chunk)
                + "\"}",
            true)
        .get();
    return due + TimeUnit.MILLISECONDS.toNanos(chunk.length / 48);
  }

  static double http(String base, byte[] wav) throws Exception {
    String messages =
        "[{\"role\": \"user\", \"content\": \"session "
            + UUID.randomUUID()
            + "\"}, {\"role\": \"assistant\", \"content\": \"Hello.\"}]";
    long start = System.nanoTime();
    HttpResponse<java.io.InputStream> response =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        base
                            + "/voice-plain/v1/audio/voice?messages="
                            + java.net.URLEncoder.encode(messages, "UTF-8")))
                .header("content-type", "audio/wav")
                .POST(HttpRequest.BodyPublishers.ofByteArray(wav))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    try (var body = response.body()) {
      if (response.statusCode() != 200) {
        throw new IllegalStateException(new String(body.readAllBytes()));
      }
      byte[] head = body.readNBytes(45); // the streaming WAV header, then the first samples
      double ms = (System.nanoTime() - start) / 1e6;
      body.readAllBytes();
      return head.length > 44 ? ms : Double.NaN;
    }
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
