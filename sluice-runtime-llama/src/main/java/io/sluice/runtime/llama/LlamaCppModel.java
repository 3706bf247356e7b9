package io.sluice.runtime.llama;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.Pair;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.GeneratedText;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.ModelSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One GGUF model. Generations stream token by token; llama.cpp decodes up to {@code parallel} of them
 * together. V2 {@code infer} also works: {@code text_input} BYTES in, {@code text_output} BYTES out
 * (16 tokens, or {@code max_tokens} INT32).
 */
final class LlamaCppModel implements GenerativeModel {
  private final LlamaModel model;
  private final ModelMetadata metadata;

  LlamaCppModel(ModelSource source, LlamaModel model) {
    this.model = model;
    this.metadata = GenerativeModel.textMetadata(source, "llama_cpp_gguf");
  }

  @Override
  public ModelMetadata metadata() {
    return metadata;
  }

  @Override
  public GenerateResult generate(GenerateRequest request, Consumer<GeneratedText> onText, BooleanSupplier cancelled) {
    String prompt = request.prompt() != null ? request.prompt() : chatPrompt(request.messages());
    InferenceParameters parameters = new InferenceParameters(prompt).setNPredict(request.maxTokens());
    if (request.temperature() != null) {
      parameters.setTemperature(request.temperature());
    }
    if (request.topP() != null) {
      parameters.setTopP(request.topP());
    }
    if (!request.stop().isEmpty()) {
      parameters.setStopStrings(request.stop().toArray(String[]::new));
    }
    if (request.seed() != null) {
      parameters.setSeed((int) (long) request.seed());
    }
    int promptTokens = model.encode(prompt).length;
    int completionTokens = 0;
    boolean stopped = false;
    LlamaIterator tokens;
    try {
      tokens = model.generate(parameters).iterator();
    } catch (RuntimeException e) {
      throw new InferenceFailedException("llama.cpp refused the request: " + e.getMessage(), e);
    }
    while (tokens.hasNext()) {
      if (cancelled.getAsBoolean()) {
        tokens.cancel();
        stopped = true;
        break;
      }
      LlamaOutput output = tokens.next();
      if (!output.text.isEmpty()) {
        completionTokens++;
        onText.accept(GeneratedText.of(output.text));
      }
    }
    String finish = !stopped && completionTokens >= request.maxTokens() ? "length" : "stop";
    return new GenerateResult(finish, promptTokens, completionTokens);
  }

  private String chatPrompt(List<GenerateRequest.ChatMessage> messages) {
    String system = null;
    List<Pair<String, String>> turns = new ArrayList<>();
    for (GenerateRequest.ChatMessage message : messages) {
      if (message.role().equals("system") && system == null && turns.isEmpty()) {
        system = message.content();
      } else {
        turns.add(new Pair<>(message.role(), message.content()));
      }
    }
    if (turns.isEmpty()) {
      throw new InvalidInputException("messages need at least one user message");
    }
    return model.applyTemplate(new InferenceParameters("").setMessages(system, turns));
  }

  @Override
  public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    return inferByGenerating(inputs);
  }

  @Override
  public void close() {
    model.close();
  }
}
