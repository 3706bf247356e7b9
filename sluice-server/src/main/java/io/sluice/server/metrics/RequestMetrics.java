package io.sluice.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.http.RequestObserver;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus metrics: {@code sluice_requests_total} and the {@code sluice_request_duration_seconds}
 * histogram, per model, protocol and status code. Meters are cached per label set so the hot path
 * does one map lookup.
 */
public final class RequestMetrics implements RequestObserver {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ConcurrentHashMap<Key, Meters> meters = new ConcurrentHashMap<>();
  private final java.util.List<Runnable> beforeScrape =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  private record Key(String model, String protocol, String code) {}

  private record Meters(Counter count, Timer duration) {}

  @Override
  public void observe(String model, String protocol, String code, long nanos) {
    Meters m = meters.computeIfAbsent(new Key(model, protocol, code), this::create);
    m.count().increment();
    m.duration().record(nanos, TimeUnit.NANOSECONDS);
  }

  private Meters create(Key key) {
    Counter count =
        Counter.builder("sluice.requests")
            .description("Inference requests answered")
            .tags("model", key.model(), "protocol", key.protocol(), "code", key.code())
            .register(registry);
    Timer duration =
        Timer.builder("sluice.request.duration")
            .description("Time from decoding an inference request to answering it")
            .tags("model", key.model(), "protocol", key.protocol(), "code", key.code())
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(50_000))
            .maximumExpectedValue(Duration.ofSeconds(60))
            .register(registry);
    return new Meters(count, duration);
  }

  @Override
  public void audio(String model, String direction, double audioSeconds, long nanos) {
    if (!(audioSeconds > 0)) {
      return;
    }
    Counter.builder("sluice.audio.seconds")
        .description("Seconds of audio transcribed (direction in) or spoken (direction out)")
        .tags("model", model, "direction", direction)
        .register(registry)
        .increment(audioSeconds);
    DistributionSummary.builder("sluice.audio.real.time.factor")
        .description("Processing time over audio time per request (below 1: faster than real time)")
        .tags("model", model, "direction", direction)
        .serviceLevelObjectives(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0)
        .register(registry)
        .record(nanos / 1e9 / audioSeconds);
  }

  /** The Prometheus text exposition of every metric. */
  public String scrape() {
    refresh();
    return registry.scrape();
  }

  /**
   * Brings the values read from elsewhere (runtime-reported statistics) up to date, as a scrape
   * does.
   */
  public void refresh() {
    beforeScrape.forEach(Runnable::run);
  }

  /** Work to do before each scrape (registering meters that exist only once a model reports). */
  public void beforeScrape(Runnable work) {
    beforeScrape.add(work);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }
}
