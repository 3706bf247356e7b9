package io.sluice.server.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.server.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A wire-level fuzzer against a running server: mutated request lines, headers, chunked bodies,
 * HTTP/2 frames and gRPC length prefixes. Each connection must be answered or closed within a
 * bound, and a well-behaved client is served throughout. Cases and seed: {@code
 * -Dsluice.wireFuzz.cases=N}, {@code -Dsluice.wireFuzz.seed=S} (the longer run in
 * docs/security.md).
 */
class WireFuzzTest {
  private static final String INFER =
      "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[2],\"datatype\":\"FP32\",\"data\":[1,2]}]}";
  private static final long BOUND_MS = 5_000;
  private static final byte[] H2_PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private static final List<byte[]> TEMPLATES =
      List.of(
          ascii(
              "POST /v2/models/echo/infer HTTP/1.1\r\nHost: s\r\nContent-Type: application/json\r\nContent-Length: "
                  + INFER.length()
                  + "\r\n\r\n"
                  + INFER),
          ascii(
              "POST /app/v2/models/echo/infer HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + Integer.toHexString(INFER.length())
                  + "\r\n"
                  + INFER
                  + "\r\n0\r\n\r\n"),
          ascii("GET /v2/health/ready HTTP/1.1\r\nHost: s\r\nConnection: keep-alive\r\n\r\n"),
          ascii(
              "POST /v1/chat/completions HTTP/1.1\r\nHost: s\r\nContent-Length: 58\r\n\r\n"
                  + "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":1}]}"),
          ascii(
              "POST /v2/models/echo/infer HTTP/1.1\r\nHost: s\r\nInference-Header-Content-Length: 10\r\nContent-Length: 14\r\n\r\n"
                  + "{\"inputs\":[]}x"));

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void everyMalformedConnectionIsAnsweredOrClosedAndOthersAreServed(@TempDir Path dir)
      throws Exception {
    int cases = Integer.getInteger("sluice.wireFuzz.cases", 1200);
    long seed = Long.getLong("sluice.wireFuzz.seed", 20261201L);
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    try (TestServer server =
        TestServer.start(
            dir,
            """
        server:
          limits: {headerTimeout: 1s, bodyTimeout: 1s, idleTimeout: 1s}
        applications:
          - name: app
            deployments:
              - {name: echo, runtime: test-echo, storageUri: '%s'}
        """
                .formatted(placeholder))) {
      AtomicBoolean fuzzing = new AtomicBoolean(true);
      AtomicInteger served = new AtomicInteger();
      List<String> wellBehavedFailures = new ArrayList<>();
      Thread wellBehaved =
          new Thread(
              () -> {
                while (fuzzing.get()) {
                  String failure;
                  try {
                    HttpResponse<String> response = server.post("/v2/models/echo/infer", INFER);
                    failure =
                        response.statusCode() == 200
                            ? null
                            : response.statusCode() + " " + response.body();
                  } catch (RuntimeException e) { // a server that died or stopped listening
                    failure = e.toString();
                  }
                  if (failure != null) {
                    synchronized (wellBehavedFailures) {
                      wellBehavedFailures.add(failure);
                    }
                  }
                  served.incrementAndGet();
                }
              });
      wellBehaved.start();
      ExecutorService pool = Executors.newFixedThreadPool(32);
      List<Future<String>> outcomes = new ArrayList<>();
      Random random = new Random(seed);
      for (int i = 0; i < cases; i++) {
        long caseSeed = random.nextLong();
        outcomes.add(
            pool.submit(() -> rawCase(server.server().port(), new Random(caseSeed), caseSeed)));
      }
      List<String> hung = new ArrayList<>();
      for (Future<String> outcome : outcomes) {
        String problem = outcome.get(60, TimeUnit.SECONDS);
        if (problem != null) {
          hung.add(problem);
        }
      }
      pool.shutdown();
      List<String> grpcProblems = grpcLengthPrefixes(server.server().port(), new Random(seed));
      fuzzing.set(false);
      wellBehaved.join();
      assertThat(hung)
          .as("connections neither answered nor closed within " + BOUND_MS + " ms")
          .isEmpty();
      assertThat(grpcProblems).isEmpty();
      assertThat(wellBehavedFailures).isEmpty();
      assertThat(served.get()).isGreaterThan(10);
      assertThat(server.get("/v2/health/live").statusCode())
          .as("the server lives after the fuzzing")
          .isEqualTo(200);
    }
  }

  /**
   * One connection of mutated bytes; null when it was answered or closed in time, else what
   * happened.
   */
  private static String rawCase(int port, Random random, long seed) {
    byte[] bytes =
        random.nextInt(5) == 0
            ? http2Frames(random)
            : mutate(TEMPLATES.get(random.nextInt(TEMPLATES.size())), random);
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress("127.0.0.1", port), (int) BOUND_MS);
    } catch (IOException e) {
      return "seed " + seed + ": could not connect (" + e + "): the server is not listening";
    }
    try (socket) {
      socket.setSoTimeout((int) BOUND_MS);
      try {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
      } catch (SocketException closedWhileWriting) {
        return null; // the server refused the bytes and closed: an answer too
      }
      InputStream in = socket.getInputStream();
      try {
        in.read();
        return null; // answered (a byte) or closed (-1)
      } catch (SocketTimeoutException e) {
        return "seed "
            + seed
            + ": nothing within "
            + BOUND_MS
            + " ms after "
            + bytes.length
            + " bytes";
      } catch (SocketException reset) {
        return null;
      }
    } catch (IOException e) {
      return null; // reset after connecting: the server chose to close
    }
  }

  private static byte[] mutate(byte[] template, Random random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] bytes = template.clone();
    int mutations = 1 + random.nextInt(4);
    for (int m = 0; m < mutations; m++) {
      int at = random.nextInt(bytes.length);
      switch (random.nextInt(6)) {
        case 0 -> bytes[at] = (byte) random.nextInt(256); // flip a byte
        case 1 -> bytes = java.util.Arrays.copyOf(bytes, at); // truncate
        case 2 -> { // insert noise
          byte[] noise = new byte[1 + random.nextInt(64)];
          random.nextBytes(noise);
          bytes = splice(bytes, at, noise);
        }
        case 3 -> bytes = splice(bytes, at, ascii("\r\n")); // an early line end
        case 4 ->
            bytes =
                splice(
                    bytes,
                    at,
                    ascii(
                        random.nextBoolean()
                            ? "Content-Length: 99999999999999999999\r\n"
                            : "Transfer-Encoding: chunked\r\n")); // conflicting framing
        default ->
            bytes =
                splice(
                    bytes,
                    at,
                    ascii("X-" + "a".repeat(random.nextInt(20_000)) + ": b\r\n")); // huge header
      }
      if (bytes.length == 0) {
        bytes = template.clone();
      }
    }
    out.writeBytes(bytes);
    return out.toByteArray();
  }

  private static byte[] splice(byte[] bytes, int at, byte[] inserted) {
    byte[] result = new byte[bytes.length + inserted.length];
    System.arraycopy(bytes, 0, result, 0, at);
    System.arraycopy(inserted, 0, result, at, inserted.length);
    System.arraycopy(bytes, at, result, at + inserted.length, bytes.length - at);
    return result;
  }

  /**
   * The HTTP/2 preface followed by frames with random types, flags, stream ids, lengths and
   * payloads.
   */
  private static byte[] http2Frames(Random random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(H2_PREFACE);
    int frames = 1 + random.nextInt(6);
    for (int f = 0; f < frames; f++) {
      byte[] payload = new byte[random.nextInt(64)];
      random.nextBytes(payload);
      int declared = random.nextInt(4) == 0 ? random.nextInt(1 << 24) : payload.length;
      ByteBuffer header = ByteBuffer.allocate(9);
      header.put((byte) (declared >>> 16)).put((byte) (declared >>> 8)).put((byte) declared);
      header
          .put((byte) random.nextInt(11))
          .put((byte) random.nextInt(256))
          .putInt(random.nextInt(8));
      out.writeBytes(header.array());
      out.writeBytes(payload);
    }
    return out.toByteArray();
  }

  /**
   * gRPC calls whose length-prefixed messages lie: too long, too short, compressed without an
   * encoding, or cut off. Each must end with a non-OK status or a reset within the bound.
   */
  private static List<String> grpcLengthPrefixes(int port, Random random) throws Exception {
    Vertx vertx = Vertx.vertx();
    List<String> problems = new ArrayList<>();
    try {
      HttpClient client =
          vertx.createHttpClient(
              new HttpClientOptions()
                  .setProtocolVersion(HttpVersion.HTTP_2)
                  .setHttp2ClearTextUpgrade(false));
      for (int i = 0; i < 60; i++) {
        byte[] message = new byte[random.nextInt(32)];
        random.nextBytes(message);
        ByteBuffer body = ByteBuffer.allocate(5 + message.length);
        int flag = random.nextInt(3) == 0 ? 1 : 0;
        int declared =
            switch (random.nextInt(3)) {
              case 0 -> message.length + 1 + random.nextInt(1000);
              case 1 -> Math.max(0, message.length - 1 - random.nextInt(4));
              default -> random.nextInt() & 0x7FFFFFFF;
            };
        body.put((byte) flag).putInt(declared).put(message);
        String outcome;
        try {
          outcome =
              client
                  .request(
                      new RequestOptions()
                          .setMethod(HttpMethod.POST)
                          .setHost("127.0.0.1")
                          .setPort(port)
                          .setURI("/inference.GRPCInferenceService/ModelInfer")
                          .putHeader("content-type", "application/grpc")
                          .putHeader("te", "trailers"))
                  .compose(request -> request.send(Buffer.buffer(body.array())))
                  .compose(
                      response ->
                          response
                              .end()
                              .map(
                                  v -> {
                                    String status =
                                        response.getTrailer("grpc-status") != null
                                            ? response.getTrailer("grpc-status")
                                            : response.getHeader("grpc-status");
                                    return "0".equals(status)
                                        ? "grpc-status 0 for a malformed message"
                                        : null;
                                  }))
                  .recover(
                      error ->
                          io.vertx.core.Future.succeededFuture(
                              (String) null)) // reset or closed: ended
                  .toCompletionStage()
                  .toCompletableFuture()
                  .get(BOUND_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          outcome =
              "not ended within "
                  + BOUND_MS
                  + " ms (flag "
                  + flag
                  + ", declared "
                  + declared
                  + ", sent "
                  + message.length
                  + ")";
        }
        if (outcome != null) {
          problems.add("case " + i + ": " + outcome);
        }
      }
    } finally {
      vertx.close();
    }
    return problems;
  }
}
