package io.sluice.runtime.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * An OpenAI-compatible server as a text-generation model: vLLM on a GPU machine, llama.cpp's {@code
 * llama-server} built for the CPU at hand, or another Sluice. Sluice keeps its own routing, queues,
 * revisions, metrics and protocols in front; the upstream decodes. Settings, exactly one of:
 *
 * <ul>
 *   <li>{@code url}: the base URL of a running server ({@code http://gpu-box:8000}, with or without
 *       {@code /v1});
 *   <li>{@code command}: a command line Sluice starts and stops with the replica, where {@code
 *       {model}} becomes the local path of {@code storageUri} and {@code {port}} a free loopback
 *       port, e.g. {@code llama-server -m {model} --port {port} -np 4}.
 * </ul>
 *
 * and optionally {@code model} (the name to send upstream; default: the first of its {@code
 * /v1/models}), {@code startTimeout} (seconds to wait for a started command to answer; default
 * 300).
 */
public final class OpenAiUpstreamRuntime implements ModelRuntime {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Override
  public String name() {
    return "openai-upstream";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    String url = source.settings().get("url");
    String command = source.settings().get("command");
    if ((url == null) == (command == null)) {
      throw new ModelLoadException(
          "openai-upstream needs exactly one of the settings url (a running server) and command (one to start)");
    }
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    UpstreamProcess process = null;
    URI base;
    if (command != null) {
      process =
          UpstreamProcess.start(
              command,
              source.location(),
              Duration.ofSeconds(source.intSetting("startTimeout", 300, 1)),
              http);
      base = process.base;
    } else {
      try {
        // Paths are appended to the base, so a server behind a prefix (http://gateway/llm) works; a
        // trailing
        // /v1, as OpenAI clients are configured, is not part of it.
        String trimmed = url.replaceAll("/+$", "").replaceAll("/v1$", "");
        base = URI.create(trimmed);
      } catch (IllegalArgumentException e) {
        throw new ModelLoadException("url '" + url + "' is not a URL");
      }
    }
    try {
      String model = source.settings().getOrDefault("model", null);
      if (model == null) {
        model = firstModel(http, base);
      }
      return new UpstreamModel(source, http, base, model, process);
    } catch (ModelLoadException | RuntimeException e) {
      if (process != null) {
        process.close();
      }
      throw e;
    }
  }

  /** The first model the upstream lists. */
  private static String firstModel(HttpClient http, URI base) throws ModelLoadException {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/v1/models"))
                  .timeout(Duration.ofSeconds(10))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode data = MAPPER.readTree(response.body()).path("data");
      if (response.statusCode() != 200 || data.isEmpty()) {
        throw new ModelLoadException(
            "the upstream at "
                + base
                + " lists no models (GET /v1/models: "
                + response.statusCode()
                + "); name one with the setting model");
      }
      return data.get(0).path("id").asText();
    } catch (IOException e) {
      throw new ModelLoadException(
          "the upstream at " + base + " does not answer: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelLoadException("interrupted while asking the upstream for its models");
    }
  }
}
