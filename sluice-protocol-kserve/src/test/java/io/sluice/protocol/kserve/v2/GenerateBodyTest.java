package io.sluice.protocol.kserve.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.GenerateRequest;
import io.sluice.api.InvalidInputException;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class GenerateBodyTest {
  private static GenerateRequest read(String parameters) {
    return GenerateBody.read(
        "m", Buffer.buffer("{\"text_input\": \"hi\", \"parameters\": " + parameters + "}"), null);
  }

  @Test
  void parametersAreTakenAsSent() {
    GenerateRequest request =
        read("{\"max_tokens\": 7, \"temperature\": 0.5, \"top_p\": 0.9, \"seed\": 42}");
    assertThat(request.maxTokens()).isEqualTo(7);
    assertThat(request.temperature()).isEqualTo(0.5f);
    assertThat(request.topP()).isEqualTo(0.9f);
    assertThat(request.seed()).isEqualTo(42L);
  }

  @Test
  void numbersOutsideTheirTypeOrRangeAreRefused() {
    assertThatThrownBy(() -> read("{\"max_tokens\": 99999999999999999999}"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("max_tokens must be an integer");
    assertThatThrownBy(() -> read("{\"max_tokens\": 2.5}"))
        .hasMessageContaining("max_tokens must be an integer");
    assertThatThrownBy(() -> read("{\"seed\": \"7\"}"))
        .hasMessageContaining("seed must be an integer");
    assertThatThrownBy(() -> read("{\"temperature\": -5}"))
        .hasMessageContaining("temperature must be a number between 0 and 2");
    assertThatThrownBy(() -> read("{\"top_p\": \"high\"}"))
        .hasMessageContaining("top_p must be a number");
  }
}
