package io.sluice.server.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.engine.Engine;
import io.sluice.engine.autoscale.ScalingDecision;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.placement.Accelerator;
import io.sluice.engine.placement.Placer;
import io.sluice.engine.replica.ReplicaState;
import io.sluice.engine.revision.Revision;
import io.sluice.server.metrics.RequestMetrics;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What the dashboard plots, sampled once a second per deployment: requests and errors per second,
 * p50/p99 latency over the last second, ongoing and queued requests, replicas (running, desired,
 * the autoscaler's proposal), and for LLMs tokens per second, time to first token and
 * running/waiting generations; plus the memory in use on each accelerator. The last {@value
 * #HISTORY} samples are kept for new viewers.
 */
public final class MetricSampler {
  static final int HISTORY = 300;
  private static final int TOKEN_RATE_SAMPLES = 6;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Engine engine;
  private final Placer placer;
  private final RequestMetrics metrics;
  private final Map<String, Window> windows = new HashMap<>();
  private final ArrayDeque<ObjectNode> history = new ArrayDeque<>();
  private final List<Consumer<ObjectNode>> listeners = new CopyOnWriteArrayList<>();
  private long lastNanos = -1;

  public MetricSampler(Engine engine, Placer placer, RequestMetrics metrics) {
    this.engine = engine;
    this.placer = placer;
    this.metrics = metrics;
  }

  /** One deployment's cumulative counts at the previous sample. */
  private static final class Window {
    double requests = -1;
    double errors;

    /**
     * (nanos, generated tokens) of the last samples: runtimes report tokens in bursts, so the rate
     * spans 5 s.
     */
    final ArrayDeque<double[]> tokens = new ArrayDeque<>();

    final WindowedHistogram latency = new WindowedHistogram();
    final WindowedHistogram timeToFirstToken = new WindowedHistogram();
  }

  /** Takes a sample, keeps it and tells the listeners. */
  public void sample() {
    ObjectNode sample;
    synchronized (this) {
      metrics.refresh();
      long now = System.nanoTime();
      double seconds = lastNanos < 0 ? 1 : Math.max(1e-3, (now - lastNanos) / 1e9);
      lastNanos = now;
      sample = MAPPER.createObjectNode();
      sample.put("t", System.currentTimeMillis());
      ObjectNode deployments = sample.putObject("deployments");
      Map<String, Window> seen = new HashMap<>();
      for (Deployment deployment : engine.registry().all()) {
        Window window = windows.computeIfAbsent(deployment.name(), name -> new Window());
        seen.put(deployment.name(), window);
        deployments.set(deployment.name(), describe(deployment, window, seconds));
      }
      windows.keySet().retainAll(seen.keySet());
      ObjectNode accelerators = sample.putObject("accelerators");
      Map<String, Double> shares = placer.shareInUse();
      Map<String, Long> reserved = placer.memoryInUse();
      for (Accelerator device : placer.inventory()) {
        ObjectNode node = accelerators.putObject(device.id());
        node.put("memoryBytes", device.memoryBytes());
        node.put(
            "usedBytes",
            Math.max(
                reserved.getOrDefault(device.id(), 0L),
                Math.round(shares.getOrDefault(device.id(), 0.0) * device.memoryBytes())));
      }
      ObjectNode memory = sample.putObject("memory");
      memory.put("budgetBytes", placer.hostMemoryBudget());
      memory.put("usedBytes", placer.hostMemoryUsed());
      if (history.size() == HISTORY) {
        history.removeFirst();
      }
      history.addLast(sample);
    }
    for (Consumer<ObjectNode> listener : listeners) {
      listener.accept(sample);
    }
  }

  private ObjectNode describe(Deployment deployment, Window window, double seconds) {
    MeterRegistry registry = metrics.registry();
    String name = deployment.name();
    ObjectNode node = MAPPER.createObjectNode();
    double requests = 0;
    double errors = 0;
    for (Counter counter : registry.find("sluice.requests").tag("model", name).counters()) {
      requests += counter.count();
      if (!succeeded(counter.getId().getTag("code"))) {
        errors += counter.count();
      }
    }
    boolean first = window.requests < 0;
    node.put("requestsPerSecond", first ? 0 : Math.max(0, requests - window.requests) / seconds);
    node.put("errorsPerSecond", first ? 0 : Math.max(0, errors - window.errors) / seconds);
    window.requests = requests;
    window.errors = errors;
    double[] latency =
        window.latency.quantiles(
            registry.find("sluice.request.duration").tag("model", name).timers(), 0.5, 0.99);
    putMillis(node, "p50Ms", latency[0]);
    putMillis(node, "p99Ms", latency[1]);

    int ongoing = 0;
    int queued = 0;
    int desired = 0;
    for (Revision revision : deployment.revisions()) {
      var load = revision.router().load();
      ongoing += load.ongoing();
      queued += load.queued();
      desired += revision.targetReplicas();
    }
    node.put("ongoing", ongoing);
    node.put("queued", queued);
    node.put(
        "replicas",
        deployment.replicas().stream().filter(r -> r.state() == ReplicaState.READY).count());
    node.put("desiredReplicas", desired);
    ScalingDecision decision = deployment.latest().lastDecision();
    if (decision != null) {
      node.put("proposedReplicas", decision.proposedReplicas());
    }
    long resident = 0;
    for (io.sluice.engine.replica.Replica replica : deployment.replicas()) {
      resident += placer.hostMemoryOf(replica.id());
    }
    node.put("memoryBytes", resident);
    node.put("evictions", deployment.latest().residency().evictions(name));

    FunctionCounter tokens =
        registry.find("sluice.llm.generation.tokens").tag("deployment", name).functionCounter();
    if (tokens != null) {
      ObjectNode llm = node.putObject("llm");
      window.tokens.addLast(new double[] {System.nanoTime(), tokens.count()});
      if (window.tokens.size() > TOKEN_RATE_SAMPLES) {
        window.tokens.removeFirst();
      }
      double[] oldest = window.tokens.getFirst();
      double[] newest = window.tokens.getLast();
      double span = (newest[0] - oldest[0]) / 1e9;
      llm.put("tokensPerSecond", span <= 0 ? 0 : Math.max(0, newest[1] - oldest[1]) / span);
      double[] ttft =
          window.timeToFirstToken.quantiles(
              registry.find("sluice.llm.time.to.first.token").tag("deployment", name).timers(),
              0.5,
              0.99);
      putMillis(llm, "ttftP50Ms", ttft[0]);
      putMillis(llm, "ttftP99Ms", ttft[1]);
      llm.put("running", gauge(registry, "sluice.llm.running.requests", name));
      llm.put("waiting", gauge(registry, "sluice.llm.waiting.requests", name));
    }
    return node;
  }

  private static boolean succeeded(String code) {
    return code == null || code.equals("OK") || code.startsWith("2") || code.startsWith("1");
  }

  private static double gauge(MeterRegistry registry, String meter, String deployment) {
    Gauge gauge = registry.find(meter).tag("deployment", deployment).gauge();
    return gauge == null || Double.isNaN(gauge.value()) ? 0 : gauge.value();
  }

  private static void putMillis(ObjectNode node, String field, double millis) {
    if (Double.isNaN(millis)) {
      node.putNull(field);
    } else {
      node.put(field, Math.round(millis * 1000) / 1000.0);
    }
  }

  /** The kept samples, oldest first. */
  public synchronized List<ObjectNode> history() {
    return List.copyOf(history);
  }

  /**
   * Tells {@code listener} of every new sample (on the sampling thread); run the returned action to
   * stop.
   */
  public Runnable listen(Consumer<ObjectNode> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }
}
