package io.sluice.server.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.sluice.protocol.kserve.grpc.proto.GRPCInferenceServiceGrpc;
import io.sluice.protocol.kserve.grpc.proto.ModelMetadataRequest;
import io.sluice.server.TestServer;
import io.sluice.storage.testing.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS with HTTP/1.1 and HTTP/2 and gRPC over TLS on one port, with a certificate from a test CA
 * that is reloaded when its files change, and client certificates for the admin API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsTest {
  private static final String INFER =
      "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}";

  private TestCertificates authority;
  private TestServer server;
  private Path dir;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    this.dir = dir;
    authority = new TestCertificates();
    TestCertificates.write(
        authority.server("first"), dir.resolve("server.pem"), dir.resolve("server.key"));
    authority.writeCa(dir.resolve("ca.pem"));
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    server =
        TestServer.start(
            dir,
            """
        server:
          tls: {certificate: server.pem, key: server.key, clientCa: ca.pem}
        applications:
          - name: app
            deployments:
              - {name: echo, runtime: test-echo, storageUri: '%s'}
        """
                .formatted(placeholder));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private URI https(String path) {
    return URI.create("https://localhost:" + server.server().port() + path);
  }

  private HttpClient client(HttpClient.Version version, TestCertificates.Issued clientCertificate)
      throws Exception {
    return HttpClient.newBuilder()
        .version(version)
        .sslContext(authority.context(clientCertificate))
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  @Test
  void http11AndHttp2ShareTheTlsPort() throws Exception {
    for (HttpClient.Version version : HttpClient.Version.values()) {
      HttpResponse<String> response =
          client(version, null)
              .send(
                  HttpRequest.newBuilder(https("/v2/models/echo/infer"))
                      .POST(HttpRequest.BodyPublishers.ofString(INFER))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      assertThat(response.version()).isEqualTo(version);
    }
    assertThat(server.server().scheme()).isEqualTo("https");
  }

  @Test
  void grpcRunsOverTlsOnTheSamePort() throws Exception {
    Path ca = dir.resolve("ca.pem");
    ManagedChannel channel =
        Grpc.newChannelBuilderForAddress(
                "localhost",
                server.server().port(),
                TlsChannelCredentials.newBuilder().trustManager(ca.toFile()).build())
            .build();
    try {
      assertThat(
              GRPCInferenceServiceGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(10, TimeUnit.SECONDS)
                  .modelMetadata(ModelMetadataRequest.newBuilder().setName("echo").build())
                  .getName())
          .isEqualTo("echo");
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void cleartextIsNotServedOnTheTlsPort() {
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                plain.send(
                    HttpRequest.newBuilder(
                            URI.create(
                                "http://127.0.0.1:" + server.server().port() + "/v2/health/live"))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                    HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(java.io.IOException.class);
  }

  @Test
  void theAdminApiWantsAClientCertificateFromTheCa() throws Exception {
    HttpRequest status =
        HttpRequest.newBuilder(https("/api/v1/status"))
            .header("Authorization", "Bearer " + server.server().admin().token())
            .build();
    HttpResponse<String> without =
        client(HttpClient.Version.HTTP_1_1, null)
            .send(status, HttpResponse.BodyHandlers.ofString());
    assertThat(without.statusCode()).isEqualTo(403);
    assertThat(without.body()).contains("certificate");
    HttpResponse<String> with =
        client(HttpClient.Version.HTTP_1_1, authority.client("operator"))
            .send(status, HttpResponse.BodyHandlers.ofString());
    assertThat(with.statusCode()).as(with.body()).isEqualTo(200);
  }

  @Test
  void aRenewedCertificateIsServedWithoutARestart() throws Exception {
    TestCertificates.write(
        authority.server("second"), dir.resolve("server.pem"), dir.resolve("server.key"));
    FileTime later = FileTime.fromMillis(System.currentTimeMillis() + 10_000);
    Files.setLastModifiedTime(dir.resolve("server.pem"), later);
    Files.setLastModifiedTime(dir.resolve("server.key"), later);
    Eventually.within(
        Duration.ofSeconds(10),
        () -> {
          HttpResponse<String> response =
              client(HttpClient.Version.HTTP_1_1, null)
                  .send(
                      HttpRequest.newBuilder(https("/v2/health/ready")).build(),
                      HttpResponse.BodyHandlers.ofString());
          X509Certificate served =
              (X509Certificate) response.sslSession().orElseThrow().getPeerCertificates()[0];
          return served.getSubjectX500Principal().getName().contains("CN=second");
        });
  }
}
