package io.sluice.server.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.api.GenerateResult;
import io.sluice.engine.stats.GenerationListener;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The LLM latency histograms vLLM's users chart, timed by the engine around every generation, with
 * vLLM's names and buckets under a {@code sluice_llm_} prefix and Sluice's {@code deployment} and
 * {@code revision} labels: time to first token, inter-token latency, end-to-end latency and queue
 * time. (Token counters, running and waiting generations and KV-cache usage come from the runtime:
 * {@link ReportedMetrics}.) The mapping to vLLM's names is in {@code docs/llm.md}.
 */
public final class LlmMetrics implements GenerationListener {
  private static final Duration[] TTFT_BUCKETS =
      seconds(
          0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
          10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0);
  private static final Duration[] ITL_BUCKETS =
      seconds(
          0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
          20.0, 40.0, 80.0);
  private static final Duration[] REQUEST_BUCKETS =
      seconds(
          0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0,
          240.0, 480.0, 960.0, 1920.0, 7680.0);

  private final MeterRegistry registry;

  /** Inter-token timers by deployment and revision: looked up once a token, built once. */
  private final Map<List<String>, Timer> interTokenTimers = new ConcurrentHashMap<>();

  public LlmMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  private static Duration[] seconds(double... bounds) {
    return Arrays.stream(bounds)
        .mapToObj(s -> Duration.ofNanos(Math.round(s * 1e9)))
        .toArray(Duration[]::new);
  }

  private Timer timer(
      String name, String description, Duration[] buckets, String model, String revision) {
    return Timer.builder(name)
        .description(description)
        .tags("deployment", model, "revision", revision)
        .serviceLevelObjectives(buckets)
        .register(registry);
  }

  @Override
  public void firstPiece(String deployment, String revision, long sinceAccepted) {
    timer(
            "sluice.llm.time.to.first.token",
            "Time from a request's arrival to its first token (vllm:time_to_first_token_seconds)",
            TTFT_BUCKETS,
            deployment,
            revision)
        .record(sinceAccepted, TimeUnit.NANOSECONDS);
  }

  @Override
  public void nextPiece(String deployment, String revision, long sincePrevious) {
    interTokenTimers
        .computeIfAbsent(
            List.of(deployment, revision),
            key ->
                timer(
                    "sluice.llm.inter.token.latency",
                    "Time between streamed pieces, usually one token each"
                        + " (vllm:inter_token_latency_seconds)",
                    ITL_BUCKETS,
                    deployment,
                    revision))
        .record(sincePrevious, TimeUnit.NANOSECONDS);
  }

  @Override
  public void finished(
      String deployment, String revision, GenerateResult result, long queued, long endToEnd) {
    timer(
            "sluice.llm.e2e.request.latency",
            "Time from a request's arrival to its last token (vllm:e2e_request_latency_seconds)",
            REQUEST_BUCKETS,
            deployment,
            revision)
        .record(endToEnd, TimeUnit.NANOSECONDS);
    timer(
            "sluice.llm.request.queue.time",
            "Time a generation waited for a replica (vllm:request_queue_time_seconds)",
            REQUEST_BUCKETS,
            deployment,
            revision)
        .record(queued, TimeUnit.NANOSECONDS);
    io.micrometer.core.instrument.Counter.builder("sluice.llm.request.success")
        .description(
            "Generations finished, by why they stopped: stop or length (vllm:request_success_total)")
        .tags(
            "deployment",
            deployment,
            "revision",
            revision,
            "finished_reason",
            result == null || result.finishReason() == null ? "unknown" : result.finishReason())
        .register(registry)
        .increment();
  }
}
