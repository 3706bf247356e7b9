package io.sluice.runtime.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.ServerOverloadedException;
import io.sluice.api.Tensor;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.ModelSource;
import io.sluice.spi.SupervisedModel;
import io.sluice.spi.TraceContext;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One upstream model. Every generation is a streaming request upstream ({@code
 * /v1/chat/completions} for messages, {@code /v1/completions} for a prompt) whose deltas are handed
 * on as they arrive; cancelling closes the connection, which is how OpenAI-compatible servers learn
 * to stop. V2 {@code infer} takes {@code text_input} like the llama.cpp runtime.
 */
final class UpstreamModel implements GenerativeModel, SupervisedModel {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final ModelMetadata metadata;
  private final HttpClient http;
  private final URI base;
  private final String upstreamModel;
  private final UpstreamProcess process;

  UpstreamModel(
      ModelSource source,
      HttpClient http,
      URI base,
      String upstreamModel,
      UpstreamProcess process) {
    this.metadata = GenerativeModel.textMetadata(source, "openai_upstream");
    this.http = http;
    this.base = base;
    this.upstreamModel = upstreamModel;
    this.process = process;
  }

  @Override
  public ModelMetadata metadata() {
    return metadata;
  }

  @Override
  public GenerateResult generate(
      GenerateRequest request,
      Consumer<io.sluice.api.GeneratedText> onText,
      BooleanSupplier cancelled) {
    boolean chat = request.messages() != null;
    HttpResponse<InputStream> response =
        send(chat ? "/v1/chat/completions" : "/v1/completions", body(request, chat));
    String finish = null;
    String stopSequence = null;
    int promptTokens = 0;
    int completionTokens = -1;
    int pieces = 0;
    try (InputStream stream = response.body();
        BufferedReader lines =
            new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (cancelled.getAsBoolean()) {
          return new GenerateResult(
              "stop", promptTokens, pieces); // closing the stream tells the upstream to stop
        }
        if (!line.startsWith("data:")) {
          continue;
        }
        String data = line.substring(5).strip();
        if (data.equals("[DONE]")) {
          break;
        }
        JsonNode event = MAPPER.readTree(data);
        if (event.has("error")) {
          throw new InferenceFailedException(
              "the upstream failed: "
                  + event.path("error").path("message").asText(event.toString()));
        }
        JsonNode choice = event.path("choices").path(0);
        String text =
            chat ? choice.path("delta").path("content").asText("") : choice.path("text").asText("");
        // vLLM's reasoning parsers and llama-server put thinking in reasoning_content (newer vLLM:
        // reasoning)
        JsonNode delta = choice.path("delta");
        String reasoning =
            chat ? delta.path("reasoning_content").asText(delta.path("reasoning").asText("")) : "";
        if (!reasoning.isEmpty()) {
          onText.accept(io.sluice.api.GeneratedText.reasoning(reasoning));
        }
        if (!text.isEmpty()) {
          pieces++;
          onText.accept(io.sluice.api.GeneratedText.of(text));
        }
        if (choice.hasNonNull("finish_reason")) {
          finish = choice.get("finish_reason").asText();
        }
        if (choice.path("stop_reason").isTextual()) { // vLLM: the stop string that matched
          stopSequence = choice.get("stop_reason").asText();
        }
        if (event.hasNonNull("usage")) {
          promptTokens = event.get("usage").path("prompt_tokens").asInt(promptTokens);
          completionTokens = event.get("usage").path("completion_tokens").asInt(completionTokens);
        }
      }
    } catch (IOException e) {
      // The upstream went away mid-answer (a crash, a restart): like a dead worker's requests, a
      // 503 to retry.
      throw new ModelNotReadyException("the upstream's answer broke off: " + e.getMessage());
    }
    return new GenerateResult(
        finish == null ? "stop" : finish,
        promptTokens,
        completionTokens < 0 ? pieces : completionTokens,
        stopSequence);
  }

  private ObjectNode body(GenerateRequest request, boolean chat) {
    ObjectNode body = MAPPER.createObjectNode().put("model", upstreamModel);
    if (chat) {
      ArrayNode messages = body.putArray("messages");
      request
          .messages()
          .forEach(m -> messages.addObject().put("role", m.role()).put("content", m.content()));
    } else {
      body.put("prompt", request.prompt());
    }
    body.put("max_tokens", request.maxTokens());
    if (chat && request.options().chatTemplateArguments() != null) {
      try {
        body.set(
            "chat_template_kwargs", MAPPER.readTree(request.options().chatTemplateArguments()));
      } catch (IOException e) {
        throw new IllegalArgumentException("chat_template_kwargs are not JSON", e);
      }
    }
    if (request.temperature() != null) {
      body.put("temperature", request.temperature());
    }
    if (request.topP() != null) {
      body.put("top_p", request.topP());
    }
    if (request.seed() != null) {
      body.put("seed", request.seed());
    }
    if (!request.stop().isEmpty()) {
      ArrayNode stop = body.putArray("stop");
      request.stop().forEach(stop::add);
    }
    body.put("stream", true);
    body.putObject("stream_options").put("include_usage", true);
    return body;
  }

  /** Sends the request; an answer other than 200 becomes the matching Sluice error. */
  private HttpResponse<InputStream> send(String path, ObjectNode body) {
    String exited = process == null ? null : process.exitReason();
    if (exited != null) {
      throw new ModelNotReadyException(exited);
    }
    HttpResponse<InputStream> response;
    try {
      response =
          http.send(
              TraceContext.propagate(HttpRequest.newBuilder(URI.create(base + path)))
                  .header("content-type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new ModelNotReadyException(
          "the upstream at " + base + " does not answer: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InferenceFailedException("interrupted while calling the upstream");
    }
    if (response.statusCode() == 200) {
      return response;
    }
    String message;
    try (InputStream error = response.body()) {
      String text = new String(error.readAllBytes(), StandardCharsets.UTF_8);
      JsonNode parsed = MAPPER.readTree(text.isBlank() ? "{}" : text);
      message =
          parsed
              .path("error")
              .path("message")
              .asText(text.isBlank() ? "status " + response.statusCode() : text);
    } catch (IOException e) {
      message = "status " + response.statusCode();
    }
    int status = response.statusCode();
    if (status == 429) {
      throw new ServerOverloadedException(
          "the upstream is at capacity: " + message, java.time.Duration.ofSeconds(1));
    }
    if (status == 400 || status == 413 || status == 422) {
      throw new InvalidInputException("the upstream refused the request: " + message);
    }
    // 401, 403, 404 and 5xx: the upstream or its configuration is at fault, not the client's
    // request.
    throw new InferenceFailedException("the upstream failed (" + status + "): " + message);
  }

  @Override
  public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    return inferByGenerating(inputs);
  }

  /**
   * Alive (a started process still runs) and answering {@code GET /health} or {@code GET
   * /v1/models}.
   */
  @Override
  public boolean ping(Duration timeout) {
    return (process == null || process.exitReason() == null)
        && UpstreamProcess.answers(http, base, timeout);
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
  }
}
