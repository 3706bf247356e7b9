package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.SluiceException;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.api.audio.Pcm16;
import io.sluice.engine.client.EngineClient;
import io.sluice.http.HttpReplies;
import io.sluice.http.LastResort;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /v1/audio/speech} and {@code /v1/audio/transcriptions}, on any model with the speech or
 * transcription tensor contract (see {@code MaryRuntime} and {@code VoskRuntime}): text in, WAV
 * out, streamed sentence by sentence ({@link SpeechStream}); audio in, {@code text}/{@code
 * words}/{@code duration} out.
 */
public final class AudioRoutes {
  private static final String PROTOCOL = "openai";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final List<String> SPEECH_FORMATS = List.of("wav", "pcm");
  private static final List<String> STREAM_FORMATS = List.of("audio", "sse");

  /**
   * OpenAI's limit on {@code /v1/audio/speech} input, which keeps one request from holding a voice
   * for minutes.
   */
  static final int MAX_SPEECH_INPUT = 4096;

  private static final List<String> TRANSCRIPTION_FORMATS =
      List.of("json", "text", "verbose_json", "srt", "vtt");

  /** OpenAI's {@code pcm} is 24 kHz, 16-bit, mono. */
  private static final int PCM_RATE = 24_000;

  private final EngineClient engine;
  private final ModelScope scope;
  private final RequestObserver observer;

  public AudioRoutes(EngineClient engine, ModelScope scope, RequestObserver observer) {
    this.engine = engine;
    this.scope = scope;
    this.observer = observer;
  }

  /** The whole route table. */
  public void mount(Router router) {
    router.post("/v1/audio/speech").handler(this::speech);
    router.post("/v1/audio/transcriptions").handler(this::transcription);
  }

  private void speech(RoutingContext ctx) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    InferRequest request;
    String input;
    String format;
    String streamFormat;
    try {
      JsonNode body = call.body();
      String model = call.model(body, scope);
      format = body.path("response_format").asText("wav").toLowerCase(Locale.ROOT);
      streamFormat = body.path("stream_format").asText("audio").toLowerCase(Locale.ROOT);
      if (!SPEECH_FORMATS.contains(format)) {
        throw new InvalidParameterException(
            "response_format",
            "unsupported_response_format",
            "response_format '" + format + "' is not supported; supported: " + SPEECH_FORMATS);
      }
      if (!STREAM_FORMATS.contains(streamFormat)) {
        throw new InvalidParameterException(
            "stream_format",
            null,
            "stream_format '" + streamFormat + "' is not supported; supported: " + STREAM_FORMATS);
      }
      input = body.path("input").asText("");
      var metadata = engine.metadata(model, null);
      require(model, metadata, List.of("text"), List.of("audio"));
      if (input.isBlank()) {
        throw new InvalidInputException("input must be non-empty text");
      }
      if (input.length() > MAX_SPEECH_INPUT) {
        throw new InvalidInputException(
            "input may hold at most "
                + MAX_SPEECH_INPUT
                + " characters (OpenAI's limit), got "
                + input.length()
                + "; split longer text, or use the model's V2 route");
      }
      List<Tensor> inputs = new ArrayList<>();
      inputs.add(
          Tensor.ofBytes("text", new long[] {1}, List.of(input.getBytes(StandardCharsets.UTF_8))));
      if (body.has("speed")) {
        double speed = body.get("speed").asDouble(Double.NaN);
        if (!(speed >= 0.25 && speed <= 4.0)) {
          throw new InvalidInputException("speed must lie between 0.25 and 4.0");
        }
        inputs.add(
            Tensor.of(
                "speed",
                DataType.FP32,
                new long[] {1},
                ByteBuffer.allocate(4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putFloat((float) speed)
                    .flip()));
      }
      if (body.path("voice").isTextual()
          && metadata.inputs().stream().anyMatch(tensor -> tensor.name().equals("voice"))) {
        inputs.add(
            Tensor.ofBytes(
                "voice",
                new long[] {1},
                List.of(body.get("voice").asText().getBytes(StandardCharsets.UTF_8))));
      }
      request = new InferRequest(model, null, null, Map.of(), inputs, List.of("audio"));
    } catch (SluiceException e) {
      call.fail(e);
      return;
    }
    SpeechStream stream =
        new SpeechStream(ctx.response(), format, streamFormat.equals("sse"), PCM_RATE);
    CompletableFuture<Void> speaking = engine.inferStream(request, stream::chunk);
    ctx.response()
        .closeHandler(closed -> speaking.cancel(false)); // the client went away: stop speaking
    speaking.whenComplete(
        LastResort.guarded(
            ctx.response(),
            OpenAiErrors.BODY,
            (done, error) -> {
              if (error == null) {
                stream.end(input.strip().split("\\s+").length);
                call.audio("out", stream.audioSeconds());
                call.observe(200);
              } else {
                call.observe(stream.fail(error));
              }
            }));
  }

  private void transcription(RoutingContext ctx) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    String model = ctx.request().getFormAttribute("model");
    String format =
        ctx.request().getFormAttribute("response_format") == null
            ? "json"
            : ctx.request().getFormAttribute("response_format").toLowerCase(Locale.ROOT);
    FileUpload file =
        ctx.fileUploads().stream().filter(f -> f.name().equals("file")).findFirst().orElse(null);
    try {
      String contentType = ctx.request().getHeader("content-type");
      if (contentType == null
          || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
        throw new InvalidInputException(
            "transcriptions take multipart/form-data with a 'file' part and a 'model' field");
      }
      if (model == null) {
        throw new InvalidParameterException("model", null, "you must provide a model parameter");
      }
      call.named(model);
      if (file == null) {
        throw new InvalidParameterException(
            "file", null, "you must upload the audio as a 'file' part");
      }
      if (!TRANSCRIPTION_FORMATS.contains(format)) {
        throw new InvalidParameterException(
            "response_format",
            null,
            "response_format '"
                + format
                + "' is not supported; supported: "
                + TRANSCRIPTION_FORMATS);
      }
    } catch (SluiceException e) {
      call.fail(e);
      return;
    }
    ctx.vertx()
        .fileSystem()
        .readFile(file.uploadedFileName())
        .toCompletionStage()
        .toCompletableFuture()
        .thenCompose(bytes -> transcribe(model, bytes))
        .whenComplete(
            LastResort.guarded(
                ctx.response(),
                OpenAiErrors.BODY,
                (response, error) -> {
                  if (error != null) {
                    call.fail(error);
                    return;
                  }
                  String text = utf8(response, "text");
                  double duration = response.outputs().get(2).data().getFloat();
                  call.audio("in", duration);
                  try {
                    switch (format) {
                      case "text" ->
                          HttpReplies.send(
                              ctx.response(),
                              200,
                              "text/plain; charset=utf-8",
                              utf8Bytes(text + "\n"));
                      case "srt" ->
                          HttpReplies.send(
                              ctx.response(),
                              200,
                              "text/plain; charset=utf-8",
                              utf8Bytes(
                                  "1\n"
                                      + timestamp(0, ",")
                                      + " --> "
                                      + timestamp(duration, ",")
                                      + "\n"
                                      + text
                                      + "\n\n"));
                      case "vtt" ->
                          HttpReplies.send(
                              ctx.response(),
                              200,
                              "text/vtt; charset=utf-8",
                              utf8Bytes(
                                  "WEBVTT\n\n"
                                      + timestamp(0, ".")
                                      + " --> "
                                      + timestamp(duration, ".")
                                      + "\n"
                                      + text
                                      + "\n\n"));
                      case "verbose_json" ->
                          HttpReplies.send(
                              ctx.response(),
                              200,
                              "application/json",
                              MAPPER.writeValueAsBytes(
                                  verbose(text, duration, utf8(response, "words"))));
                      default ->
                          HttpReplies.send(
                              ctx.response(),
                              200,
                              "application/json",
                              MAPPER.writeValueAsBytes(
                                  MAPPER.createObjectNode().put("text", text)));
                    }
                    call.observe(200);
                  } catch (IOException | RuntimeException e) {
                    call.fail(e);
                  }
                }));
  }

  private CompletableFuture<InferResponse> transcribe(String model, Buffer bytes) {
    try {
      model = scope.resolve(model);
      require(
          model,
          engine.metadata(model, null),
          List.of("audio"),
          List.of("text", "words", "duration"));
      byte[] audio = bytes.getBytes();
      if (audio.length == 0) {
        throw new InvalidInputException("the uploaded file is empty");
      }
      if (!Pcm16.isWav(audio)) {
        throw new InvalidInputException(
            "the uploaded file is not audio this server reads; supported: " + Pcm16.SUPPORTED);
      }
      Pcm16.wav(audio); // a corrupt WAV is the client's error, named before the model runs
      return engine.infer(
          new InferRequest(
              model,
              null,
              null,
              Map.of(),
              List.of(Tensor.ofBytes("audio", new long[] {1}, List.of(audio))),
              List.of("text", "words", "duration")));
    } catch (SluiceException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static ObjectNode verbose(String text, double duration, String wordsJson)
      throws IOException {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("task", "transcribe");
    root.put("language", "english");
    root.put("duration", duration);
    root.put("text", text);
    ArrayNode segments = root.putArray("segments");
    if (!text.isEmpty()) {
      ObjectNode segment = segments.addObject();
      segment.put("id", 0).put("seek", 0).put("start", 0.0).put("end", duration).put("text", text);
      segment.putArray("tokens");
      segment
          .put("temperature", 0.0)
          .put("avg_logprob", 0.0)
          .put("compression_ratio", 0.0)
          .put("no_speech_prob", 0.0);
    }
    root.set("words", MAPPER.readTree(wordsJson));
    return root;
  }

  private static String timestamp(double seconds, String separator) {
    long millis = Math.round(seconds * 1000);
    return String.format(
        Locale.ROOT,
        "%02d:%02d:%02d%s%03d",
        millis / 3_600_000,
        millis / 60_000 % 60,
        millis / 1000 % 60,
        separator,
        millis % 1000);
  }

  private static String utf8(InferResponse response, String output) {
    for (Tensor tensor : response.outputs()) {
      if (tensor.name().equals(output)) {
        return new String(tensor.bytesElements().get(0), StandardCharsets.UTF_8);
      }
    }
    return "";
  }

  private static byte[] utf8Bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void require(
      String model, ModelMetadata metadata, List<String> inputs, List<String> outputs) {
    for (String name : inputs) {
      if (metadata.inputs().stream().map(TensorMetadata::name).noneMatch(name::equals)) {
        throw new InvalidInputException(
            "model '" + model + "' does not serve this route (it has no '" + name + "' input)");
      }
    }
    for (String name : outputs) {
      if (metadata.outputs().stream().map(TensorMetadata::name).noneMatch(name::equals)) {
        throw new InvalidInputException(
            "model '" + model + "' does not serve this route (it has no '" + name + "' output)");
      }
    }
  }
}
