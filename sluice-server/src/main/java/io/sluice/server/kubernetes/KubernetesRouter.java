package io.sluice.server.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.engine.Engine;
import io.sluice.engine.client.ModelState;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.replica.EndpointDirectory;
import io.sluice.server.config.ConfigApplier;
import io.sluice.server.config.ConfigException;
import io.sluice.server.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a running server's configuration in step with the cluster's InferenceServices ({@link
 * InferenceServiceRouting}), polling the API server: a changed routing is applied like any
 * configuration change, so revisions, canary weights and promotions go through the engine. Each
 * service's route is checked on its own ({@link RouteCheck}): one that cannot be served is left out
 * while every other keeps routing. Each revision's ready pods ({@link RevisionEndpoints}) go to the
 * engine's {@link EndpointDirectory}, so every pod is a replica of its own; the aliases' cluster
 * IPs go to {@link NamespaceAddressing}.
 */
public final class KubernetesRouter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesRouter.class);

  private final ClusterApi api;
  private final Engine engine;
  private final EndpointDirectory endpoints;
  private final ConfigLoader loader;
  private final ConfigApplier applier;
  private final Duration interval;
  private final InferenceServiceRouting routing;
  private final NamespaceAddressing addressing;
  private final Set<String> namespaces;
  private final Thread thread;

  private final RouteCheck check;
  private volatile boolean closed;
  private String applied;

  /**
   * @param namespaces the namespaces whose InferenceServices it routes (empty: all)
   */
  public KubernetesRouter(
      ClusterApi api,
      Engine engine,
      EndpointDirectory endpoints,
      ConfigLoader loader,
      ConfigApplier applier,
      InferenceServiceRouting routing,
      NamespaceAddressing addressing,
      Set<String> namespaces,
      Duration interval) {
    this.api = api;
    this.engine = engine;
    this.endpoints = endpoints;
    this.routing = routing;
    this.loader = loader;
    this.applier = applier;
    this.addressing = addressing;
    this.namespaces = Set.copyOf(namespaces);
    this.check = new RouteCheck(routing, loader);
    this.interval = interval;
    this.thread = new Thread(this::run, "sluice-kubernetes-router");
    thread.setDaemon(true);
    thread.start();
  }

  /** {@code namespace/name} → why that InferenceService's route is not served. */
  public Map<String, String> refused() {
    return check.refused();
  }

  private void run() {
    while (!closed) {
      try {
        // pods first: a revision applied below must find its group to know it is one
        endpoints.update(
            RevisionEndpoints.of(
                list("/api/v1", "endpoints?labelSelector=" + RevisionEndpoints.REVISION_LABEL)));
        List<InferenceServiceRouting.Route> routes =
            routing.routes(list("/apis/serving.kserve.io/v1beta1", "inferenceservices"));
        List<InferenceServiceRouting.Route> accepted = check.accepted(routes);
        String yaml = routing.configuration(accepted);
        if (!Objects.equals(yaml, applied)) {
          var result =
              applier.apply(loader.validate(loader.parse(yaml), Path.of(".").toAbsolutePath()));
          applied = yaml;
          log.info(
              "routes from the cluster applied: created {}, updated {}, removed {}",
              result.created(),
              result.updated(),
              result.removed());
        }
        addressing.update(
            accepted,
            aliasAddresses(list("/api/v1", "services?labelSelector=component%3Dpredictor")));
        retryFailed();
      } catch (ConfigException e) {
        log.warn("routes from the cluster not applied: {}", e.getMessage());
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        log.warn("cannot read InferenceServices: {}", e.toString());
      }
      try {
        Thread.sleep(interval.toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /**
   * Every item of a kind in the namespaces routed: {@code {group}/{kind}} across the cluster, or
   * {@code {group}/namespaces/{ns}/{kind}} for each one.
   */
  private JsonNode list(String group, String kindAndQuery)
      throws IOException, InterruptedException {
    if (namespaces.isEmpty()) {
      return api.get(group + "/" + kindAndQuery);
    }
    ObjectNode all = JsonNodeFactory.instance.objectNode();
    var items = all.putArray("items");
    for (String namespace : namespaces.stream().sorted().toList()) {
      api.get(group + "/namespaces/" + namespace + "/" + kindAndQuery)
          .path("items")
          .forEach(items::add);
    }
    return all;
  }

  /**
   * Cluster IP → {@code namespace/name} of every {@code {isvc}-predictor} alias (a Service labelled
   * with its InferenceService and named after it).
   */
  private static Map<String, String> aliasAddresses(JsonNode services) {
    Map<String, String> addresses = new HashMap<>();
    for (JsonNode service : services.path("items")) {
      JsonNode metadata = service.path("metadata");
      String isvc = metadata.path("labels").path("serving.kserve.io/inferenceservice").asText("");
      if (isvc.isEmpty() || !metadata.path("name").asText().equals(isvc + "-predictor")) {
        continue;
      }
      String key = metadata.path("namespace").asText() + "/" + isvc;
      for (JsonNode ip : service.path("spec").path("clusterIPs")) {
        addresses.put(ip.asText(), key);
      }
      String ip = service.path("spec").path("clusterIP").asText("");
      if (!ip.isEmpty() && !ip.equals("None")) {
        addresses.put(ip, key);
      }
    }
    return addresses;
  }

  /**
   * A revision's Service can refuse connections for a moment after its pod turns ready (kube-proxy
   * has not programmed it yet): routes whose upstream could not be reached are connected again at
   * the next poll.
   */
  private void retryFailed() {
    for (Deployment deployment : engine.registry().all()) {
      if (deployment.state() == ModelState.FAILED) {
        engine
            .load(deployment.name())
            .whenComplete(
                (loaded, error) -> {
                  if (error == null) {
                    log.info("route {} connected", deployment.name());
                  }
                });
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
