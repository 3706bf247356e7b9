package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.replica.ReplicaState;
import io.sluice.runtime.llm.gguf.RandomModelWriter;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A random-weight llama-architecture GGUF (written by the testkit) served by the {@code llama}
 * runtime (llama.cpp through FFM, Sluice's scheduler) in a worker process: the openai SDK's chat
 * and completions, streaming, stop and max_tokens, concurrency; V2 generate; and a kill -9 of the
 * worker in the middle of a stream.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LlmTest {
  private static final Path CLIENT = Path.of("src/test/node");
  private TestServer server;
  private Path dir;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    this.dir = dir;
    Path gguf = dir.resolve("tiny-llama.gguf");
    RandomModelWriter.writeTinyLlama(gguf, 64, 2);
    RandomModelWriter.writeTinyLlamaLora(dir.resolve("warm.gguf"), 64, 2, 8, 1);
    RandomModelWriter.writeTinyLlamaLora(dir.resolve("cold.gguf"), 64, 2, 8, 2);
    // a reasoning model's template (DeepSeek-R1's way: the answer starts inside <think>; Qwen3's
    // enable_thinking: false closes it in the prompt), for the same random weights
    Files.writeString(
        dir.resolve("thinker.jinja"),
        "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n"
            + "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n"
            + "{% if enable_thinking is defined and enable_thinking is false %}"
            + "<think>\n\n</think>\n\n{% else %}<think>\n{% endif %}{% endif %}");
    String model = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    server =
        TestServer.start(
            dir,
            """
        server: {autoscalerInterval: 100ms}
        applications:
          - name: llm
            routePrefix: /llm
            deployments:
              - {name: tiny-llama, runtime: llama, hosting: worker, storageUri: '%1$s',
                 settings: {parallel: '4', ctxSize: '16384', threads: '2'}, maxOngoingRequests: 8,
                 adapters: {river-warm: warm.gguf, river-cold: '%3$s'}}
              - {name: tiny-thinker, runtime: llama, hosting: worker, storageUri: '%1$s',
                 settings: {parallel: '2', ctxSize: '4096', threads: '1', chatTemplateFile: thinker.jinja}}
              - {name: tiny-thinker-raw, runtime: llama, hosting: worker, storageUri: '%1$s',
                 settings: {parallel: '2', ctxSize: '4096', threads: '1', chatTemplateFile: thinker.jinja,
                            reasoningFormat: none}}
          - name: other
            deployments:
              - {name: bystander, runtime: test-echo, storageUri: '%2$s'}
        """
                .formatted(gguf.toUri(), model, dir.resolve("cold.gguf").toUri()));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  /**
   * Runs a client script of src/test/node (which needs the npm package {@code pkg}) and returns the
   * JSON its last line prints.
   */
  private static JsonNode clientRun(String pkg, String... scriptAndArguments) throws Exception {
    require(
        Files.isDirectory(CLIENT.resolve("node_modules").resolve(pkg)),
        "npm packages missing: run bin/install-test-deps");
    List<String> command = new ArrayList<>(List.of("node"));
    command.addAll(List.of(scriptAndArguments));
    Process node =
        new ProcessBuilder(command).directory(CLIENT.toFile()).redirectErrorStream(true).start();
    String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(node.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(node.exitValue()).as(output).isZero();
    return MAPPER.readTree(output.lines().reduce((a, b) -> b).orElseThrow());
  }

  @Test
  void theOpenAiSdkChatsStreamsStopsAndRunsStreamsConcurrently() throws Exception {
    JsonNode r =
        clientRun("openai", "openai-chat.mjs", server.uri("/llm/v1").toString(), "tiny-llama");

    assertThat(r.get("whole").get("object").asText()).isEqualTo("chat.completion");
    assertThat(r.get("whole").get("finish").asText()).isEqualTo("length");
    assertThat(r.get("whole").get("role").asText()).isEqualTo("assistant");
    assertThat(r.get("whole").get("content").asText()).isNotBlank();
    assertThat(r.get("whole").get("usage").get("completion_tokens").asInt()).isEqualTo(8);
    assertThat(r.get("whole").get("usage").get("prompt_tokens").asInt()).isPositive();
    assertThat(r.get("whole").get("usage").get("total_tokens").asInt())
        .isEqualTo(8 + r.get("whole").get("usage").get("prompt_tokens").asInt());

    JsonNode stream = r.get("stream");
    assertThat(stream.get("objects").toString()).isEqualTo("[\"chat.completion.chunk\"]");
    assertThat(stream.get("firstRole").asText()).isEqualTo("assistant");
    assertThat(stream.get("contentChunks").asInt()).isEqualTo(12);
    assertThat(stream.get("finish").toString()).isEqualTo("[\"length\"]");
    assertThat(stream.get("last").get("choices").asInt()).isZero();
    assertThat(stream.get("last").get("usage").get("completion_tokens").asInt()).isEqualTo(12);
    assertThat(stream.get("sameId").asBoolean()).isTrue();
    assertThat(stream.get("text").asText()).startsWith(r.get("whole").get("content").asText());

    JsonNode stop = r.get("stop");
    assertThat(stop.get("finish").asText()).isEqualTo("stop");
    assertThat(stop.get("content").asText()).doesNotContain(stop.get("stopAt").asText().trim());

    for (JsonNode one : r.get("concurrent")) {
      assertThat(one.get("n").asInt()).isEqualTo(20);
      assertThat(one.get("finish").asText()).isEqualTo("length");
    }
    assertThat(r.get("completion").get("object").asText()).isEqualTo("text_completion");
    assertThat(r.get("completion").get("usage").get("completion_tokens").asInt()).isEqualTo(5);
    assertThat(r.get("unknownModel").get("status").asInt()).isEqualTo(404);
    assertThat(r.get("noMessages").get("status").asInt()).isEqualTo(400);
    assertThat(r.get("badMaxTokens").get("status").asInt()).isEqualTo(400);
  }

  @Test
  void theOpenAiSdkCallsToolsGetsJsonLogprobsAndSeveralChoices() throws Exception {
    JsonNode r =
        clientRun(
            "openai", "openai-llm-features.mjs", server.uri("/llm/v1").toString(), "tiny-llama");

    JsonNode tools = r.get("tools");
    assertThat(tools.get("finish").asText()).isEqualTo("tool_calls");
    assertThat(tools.get("name").asText()).isEqualTo("get_weather");
    assertThat(tools.get("type").asText()).isEqualTo("function");
    assertThat(tools.get("id").asText()).startsWith("call_");
    assertThat(tools.get("content").isNull()).isTrue();
    assertThat(tools.get("arguments").get("unit").asText()).isIn("celsius", "fahrenheit");
    assertThat(tools.get("arguments").get("city").asText().length()).isLessThanOrEqualTo(10);

    JsonNode streamed = r.get("streamedTools");
    assertThat(streamed.get("finish").asText()).isEqualTo("tool_calls");
    assertThat(streamed.get("calls")).hasSize(1);
    assertThat(streamed.get("calls").get(0).get("name").asText()).isEqualTo("get_weather");
    assertThat(streamed.get("calls").get(0).get("arguments").get("unit").asText())
        .isIn("celsius", "fahrenheit");
    assertThat(r.get("followUp").get("usage").get("prompt_tokens").asInt()).isPositive();

    JsonNode structured = r.get("structured");
    assertThat(structured.get("finish").asText()).isEqualTo("stop");
    assertThat(structured.get("value").get("name").isTextual()).isTrue();
    assertThat(structured.get("value").get("age").isIntegralNumber()).isTrue();
    assertThat(structured.get("value").get("tags").isArray()).isTrue();

    assertThat(r.get("logprobs")).hasSize(5);
    StringBuilder text = new StringBuilder();
    for (JsonNode token : r.get("logprobs")) {
      assertThat(token.get("logprob").asDouble()).isLessThanOrEqualTo(0);
      assertThat(token.get("top").asInt()).isEqualTo(2);
      assertThat(token.get("bytes").asInt()).isPositive();
      text.append(token.get("token").asText());
    }
    assertThat(text.toString()).isEqualTo(r.get("logprobsText").asText());

    assertThat(r.get("n").get("choices").toString()).isEqualTo("[0,1,2]");
    assertThat(r.get("n").get("usage").get("completion_tokens").asInt()).isEqualTo(18);
    assertThat(r.get("badSchema").get("status").asInt()).isEqualTo(400);
  }

  /**
   * Claude Code's client library against the same model: the Messages answer must be the text
   * OpenAI's chat route gives for the same prompt, and count_tokens the input tokens a generation
   * reported.
   */
  @Test
  void theAnthropicSdkSendsMessagesStreamsCallsToolsAndCountsTokens() throws Exception {
    JsonNode r =
        clientRun(
            "@anthropic-ai/sdk",
            "anthropic-messages.mjs",
            server.uri("/llm").toString(),
            "tiny-llama");

    JsonNode whole = r.get("whole");
    assertThat(whole.get("type").asText()).isEqualTo("message");
    assertThat(whole.get("role").asText()).isEqualTo("assistant");
    assertThat(whole.get("id").asText()).startsWith("msg_");
    assertThat(whole.get("model").asText()).isEqualTo("tiny-llama");
    assertThat(whole.get("blocks").toString()).isEqualTo("[\"text\"]");
    assertThat(whole.get("text").asText()).isNotBlank().isEqualTo(whole.get("openAiText").asText());
    assertThat(whole.get("stopReason").asText()).isEqualTo("max_tokens");
    assertThat(whole.get("usage").get("output_tokens").asInt()).isEqualTo(8);
    assertThat(whole.get("usage").get("input_tokens").asInt())
        .isEqualTo(whole.get("openAiUsage").get("prompt_tokens").asInt());

    JsonNode stream = r.get("stream");
    assertThat(stream.get("pieces").asInt()).isGreaterThan(1);
    assertThat(stream.get("text").asText()).isEqualTo(stream.get("finalText").asText());
    assertThat(stream.get("text").asText()).startsWith(whole.get("text").asText());
    assertThat(stream.get("stopReason").asText()).isEqualTo("max_tokens");
    assertThat(stream.get("usage").get("output_tokens").asInt()).isEqualTo(12);
    assertThat(stream.get("usage").get("input_tokens").asInt())
        .isEqualTo(whole.get("usage").get("input_tokens").asInt());
    assertThat(stream.get("types").toString())
        .contains("message_start", "content_block_delta", "message_delta", "message_stop");

    JsonNode stop = r.get("stop");
    assertThat(stop.get("stopReason").asText()).isEqualTo("stop_sequence");
    assertThat(stop.get("stopSequence").asText()).isEqualTo(stop.get("stopAt").asText());
    assertThat(stream.get("text").asText()).startsWith(stop.get("text").asText());
    assertThat(stop.get("text").asText()).doesNotContain(stop.get("stopAt").asText().trim());

    JsonNode forced = r.get("forced");
    assertThat(forced.get("stopReason").asText()).isEqualTo("tool_use");
    assertThat(forced.get("name").asText()).isEqualTo("get_weather");
    assertThat(forced.get("id").asText()).isNotBlank();
    assertThat(forced.get("input").get("unit").asText()).isIn("celsius", "fahrenheit");
    assertThat(forced.get("input").get("city").asText().length()).isLessThanOrEqualTo(10);
    JsonNode streamedTool = r.get("streamedTool");
    assertThat(streamedTool.get("stopReason").asText()).isEqualTo("tool_use");
    assertThat(streamedTool.get("name").asText()).isEqualTo("get_weather");
    assertThat(streamedTool.get("input").get("unit").asText()).isIn("celsius", "fahrenheit");
    assertThat(r.get("followUp").get("usage").get("input_tokens").asInt())
        .isGreaterThan(whole.get("usage").get("input_tokens").asInt());

    assertThat(r.get("count").asInt()).isEqualTo(whole.get("usage").get("input_tokens").asInt());
    assertThat(r.get("unknownModel").get("status").asInt()).isEqualTo(404);
    assertThat(r.get("unknownModel").get("type").asText()).isEqualTo("not_found_error");
    assertThat(r.get("unknownModel").get("cls").asText()).isEqualTo("NotFoundError");
    assertThat(r.get("noMaxTokens").get("status").asInt()).isEqualTo(400);
    assertThat(r.get("noMaxTokens").get("cls").asText()).isEqualTo("BadRequestError");
  }

  /**
   * Codex's and the Agents SDK's API, the openai package's {@code responses}, against the same
   * model: the text must be what the chat route gives for the same prompt, and a follow-up by
   * {@code previous_response_id} must carry the stored conversation (more input tokens).
   */
  @Test
  void theOpenAiSdksResponsesStreamCallFunctionsAndContinueConversations() throws Exception {
    JsonNode r =
        clientRun("openai", "openai-responses.mjs", server.uri("/llm/v1").toString(), "tiny-llama");

    JsonNode whole = r.get("whole");
    assertThat(whole.get("object").asText()).isEqualTo("response");
    assertThat(whole.get("status").asText()).isEqualTo("incomplete");
    assertThat(whole.get("reason").asText()).isEqualTo("max_output_tokens");
    assertThat(whole.get("items").toString()).isEqualTo("[\"message\"]");
    assertThat(whole.get("text").asText()).isNotBlank().isEqualTo(whole.get("chatText").asText());
    assertThat(whole.get("usage").get("output_tokens").asInt()).isEqualTo(8);
    assertThat(whole.get("usage").get("input_tokens").asInt())
        .isEqualTo(whole.get("chatUsage").get("prompt_tokens").asInt());

    JsonNode stream = r.get("stream");
    assertThat(stream.get("deltas").asInt()).isGreaterThan(1);
    assertThat(stream.get("text").asText()).isEqualTo(stream.get("finalText").asText());
    assertThat(stream.get("text").asText()).startsWith(whole.get("text").asText());
    assertThat(stream.get("usage").get("output_tokens").asInt()).isEqualTo(12);
    assertThat(stream.get("status").asText()).isEqualTo("incomplete");
    assertThat(stream.get("types").toString())
        .contains("response.created", "response.output_text.delta", "response.incomplete");

    JsonNode call = r.get("call");
    assertThat(call.get("status").asText()).isEqualTo("completed");
    assertThat(call.get("name").asText()).isEqualTo("get_weather");
    assertThat(call.get("callId").asText()).isNotBlank();
    assertThat(call.get("arguments").get("unit").asText()).isIn("celsius", "fahrenheit");
    assertThat(call.get("arguments").get("city").asText().length()).isLessThanOrEqualTo(10);
    assertThat(r.get("followUp").get("usage").get("input_tokens").asInt())
        .as("the stored question, the call and its output, re-rendered")
        .isGreaterThan(call.get("usage").get("input_tokens").asInt());

    JsonNode structured = r.get("structured").get("value");
    assertThat(structured.get("name").isTextual()).isTrue();
    assertThat(structured.get("age").isIntegralNumber()).isTrue();

    assertThat(r.get("retrieved").get("same").asBoolean()).isTrue();
    assertThat(r.get("afterDelete").get("status").asInt()).isEqualTo(404);
    assertThat(r.get("unknownPrevious").get("status").asInt()).isEqualTo(400);
    assertThat(r.get("unknownPrevious").get("param").asText()).isEqualTo("previous_response_id");
  }

  /**
   * A reasoning model's thinking reaches every client library where it reads it; the oracle is the
   * same weights and template with separation off, whose greedy answer is the thinking verbatim.
   */
  @Test
  void aReasoningModelsThinkingComesBackWhereEachClientReadsIt() throws Exception {
    JsonNode r =
        clientRun(
            "@anthropic-ai/sdk",
            "reasoning-clients.mjs",
            server.uri("/llm").toString(),
            "tiny-thinker",
            "tiny-thinker-raw");

    String thought = r.get("raw").asText();
    assertThat(thought).isNotBlank().doesNotContain("</think>");
    assertThat(r.get("chat").get("reasoning").asText()).isEqualTo(thought);
    assertThat(r.get("chat").get("content").asText("")).isEmpty();
    assertThat(r.get("chatStream").asText()).isEqualTo(thought);
    assertThat(r.get("anthropic").get("types").toString()).isEqualTo("[\"thinking\"]");
    assertThat(r.get("anthropic").get("thinking").asText()).isEqualTo(thought);
    assertThat(r.get("anthropicStream").get("deltas").asText()).isEqualTo(thought);
    assertThat(r.get("anthropicStream").get("final").asText()).isEqualTo(thought);
    assertThat(r.get("responses").get("items").toString()).isEqualTo("[\"reasoning\"]");
    assertThat(r.get("responses").get("reasoning").asText()).isEqualTo(thought);
    assertThat(r.get("responsesStream").asText()).isEqualTo(thought);

    JsonNode off = r.get("off");
    assertThat(off.get("reasoning").isNull()).isTrue();
    assertThat(off.get("content").asText()).isNotBlank().isEqualTo(off.get("raw").asText());
    assertThat(r.get("anthropicOff").get("types").toString()).isEqualTo("[\"text\"]");
    assertThat(r.get("anthropicOff").get("text").asText()).isEqualTo(off.get("raw").asText());
  }

  private String chatText(String model, String api) throws Exception {
    String path = api.equals("messages") ? "/llm/v1/messages" : "/llm/v1/chat/completions";
    HttpResponse<String> response =
        server.post(
            path,
            "{\"model\":\""
                + model
                + "\",\"max_tokens\":16,\"temperature\":0,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about the river\"}]}");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = MAPPER.readTree(response.body());
    return api.equals("messages")
        ? body.at("/content/0/text").asText()
        : body.at("/choices/0/message/content").asText();
  }

  /**
   * LoRA adapters served as model names (vLLM's way): listed, each changing what the model writes,
   * the same answer alone and among requests for the other adapters, through any API.
   */
  @Test
  void loraAdaptersArePickedByModelName() throws Exception {
    JsonNode models = MAPPER.readTree(server.get("/llm/v1/models").body());
    List<String> ids = new ArrayList<>();
    models.get("data").forEach(model -> ids.add(model.get("id").asText()));
    assertThat(ids).contains("tiny-llama", "river-warm", "river-cold");
    List<String> names = List.of("tiny-llama", "river-warm", "river-cold");
    List<String> alone = new ArrayList<>();
    for (String name : names) {
      alone.add(chatText(name, "chat"));
    }
    assertThat(alone).doesNotHaveDuplicates();
    assertThat(chatText("river-warm", "messages")).isEqualTo(alone.get(1));
    java.util.concurrent.ExecutorService threads =
        java.util.concurrent.Executors.newFixedThreadPool(6);
    try {
      List<java.util.concurrent.Future<String>> together = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String name = names.get(i % 3);
        together.add(threads.submit(() -> chatText(name, "chat")));
      }
      for (int i = 0; i < 6; i++) {
        assertThat(together.get(i).get())
            .as("%s among the others", names.get(i % 3))
            .isEqualTo(alone.get(i % 3));
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(
            server
                .post(
                    "/llm/v1/chat/completions",
                    "{\"model\":\"river-hot\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
                .statusCode())
        .isEqualTo(404);
  }

  /**
   * An adapter added at run time through the admin API: once its revision is ready it answers as
   * the same file served from the configuration does; removed, its name is gone and the others
   * stay.
   */
  @Test
  void anAdapterAddedAtRunTimeAnswersAsTheSameFileDoesAndCanBeRemoved() throws Exception {
    String configured = chatText("river-warm", "chat");
    HttpResponse<String> taken =
        server.adminPost(
            "/api/v1/deployments/tiny-llama/adapters",
            "{\"name\": \"river-cold\", \"storageUri\": \""
                + dir.resolve("warm.gguf").toUri()
                + "\"}");
    assertThat(taken.statusCode()).as(taken.body()).isEqualTo(400);
    HttpResponse<String> added =
        server.adminPost(
            "/api/v1/deployments/tiny-llama/adapters",
            "{\"name\": \"river-warm-too\", \"storageUri\": \""
                + dir.resolve("warm.gguf").toUri()
                + "\"}");
    assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(added.body()).get("updated").toString()).contains("tiny-llama");
    String late = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (late == null && System.nanoTime() < deadline) { // a new revision rolls out with it
      HttpResponse<String> response =
          server.post(
              "/llm/v1/chat/completions",
              "{\"model\":\"river-warm-too\",\"max_tokens\":16,\"temperature\":0,"
                  + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about the river\"}]}");
      if (response.statusCode() == 200) {
        late = MAPPER.readTree(response.body()).at("/choices/0/message/content").asText();
      } else {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
        Thread.sleep(200);
      }
    }
    assertThat(late).isEqualTo(configured);
    HttpResponse<String> removed =
        server.send(
            HttpRequest.newBuilder(
                    server.uri("/api/v1/deployments/tiny-llama/adapters/river-warm-too"))
                .header("Authorization", "Bearer " + server.server().admin().token())
                .DELETE()
                .build());
    assertThat(removed.statusCode()).as(removed.body()).isEqualTo(200);
    assertThat(
            server
                .post(
                    "/llm/v1/chat/completions",
                    "{\"model\":\"river-warm-too\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
                .statusCode())
        .isEqualTo(404);
    assertThat(chatText("river-warm", "chat")).isEqualTo(configured);
  }

  @Test
  void theSchedulersStatisticsReachMetrics() throws Exception {
    HttpResponse<String> chat =
        server.post(
            "/v1/chat/completions",
            "{\"model\":\"tiny-llama\",\"max_tokens\":7,\"messages\":[{\"role\":\"user\",\"content\":\"count\"}]}");
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String metrics = "";
    while (System.nanoTime() < deadline) { // the worker's statistics arrive a scrape or two later
      metrics = server.get("/metrics").body();
      if (metric(metrics, "sluice_llm_generation_tokens_total") >= 7
          && metric(metrics, "sluice_llm_prompt_tokens_total") > 0) {
        break;
      }
      Thread.sleep(300);
    }
    assertThat(metric(metrics, "sluice_llm_generation_tokens_total")).isGreaterThanOrEqualTo(7);
    assertThat(metric(metrics, "sluice_llm_prompt_tokens_total")).as(metrics).isPositive();
    assertThat(metrics)
        .contains(
            "sluice_llm_kv_cache_usage{deployment=\"tiny-llama\"}",
            "sluice_llm_running_requests{",
            "sluice_llm_waiting_requests{",
            "sluice_llm_prefix_cache_hit_tokens_total{",
            "sluice_llm_preemptions_total{",
            "sluice_llm_saved_prefix_bytes{");
    assertThat(metrics).doesNotContain("sluice_llm_running_requests{deployment=\"bystander\"}");
  }

  private static double metric(String exposition, String name) {
    return exposition
        .lines()
        .filter(line -> line.startsWith(name + "{deployment=\"tiny-llama\"}"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElse(-1);
  }

  @Test
  void tokenizeAndDetokenizeAsVllmDoes() throws Exception {
    HttpResponse<String> tokenized =
        server.post("/tokenize", "{\"model\":\"tiny-llama\",\"prompt\":\"the river gate\"}");
    assertThat(tokenized.statusCode()).as(tokenized.body()).isEqualTo(200);
    JsonNode body = MAPPER.readTree(tokenized.body());
    assertThat(body.get("count").asInt()).isEqualTo(body.get("tokens").size()).isPositive();
    assertThat(body.get("max_model_len").asInt()).isEqualTo(16384);
    HttpResponse<String> detokenized =
        server.post(
            "/detokenize", "{\"model\":\"tiny-llama\",\"tokens\":" + body.get("tokens") + "}");
    assertThat(detokenized.statusCode()).as(detokenized.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(detokenized.body()).get("prompt").asText().strip())
        .isEqualTo("the river gate");

    HttpResponse<String> chat =
        server.post(
            "/llm/tokenize",
            "{\"model\":\"tiny-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(chat.body()).get("count").asInt()).isGreaterThan(2);
    assertThat(
            server
                .post("/detokenize", "{\"model\":\"tiny-llama\",\"tokens\":[99999999]}")
                .statusCode())
        .isEqualTo(400);
    assertThat(server.post("/tokenize", "{\"model\":\"bystander\",\"prompt\":\"x\"}").statusCode())
        .isEqualTo(400);
  }

  @Test
  void chatPromptsAreRenderedFromTheGgufsOwnTemplate() throws Exception {
    String messages =
        "[{\"role\":\"system\",\"content\":\"You are a river gate.\"},"
            + "{\"role\":\"user\",\"content\":\"How fast is the water?\"}]";
    int chat =
        promptTokens(
            server.post(
                "/v1/chat/completions",
                "{\"model\":\"tiny-llama\",\"max_tokens\":1,\"messages\":" + messages + "}"));
    // RandomModelWriter's template, which llama.cpp does not know by name (it used to fall back to
    // ChatML).
    String rendered =
        "<|system|>\nYou are a river gate.\n<|user|>\nHow fast is the water?\n<|assistant|>\n";
    String chatMl =
        "<|im_start|>system\nYou are a river gate.<|im_end|>\n<|im_start|>user\nHow fast is the water?<|im_end|>\n"
            + "<|im_start|>assistant\n";
    assertThat(chat)
        .isEqualTo(
            promptTokens(
                server.post(
                    "/v1/completions",
                    "{\"model\":\"tiny-llama\",\"max_tokens\":1,\"prompt\":"
                        + MAPPER.writeValueAsString(rendered)
                        + "}")));
    assertThat(chat)
        .isNotEqualTo(
            promptTokens(
                server.post(
                    "/v1/completions",
                    "{\"model\":\"tiny-llama\",\"max_tokens\":1,\"prompt\":"
                        + MAPPER.writeValueAsString(chatMl)
                        + "}")));
  }

  private static int promptTokens(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return MAPPER.readTree(response.body()).get("usage").get("prompt_tokens").asInt();
  }

  @Test
  void v2GenerateAndGenerateStream() throws Exception {
    HttpResponse<String> whole =
        server.post(
            "/v2/models/tiny-llama/generate",
            "{\"text_input\":\"The river\",\"parameters\":{\"max_tokens\":6,\"temperature\":0}}");
    assertThat(whole.statusCode()).as(whole.body()).isEqualTo(200);
    JsonNode body = MAPPER.readTree(whole.body());
    assertThat(body.get("model_name").asText()).isEqualTo("tiny-llama");
    assertThat(body.get("text_output").asText()).isNotBlank();
    assertThat(body.get("details").get("finish_reason").asText()).isEqualTo("length");

    HttpResponse<String> stream =
        server.post(
            "/v2/models/tiny-llama/generate_stream",
            "{\"text_input\":\"The river\",\"parameters\":{\"max_tokens\":6,\"temperature\":0}}");
    assertThat(stream.headers().firstValue("content-type").orElseThrow())
        .startsWith("text/event-stream");
    List<JsonNode> events = new ArrayList<>();
    for (String line : stream.body().split("\n")) {
      if (line.startsWith("data: ")) {
        events.add(MAPPER.readTree(line.substring(6)));
      }
    }
    assertThat(events).hasSize(7);
    StringBuilder text = new StringBuilder();
    events.forEach(e -> text.append(e.get("text_output").asText()));
    assertThat(text.toString()).isEqualTo(body.get("text_output").asText());
    assertThat(events.get(6).get("details").get("finish_reason").asText()).isEqualTo("length");
  }

  @Test
  void killingTheWorkerMidStreamEndsThatStreamCleanlyAndTheNextRequestSucceeds() throws Exception {
    Replica replica =
        server.server().engine().registry().find("tiny-llama").orElseThrow().replicas().get(0);
    long pid = replica.workerPid().orElseThrow();
    HttpResponse<InputStream> response =
        server
            .http()
            .send(
                HttpRequest.newBuilder(server.uri("/v1/chat/completions"))
                    .header("content-type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"tiny-llama\",\"stream\":true,\"max_tokens\":3500,"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"go on\"}]}"))
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    List<String> events = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String line;
      boolean killed = false;
      while ((line = reader.readLine()) != null) {
        if (line.startsWith("data: ")) {
          events.add(line.substring(6));
          if (!killed && events.size() == 3) {
            ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // kill -9
            killed = true;
          }
        }
      }
    }
    String last = events.get(events.size() - 1);
    assertThat(last).as("the stream ends with an error event, not [DONE]").startsWith("{\"error\"");
    assertThat(MAPPER.readTree(last).get("error").get("message").asText()).contains("exited");
    assertThat(
            server
                .post(
                    "/v2/models/bystander/infer",
                    "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}")
                .statusCode())
        .isEqualTo(200);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!(replica.state() == ReplicaState.READY && replica.workerPid().orElse(pid) != pid)) {
      assertThat(System.nanoTime()).as("the worker comes back").isLessThan(deadline);
      Thread.sleep(50);
    }
    HttpResponse<String> after =
        server.post(
            "/v1/chat/completions",
            "{\"model\":\"tiny-llama\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"again\"}]}");
    assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
  }

  /**
   * The vLLM-style LLM metrics after a generation, and the Grafana dashboard in {@code
   * deploy/grafana}: every series its queries (and its variable) use is one that {@code /metrics}
   * really exposes.
   */
  @Test
  void llmMetricsAreExposedAndEverySeriesTheGrafanaDashboardQueriesExists() throws Exception {
    var chat =
        server
            .http()
            .send(
                java.net.http.HttpRequest.newBuilder(server.uri("/llm/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(
                        java.net.http.HttpRequest.BodyPublishers.ofString(
                            """
            {"model": "tiny-llama", "max_tokens": 6, "messages": [{"role": "user", "content": "hello"}]}"""))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    String metrics =
        server
            .http()
            .send(
                java.net.http.HttpRequest.newBuilder(server.uri("/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString())
            .body();
    // other tests of this class generate too, so the counts are at least this request's (the
    // runtime's own token
    // counters are read from the worker in the background and restart with it: only their presence
    // is checked below)
    assertThat(metrics)
        .containsPattern(
            "sluice_llm_time_to_first_token_seconds_count\\{deployment=\"tiny-llama\",revision=\"1\"} [1-9]")
        .containsPattern(
            "sluice_llm_inter_token_latency_seconds_count\\{deployment=\"tiny-llama\",revision=\"1\"} [1-9]")
        .containsPattern(
            "sluice_llm_e2e_request_latency_seconds_count\\{deployment=\"tiny-llama\",revision=\"1\"} [1-9]")
        .containsPattern(
            "sluice_llm_request_queue_time_seconds_count\\{deployment=\"tiny-llama\",revision=\"1\"} [1-9]");
    java.util.Set<String> exposed = new java.util.HashSet<>();
    for (String line : metrics.lines().toList()) {
      if (!line.startsWith("#") && !line.isBlank()) {
        exposed.add(line.split("[{ ]", 2)[0]);
      }
    }
    String dashboard = Files.readString(Path.of("../deploy/grafana/sluice-llm.json"));
    java.util.Set<String> queried = new java.util.TreeSet<>();
    java.util.regex.Matcher series =
        java.util.regex.Pattern.compile("\\bsluice_[a-z0-9_]+").matcher(dashboard);
    while (series.find()) {
      queried.add(series.group());
    }
    assertThat(queried).hasSizeGreaterThanOrEqualTo(12);
    assertThat(exposed).containsAll(queried);
  }
}
