package io.sluice.server.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Reads from the Kubernetes API server with the pod's service account: the token and CA that the
 * kubelet mounts under {@code /var/run/secrets/kubernetes.io/serviceaccount}, the address in {@code
 * KUBERNETES_SERVICE_HOST/PORT}. Read-only, and only what the router needs (no client library: a
 * GET of JSON, and a watch: a GET whose answer is one JSON event per line).
 */
public final class ClusterApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  private final HttpClient http;
  private final URI server;
  private final Path tokenFile;

  /**
   * An API server at {@code server} (tests: a local one), with the bearer token in {@code
   * tokenFile}.
   */
  ClusterApi(HttpClient http, URI server, Path tokenFile) {
    this.http = http;
    this.server = server;
    this.tokenFile = tokenFile;
  }

  /** The API server this pod runs under; throws when not in a pod. */
  public static ClusterApi inCluster() throws IOException, GeneralSecurityException {
    String host = System.getenv("KUBERNETES_SERVICE_HOST");
    String port = System.getenv().getOrDefault("KUBERNETES_SERVICE_PORT", "443");
    if (host == null || !Files.isRegularFile(ACCOUNT.resolve("token"))) {
      throw new IOException(
          "not in a Kubernetes pod: KUBERNETES_SERVICE_HOST or the service account token is missing");
    }
    KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
    trusted.load(null, null);
    try (InputStream pem = Files.newInputStream(ACCOUNT.resolve("ca.crt"))) {
      int i = 0;
      for (Certificate certificate :
          CertificateFactory.getInstance("X.509").generateCertificates(pem)) {
        trusted.setCertificateEntry("ca" + i++, certificate);
      }
    }
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, trust.getTrustManagers(), null);
    HttpClient http =
        HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
    return new ClusterApi(
        http,
        URI.create("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port),
        ACCOUNT.resolve("token"));
  }

  /** GET a path of the API; the token is re-read each time (it is rotated). */
  public JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(request(path, Duration.ofSeconds(10)), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(
          "GET " + path + ": HTTP " + response.statusCode() + " " + response.body());
    }
    return JSON.readTree(response.body());
  }

  /**
   * Watches a path (a list with {@code watch=true}): each event ({@code {"type", "object"}}) goes
   * to {@code events} as it arrives, until the server ends the stream (its {@code timeoutSeconds})
   * or the connection fails, which throws.
   */
  public void watch(String path, Consumer<JsonNode> events)
      throws IOException, InterruptedException {
    HttpResponse<java.util.stream.Stream<String>> response =
        http.send(request(path, Duration.ofMinutes(10)), HttpResponse.BodyHandlers.ofLines());
    try (var lines = response.body()) {
      if (response.statusCode() != 200) {
        throw new IOException(
            "watch "
                + path
                + ": HTTP "
                + response.statusCode()
                + " "
                + String.join("\n", lines.toList()));
      }
      var iterator = lines.iterator();
      while (iterator.hasNext()) {
        String line = iterator.next();
        if (!line.isBlank()) {
          events.accept(JSON.readTree(line));
        }
      }
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private HttpRequest request(String path, Duration timeout) throws IOException {
    return HttpRequest.newBuilder(server.resolve(path))
        .timeout(timeout)
        .header("Authorization", "Bearer " + Files.readString(tokenFile).strip())
        .header("Accept", "application/json")
        .build();
  }
}
