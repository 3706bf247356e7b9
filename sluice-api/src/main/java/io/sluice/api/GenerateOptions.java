package io.sluice.api;

import java.util.List;
import java.util.Map;

/**
 * What OpenAI's and vLLM's clients may ask of a generation beyond the basics; null or empty leaves
 * the model's default.
 *
 * @param topK sample from the k likeliest tokens only
 * @param minP drop tokens less likely than this fraction of the likeliest
 * @param repetitionPenalty divide the logits of tokens seen recently (vLLM's {@code
 *     repetition_penalty})
 * @param frequencyPenalty subtract per earlier occurrence
 * @param presencePenalty subtract once for any earlier occurrence
 * @param logitBias token id to a bias (-100 to 100) added to its logit
 * @param responseFormat the shape the output must take
 * @param topLogprobs null for no log-probabilities; 0 for the chosen tokens'; k (≤ 20) for k
 *     alternatives too
 * @param ignoreEos keep generating past end-of-sequence tokens (vLLM's {@code ignore_eos}, for
 *     benchmarks)
 * @param tools functions the model may call
 * @param toolChoice {@code auto}, {@code none}, {@code required}, or the name of the function it
 *     must call
 * @param chatTemplateArguments extra variables for the model's chat template, a JSON object as text
 *     (vLLM's {@code chat_template_kwargs}, e.g. {@code {"enable_thinking": false}}); null for none
 */
public record GenerateOptions(
    Integer topK,
    Float minP,
    Float repetitionPenalty,
    Float frequencyPenalty,
    Float presencePenalty,
    Map<Integer, Float> logitBias,
    ResponseFormat responseFormat,
    Integer topLogprobs,
    boolean ignoreEos,
    List<Tool> tools,
    String toolChoice,
    String chatTemplateArguments) {
  public static final GenerateOptions NONE =
      new GenerateOptions(null, null, null, null, null, null, null, null, false, null, null, null);

  public GenerateOptions(
      Integer topK,
      Float minP,
      Float repetitionPenalty,
      Float frequencyPenalty,
      Float presencePenalty,
      Map<Integer, Float> logitBias,
      ResponseFormat responseFormat,
      Integer topLogprobs,
      boolean ignoreEos,
      List<Tool> tools,
      String toolChoice) {
    this(
        topK,
        minP,
        repetitionPenalty,
        frequencyPenalty,
        presencePenalty,
        logitBias,
        responseFormat,
        topLogprobs,
        ignoreEos,
        tools,
        toolChoice,
        null);
  }

  public GenerateOptions {
    logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
    tools = tools == null ? List.of() : List.copyOf(tools);
    responseFormat = responseFormat == null ? ResponseFormat.TEXT : responseFormat;
    toolChoice = toolChoice == null ? (tools.isEmpty() ? "none" : "auto") : toolChoice;
  }

  /**
   * The output's shape: free {@code text}, any {@code json_object}, or JSON matching {@code schema}
   * (a JSON Schema, as JSON text) for {@code json_schema}.
   */
  public record ResponseFormat(String type, String schema) {
    public static final ResponseFormat TEXT = new ResponseFormat("text", null);
  }

  /**
   * A function the model may call.
   *
   * @param name the function's name
   * @param description what it does, for the model
   * @param parameters its arguments' JSON Schema, as JSON text ({@code {"type":"object"}} when none
   *     was given)
   */
  public record Tool(String name, String description, String parameters) {}
}
