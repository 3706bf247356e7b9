import io.sluice.runtime.llm.LlamaRuntime;
import io.sluice.runtime.llm.bind.LlamaContext;
import io.sluice.runtime.llm.bind.LlamaInstall;
import io.sluice.runtime.llm.bind.LlamaLibrary;
import io.sluice.runtime.llm.bind.LlamaModel;
import io.sluice.runtime.llm.schedule.Batch;
import io.sluice.runtime.llm.schedule.Decoder;
import io.sluice.runtime.llm.schedule.SamplingOptions;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.ModelSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One stream's decoding loop without a server, Sluice's against llama.cpp's own (llama-bench's tg test on the
 * same libraries), in interleaved pairs. Sluice's loop three ways, each on a context of 16 sequences sharing
 * 16,384 cells, as the `llama` runtime makes it:
 *  - bindings: llama_decode and the llama.cpp sampler chain Sluice uses, called in a plain loop (no scheduler);
 *  - crowded: the same after 15 other sequences each left 270 cells in the shared cache (idle cached prefixes);
 *  - runtime: the `llama` runtime's generate (scheduler, text, listener), no HTTP.
 *
 *   java -cp SLUICE_CLASSPATH bench/LlmLoopBench.java GGUF TOKENS PAIRS LLAMA_BENCH LIBRARIES
 * LLAMA_BENCH runs with LD_LIBRARY_PATH=LIBRARIES, a folder where the libraries Sluice loads answer to the names
 * llama-bench was linked with (bench/llm-loop.sh makes it).
 */
public class LlmLoopBench {
  static final String[] LOOPS = {"bindings", "crowded", "runtime"};

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    int tokens = Integer.parseInt(args[1]);
    int pairs = Integer.parseInt(args[2]);
    String llamaBench = args[3];
    String libraries = args[4];
    LlamaModel model = LlamaModel.load(LlamaLibrary.open(LlamaInstall.libraries("cpu"), "auto"), file, 0);
    GenerativeModel runtime = (GenerativeModel) new LlamaRuntime().load(new ModelSource("m", "1", file,
        Map.of("parallel", "16", "ctxSize", "16384", "threads", "2")));
    Map<String, List<Double>> rates = new java.util.LinkedHashMap<>();
    try (LlamaContext plain = new LlamaContext(model, 16384, 16, 512, 2);
        LlamaContext crowded = new LlamaContext(model, 16384, 16, 512, 2)) {
      crowd(crowded);
      Loop[] loops = {
        n -> decodeAndSample(plain, model, n), n -> decodeAndSample(crowded, model, n), n -> generate(runtime, n)
      };
      for (long end = System.nanoTime() + 20_000_000_000L; System.nanoTime() < end; ) { // JIT and caches
        for (Loop loop : loops) {
          loop.tokensPerSecond(128);
        }
      }
      for (int pair = 0; pair < pairs; pair++) {
        StringBuilder line = new StringBuilder("pair " + pair + ":");
        for (int i = 0; i < loops.length; i++) {
          double rate = loops[i].tokensPerSecond(tokens);
          rates.computeIfAbsent(LOOPS[i], k -> new ArrayList<>()).add(rate);
          line.append(String.format(" %s %.1f", LOOPS[i], rate));
        }
        double peer = llamaBench(llamaBench, libraries, file, tokens);
        rates.computeIfAbsent("llama-bench", k -> new ArrayList<>()).add(peer);
        System.err.println(line.append(String.format(" llama-bench %.1f tok/s", peer)));
      }
    }
    runtime.close();
    List<Double> peer = rates.get("llama-bench");
    System.out.println("| loop | tokens/s | vs llama-bench, pair by pair |");
    System.out.println("|---|---|---|");
    for (var entry : rates.entrySet()) {
      List<Double> ratios = new ArrayList<>();
      for (int i = 0; i < peer.size(); i++) {
        ratios.add(entry.getValue().get(i) / peer.get(i));
      }
      System.out.printf("| %s | %s | %s |%n", entry.getKey(), spread(entry.getValue(), "%.1f"), spread(ratios, "%.2fx"));
    }
  }

  interface Loop {
    double tokensPerSecond(int tokens) throws Exception;
  }

  /** Median (min-max). */
  static String spread(List<Double> values, String format) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = sorted.length;
    double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    return String.format(format + " (" + format + "-" + format + ")", median, sorted[0], sorted[n - 1]);
  }

  /** Fills sequences 1-15 with 270 cells each and leaves them there, as idle cached prefixes are left. */
  static void crowd(LlamaContext context) {
    Random random = new Random(7);
    Batch batch = new Batch(512);
    for (int sequence = 1; sequence < 16; sequence++) {
      batch.clear();
      for (int position = 0; position < 270; position++) {
        batch.add(1 + random.nextInt(1000), position, sequence, position == 269);
      }
      if (!context.decode(batch)) {
        throw new IllegalStateException("no room for the crowd");
      }
    }
  }

  /** Sequence 0 from position 0: decode a token, sample the next with the runtime's default sampler chain. */
  static double decodeAndSample(LlamaContext context, LlamaModel model, int tokens) {
    context.forget(0, 0);
    Batch batch = new Batch(512);
    SamplingOptions options = new SamplingOptions(0.8f, 0.95f, 40, 0.05f, 1, 0, 0, 7, Map.of(), null);
    try (Decoder.TokenSampler sampler = context.sampler(options)) {
      int token = model.bos();
      long start = System.nanoTime();
      for (int position = 0; position < tokens; position++) {
        batch.clear();
        batch.add(token, position, 0, true);
        if (!context.decode(batch)) {
          throw new IllegalStateException("no room");
        }
        token = sampler.sample(0);
      }
      return tokens / ((System.nanoTime() - start) / 1e9);
    }
  }

  static int seed;

  static double generate(GenerativeModel model, int tokens) {
    long start = System.nanoTime();
    int generated = model.generate(new io.sluice.api.GenerateRequest("m", null,
        "Tell me a story about river number " + seed++ + " and its gate.", null, tokens, null, null, null, 7L),
        text -> {}, () -> false).completionTokens();
    return generated / ((System.nanoTime() - start) / 1e9);
  }

  static final Pattern CSV_RATE = Pattern.compile("\"([0-9.]+)\",\"[0-9.]+\"\\s*$");

  /** llama-bench's tg test, one repetition, flash attention on as llama.cpp's default picks it on CPUs. */
  static double llamaBench(String llamaBench, String libraries, Path file, int tokens) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(llamaBench, "-m", file.toString(), "-p", "0", "-n",
        String.valueOf(tokens), "-t", "2", "-r", "1", "-fa", "1", "-o", "csv")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .directory(new java.io.File(libraries));
    builder.environment().put("LD_LIBRARY_PATH", libraries);
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes());
    if (process.waitFor() != 0) {
      throw new IllegalStateException("llama-bench failed: " + out);
    }
    Matcher rate = CSV_RATE.matcher(out.strip());
    if (!rate.find()) {
      throw new IllegalStateException("no rate in llama-bench's output: " + out);
    }
    return Double.parseDouble(rate.group(1));
  }
}
