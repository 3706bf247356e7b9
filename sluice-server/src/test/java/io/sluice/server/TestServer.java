package io.sluice.server;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.sluice.protocol.kserve.grpc.proto.GRPCInferenceServiceGrpc;
import io.sluice.server.config.ConfigException;
import io.sluice.server.config.ConfigLoader;
import io.sluice.server.config.ServerSettings;
import io.sluice.spi.Runtimes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real Sluice server on an ephemeral loopback port, from a YAML string, with clients pointed at
 * it.
 */
public final class TestServer implements AutoCloseable {
  private final SluiceServer server;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private ManagedChannel channel;

  private TestServer(SluiceServer server) {
    this.server = server;
  }

  /**
   * Starts a server from a configuration written into {@code dir}; {@code server.port} is forced to
   * 0.
   */
  public static TestServer start(Path dir, String yaml) {
    return start(dir, yaml, false);
  }

  /**
   * Like {@link #start(Path, String)}; with {@code watch}, edits to {@code dir/sluice.yaml} reload
   * the server.
   */
  public static TestServer start(Path dir, String yaml, boolean watch) {
    try {
      Path file = dir.resolve("sluice.yaml");
      Files.writeString(file, yaml);
      Runtimes runtimes = Runtimes.discover();
      ServerSettings settings = new ConfigLoader(runtimes).load(file).withListen("127.0.0.1", 0);
      return new TestServer(SluiceServer.start(settings, runtimes, file, watch));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ConfigException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /**
   * Starts a server whose configuration is resolved by {@code loader} (e.g. one with its own model
   * store).
   */
  public static TestServer start(Path dir, String yaml, Runtimes runtimes, ConfigLoader loader) {
    try {
      Path file = dir.resolve("sluice.yaml");
      Files.writeString(file, yaml);
      ServerSettings settings = loader.load(file).withListen("127.0.0.1", 0);
      return new TestServer(SluiceServer.start(settings, runtimes, file, false));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ConfigException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /**
   * Starts a server that records its spans with {@code tracing} (an SDK with an in-memory exporter,
   * say).
   */
  public static TestServer startTraced(
      Path dir, String yaml, io.opentelemetry.sdk.OpenTelemetrySdk tracing) {
    try {
      Path file = dir.resolve("sluice.yaml");
      Files.writeString(file, yaml);
      Runtimes runtimes = Runtimes.discover();
      ServerSettings settings = new ConfigLoader(runtimes).load(file).withListen("127.0.0.1", 0);
      return new TestServer(SluiceServer.start(settings, runtimes, file, false, tracing));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ConfigException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /**
   * A configuration with one echo-runtime application and model named {@code name}; {@code extra}
   * is appended.
   */
  public static String echoConfig(Path dir, String name, String inputs, String extraSettings)
      throws IOException {
    Path placeholder = Files.writeString(dir.resolve(name + ".model"), "echo");
    return """
        applications:
          - name: %s
            routePrefix: /%s
            deployments:
              - name: %s
                runtime: test-echo
                storageUri: %s
                settings:
                  inputs: "%s"
        %s
        """
        .formatted(name, name, name, placeholder.toUri(), inputs, extraSettings);
  }

  public SluiceServer server() {
    return server;
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  public HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET().build());
  }

  public HttpResponse<String> post(String path, String json) {
    return send(
        HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  /**
   * A POST carrying the admin token, as the admin API and (by default) repository load and unload
   * need.
   */
  public HttpResponse<String> adminPost(String path, String json) {
    return send(
        HttpRequest.newBuilder(uri(path))
            .header("Authorization", "Bearer " + server.admin().token())
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  public HttpResponse<byte[]> postBytes(String path, byte[] body, String... headers) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      builder.headers(headers);
    }
    try {
      return http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public HttpResponse<String> send(HttpRequest request) {
    try {
      try {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        if (!reusedConnectionBroke(e)) {
          throw e;
        }
        // The JDK client sometimes breaks a pooled keep-alive connection ("Data received while in
        // pool") and
        // fails the request sent on it before any answer: about 1 in 10^6 requests here, against
        // nginx too
        // (docs/testing.md). The request is sent once more, on a fresh connection.
        return http.send(request, HttpResponse.BodyHandlers.ofString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static boolean reusedConnectionBroke(IOException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause.getMessage() != null
          && cause.getMessage().contains("Data received while in pool")) {
        return true;
      }
    }
    return false;
  }

  public HttpClient http() {
    return http;
  }

  /** A blocking gRPC stub over plaintext HTTP/2 to the same port as REST. */
  public synchronized GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub grpc() {
    if (channel == null) {
      channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", server.port())
              .usePlaintext()
              .maxInboundMessageSize(64 << 20)
              .build();
    }
    return GRPCInferenceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** {@link #grpc()} sending the admin token as {@code authorization} metadata. */
  public GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub grpcAsAdmin() {
    io.grpc.Metadata token = new io.grpc.Metadata();
    token.put(
        io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + server.admin().token());
    return grpc().withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(token));
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.shutdownNow();
    }
    server.close(5);
  }
}
