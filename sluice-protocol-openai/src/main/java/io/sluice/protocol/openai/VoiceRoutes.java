package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateRequest;
import io.sluice.api.InvalidInputException;
import io.sluice.api.SluiceException;
import io.sluice.api.audio.Pcm16;
import io.sluice.http.LastResort;
import io.sluice.http.RequestObserver;
import io.sluice.pipelines.voice.VoicePipeline;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST {prefix}/v1/audio/voice}: a spoken question in, a spoken answer out, streamed
 * sentence by sentence while the LLM writes it ({@link VoicePipeline}). The question is a multipart
 * {@code file} (as for {@code /v1/audio/transcriptions}, with optional fields {@code messages}: the
 * conversation so far as a JSON array of {@code {role, content}}, {@code response_format} {@code
 * wav}/{@code pcm} and {@code stream_format} {@code audio}/{@code sse}) or a raw WAV body (the same
 * options as query parameters). The answer has the forms of {@code /v1/audio/speech}: a streaming
 * WAV with the transcript in the {@code x-sluice-transcript} header (URL-encoded), or server-sent
 * events: {@code transcript.done} ({@code text}), {@code reply.delta} ({@code delta}), {@code
 * speech.audio.delta}, then {@code reply.done} ({@code text}, {@code timings}) and {@code
 * speech.audio.done}.
 */
public final class VoiceRoutes {
  private static final String PROTOCOL = "openai";
  private static final List<String> FORMATS = List.of("wav", "pcm");
  private static final List<String> STREAM_FORMATS = List.of("audio", "sse");
  private static final int PCM_RATE = 24_000;

  private final VoicePipeline pipeline;
  private final RequestObserver observer;

  public VoiceRoutes(VoicePipeline pipeline, RequestObserver observer) {
    this.pipeline = pipeline;
    this.observer = observer;
  }

  /** Mounts the route under {@code prefix}; the routes are returned so that they can be removed. */
  public List<Route> mount(Router router, String prefix) {
    return List.of(router.post(prefix + "/v1/audio/voice").handler(this::voice));
  }

  private void voice(RoutingContext ctx) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    call.named(pipeline.spec().name());
    String contentType = ctx.request().getHeader("content-type");
    boolean multipart =
        contentType != null
            && contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
    MultiMap options = multipart ? ctx.request().formAttributes() : ctx.queryParams();
    String format =
        options.get("response_format") == null
            ? "wav"
            : options.get("response_format").toLowerCase(Locale.ROOT);
    String streamFormat =
        options.get("stream_format") == null
            ? "audio"
            : options.get("stream_format").toLowerCase(Locale.ROOT);
    List<GenerateRequest.ChatMessage> history;
    CompletableFuture<byte[]> upload;
    try {
      if (!FORMATS.contains(format)) {
        throw new InvalidInputException(
            "response_format '" + format + "' is not supported; supported: " + FORMATS);
      }
      if (!STREAM_FORMATS.contains(streamFormat)) {
        throw new InvalidInputException(
            "stream_format '" + streamFormat + "' is not supported; supported: " + STREAM_FORMATS);
      }
      history = history(options.get("messages"));
      upload =
          multipart
              ? upload(ctx)
              : CompletableFuture.completedFuture(
                  ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes());
    } catch (SluiceException e) {
      call.fail(e);
      return;
    }
    upload.whenComplete(
        LastResort.guarded(
            ctx.response(),
            OpenAiErrors.BODY,
            (audio, error) -> {
              try {
                if (error != null) {
                  throw new InvalidInputException(
                      "the uploaded file cannot be read: " + error.getMessage());
                }
                checkWav(audio);
              } catch (SluiceException e) {
                call.fail(e);
                return;
              }
              answer(ctx, call, audio, history, format, streamFormat.equals("sse"));
            }));
  }

  private static void checkWav(byte[] audio) {
    if (audio.length == 0) {
      throw new InvalidInputException("send the question as a multipart 'file' or as a WAV body");
    }
    if (!Pcm16.isWav(audio)) {
      throw new InvalidInputException(
          "the question is not audio this server reads; supported: " + Pcm16.SUPPORTED);
    }
    Pcm16.wav(audio);
  }

  private void answer(
      RoutingContext ctx,
      OpenAiCall call,
      byte[] audio,
      List<GenerateRequest.ChatMessage> history,
      String format,
      boolean sse) {
    SpeechStream stream = new SpeechStream(ctx.response(), format, sse, PCM_RATE);
    CompletableFuture<VoicePipeline.Turn> turn =
        pipeline.run(
            audio,
            history,
            new VoicePipeline.Listener() {
              @Override
              public void transcript(String text) {
                stream.header(
                    "x-sluice-transcript", URLEncoder.encode(text, StandardCharsets.UTF_8));
                stream.event(
                    OpenAiBodies.MAPPER
                        .createObjectNode()
                        .put("type", "transcript.done")
                        .put("text", text));
              }

              @Override
              public void reply(String delta) {
                stream.event(
                    OpenAiBodies.MAPPER
                        .createObjectNode()
                        .put("type", "reply.delta")
                        .put("delta", delta));
              }

              @Override
              public void speech(List<io.sluice.api.Tensor> chunk) {
                stream.chunk(chunk);
              }
            });
    ctx.response().closeHandler(closed -> turn.cancel(false));
    turn.whenComplete(
        LastResort.guarded(
            ctx.response(),
            OpenAiErrors.BODY,
            (done, error) -> {
              if (error != null) {
                call.observe(stream.fail(error));
                return;
              }
              ObjectNode replied =
                  OpenAiBodies.MAPPER
                      .createObjectNode()
                      .put("type", "reply.done")
                      .put("text", done.reply());
              ObjectNode timings = replied.putObject("timings");
              timings.put("transcribed_ms", done.transcribedNanos() / 1e6);
              timings.put("first_text_ms", done.firstTextNanos() / 1e6);
              timings.put("first_audio_ms", done.firstAudioNanos() / 1e6);
              timings.put("last_text_ms", done.lastTextNanos() / 1e6);
              stream.event(replied);
              stream.end(done.generation().completionTokens());
              call.observe(200);
            }));
  }

  /** The uploaded {@code file}, read off the event loop. */
  private static CompletableFuture<byte[]> upload(RoutingContext ctx) {
    FileUpload file =
        ctx.fileUploads().stream().filter(f -> f.name().equals("file")).findFirst().orElse(null);
    if (file == null) {
      throw new InvalidInputException("upload the question as a 'file' part");
    }
    return ctx.vertx()
        .fileSystem()
        .readFile(file.uploadedFileName())
        .map(buffer -> buffer.getBytes())
        .toCompletionStage()
        .toCompletableFuture();
  }

  private static List<GenerateRequest.ChatMessage> history(String json) {
    if (json == null || json.isBlank()) {
      return List.of();
    }
    JsonNode messages;
    try {
      messages = OpenAiBodies.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new InvalidInputException(
          "messages must be a JSON array of {role, content}: " + e.getMessage());
    }
    if (!messages.isArray()) {
      throw new InvalidInputException("messages must be a JSON array of {role, content}");
    }
    List<GenerateRequest.ChatMessage> history = new ArrayList<>();
    for (JsonNode message : messages) {
      String role = message.path("role").asText("");
      if (!role.equals("user") && !role.equals("assistant")) {
        throw new InvalidInputException(
            "messages hold user and assistant turns only, got role '" + role + "'");
      }
      history.add(new GenerateRequest.ChatMessage(role, message.path("content").asText("")));
    }
    return history;
  }
}
