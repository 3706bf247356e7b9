package io.sluice.runtime.upstream;

import io.sluice.spi.ModelLoadException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An upstream server this runtime started: the deployment's {@code command} with {@code {model}} and
 * {@code {port}} filled in, its output in a log file, ready once {@code GET /health} (llama-server, vLLM)
 * or {@code GET /v1/models} answers 200. Closing it stops the whole process tree.
 */
final class UpstreamProcess implements AutoCloseable {
  private final Process process;
  private final Path log;
  final URI base;

  private UpstreamProcess(Process process, Path log, URI base) {
    this.process = process;
    this.log = log;
    this.base = base;
  }

  static UpstreamProcess start(String command, Path model, Duration startTimeout, HttpClient http) throws ModelLoadException {
    int port = freePort();
    List<String> arguments = new ArrayList<>();
    for (String word : command.trim().split("\\s+")) {
      arguments.add(word.replace("{model}", model.toString()).replace("{port}", Integer.toString(port)));
    }
    Process process;
    Path log;
    try {
      log = Files.createTempFile("sluice-upstream-", ".log");
      process = new ProcessBuilder(arguments).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      throw new ModelLoadException("cannot start the upstream '" + arguments.get(0) + "': " + e.getMessage(), e);
    }
    UpstreamProcess upstream = new UpstreamProcess(process, log, URI.create("http://127.0.0.1:" + port));
    upstream.awaitReady(startTimeout, http);
    return upstream;
  }

  private void awaitReady(Duration timeout, HttpClient http) throws ModelLoadException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new ModelLoadException("the upstream exited with code " + process.exitValue() + " while starting: " + logTail());
      }
      for (String path : List.of("/health", "/v1/models")) {
        try {
          HttpResponse<Void> response = http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(2)).GET().build(),
              HttpResponse.BodyHandlers.discarding());
          if (response.statusCode() == 200) {
            return;
          }
        } catch (IOException e) {
          // not listening yet
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          close();
          throw new ModelLoadException("interrupted while the upstream started");
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new ModelLoadException("interrupted while the upstream started");
      }
    }
    close();
    throw new ModelLoadException("the upstream did not become ready within " + timeout.toSeconds() + " s: " + logTail());
  }

  /** Why requests cannot reach it, or null while it runs. */
  String exitReason() {
    return process.isAlive() ? null : "the upstream process exited with code " + process.exitValue() + ": " + logTail();
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return "... " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())) + " (log: " + log + ")";
    } catch (IOException e) {
      return "(log: " + log + ")";
    }
  }

  private static int freePort() throws ModelLoadException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new ModelLoadException("no free port for the upstream: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
