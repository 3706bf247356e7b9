package io.sluice.server.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options and calls shared by the commands that talk to a running server's admin API. */
final class AdminClient {
  @Option(
      names = "--url",
      description = "Server URL (default: $SLUICE_URL or http://127.0.0.1:8000).")
  String url;

  @Option(names = "--token", description = "Admin token (default: $SLUICE_ADMIN_TOKEN).")
  String token;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  HttpResponse<String> send(String method, String path, String body)
      throws IOException, InterruptedException {
    String base =
        url != null ? url : System.getenv().getOrDefault("SLUICE_URL", "http://127.0.0.1:8000");
    String bearer = token != null ? token : System.getenv("SLUICE_ADMIN_TOKEN");
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base.replaceAll("/+$", "") + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
