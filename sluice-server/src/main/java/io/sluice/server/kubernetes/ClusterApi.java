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
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Reads from the Kubernetes API server with the pod's service account: the token and CA that the
 * kubelet mounts under {@code /var/run/secrets/kubernetes.io/serviceaccount}, the address in {@code
 * KUBERNETES_SERVICE_HOST/PORT}. Read-only, and only what the router needs (no client library: one
 * GET of JSON).
 */
public final class ClusterApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  private final HttpClient http;
  private final URI server;
  private final Path tokenFile;

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
    HttpRequest request =
        HttpRequest.newBuilder(server.resolve(path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + Files.readString(tokenFile).strip())
            .header("Accept", "application/json")
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(
          "GET " + path + ": HTTP " + response.statusCode() + " " + response.body());
    }
    return JSON.readTree(response.body());
  }
}
