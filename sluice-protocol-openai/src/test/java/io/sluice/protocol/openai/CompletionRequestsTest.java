package io.sluice.protocol.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.GenerateRequest;
import io.sluice.api.InvalidInputException;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CompletionRequestsTest {
  private static final String MESSAGES =
      "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";

  private static GenerateRequest chat(String fields) {
    return CompletionRequests.parse(
        "m", OpenAiBodies.object(Buffer.buffer("{" + MESSAGES + ", " + fields + "}")), true, null);
  }

  @Test
  void integerFieldsAreTakenAsSent() {
    GenerateRequest request =
        chat(
            "\"max_tokens\": 7, \"top_k\": 3, \"seed\": -9007199254740993, \"logprobs\": true, \"top_logprobs\": 2");
    assertThat(request.maxTokens()).isEqualTo(7);
    assertThat(request.options().topK()).isEqualTo(3);
    assertThat(request.seed()).isEqualTo(-9007199254740993L);
    assertThat(request.options().topLogprobs()).isEqualTo(2);
    assertThat(chat("\"max_completion_tokens\": 5, \"max_tokens\": 9").maxTokens()).isEqualTo(5);
    assertThat(chat("\"max_tokens\": null").maxTokens())
        .isEqualTo(CompletionRequests.DEFAULT_MAX_TOKENS);
  }

  /**
   * Jackson's asInt truncates these to an arbitrary int (99999999999999999999 would have asked for
   * 1,661,992,959 tokens).
   */
  @ParameterizedTest
  @ValueSource(
      strings = {"99999999999999999999", "1e400", "2147483648", "3.5", "\"12\"", "true", "[1]"})
  void maxTokensThatAreNotAnIntAreRefused(String value) {
    assertThatThrownBy(() -> chat("\"max_tokens\": " + value))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("max_tokens must be an integer");
  }

  @Test
  void otherIntegerFieldsAreCheckedToo() {
    assertThatThrownBy(() -> chat("\"top_k\": 1.5"))
        .hasMessageContaining("top_k must be an integer");
    assertThatThrownBy(() -> chat("\"seed\": 1e30"))
        .hasMessageContaining("seed must be an integer");
    assertThatThrownBy(() -> chat("\"seed\": \"7\""))
        .hasMessageContaining("seed must be an integer");
    assertThatThrownBy(() -> chat("\"logprobs\": true, \"top_logprobs\": 4294967297"))
        .hasMessageContaining("top_logprobs must be an integer");
    assertThatThrownBy(
            () ->
                CompletionRequests.parse(
                    "m",
                    OpenAiBodies.object(Buffer.buffer("{\"prompt\": \"hi\", \"logprobs\": 2.5}")),
                    false,
                    null))
        .hasMessageContaining("logprobs must be an integer");
  }
}
