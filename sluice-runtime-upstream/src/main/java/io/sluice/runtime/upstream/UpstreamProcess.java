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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An upstream server this runtime started and keeps running: the deployment's {@code command} with
 * {@code {model}} and {@code {port}} filled in, its output appended to a log file, ready once
 * {@code GET /health} (llama-server, vLLM) or {@code GET /v1/models} answers 200. When it dies it is started
 * again on the same port after a backoff (1 s, doubling to 30 s); meanwhile {@link #downReason()} says why
 * requests cannot be served. Closing it stops the whole process tree for good.
 */
final class UpstreamProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UpstreamProcess.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final List<String> arguments;
  private final Path logFile;
  private final Duration startTimeout;
  private final HttpClient http;
  private final ScheduledExecutorService restarts = Executors.newSingleThreadScheduledExecutor(runnable -> {
    Thread thread = new Thread(runnable, "sluice-upstream-restart");
    thread.setDaemon(true);
    return thread;
  });
  final URI base;
  private volatile Process process;
  private volatile String downReason;
  private volatile boolean closed;
  private int failedRestarts;

  private UpstreamProcess(List<String> arguments, Path logFile, URI base, Duration startTimeout, HttpClient http) {
    this.arguments = arguments;
    this.logFile = logFile;
    this.base = base;
    this.startTimeout = startTimeout;
    this.http = http;
  }

  static UpstreamProcess start(String command, Path model, Duration startTimeout, HttpClient http) throws ModelLoadException {
    int port = freePort();
    List<String> arguments = new ArrayList<>();
    for (String word : command.trim().split("\\s+")) {
      arguments.add(word.replace("{model}", model.toString()).replace("{port}", Integer.toString(port)));
    }
    Path logFile;
    try {
      logFile = Files.createTempFile("sluice-upstream-", ".log");
    } catch (IOException e) {
      throw new ModelLoadException("cannot create the upstream's log file: " + e.getMessage(), e);
    }
    UpstreamProcess upstream = new UpstreamProcess(arguments, logFile, URI.create("http://127.0.0.1:" + port), startTimeout, http);
    try {
      upstream.launchAndAwaitReady();
    } catch (ModelLoadException e) {
      upstream.close();
      throw e;
    }
    return upstream;
  }

  /** Why requests cannot reach it now (it died and is being started again), or null while it serves. */
  String downReason() {
    return downReason;
  }

  private void launchAndAwaitReady() throws ModelLoadException {
    try {
      process = new ProcessBuilder(arguments).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
    } catch (IOException e) {
      throw new ModelLoadException("cannot start the upstream '" + arguments.get(0) + "': " + e.getMessage(), e);
    }
    awaitReady();
    Process started = process;
    started.onExit().thenRun(() -> exited(started));
  }

  private void exited(Process dead) {
    if (closed || dead != process) {
      return;
    }
    downReason = "the upstream process exited with code " + dead.exitValue() + " and is being restarted: " + logTail();
    log.warn(downReason);
    scheduleRestart();
  }

  private synchronized void scheduleRestart() {
    if (closed) {
      return;
    }
    long delay = Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(failedRestarts, 5));
    restarts.schedule(this::restart, delay, TimeUnit.MILLISECONDS);
  }

  private void restart() {
    if (closed) {
      return;
    }
    try {
      launchAndAwaitReady();
      synchronized (this) {
        failedRestarts = 0;
      }
      downReason = null;
      log.info("the upstream {} is serving again", base);
    } catch (ModelLoadException e) {
      stopProcess();
      synchronized (this) {
        failedRestarts++;
      }
      downReason = "the upstream could not be restarted (" + e.getMessage() + "); trying again";
      scheduleRestart();
    }
  }

  private void awaitReady() throws ModelLoadException {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    while (System.nanoTime() < deadline && !closed) {
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
          throw new ModelLoadException("interrupted while the upstream started");
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ModelLoadException("interrupted while the upstream started");
      }
    }
    throw new ModelLoadException("the upstream did not become ready within " + startTimeout.toSeconds() + " s: " + logTail());
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile);
      return "... " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())) + " (log: " + logFile + ")";
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

  private void stopProcess() {
    Process current = process;
    if (current == null) {
      return;
    }
    current.descendants().forEach(ProcessHandle::destroy);
    current.destroy();
    try {
      if (!current.waitFor(10, TimeUnit.SECONDS)) {
        current.descendants().forEach(ProcessHandle::destroyForcibly);
        current.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      current.destroyForcibly();
    }
  }

  @Override
  public void close() {
    closed = true;
    restarts.shutdownNow();
    stopProcess();
  }
}
