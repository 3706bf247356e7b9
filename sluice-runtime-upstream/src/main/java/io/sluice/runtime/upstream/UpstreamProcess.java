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
import java.util.concurrent.TimeUnit;

/**
 * An upstream server this runtime started: the deployment's {@code command} with {@code {model}}
 * and {@code {port}} filled in, its output in a log file, ready once {@code GET /health}
 * (llama-server, vLLM) or {@code GET /v1/models} answers 200. When it dies, the engine's health
 * check notices ({@link UpstreamModel#ping}) and the replica is loaded again, which starts a new
 * one. Closing it stops the whole process tree.
 */
final class UpstreamProcess implements AutoCloseable {
  private final List<String> arguments;
  private final Path logFile;
  private final Duration startTimeout;
  private final HttpClient http;
  final URI base;
  private Process process;

  private UpstreamProcess(
      List<String> arguments, Path logFile, URI base, Duration startTimeout, HttpClient http) {
    this.arguments = arguments;
    this.logFile = logFile;
    this.base = base;
    this.startTimeout = startTimeout;
    this.http = http;
  }

  static UpstreamProcess start(String command, Path model, Duration startTimeout, HttpClient http)
      throws ModelLoadException {
    int port = freePort();
    List<String> arguments = new ArrayList<>();
    for (String word : command.trim().split("\\s+")) {
      arguments.add(
          word.replace("{model}", model.toString()).replace("{port}", Integer.toString(port)));
    }
    Path logFile;
    try {
      logFile = Files.createTempFile("sluice-upstream-", ".log");
    } catch (IOException e) {
      throw new ModelLoadException("cannot create the upstream's log file: " + e.getMessage(), e);
    }
    UpstreamProcess upstream =
        new UpstreamProcess(
            arguments, logFile, URI.create("http://127.0.0.1:" + port), startTimeout, http);
    try {
      upstream.process =
          new ProcessBuilder(arguments)
              .redirectErrorStream(true)
              .redirectOutput(logFile.toFile())
              .start();
    } catch (IOException e) {
      throw new ModelLoadException(
          "cannot start the upstream '" + arguments.get(0) + "': " + e.getMessage(), e);
    }
    try {
      upstream.awaitReady();
    } catch (ModelLoadException e) {
      upstream.close();
      throw e;
    }
    return upstream;
  }

  /** Why requests cannot reach it (its process exited), or null while it runs. */
  String exitReason() {
    return process.isAlive()
        ? null
        : "the upstream process exited with code " + process.exitValue() + ": " + logTail();
  }

  private void awaitReady() throws ModelLoadException {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new ModelLoadException(
            "the upstream exited with code "
                + process.exitValue()
                + " while starting: "
                + logTail());
      }
      if (answers(http, base, Duration.ofSeconds(2))) {
        return;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ModelLoadException("interrupted while the upstream started");
      }
    }
    throw new ModelLoadException(
        "the upstream did not become ready within "
            + startTimeout.toSeconds()
            + " s: "
            + logTail());
  }

  /**
   * Whether the server at {@code base} answers 200 to {@code GET /health} (llama-server, vLLM) or
   * {@code GET /v1/models}.
   */
  static boolean answers(HttpClient http, URI base, Duration timeout) {
    for (String path : List.of("/health", "/v1/models")) {
      try {
        HttpResponse<Void> response =
            http.send(
                HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return true;
        }
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile);
      return "... "
          + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()))
          + " (log: "
          + logFile
          + ")";
    } catch (IOException e) {
      return "(log: " + logFile + ")";
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
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
