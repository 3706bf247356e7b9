package io.sluice.engine.worker;

import io.sluice.api.DataType;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The wire format between the server and a worker process: length-prefixed frames on the worker's
 * stdin and stdout. A frame is {@code int length, byte type, long id, payload}; the id pairs a
 * reply with its request, so many requests can be in flight at once. Strings are UTF-8 after their
 * byte count (an int: prompts, stop strings and error messages can exceed {@code writeUTF}'s 64
 * KiB); tensors are name, datatype ordinal, rank, dims, byte count and the raw bytes.
 */
public final class WorkerCodec {
  public static final byte LOAD = 1;
  public static final byte LOADED = 2;
  public static final byte INFER = 3;
  public static final byte RESULT = 4;
  public static final byte ERROR = 5;
  public static final byte PING = 6;
  public static final byte PONG = 7;

  /** A text generation: TEXT frames follow with the same id, then DONE or ERROR. */
  public static final byte GENERATE = 8;

  public static final byte TEXT = 9;
  public static final byte DONE = 10;
  public static final byte CANCEL = 11;

  /**
   * A streamed inference (inputs, output names): CHUNK frames (tensors) follow, then DONE or ERROR.
   */
  public static final byte STREAM = 12;

  public static final byte CHUNK = 13;

  /** Tokenize a generate request (answered by RESULT) or detokenize ids. */
  public static final byte TOKENIZE = 14;

  public static final byte DETOKENIZE = 15;

  /** The model's statistics ({@link io.sluice.spi.ReportingModel}), answered by RESULT. */
  public static final byte STATS = 16;

  /** Error kinds, so the server can rethrow the same cause the worker saw. */
  public static final byte INVALID_INPUT = 1;

  public static final byte FAILED = 2;

  /** The model cannot answer yet (e.g. a LoRA adapter its revision does not have): retry. */
  public static final byte NOT_READY = 3;

  private WorkerCodec() {}

  /** One decoded frame. */
  public record Frame(byte type, long id, byte[] payload) {}

  /**
   * The current span's W3C {@code traceparent} (empty when none), at the end of a request's
   * payload.
   */
  public static void writeTraceContext(DataOutputStream out) throws IOException {
    writeText(out, io.sluice.spi.TraceContext.headers().getOrDefault("traceparent", ""));
  }

  /**
   * The trace context a request's payload ends with, as W3C headers (empty when the parent sent
   * none).
   */
  public static java.util.Map<String, String> readTraceContext(DataInputStream in)
      throws IOException {
    if (in.available() <= 0) {
      return java.util.Map.of();
    }
    String traceparent = readText(in);
    return traceparent.isEmpty()
        ? java.util.Map.of()
        : java.util.Map.of("traceparent", traceparent);
  }

  public static void write(DataOutputStream out, byte type, long id, byte[] payload)
      throws IOException {
    out.writeInt(9 + payload.length);
    out.writeByte(type);
    out.writeLong(id);
    out.write(payload);
    out.flush();
  }

  public static Frame read(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 9) {
      throw new IOException("corrupt worker frame of length " + length);
    }
    byte type = in.readByte();
    long id = in.readLong();
    byte[] payload = new byte[length - 9];
    in.readFully(payload);
    return new Frame(type, id, payload);
  }

  /** Builds a payload with a {@link DataOutputStream}. */
  public interface PayloadWriter {
    void write(DataOutputStream out) throws IOException;
  }

  public static byte[] payload(PayloadWriter writer) {
    var bytes = new java.io.ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writer.write(out);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static DataInputStream reader(byte[] payload) {
    return new DataInputStream(new java.io.ByteArrayInputStream(payload));
  }

  public static void writeTensors(DataOutputStream out, List<Tensor> tensors) throws IOException {
    out.writeInt(tensors.size());
    for (Tensor tensor : tensors) {
      writeText(out, tensor.name());
      out.writeByte(tensor.datatype().ordinal());
      writeShape(out, tensor.shape());
      ByteBuffer data = tensor.data();
      out.writeInt(data.remaining());
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      out.write(bytes);
    }
  }

  public static List<Tensor> readTensors(DataInputStream in) throws IOException {
    int count = in.readInt();
    List<Tensor> tensors = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String name = readText(in);
      DataType type = DataType.values()[in.readByte()];
      long[] shape = readShape(in);
      byte[] bytes = new byte[in.readInt()];
      in.readFully(bytes);
      tensors.add(
          Tensor.of(name, type, shape, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)));
    }
    return tensors;
  }

  private static void writeShape(DataOutputStream out, long[] shape) throws IOException {
    out.writeInt(shape.length);
    for (long dim : shape) {
      out.writeLong(dim);
    }
  }

  private static long[] readShape(DataInputStream in) throws IOException {
    long[] shape = new long[in.readInt()];
    for (int d = 0; d < shape.length; d++) {
      shape[d] = in.readLong();
    }
    return shape;
  }

  /** UTF-8 text of any length. */
  public static void writeText(DataOutputStream out, String text) throws IOException {
    byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  public static String readText(DataInputStream in) throws IOException {
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
  }

  public static void writeGenerate(DataOutputStream out, io.sluice.api.GenerateRequest request)
      throws IOException {
    writeText(out, request.model());
    out.writeBoolean(request.prompt() != null);
    if (request.prompt() != null) {
      writeText(out, request.prompt());
    } else {
      out.writeInt(request.messages().size());
      for (var message : request.messages()) {
        writeText(out, message.role());
        writeText(out, message.content());
        out.writeInt(message.toolCalls().size());
        for (var call : message.toolCalls()) {
          writeNullable(out, call.id());
          writeText(out, call.name());
          writeText(out, call.arguments());
        }
        writeNullable(out, message.toolCallId());
      }
    }
    out.writeInt(request.maxTokens());
    out.writeFloat(request.temperature() == null ? Float.NaN : request.temperature());
    out.writeFloat(request.topP() == null ? Float.NaN : request.topP());
    writeStrings(out, request.stop());
    out.writeBoolean(request.seed() != null);
    out.writeLong(request.seed() == null ? 0 : request.seed());
    writeOptions(out, request.options());
  }

  public static io.sluice.api.GenerateRequest readGenerate(DataInputStream in) throws IOException {
    String model = readText(in);
    String prompt = null;
    List<io.sluice.api.GenerateRequest.ChatMessage> messages = null;
    if (in.readBoolean()) {
      prompt = readText(in);
    } else {
      int count = in.readInt();
      messages = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        String role = readText(in);
        String content = readText(in);
        int calls = in.readInt();
        List<io.sluice.api.GenerateRequest.ToolCall> toolCalls = new ArrayList<>(calls);
        for (int c = 0; c < calls; c++) {
          toolCalls.add(
              new io.sluice.api.GenerateRequest.ToolCall(
                  readNullable(in), readText(in), readText(in)));
        }
        messages.add(
            new io.sluice.api.GenerateRequest.ChatMessage(
                role, content, toolCalls, readNullable(in)));
      }
    }
    int maxTokens = in.readInt();
    float temperature = in.readFloat();
    float topP = in.readFloat();
    List<String> stop = readStrings(in);
    boolean hasSeed = in.readBoolean();
    long seed = in.readLong();
    return new io.sluice.api.GenerateRequest(
        model,
        null,
        prompt,
        messages,
        maxTokens,
        Float.isNaN(temperature) ? null : temperature,
        Float.isNaN(topP) ? null : topP,
        stop,
        hasSeed ? seed : null,
        readOptions(in));
  }

  private static void writeOptions(DataOutputStream out, io.sluice.api.GenerateOptions options)
      throws IOException {
    out.writeInt(options.topK() == null ? Integer.MIN_VALUE : options.topK());
    out.writeFloat(options.minP() == null ? Float.NaN : options.minP());
    out.writeFloat(options.repetitionPenalty() == null ? Float.NaN : options.repetitionPenalty());
    out.writeFloat(options.frequencyPenalty() == null ? Float.NaN : options.frequencyPenalty());
    out.writeFloat(options.presencePenalty() == null ? Float.NaN : options.presencePenalty());
    out.writeInt(options.logitBias().size());
    for (var bias : options.logitBias().entrySet()) {
      out.writeInt(bias.getKey());
      out.writeFloat(bias.getValue());
    }
    writeText(out, options.responseFormat().type());
    writeNullable(out, options.responseFormat().schema());
    out.writeInt(options.topLogprobs() == null ? Integer.MIN_VALUE : options.topLogprobs());
    out.writeBoolean(options.ignoreEos());
    out.writeInt(options.tools().size());
    for (var tool : options.tools()) {
      writeText(out, tool.name());
      writeNullable(out, tool.description());
      writeText(out, tool.parameters());
    }
    writeText(out, options.toolChoice());
    writeNullable(out, options.chatTemplateArguments());
  }

  private static io.sluice.api.GenerateOptions readOptions(DataInputStream in) throws IOException {
    int topK = in.readInt();
    float minP = in.readFloat();
    float repetition = in.readFloat();
    float frequency = in.readFloat();
    float presence = in.readFloat();
    int biases = in.readInt();
    java.util.Map<Integer, Float> logitBias = new java.util.HashMap<>();
    for (int i = 0; i < biases; i++) {
      logitBias.put(in.readInt(), in.readFloat());
    }
    var format = new io.sluice.api.GenerateOptions.ResponseFormat(readText(in), readNullable(in));
    int topLogprobs = in.readInt();
    boolean ignoreEos = in.readBoolean();
    int toolCount = in.readInt();
    List<io.sluice.api.GenerateOptions.Tool> tools = new ArrayList<>(toolCount);
    for (int i = 0; i < toolCount; i++) {
      tools.add(
          new io.sluice.api.GenerateOptions.Tool(readText(in), readNullable(in), readText(in)));
    }
    String toolChoice = readText(in);
    String chatTemplateArguments = readNullable(in);
    return new io.sluice.api.GenerateOptions(
        topK == Integer.MIN_VALUE ? null : topK,
        nullIfNaN(minP),
        nullIfNaN(repetition),
        nullIfNaN(frequency),
        nullIfNaN(presence),
        logitBias,
        format,
        topLogprobs == Integer.MIN_VALUE ? null : topLogprobs,
        ignoreEos,
        tools,
        toolChoice,
        chatTemplateArguments);
  }

  private static Float nullIfNaN(float value) {
    return Float.isNaN(value) ? null : value;
  }

  /** A piece of generated text with its tokens' log-probabilities. */
  public static void writeGeneratedText(DataOutputStream out, io.sluice.api.GeneratedText piece)
      throws IOException {
    writeText(out, piece.text());
    out.writeInt(piece.logprobs().size());
    for (var logprob : piece.logprobs()) {
      writeBytes(out, logprob.bytes());
      out.writeFloat(logprob.logprob());
      out.writeInt(logprob.top().size());
      for (var alternative : logprob.top()) {
        writeBytes(out, alternative.bytes());
        out.writeFloat(alternative.logprob());
      }
    }
    out.writeInt(piece.toolCalls().size());
    for (var call : piece.toolCalls()) {
      writeNullable(out, call.id());
      writeText(out, call.name());
      writeText(out, call.arguments());
    }
    writeText(out, piece.reasoning());
  }

  public static io.sluice.api.GeneratedText readGeneratedText(byte[] payload) {
    try {
      DataInputStream in = reader(payload);
      String text = readText(in);
      int count = in.readInt();
      List<io.sluice.api.GeneratedText.TokenLogprob> logprobs = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        byte[] bytes = readBytes(in);
        float logprob = in.readFloat();
        int alternatives = in.readInt();
        List<io.sluice.api.GeneratedText.Alternative> top = new ArrayList<>(alternatives);
        for (int a = 0; a < alternatives; a++) {
          byte[] alternative = readBytes(in);
          top.add(
              new io.sluice.api.GeneratedText.Alternative(
                  utf8(alternative), alternative, in.readFloat()));
        }
        logprobs.add(
            new io.sluice.api.GeneratedText.TokenLogprob(utf8(bytes), bytes, logprob, top));
      }
      int calls = in.readInt();
      List<io.sluice.api.GenerateRequest.ToolCall> toolCalls = new ArrayList<>(calls);
      for (int i = 0; i < calls; i++) {
        toolCalls.add(
            new io.sluice.api.GenerateRequest.ToolCall(
                readNullable(in), readText(in), readText(in)));
      }
      return new io.sluice.api.GeneratedText(text, logprobs, toolCalls, readText(in));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String utf8(byte[] bytes) {
    return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    return bytes;
  }

  static void writeNullable(DataOutputStream out, String text) throws IOException {
    out.writeBoolean(text != null);
    if (text != null) {
      writeText(out, text);
    }
  }

  static String readNullable(DataInputStream in) throws IOException {
    return in.readBoolean() ? readText(in) : null;
  }

  public static void writeStrings(DataOutputStream out, List<String> strings) throws IOException {
    out.writeInt(strings.size());
    for (String string : strings) {
      writeText(out, string);
    }
  }

  public static List<String> readStrings(DataInputStream in) throws IOException {
    int count = in.readInt();
    List<String> strings = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      strings.add(readText(in));
    }
    return strings;
  }

  public static void writeMap(DataOutputStream out, Map<String, String> map) throws IOException {
    out.writeInt(map.size());
    for (Map.Entry<String, String> entry : map.entrySet()) {
      writeText(out, entry.getKey());
      writeText(out, entry.getValue());
    }
  }

  public static Map<String, String> readMap(DataInputStream in) throws IOException {
    int count = in.readInt();
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      map.put(readText(in), readText(in));
    }
    return map;
  }

  /** A transformer spec: its plugin folder ("" for none), then each step's name and settings. */
  public static void writeTransformer(
      DataOutputStream out, io.sluice.engine.transform.TransformerSpec spec) throws IOException {
    writeText(out, spec.pluginDirectory() == null ? "" : spec.pluginDirectory().toString());
    out.writeInt(spec.steps().size());
    for (io.sluice.engine.transform.TransformerSpec.Step step : spec.steps()) {
      writeText(out, step.name());
      writeMap(out, step.settings());
    }
  }

  public static io.sluice.engine.transform.TransformerSpec readTransformer(DataInputStream in)
      throws IOException {
    String plugins = readText(in);
    int count = in.readInt();
    List<io.sluice.engine.transform.TransformerSpec.Step> steps = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      steps.add(new io.sluice.engine.transform.TransformerSpec.Step(readText(in), readMap(in)));
    }
    return new io.sluice.engine.transform.TransformerSpec(
        steps, plugins.isEmpty() ? null : java.nio.file.Path.of(plugins));
  }

  public static void writeMetadata(DataOutputStream out, ModelMetadata metadata)
      throws IOException {
    writeText(out, metadata.name());
    writeStrings(out, metadata.versions());
    writeText(out, metadata.platform());
    writeTensorMetadata(out, metadata.inputs());
    writeTensorMetadata(out, metadata.outputs());
  }

  public static ModelMetadata readMetadata(DataInputStream in) throws IOException {
    return new ModelMetadata(
        readText(in),
        readStrings(in),
        readText(in),
        readTensorMetadata(in),
        readTensorMetadata(in));
  }

  private static void writeTensorMetadata(DataOutputStream out, List<TensorMetadata> tensors)
      throws IOException {
    out.writeInt(tensors.size());
    for (TensorMetadata tensor : tensors) {
      writeText(out, tensor.name());
      out.writeByte(tensor.datatype().ordinal());
      writeShape(out, tensor.shape());
      out.writeBoolean(tensor.optional());
    }
  }

  private static List<TensorMetadata> readTensorMetadata(DataInputStream in) throws IOException {
    int count = in.readInt();
    List<TensorMetadata> tensors = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String name = readText(in);
      DataType type = DataType.values()[in.readByte()];
      tensors.add(new TensorMetadata(name, type, readShape(in), in.readBoolean()));
    }
    return tensors;
  }
}
