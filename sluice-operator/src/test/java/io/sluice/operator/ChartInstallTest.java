package io.sluice.operator;

import static io.sluice.operator.DevCluster.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart installed on the real dev cluster: the operator runs in its own pod (its image,
 * its service account and least-privilege RBAC, in-cluster credentials), watching one namespace,
 * and serves an InferenceService there; the router forwards to it at {@code /{name}} and through
 * {@code {isvc}-predictor}, its alias (REST and gRPC), and splits a canary's traffic as the status
 * declares, within 5 points over 1,000 requests; a predictor pod, a router pod and the operator pod
 * deleted under load lose no request; an idle revision scales to zero and the requests that then
 * arrive are held while a pod starts, and answered; uninstalling removes them.
 */
@Tag("slow")
class ChartInstallTest {
  private static final String NAMESPACE = "sluice-chart-e2e";

  /** The router's answer for x = 1, or 0 while it has no route. */
  private static double answers(DevCluster cluster, String url) {
    try {
      return cluster.inferLinear(url);
    } catch (Exception | AssertionError e) {
      return 0;
    }
  }

  @Test
  void theChartsOperatorAndRouterServeAnInferenceService() throws Exception {
    try (DevCluster cluster = DevCluster.open(NAMESPACE)) {
      try {
        cluster.installChart(NAMESPACE);
        assertThat(
                cluster
                    .client
                    .apps()
                    .deployments()
                    .inNamespace("sluice-system")
                    .withName("sluice-operator")
                    .get()
                    .getStatus()
                    .getReadyReplicas())
            .isEqualTo(1);
        cluster.client.resource(cluster.isvc("linear", "v1.onnx", "minReplicas: 1")).create();
        await("READY", () -> cluster.ready("linear"), Duration.ofMinutes(3));
        String router =
            "http://"
                + cluster
                    .client
                    .services()
                    .inNamespace("sluice-system")
                    .withName("sluice-router")
                    .get()
                    .getSpec()
                    .getClusterIP()
                + "/linear/v2/models/linear/infer";
        await("the router's route", () -> answers(cluster, router) == 2, Duration.ofMinutes(1));

        cluster
            .client
            .resource(cluster.isvc("linear", "v2.onnx", "minReplicas: 1\ncanaryTrafficPercent: 25"))
            .update();
        await(
            "the canary",
            () ->
                DevCluster.traffic(cluster.status("linear"))
                    .equals("linear-predictor-00002=25,linear-predictor-00001=75"),
            Duration.ofMinutes(3));
        await("the router's canary", () -> answers(cluster, router) == 3, Duration.ofMinutes(1));
        int fromV2 = 0;
        for (int i = 0; i < 1000; i++) {
          if (cluster.inferLinear(router) == 3) {
            fromV2++;
          }
        }
        assertThat(fromV2).isBetween(200, 300);
        for (int i = 0; i < 20; i++) { // a request can pin a revision by its name
          assertThat(cluster.inferLinearPinned(router, "linear-predictor-00001")).isEqualTo(2);
          assertThat(cluster.inferLinearPinned(router, "linear-predictor-00002")).isEqualTo(3);
        }

        cluster.client.resource(cluster.isvc("linear", "v2.onnx", "minReplicas: 1")).update();
        await(
            "the promotion",
            () -> DevCluster.traffic(cluster.status("linear")).equals("linear-predictor-00002=100"),
            Duration.ofMinutes(1));
        await(
            "everything on v2",
            () -> {
              for (int i = 0; i < 20; i++) {
                if (answers(cluster, router) != 3) {
                  return false;
                }
              }
              return true;
            },
            Duration.ofMinutes(1));
        String routerIp = router.substring("http://".length(), router.indexOf("/linear"));
        assertThat(DevCluster.inferLinearGrpc(routerIp, 80, "linear")).isEqualTo(3);
        String predictorIp =
            cluster
                .client
                .services()
                .inNamespace(NAMESPACE)
                .withName("linear-predictor")
                .get()
                .getSpec()
                .getClusterIP();
        assertThat(DevCluster.inferLinearGrpc(predictorIp, 80, "linear")).isEqualTo(3);

        String alias =
            "http://"
                + predictorIp
                + "/v2/models/linear/infer"; // the routers' root paths serve every model
        assertThat(cluster.inferLinear(alias)).isEqualTo(3);

        aPodKilledUnderLoadLosesNoRequest(cluster, router);
        aRevisionGrowsUnderLoadAndShrinksAfterIt(cluster, router);
        anIdleRevisionScalesToZeroAndWakesForRequests(cluster, router, alias);
      } finally {
        cluster.uninstallChart();
      }
    }
  }

  private static String routerLog(DevCluster cluster) throws Exception {
    return cluster.kubectl("logs", "deployment/sluice-router", "-n", "sluice-system", "--tail=60");
  }

  /**
   * Two pods under load at 8 connections through the router; one is deleted: every request is
   * answered.
   */
  private static void aPodKilledUnderLoadLosesNoRequest(DevCluster cluster, String router)
      throws Exception {
    cluster
        .client
        .resource(cluster.isvc("linear", "v2.onnx", "minReplicas: 2\nmaxReplicas: 2"))
        .update();
    await(
        "two ready pods",
        () -> cluster.readyPods("linear-predictor-00002") == 2,
        Duration.ofMinutes(3));
    Thread.sleep(3000); // the router learns the second pod from its Endpoints
    Load load = new Load(cluster, router, 8);
    Thread.sleep(2000);
    String victim =
        cluster
            .client
            .pods()
            .inNamespace(NAMESPACE)
            .withLabel("serving.sluice.io/revision", "linear-predictor-00002")
            .list()
            .getItems()
            .getFirst()
            .getMetadata()
            .getName();
    load.phase("predictor pod " + victim + " deleted");
    cluster.kubectl("delete", "pod", victim, "-n", NAMESPACE, "--wait=false");
    Thread.sleep(8000);
    int beforeRouter = load.answered.get();
    // one of the two routers goes (an upgrade, a node drained): the other takes every request
    String routerPod = cluster.firstPod("sluice-system", "sluice-router");
    Path deletedRouterLog = Files.createTempFile("deleted-router", ".log");
    Process follow = cluster.followLog(routerPod, "sluice-system", deletedRouterLog);
    load.phase("router pod " + routerPod + " deleted");
    cluster.kubectl("delete", "pod", routerPod, "-n", "sluice-system", "--wait=false");
    Thread.sleep(15000);
    int beforeOperator = load.answered.get();
    String operator = cluster.firstPod("sluice-system", "sluice-operator");
    load.phase("operator pod " + operator + " deleted");
    cluster.kubectl("delete", "pod", operator, "-n", "sluice-system", "--wait=false");
    Thread.sleep(8000);
    load.stop();
    follow.destroy();
    assertThat(load.failures)
        .as(
            "requests that failed while a pod was deleted; the log of the router deleted:\n%s\n"
                + "the other router's log:\n%s",
            Files.readString(deletedRouterLog), routerLog(cluster))
        .isEmpty();
    assertThat(load.answered.get()).isGreaterThan(100);
    System.out.printf(
        "under load at 8 connections: a predictor pod deleted (%d answered), a router pod deleted"
            + " (%d answered), the operator pod deleted (%d answered), none failed%n",
        beforeRouter, beforeOperator - beforeRouter, load.answered.get() - beforeOperator);
  }

  /**
   * Scaling across pods from the routers' load: 12 clients in a loop through the router make the
   * revision grow from one pod to three ({@code scaleTarget: 2} ongoing requests per pod), and it
   * shrinks back to one once they stop; no request fails meanwhile.
   */
  private static void aRevisionGrowsUnderLoadAndShrinksAfterIt(DevCluster cluster, String router)
      throws Exception {
    var isvc = cluster.isvc("linear", "v2.onnx", "minReplicas: 1\nmaxReplicas: 3\nscaleTarget: 2");
    isvc.getMetadata()
        .setAnnotations(
            java.util.Map.of(
                "serving.sluice.io/upscale-delay",
                "2s",
                "serving.sluice.io/downscale-delay",
                "10s",
                "serving.sluice.io/look-back-period",
                "2s"));
    cluster.client.resource(isvc).update();
    cluster.awaitHere(
        "one pod", () -> cluster.pods("linear-predictor-00002") == 1, Duration.ofMinutes(2));
    Load load = new Load(cluster, router, 12);
    long started = System.nanoTime();
    try {
      cluster.awaitHere(
          "three ready pods under load",
          () -> cluster.readyPods("linear-predictor-00002") == 3,
          Duration.ofMinutes(3));
    } finally {
      load.stop();
    }
    long grown = (System.nanoTime() - started) / 1_000_000;
    cluster.awaitHere(
        "back to one pod",
        () -> cluster.pods("linear-predictor-00002") == 1,
        Duration.ofMinutes(2));
    assertThat(load.failures).as("requests that failed while the revision scaled").isEmpty();
    System.out.printf(
        "scale up under load: 1 -> 3 pods in %d ms, %d requests answered, none failed; back to 1%n",
        grown, load.answered.get());
  }

  /**
   * minReplicas 0: the revision goes to zero pods when idle; 20 requests sent then (half to the
   * router's prefix, half to {@code {isvc}-predictor}, an alias of the routers) are held while a
   * pod starts, and all answered.
   */
  private static void anIdleRevisionScalesToZeroAndWakesForRequests(
      DevCluster cluster, String router, String alias) throws Exception {
    var isvc = cluster.isvc("linear", "v2.onnx", "minReplicas: 0\nmaxReplicas: 2");
    isvc.getMetadata()
        .setAnnotations(
            java.util.Map.of(
                "serving.sluice.io/scale-to-zero-delay",
                "10s",
                "serving.sluice.io/downscale-delay",
                "10s",
                "serving.sluice.io/look-back-period",
                "2s"));
    cluster.client.resource(isvc).update();
    await("zero pods", () -> cluster.pods("linear-predictor-00002") == 0, Duration.ofMinutes(2));
    assertThat(cluster.ready("linear")).as("READY while scaled to zero").isTrue();
    List<java.util.concurrent.CompletableFuture<Double>> answers = new ArrayList<>();
    long sent = System.nanoTime();
    try (var executor = java.util.concurrent.Executors.newFixedThreadPool(20)) {
      for (int i = 0; i < 20; i++) {
        String url = i % 2 == 0 ? router : alias;
        answers.add(
            java.util.concurrent.CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return cluster.inferLinear(url, Duration.ofSeconds(90));
                  } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                  }
                },
                executor));
      }
      for (var answer : answers) {
        assertThat(answer.get(120, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(3);
      }
    }
    System.out.printf(
        "scale from zero: 20 requests answered %d ms after they were sent%n",
        (System.nanoTime() - sent) / 1_000_000);
    assertThat(cluster.readyPods("linear-predictor-00002")).isPositive();
  }

  /**
   * Clients asking the router for y(1) in a loop (3 from the v2 model), counting what came back.
   */
  private static final class Load {
    final AtomicInteger answered = new AtomicInteger();
    final List<String> failures = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile String phase = "before any deletion";
    private volatile long phaseStarted = System.nanoTime();

    /** Names what happens from now on; each failure says in which phase, and when in it. */
    void phase(String name) {
      phaseStarted = System.nanoTime();
      phase = name;
    }

    private void failed(String why) {
      failures.add(
          String.format(
              "%s, +%d ms: %s", phase, (System.nanoTime() - phaseStarted) / 1_000_000, why));
    }

    private final List<Thread> clients = new ArrayList<>();

    Load(DevCluster cluster, String router, int connections) {
      for (int i = 0; i < connections; i++) {
        clients.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      while (running.get()) {
                        try {
                          if (cluster.inferLinear(router, Duration.ofSeconds(30)) == 3) {
                            answered.incrementAndGet();
                          } else {
                            failed("wrong answer");
                          }
                        } catch (Exception | AssertionError e) {
                          failed(e.toString());
                        }
                      }
                    }));
      }
    }

    /** Stops the clients once their requests in flight are answered. */
    void stop() throws InterruptedException {
      running.set(false);
      for (Thread client : clients) {
        client.join(60_000);
      }
    }
  }
}
