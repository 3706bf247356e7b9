package io.sluice.testkit;

import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A text-generation runtime for testing the server without an LLM: it "generates" the prompt (or
 * the last chat message) back, one word per token, up to {@code max_tokens}.
 *
 * <p>Settings: {@code tokenDelayMs}, a pause before each token (for streams that last).
 *
 * <p>Magic prompts: {@code test:fail} throws an unexpected exception after the first token; {@code
 * test:null-result} ends with a {@code null} result, as a broken runtime might, so that the code
 * answering the request fails.
 */
public final class EchoTextRuntime implements ModelRuntime {
  @Override
  public String name() {
    return "test-echo-text";
  }

  @Override
  public LoadedModel load(ModelSource source) {
    long delay = Long.parseLong(source.settings().getOrDefault("tokenDelayMs", "0"));
    return new EchoText(GenerativeModel.textMetadata(source, "sluice_test_echo_text"), delay);
  }

  private record EchoText(ModelMetadata metadata, long tokenDelayMs) implements GenerativeModel {
    @Override
    public GenerateResult generate(
        GenerateRequest request,
        Consumer<io.sluice.api.GeneratedText> onText,
        BooleanSupplier cancelled) {
      String prompt =
          request.prompt() != null
              ? request.prompt()
              : request.messages().get(request.messages().size() - 1).content();
      String[] words = prompt.strip().split("\\s+");
      int produced = 0;
      for (String word : words) {
        if (produced == request.maxTokens() || cancelled.getAsBoolean()) {
          break;
        }
        pause();
        onText.accept(io.sluice.api.GeneratedText.of(produced == 0 ? word : " " + word));
        produced++;
        if (word.equals("test:fail")) {
          throw new IllegalStateException("injected failure after the first token");
        }
      }
      if (prompt.strip().equals("test:null-result")) {
        return null;
      }
      return new GenerateResult(
          produced < words.length ? "length" : "stop", words.length, produced);
    }

    private void pause() {
      if (tokenDelayMs > 0) {
        try {
          Thread.sleep(tokenDelayMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InferenceFailedException("interrupted");
        }
      }
    }

    @Override
    public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
      return inferByGenerating(inputs);
    }

    @Override
    public void close() {}
  }
}
