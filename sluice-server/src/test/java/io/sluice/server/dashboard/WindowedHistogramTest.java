package io.sluice.server.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class WindowedHistogramTest {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  private Timer timer(String code) {
    return Timer.builder("t")
        .tag("code", code)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(50_000))
        .maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry);
  }

  @Test
  void quantilesCoverOnlyWhatWasRecordedSinceTheLastLook() {
    Timer ok = timer("200");
    Timer failed = timer("500");
    WindowedHistogram window = new WindowedHistogram();
    for (int i = 0; i < 1000; i++) {
      ok.record(Duration.ofMillis(100));
    }
    double[] first = window.quantiles(List.of(ok, failed), 0.5, 0.99);
    assertThat(first[0]).isCloseTo(100, within(15.0));

    for (int i = 0; i < 98; i++) {
      ok.record(Duration.ofMillis(2));
    }
    failed.record(Duration.ofMillis(900));
    failed.record(Duration.ofMillis(900));
    double[] second = window.quantiles(List.of(ok, failed), 0.5, 0.99);
    assertThat(second[0])
        .as("the 1000 earlier 100 ms requests are not in this window")
        .isCloseTo(2, within(1.0));
    assertThat(second[1]).as("both timers' buckets are summed").isGreaterThan(500);

    assertThat(window.quantiles(List.of(ok, failed), 0.5)[0]).as("nothing recorded since").isNaN();
  }
}
