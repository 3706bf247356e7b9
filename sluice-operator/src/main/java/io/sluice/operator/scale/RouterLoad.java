package io.sluice.operator.scale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.sluice.operator.route.RoutedServices;
import io.sluice.operator.route.RouterService;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * The load each predictor revision has, as the routers see it: every ready router pod's admin
 * status ({@code GET /api/v1/status}, with the admin token), summed over the pods: its ongoing plus
 * queued requests (one more while a router waits for its first pod) and the requests dispatched so
 * far, keyed {@code namespace/revision}.
 */
public final class RouterLoad implements RevisionLoad {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SUFFIX = ".svc.cluster.local";

  private final Supplier<List<EndpointSubset>> pods;
  private final RouterService routers;
  private final String token;
  private final RoutedServices routed;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * @param pods the routers' ready pods (their Service's Endpoints)
   * @param routers the routers' Service, for messages
   */
  public RouterLoad(
      Supplier<List<EndpointSubset>> pods,
      RouterService routers,
      String token,
      RoutedServices routed) {
    this.pods = pods;
    this.routers = routers;
    this.token = token;
    this.routed = routed;
  }

  /**
   * The load now, every router asked at once (a slow one delays no other by more than the timeout);
   * throws when no router answered (the scaler then leaves replicas as they are).
   */
  @Override
  public Map<String, Sample> read() throws IOException, InterruptedException {
    List<CompletableFuture<JsonNode>> asked = new ArrayList<>();
    for (EndpointSubset subset : pods.get()) {
      int port =
          subset.getPorts() == null || subset.getPorts().isEmpty()
              ? 8080
              : subset.getPorts().getFirst().getPort();
      for (EndpointAddress address :
          subset.getAddresses() == null ? List.<EndpointAddress>of() : subset.getAddresses()) {
        asked.add(status(URI.create("http://" + address.getIp() + ":" + port + "/api/v1/status")));
      }
    }
    Map<String, Sample> total = new HashMap<>();
    List<Set<String>> applications = new ArrayList<>();
    int answered = 0;
    IOException last = null;
    for (CompletableFuture<JsonNode> answer : asked) {
      try {
        JsonNode status = answer.get();
        parse(status).forEach((revision, load) -> total.merge(revision, load, Sample::plus));
        applications.add(served(status));
        answered++;
      } catch (ExecutionException e) {
        last =
            e.getCause() instanceof IOException io ? io : new IOException(e.getCause().toString());
      }
    }
    routed.update(applications);
    if (answered == 0) {
      throw last != null
          ? last
          : new IOException(
              "no ready pod behind Service " + routers.namespace() + "/" + routers.name());
    }
    return total;
  }

  /** One router's status, asked without waiting; fails after 2 s without an answer. */
  private CompletableFuture<JsonNode> status(URI uri) {
    return http.sendAsync(
            HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(2))
                .header("Authorization", "Bearer " + token)
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .thenApply(
            response -> {
              if (response.statusCode() != 200) {
                throw new CompletionException(
                    new IOException(
                        uri + ": HTTP " + response.statusCode() + " " + response.body()));
              }
              try {
                return JSON.readTree(response.body());
              } catch (IOException e) {
                throw new CompletionException(e);
              }
            });
  }

  /**
   * The applications a router's status says it serves: every deployment ready, or waiting for its
   * first pod (a request is then held until one starts, and answered).
   */
  public static Set<String> served(JsonNode status) {
    Set<String> served = new HashSet<>();
    for (JsonNode application : status.path("applications")) {
      boolean serving = true;
      for (JsonNode deployment : application.path("deployments")) {
        boolean waking = false;
        for (JsonNode revision : deployment.path("revisions")) {
          waking |= revision.path("awaitingServers").asBoolean(false);
        }
        serving &= deployment.path("state").asText().equals("READY") || waking;
      }
      if (serving) {
        served.add(application.path("name").asText());
      }
    }
    return served;
  }

  /** One router's status → load per {@code namespace/revision} of the revisions it forwards to. */
  public static Map<String, Sample> parse(JsonNode status) {
    Map<String, Sample> load = new HashMap<>();
    for (JsonNode application : status.path("applications")) {
      for (JsonNode deployment : application.path("deployments")) {
        for (JsonNode revision : deployment.path("revisions")) {
          String host = URI.create(revision.path("endpoint").asText("http://unknown")).getHost();
          if (host == null || !host.endsWith(SUFFIX)) {
            continue;
          }
          String[] parts = host.substring(0, host.length() - SUFFIX.length()).split("\\.");
          if (parts.length != 2) {
            continue;
          }
          double requests =
              revision.path("ongoing").asDouble()
                  + revision.path("queued").asDouble()
                  + (revision.path("awaitingServers").asBoolean() ? 1 : 0);
          load.merge(
              parts[1] + "/" + parts[0],
              new Sample(requests, revision.path("dispatched").asLong()),
              Sample::plus);
        }
      }
    }
    return load;
  }
}
