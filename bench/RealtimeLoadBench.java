import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.audio.Pcm16;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * How many realtime sessions this machine keeps up with: N sessions at once, each speaking the question
 * twice at real-time pace (0.5 s of silence, the speech, 2 s of silence), the server's VAD finding each turn
 * and the pipeline answering it (the LLM and TTS shared by all). Per turn: how long after the client sent
 * the audio that ends the turn (the speech's end plus the VAD's silence) the server's speech_stopped
 * arrives (the VAD's lag), and the transcript after it. A session falls behind when its VAD lags more than
 * a second.
 * java -cp 'sluice-server/target/lib/*' bench/RealtimeLoadBench.java BASE_URL QUESTION.wav N...
 */
public class RealtimeLoadBench {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final int CHUNK_BYTES = 4800; // 100 ms of 24 kHz PCM16
  static final int SILENCE_MS = 500; // the VAD's default silence_duration_ms

  public static void main(String[] args) throws Exception {
    String base = args[0];
    byte[] pcm = Pcm16.wav(Files.readAllBytes(Path.of(args[1]))).resample(24_000).rawBytes();
    System.out.println("| sessions | VAD lag: median | max | transcript after speech_stopped: median | max | turns found |");
    System.out.println("|---|---|---|---|---|---|");
    for (int i = 2; i < args.length; i++) {
      int sessions = Integer.parseInt(args[i]);
      List<CompletableFuture<double[][]>> runs = new ArrayList<>();
      for (int s = 0; s < sessions; s++) {
        runs.add(CompletableFuture.supplyAsync(() -> session(base, pcm)));
      }
      List<Double> lags = new ArrayList<>();
      List<Double> transcripts = new ArrayList<>();
      for (var run : runs) {
        for (double[] turn : run.get(10, TimeUnit.MINUTES)) {
          lags.add(turn[0]);
          transcripts.add(turn[1]);
        }
      }
      System.out.printf(
          Locale.ROOT,
          "| %d | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %d of %d |%n",
          sessions,
          median(lags),
          lags.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN),
          median(transcripts),
          transcripts.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN),
          lags.size(),
          2 * sessions);
    }
  }

  /** Two spoken turns; per turn found, {VAD lag ms, transcript after speech_stopped ms}. */
  static double[][] session(String base, byte[] pcm) {
    Events events = new Events();
    try {
      WebSocket socket =
          HTTP.newWebSocketBuilder()
              .buildAsync(URI.create(base.replace("http", "ws") + "/v1/realtime?model=voice"), events)
              .get(20, TimeUnit.SECONDS);
      long start = System.nanoTime();
      long due = start;
      byte[] silence = new byte[CHUNK_BYTES];
      List<Long> sentAt = new ArrayList<>(); // when each 100 ms of audio went out
      for (int turn = 0; turn < 2; turn++) {
        for (int i = 0; i < 5; i++) {
          due = send(socket, silence, due, sentAt);
        }
        for (int at = 0; at < pcm.length; at += CHUNK_BYTES) {
          byte[] chunk = Arrays.copyOf(Arrays.copyOfRange(pcm, at, Math.min(pcm.length, at + CHUNK_BYTES)), CHUNK_BYTES);
          due = send(socket, chunk, due, sentAt);
        }
        for (int i = 0; i < 20; i++) {
          due = send(socket, silence, due, sentAt);
        }
      }
      Thread.sleep(5_000); // the last turn's transcript
      socket.abort();
      List<double[]> turns = new ArrayList<>();
      for (var stopped : events.stopped.entrySet()) {
        long audioEndMs = stopped.getKey();
        int chunk = (int) Math.min(sentAt.size() - 1, (audioEndMs + SILENCE_MS) / 100);
        double lag = (stopped.getValue()[0] - sentAt.get(chunk)) / 1e6;
        Long transcribed = events.transcribed.get(stopped.getValue()[1]);
        turns.add(new double[] {lag, transcribed == null ? Double.NaN : (transcribed - stopped.getValue()[0]) / 1e6});
      }
      return turns.toArray(double[][]::new);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static long send(WebSocket socket, byte[] chunk, long due, List<Long> sentAt) throws Exception {
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
    sentAt.add(System.nanoTime());
    return due + TimeUnit.MILLISECONDS.toNanos(100);
  }

  /** The events a session's measurements need, with when they arrived. */
  static final class Events implements WebSocket.Listener {
    /** audio_end_ms → {arrival, item id index}. */
    final java.util.Map<Long, long[]> stopped = new ConcurrentHashMap<>();

    final java.util.Map<Long, Long> transcribed = new ConcurrentHashMap<>();
    final java.util.Map<String, Long> items = new ConcurrentHashMap<>();
    final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        long now = System.nanoTime();
        try {
          JsonNode event = JSON.readTree(text.toString());
          String type = event.path("type").asText();
          if (type.equals("input_audio_buffer.speech_stopped")) {
            long id = items.computeIfAbsent(event.path("item_id").asText(), k -> (long) items.size());
            stopped.put(event.path("audio_end_ms").asLong(), new long[] {now, id});
          } else if (type.equals("conversation.item.input_audio_transcription.completed")) {
            Long id = items.get(event.path("item_id").asText());
            if (id != null) {
              transcribed.put(id, now);
            }
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }
  }

  static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).filter(v -> !Double.isNaN(v)).sorted().toArray();
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
