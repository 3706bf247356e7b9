import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.sluice.protocol.kserve.grpc.proto.GRPCInferenceServiceGrpc;
import io.sluice.protocol.kserve.grpc.proto.InferTensorContents;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Load for bench/soak.sh: V2 REST, gRPC and OpenAI chat clients (CONNECTIONS in all, a third each) for
 * MINUTES; every 10 s one CSV line: per protocol answers, errors and p99 (ms), then the server's RSS (MiB),
 * old generation after a full GC (MiB) and open file descriptors.
 *
 * <p>java -cp TEST_CLASSPATH bench/Soak.java PORT PID MINUTES CONNECTIONS WIDTH OUT.csv
 */
public final class Soak {
  private static final String[] PROTOCOLS = {"rest", "grpc", "openai"};

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    long pid = Long.parseLong(args[1]);
    long end = System.nanoTime() + (long) (Double.parseDouble(args[2]) * 60e9);
    int connections = Integer.parseInt(args[3]);
    int width = Integer.parseInt(args[4]);
    Path out = Path.of(args[5]);
    Window[] windows = {new Window(), new Window(), new Window()};
    List<Thread> clients = new ArrayList<>();
    String data = String.join(",", java.util.Collections.nCopies(width, "0.5"));
    String infer = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1," + width + "],\"datatype\":\"FP32\",\"data\":[" + data + "]}]}";
    String chat = "{\"model\":\"text\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"one two three four\"}]}";
    for (int c = 0; c < connections; c++) {
      int kind = c % 3;
      clients.add(Thread.ofPlatform().start(() -> {
        if (kind == 1) {
          grpcClient(port, width, end, windows[1]);
        } else {
          httpClient(URI.create("http://127.0.0.1:" + port + (kind == 0 ? "/v2/models/mlp/infer" : "/v1/chat/completions")),
              kind == 0 ? infer : chat, end, windows[kind]);
        }
      }));
    }
    try (PrintStream csv = new PrintStream(Files.newOutputStream(out))) {
      csv.println("seconds,rest_ok,rest_errors,rest_p99_ms,grpc_ok,grpc_errors,grpc_p99_ms,openai_ok,openai_errors,openai_p99_ms,rss_mib,old_gen_after_gc_mib,fds");
      long started = System.nanoTime();
      while (System.nanoTime() < end) {
        Thread.sleep(10_000);
        StringBuilder line = new StringBuilder(Long.toString(Math.round((System.nanoTime() - started) / 1e9)));
        for (Window window : windows) {
          line.append(',').append(window.drain());
        }
        line.append(',').append(rssMib(pid)).append(',').append(heapAfterGcMib(pid)).append(',').append(fds(pid));
        csv.println(line);
        csv.flush();
        System.err.println(line);
      }
    }
    for (Thread client : clients) {
      client.join();
    }
  }

  /** Latencies and errors of one protocol since the last drain. */
  static final class Window {
    final ConcurrentLinkedQueue<Long> nanos = new ConcurrentLinkedQueue<>();
    final LongAdder errors = new LongAdder();

    String drain() {
      List<Long> taken = new ArrayList<>();
      for (Long value; (value = nanos.poll()) != null; ) {
        taken.add(value);
      }
      long[] sorted = taken.stream().mapToLong(Long::longValue).toArray();
      Arrays.sort(sorted);
      double p99 = sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)] / 1e6;
      return sorted.length + "," + errors.sumThenReset() + "," + String.format("%.2f", p99);
    }
  }

  private static void httpClient(URI uri, String body, long end, Window window) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    while (System.nanoTime() < end) {
      long started = System.nanoTime();
      try {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          window.nanos.add(System.nanoTime() - started);
        } else {
          window.errors.increment();
        }
      } catch (IOException e) {
        window.errors.increment();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static void grpcClient(int port, int width, long end, Window window) {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (int i = 0; i < width; i++) {
      contents.addFp32Contents(0.5f);
    }
    ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("mlp")
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("FP32")
            .addShape(1).addShape(width).setContents(contents))
        .build();
    var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    while (System.nanoTime() < end) {
      long started = System.nanoTime();
      try {
        stub.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(request);
        window.nanos.add(System.nanoTime() - started);
      } catch (RuntimeException e) {
        window.errors.increment();
      }
    }
    channel.shutdownNow();
  }

  private static long rssMib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return -1;
  }

  private static long fds(long pid) throws IOException {
    try (var entries = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return entries.count();
    }
  }

  /**
   * Forces a full GC in the server (jcmd GC.run), then reads what survived it: the old generation of the
   * parallel collector (the young one fills again at once under load, between the two jcmd calls).
   */
  private static long heapAfterGcMib(long pid) throws Exception {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    new ProcessBuilder(jcmd, Long.toString(pid), "GC.run").redirectErrorStream(true).start().waitFor();
    Process info = new ProcessBuilder(jcmd, Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
    String text = new String(info.getInputStream().readAllBytes());
    info.waitFor();
    var matcher = java.util.regex.Pattern.compile("ParOldGen\\s+total \\d+K, used (\\d+)K").matcher(text);
    return matcher.find() ? Long.parseLong(matcher.group(1)) / 1024 : -1;
  }
}
