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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a running server's configuration in step with the cluster's InferenceServices ({@link
 * InferenceServiceRouting}), watching the API server ({@link WatchedList}: InferenceServices, the
 * revisions' Endpoints, the aliases' Services): a changed routing is applied like any configuration
 * change, so revisions, canary weights and promotions go through the engine. Each service's route
 * is checked on its own ({@link RouteCheck}): one that cannot be served is left out while every
 * other keeps routing. Each revision's ready pods ({@link RevisionEndpoints}) go to the engine's
 * {@link EndpointDirectory}, so every pod is a replica of its own; the aliases' cluster IPs go to
 * {@link NamespaceAddressing}.
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
  private final List<WatchedList> watched = new ArrayList<>();
  private final List<WatchedList> inferenceServices;
  private final List<WatchedList> revisionEndpoints;
  private final List<WatchedList> aliases;
  private final Object signal = new Object();
  private boolean dirty = true;
  private volatile boolean closed;
  private String applied;

  /**
   * @param scope the InferenceServices it routes
   * @param interval how often routes whose upstream could not be reached are tried again
   */
  public KubernetesRouter(
      ClusterApi api,
      Engine engine,
      EndpointDirectory endpoints,
      ConfigLoader loader,
      ConfigApplier applier,
      InferenceServiceRouting routing,
      NamespaceAddressing addressing,
      ClusterScope scope,
      Duration interval) {
    this.api = api;
    this.engine = engine;
    this.endpoints = endpoints;
    this.routing = routing;
    this.loader = loader;
    this.applier = applier;
    this.addressing = addressing;
    this.namespaces = scope.namespaces();
    this.check = new RouteCheck(routing, loader);
    this.interval = interval;
    this.inferenceServices =
        watch("/apis/serving.kserve.io/v1beta1", "inferenceservices", scope.serviceQuery());
    this.revisionEndpoints =
        watch("/api/v1", "endpoints", "labelSelector=" + RevisionEndpoints.REVISION_LABEL);
    this.aliases = watch("/api/v1", "services", "labelSelector=component%3Dpredictor");
    this.thread = new Thread(this::run, "sluice-kubernetes-router");
    thread.setDaemon(true);
    thread.start();
  }

  /** Wakes the loop: a watched list changed. */
  private void changed() {
    synchronized (signal) {
      dirty = true;
      signal.notifyAll();
    }
  }

  private void run() {
    while (!closed) {
      try {
        synchronized (signal) {
          if (!dirty) {
            signal.wait(interval.toMillis()); // at rest: only to retry routes that failed
          }
          dirty = false;
        }
        if (watched.stream().allMatch(WatchedList::synced)) {
          route();
        }
        retryFailed();
      } catch (ConfigException e) {
        log.warn("routes from the cluster not applied: {}", e.getMessage());
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("routes from the cluster not applied: {}", e.toString());
      }
    }
  }

  /** Applies the routes the watched lists now call for (nothing when they are the same). */
  private void route() throws ConfigException {
    // pods first: a revision applied below must find its group to know it is one
    endpoints.update(RevisionEndpoints.of(merged(revisionEndpoints)));
    List<InferenceServiceRouting.Route> routes = routing.routes(merged(inferenceServices));
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
    addressing.update(accepted, aliasAddresses(merged(aliases)));
  }

  /**
   * One watched list per namespace routed, or one across the cluster: {@code {group}/{kind}} or
   * {@code {group}/namespaces/{ns}/{kind}}.
   */
  private List<WatchedList> watch(String group, String kind, String query) {
    List<WatchedList> lists = new ArrayList<>();
    if (namespaces.isEmpty()) {
      lists.add(new WatchedList(api, group + "/" + kind, query, this::changed));
    } else {
      for (String namespace : namespaces.stream().sorted().toList()) {
        lists.add(
            new WatchedList(
                api, group + "/namespaces/" + namespace + "/" + kind, query, this::changed));
      }
    }
    watched.addAll(lists);
    return lists;
  }

  /** The items of several watched lists, as one list. */
  private static JsonNode merged(List<WatchedList> lists) {
    ObjectNode all = JsonNodeFactory.instance.objectNode();
    var items = all.putArray("items");
    for (WatchedList list : lists) {
      list.snapshot().path("items").forEach(items::add);
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
    watched.forEach(WatchedList::close);
  }
}
