package io.sluice.server.kubernetes;

import io.sluice.engine.Engine;
import io.sluice.engine.client.ModelState;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.replica.EndpointDirectory;
import io.sluice.server.config.ConfigApplier;
import io.sluice.server.config.ConfigException;
import io.sluice.server.config.ConfigLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a running server's configuration in step with the cluster's InferenceServices ({@link
 * InferenceServiceRouting}), polling the API server: a changed routing is applied like any
 * configuration change, so revisions, canary weights and promotions go through the engine. Each
 * revision's ready pods ({@link RevisionEndpoints}) go to the engine's {@link EndpointDirectory},
 * so every pod is a replica of its own.
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
  private final Thread thread;
  private volatile boolean closed;
  private String applied;

  public KubernetesRouter(
      ClusterApi api,
      Engine engine,
      EndpointDirectory endpoints,
      ConfigLoader loader,
      ConfigApplier applier,
      InferenceServiceRouting routing,
      Duration interval) {
    this.api = api;
    this.engine = engine;
    this.endpoints = endpoints;
    this.routing = routing;
    this.loader = loader;
    this.applier = applier;
    this.interval = interval;
    this.thread = new Thread(this::run, "sluice-kubernetes-router");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    while (!closed) {
      try {
        // pods first: a revision applied below must find its group to know it is one
        endpoints.update(
            RevisionEndpoints.of(
                api.get("/api/v1/endpoints?labelSelector=" + RevisionEndpoints.REVISION_LABEL)));
        String yaml =
            routing.configuration(api.get("/apis/serving.kserve.io/v1beta1/inferenceservices"));
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
