package io.sluice.runtime.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.GeneratedText;
import io.sluice.api.InvalidInputException;
import io.sluice.runtime.llm.gguf.RandomModelWriter;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.ModelSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code llama} runtime end to end on a random-weight GGUF: structured output, tool calls,
 * logprobs.
 */
class LlamaRuntimeTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String SCHEMA =
      """
      {"type": "object",
       "properties": {
         "city": {"type": "string", "maxLength": 12},
         "unit": {"enum": ["celsius", "fahrenheit"]},
         "days": {"type": "integer"},
         "rain": {"type": "boolean"},
         "tags": {"type": "array", "items": {"type": "string", "maxLength": 6}, "maxItems": 3},
         "note": {"type": ["string", "null"], "maxLength": 5}},
       "required": ["city", "unit", "days", "rain", "tags"]}""";
  @TempDir static Path dir;
  private static GenerativeModel model;

  @BeforeAll
  static void load() throws Exception {
    Path file = dir.resolve("tiny.gguf");
    RandomModelWriter.writeTinyLlama(file, 256, 4);
    model =
        (GenerativeModel)
            new LlamaRuntime()
                .load(
                    new ModelSource(
                        "tiny",
                        "1",
                        file,
                        Map.of("parallel", "4", "ctxSize", "4096", "threads", "2")));
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void itsFootprintIsItsWeightsPlusAKvCacheOfItsContextPlusThePrefixesCopiedOutOfIt()
      throws Exception {
    // 4,096 cells x 4 layers x (K and V) x 256 wide (4 heads, 4 KV heads) x 2 bytes (F16)
    long kvCache = 4096L * 4 * 2 * 256 * 2;
    long file = java.nio.file.Files.size(dir.resolve("tiny.gguf"));
    long savedPrefixes = ((LlamaGenerativeModel) model).stats().savedPrefixBytes();

    long weights = model.memoryBytes() - kvCache - savedPrefixes;

    assertThat(weights)
        .as("the tensors, without the GGUF's header and vocabulary")
        .isBetween(file / 2, file);
  }

  private record Generated(String text, List<GeneratedText> pieces, GenerateResult result) {}

  private static Generated chat(
      String user, int maxTokens, Float temperature, GenerateOptions options) {
    List<GeneratedText> pieces = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    GenerateResult result =
        model.generate(
            new GenerateRequest(
                "tiny",
                null,
                null,
                List.of(new GenerateRequest.ChatMessage("user", user)),
                maxTokens,
                temperature,
                null,
                List.of(),
                7L,
                options),
            piece -> {
              pieces.add(piece);
              text.append(piece.text());
            },
            () -> false);
    return new Generated(text.toString(), pieces, result);
  }

  private static GenerateOptions options(
      GenerateOptions.ResponseFormat format,
      Integer topLogprobs,
      List<GenerateOptions.Tool> tools,
      String toolChoice) {
    return new GenerateOptions(
        null, null, null, null, null, null, format, topLogprobs, false, tools, toolChoice);
  }

  @Test
  void jsonSchemaOutputParsesAndFollowsTheSchemaEvenFromRandomWeights() throws Exception {
    for (Float temperature : new Float[] {0f, 1f}) {
      Generated out =
          chat(
              "weather please",
              400,
              temperature,
              options(
                  new GenerateOptions.ResponseFormat("json_schema", SCHEMA),
                  null,
                  List.of(),
                  null));
      assertThat(out.result().finishReason()).as(out.text()).isEqualTo("stop");
      JsonNode json = MAPPER.readTree(out.text());
      assertThat(json.get("city").isTextual()).isTrue();
      assertThat(json.get("city").asText().length()).isLessThanOrEqualTo(12);
      assertThat(json.get("unit").asText()).isIn("celsius", "fahrenheit");
      assertThat(json.get("days").isIntegralNumber()).isTrue();
      assertThat(json.get("rain").isBoolean()).isTrue();
      assertThat(json.get("tags").isArray()).isTrue();
      assertThat(json.get("tags").size()).isLessThanOrEqualTo(3);
      List<String> names = new ArrayList<>();
      json.fieldNames().forEachRemaining(names::add);
      assertThat(names)
          .containsSubsequence("city", "unit", "days", "rain", "tags")
          .isSubsetOf("city", "unit", "days", "rain", "tags", "note");
    }
  }

  @Test
  void aRequiredToolCallComesBackAsACallWithArgumentsThatParse() throws Exception {
    List<GenerateOptions.Tool> tools =
        List.of(
            new GenerateOptions.Tool("get_weather", "Weather in a city", SCHEMA),
            new GenerateOptions.Tool(
                "get_time",
                "Time in a zone",
                "{\"type\":\"object\",\"properties\":{\"zone\":{\"enum\":[\"utc\",\"cet\"]}},\"required\":[\"zone\"]}"));
    Generated out =
        chat("what is the weather in Paris?", 400, 0f, options(null, null, tools, "get_weather"));
    assertThat(out.result().finishReason()).isEqualTo("tool_calls");
    List<GenerateRequest.ToolCall> calls =
        out.pieces().stream().flatMap(piece -> piece.toolCalls().stream()).toList();
    assertThat(calls).hasSize(1);
    assertThat(calls.getFirst().name()).isEqualTo("get_weather");
    assertThat(calls.getFirst().id()).startsWith("call_");
    assertThat(MAPPER.readTree(calls.getFirst().arguments()).get("unit").asText())
        .isIn("celsius", "fahrenheit");
    assertThat(out.text()).doesNotContain("<tool_call>");

    Generated any = chat("what time is it?", 400, 1f, options(null, null, tools, "required"));
    assertThat(any.result().finishReason()).isEqualTo("tool_calls");
    assertThat(
            any.pieces().stream()
                .flatMap(piece -> piece.toolCalls().stream())
                .map(GenerateRequest.ToolCall::name))
        .singleElement()
        .isIn("get_weather", "get_time");
  }

  @Test
  void logprobsComeWithEveryToken() {
    Generated out = chat("hello", 6, 0f, options(null, 3, List.of(), null));
    List<GeneratedText.TokenLogprob> logprobs =
        out.pieces().stream().flatMap(piece -> piece.logprobs().stream()).toList();
    assertThat(logprobs).hasSize(6);
    assertThat(logprobs)
        .allSatisfy(
            logprob -> {
              assertThat(logprob.top()).hasSize(3);
              assertThat(logprob.logprob())
                  .isLessThanOrEqualTo(0f)
                  .isEqualTo(logprob.top().getFirst().logprob());
            });
    assertThat(logprobs.stream().map(GeneratedText.TokenLogprob::token).reduce("", String::concat))
        .isEqualTo(out.text());
  }

  @Test
  void badRequestsAreRefusedAsInvalidInput() {
    assertThatThrownBy(
            () ->
                chat(
                    "x",
                    4,
                    0f,
                    options(
                        new GenerateOptions.ResponseFormat("json_schema", "{\"type\":\"tuple\"}"),
                        null,
                        List.of(),
                        null)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("tuple");
    assertThatThrownBy(
            () ->
                chat(
                    "x",
                    4,
                    0f,
                    new GenerateOptions(
                        null,
                        null,
                        null,
                        null,
                        null,
                        Map.of(1_000_000, 5f),
                        null,
                        null,
                        false,
                        null,
                        null)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("logit_bias");
    assertThatThrownBy(
            () ->
                model.generate(
                    new GenerateRequest(
                        "tiny", null, "word ".repeat(5000), null, 4, 0f, null, List.of(), 1L),
                    piece -> {},
                    () -> false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("context");
  }

  /**
   * Text reaches the sink from the decoding thread, which serves every stream: a sink that throws
   * fails its own generation with its error, and a generation running beside it gives the same text
   * as it does alone.
   */
  @Test
  void aSinkThatThrowsFailsOnlyItsOwnGeneration() throws Exception {
    Generated alone = chat("tell me about the river", 24, 0f, GenerateOptions.NONE);
    IllegalStateException broken = new IllegalStateException("the client's socket broke");
    try (var threads = java.util.concurrent.Executors.newFixedThreadPool(2)) {
      var failing =
          threads.submit(
              () ->
                  model.generate(
                      new GenerateRequest(
                          "tiny",
                          null,
                          null,
                          List.of(new GenerateRequest.ChatMessage("user", "another question")),
                          24,
                          0f,
                          null,
                          List.of(),
                          7L,
                          GenerateOptions.NONE),
                      piece -> {
                        throw broken;
                      },
                      () -> false));
      var beside =
          threads.submit(() -> chat("tell me about the river", 24, 0f, GenerateOptions.NONE));
      assertThatThrownBy(failing::get).hasCause(broken);
      Generated next = beside.get();
      assertThat(next.text()).isEqualTo(alone.text());
      assertThat(next.result().finishReason()).isEqualTo(alone.result().finishReason());
    }
  }

  @Test
  void logitBiasBansAToken() {
    Generated free = chat("hello", 1, 0f, GenerateOptions.NONE);
    String first = free.text();
    assertThat(first).isNotEmpty();
    // the same request with that token banned must pick another
    GenerateOptions banned =
        new GenerateOptions(
            null,
            null,
            null,
            null,
            null,
            Map.of(tokenOf(first), -100f),
            null,
            null,
            false,
            null,
            null);
    assertThat(chat("hello", 1, 0f, banned).text()).isNotEqualTo(first);
  }

  private static int tokenOf(String piece) {
    LlamaGenerativeModel llama = (LlamaGenerativeModel) model;
    for (int token = 0; token < llama.vocabularySize(); token++) {
      if (llama.detokenize(new int[] {token}).equals(piece)) {
        return token;
      }
    }
    throw new AssertionError("no single token for '" + piece + "'");
  }
}
