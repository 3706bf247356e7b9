import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.Pair;
import de.kherud.llama.args.LogFormat;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * LLM decode: tokens/s and time to first token, 1 and 4 concurrent streams, through Sluice's
 * /v1/chat/completions (worker process, SSE) vs a bare in-process de.kherud/llama.cpp loop on the same file.
 * java -cp 'sluice-server/target/lib/*' bench/LlmBench.java MODEL.gguf BASE_URL TOKENS [LLAMA_SERVER_URL]
 * (with a llama-server URL, Sluice's deployment llm-upstream is measured too: Sluice proxying a llama-server)
 */
public class LlmBench {
  record Run(double seconds, double firstTokenMs, int tokens) {}

  /**
   * One thread per stream. CompletableFuture's default pool has a single thread on 2 cores, and a stream
   * blocked in native code holds it: the "concurrent" streams then ran one after another.
   */
  static final java.util.concurrent.ExecutorService STREAMS = java.util.concurrent.Executors.newCachedThreadPool();

  public static void main(String[] args) throws Exception {
    String gguf = args[0];
    String base = args[1];
    int tokens = Integer.parseInt(args[2]);
    print("Sluice /v1/chat/completions (SSE, worker)", served(base, "llm", tokens, 1), served(base, "llm", tokens, 4));
    if (args.length > 3) {
      print("llama-server /v1/chat/completions (SSE)", served(args[3], "llm", tokens, 1), served(args[3], "llm", tokens, 4));
      print("Sluice in front of llama-server (openai-upstream)", served(base, "llm-upstream", tokens, 1),
          served(base, "llm-upstream", tokens, 4));
    }
    LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> {});
    try (LlamaModel model = new LlamaModel(new ModelParameters().setModel(gguf).setParallel(4).setCtxSize(16384).setThreads(2).enableJinja())) {
      print("bare in-process llama.cpp loop (de.kherud)", bare(model, tokens, 1), bare(model, tokens, 4));
    }
    System.exit(0); // llama.cpp leaves a non-daemon thread behind: the JVM would never exit on its own
  }

  static void print(String what, List<Run> one, List<Run> four) {
    double single = one.get(0).tokens / one.get(0).seconds;
    double wall = four.stream().mapToDouble(Run::seconds).max().orElseThrow();
    double aggregate = four.stream().mapToInt(Run::tokens).sum() / wall;
    double ttft = four.stream().mapToDouble(Run::firstTokenMs).average().orElseThrow();
    System.out.printf("| %s | %.1f tok/s | %.1f ms | %.1f tok/s | %.1f ms |%n", what, single, one.get(0).firstTokenMs, aggregate, ttft);
  }

  static List<Run> bare(LlamaModel model, int tokens, int streams) throws Exception {
    List<CompletableFuture<Run>> runs = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      int seed = s;
      runs.add(CompletableFuture.supplyAsync(() -> {
        long start = System.nanoTime();
        double first = -1;
        int n = 0;
        // The prompt the servers build for the same chat: the GGUF's template, rendered by llama.cpp's Jinja engine.
        String prompt = model.applyTemplate(new InferenceParameters("").setMessages(null, List.of(new Pair<>("user", "hello " + seed))));
        for (LlamaOutput output : model.generate(new InferenceParameters(prompt).setNPredict(tokens).setSeed(seed))) {
          if (!output.text.isEmpty()) {
            if (first < 0) {
              first = (System.nanoTime() - start) / 1e6;
            }
            n++;
          }
        }
        return new Run((System.nanoTime() - start) / 1e9, first, n);
      }, STREAMS));
    }
    return runs.stream().map(CompletableFuture::join).toList();
  }

  static List<Run> served(String base, String model, int tokens, int streams) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    List<CompletableFuture<Run>> runs = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      int seed = s;
      runs.add(CompletableFuture.supplyAsync(() -> {
        try {
          long start = System.nanoTime();
          HttpResponse<java.io.InputStream> response = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
              .header("content-type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"stream\":true,\"max_tokens\":" + tokens
                  + ",\"seed\":" + seed + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello " + seed + "\"}]}"))
              .build(), HttpResponse.BodyHandlers.ofInputStream());
          double first = -1;
          int n = 0;
          try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body()))) {
            String line;
            while ((line = reader.readLine()) != null) {
              if (line.startsWith("data: {") && line.contains("\"content\":\"") && !line.contains("\"content\":\"\"")) {
                if (first < 0) {
                  first = (System.nanoTime() - start) / 1e6;
                }
                n++;
              }
            }
          }
          return new Run((System.nanoTime() - start) / 1e9, first, n);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }, STREAMS));
    }
    return runs.stream().map(CompletableFuture::join).toList();
  }
}
