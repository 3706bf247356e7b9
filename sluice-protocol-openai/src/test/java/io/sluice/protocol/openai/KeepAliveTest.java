package io.sluice.protocol.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Ollama's keep_alive forms: seconds, numeric strings, Go durations, negatives. */
class KeepAliveTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static Duration of(String json) throws Exception {
    return KeepAlive.of(MAPPER.readTree("{\"keep_alive\": " + json + "}"));
  }

  @Test
  void readsSecondsAndGoDurations() throws Exception {
    assertThat(KeepAlive.of(MAPPER.readTree("{}"))).isNull();
    assertThat(of("0")).isZero();
    assertThat(of("300")).isEqualTo(Duration.ofMinutes(5));
    assertThat(of("1.5")).isEqualTo(Duration.ofMillis(1500));
    assertThat(of("\"10\"")).isEqualTo(Duration.ofSeconds(10));
    assertThat(of("\"5m\"")).isEqualTo(Duration.ofMinutes(5));
    assertThat(of("\"1h30m\"")).isEqualTo(Duration.ofMinutes(90));
    assertThat(of("\"250ms\"")).isEqualTo(Duration.ofMillis(250));
    assertThat(of("-1")).isNegative();
    assertThat(of("\"-1m\"")).isNegative();
  }

  @Test
  void refusesWhatIsNoDuration() {
    for (String bad : new String[] {"\"soon\"", "\"5 m\"", "\"m\"", "\"\"", "true", "[1]"}) {
      assertThatThrownBy(() -> of(bad))
          .as(bad)
          .isInstanceOf(InvalidParameterException.class)
          .hasMessageContaining("keep_alive");
    }
  }
}
