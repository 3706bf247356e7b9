package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.engine.model.Deployment;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.replica.ReplicaState;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Worker-process replicas: a kill -9 fails only that worker's requests, the sibling keeps serving,
 * it restarts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerProcessTest {
  private static final String BODY =
      "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}";
  private TestServer server;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    String model = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    server =
        TestServer.start(
            dir,
            """
        server: {autoscalerInterval: 100ms}
        applications:
          - name: native
            deployments:
              - {name: native, runtime: test-echo, storageUri: '%1$s', hosting: worker, numReplicas: 2, settings: {delayMs: '20'}}
          - name: bystander
            deployments:
              - {name: bystander, runtime: test-echo, storageUri: '%1$s'}
        """
                .formatted(model));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private Deployment deployment(String name) {
    return server.server().engine().registry().find(name).orElseThrow();
  }

  @Test
  void replicasRunInTheirOwnProcesses() {
    List<Long> pids =
        deployment("native").replicas().stream().map(r -> r.workerPid().orElseThrow()).toList();
    assertThat(pids)
        .hasSize(2)
        .doesNotHaveDuplicates()
        .doesNotContain(ProcessHandle.current().pid());
    assertThat(server.post("/v2/models/native/infer", BODY).statusCode()).isEqualTo(200);
    assertThat(
            server
                .post(
                    "/v2/models/native/infer",
                    BODY.replace("[1]}", "[1,2]}").replace("\"shape\":[1]", "\"shape\":[3]"))
                .statusCode())
        .as("the worker's own input checks come back as 400")
        .isEqualTo(400);
  }

  @Test
  void killingAWorkerFailsOnlyItsRequestsWhileItsSiblingServesAndItRestarts() throws Exception {
    Replica victim = deployment("native").replicas().get(0);
    long oldPid = victim.workerPid().orElseThrow();
    Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    AtomicInteger bystanderFailures = new AtomicInteger();
    AtomicBoolean running = new AtomicBoolean(true);
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      clients.add(
          CompletableFuture.runAsync(
              () -> {
                while (running.get()) {
                  HttpResponse<String> response = server.post("/v2/models/native/infer", BODY);
                  statuses
                      .computeIfAbsent(response.statusCode(), s -> new AtomicInteger())
                      .incrementAndGet();
                }
              }));
    }
    clients.add(
        CompletableFuture.runAsync(
            () -> {
              while (running.get()) {
                if (server.post("/v2/models/bystander/infer", BODY).statusCode() != 200) {
                  bystanderFailures.incrementAndGet();
                }
              }
            }));
    try {
      Thread.sleep(300);
      ProcessHandle.of(oldPid).orElseThrow().destroyForcibly(); // kill -9
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!(victim.state() == ReplicaState.READY
          && victim.workerPid().orElse(oldPid) != oldPid)) {
        assertThat(System.nanoTime()).as("the killed worker restarts").isLessThan(deadline);
        Thread.sleep(20);
      }
      int okBefore = statuses.get(200).get();
      Thread.sleep(500);
      assertThat(statuses.get(200).get()).isGreaterThan(okBefore);
    } finally {
      running.set(false);
      CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    }
    assertThat(victim.crashes()).isEqualTo(1);
    assertThat(statuses.keySet()).as("failures are clean 503s: " + statuses).isSubsetOf(200, 503);
    assertThat(statuses.getOrDefault(503, new AtomicInteger()).get())
        .as("only the requests the dead worker was running fail")
        .isLessThanOrEqualTo(5);
    assertThat(bystanderFailures.get()).isZero();
    for (int i = 0; i < 20; i++) {
      assertThat(server.post("/v2/models/native/infer", BODY).statusCode()).isEqualTo(200);
    }
  }
}
