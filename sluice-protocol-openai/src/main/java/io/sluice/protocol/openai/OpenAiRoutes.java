package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.SluiceException;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.engine.client.EngineClient;
import io.sluice.http.HttpReplies;
import io.sluice.http.LastResort;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.sluice.http.json.JsonFactories;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The OpenAI-compatible API. {@code model} in the body names the deployment. Embeddings work with
 * any model that has the embedding tensor contract: input {@code text} BYTES, outputs {@code
 * embedding} FP32 {@code [n, d]} and {@code token_count} INT64 {@code [n]}. ({@code GET /v1/models}
 * is shared with KServe V1: {@link OpenAiProtocol#modelListFields}.)
 */
public final class OpenAiRoutes {
  private static final String PROTOCOL = "openai";
  private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactories.JSON);

  private final EngineClient engine;
  private final ModelScope scope;
  private final RequestObserver observer;

  public OpenAiRoutes(EngineClient engine, ModelScope scope, RequestObserver observer) {
    this.engine = engine;
    this.scope = scope;
    this.observer = observer;
  }

  /** The whole route table. */
  public void mount(Router router) {
    router.post("/v1/embeddings").handler(this::embeddings);
  }

  private void embeddings(RoutingContext ctx) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    String model;
    String format;
    List<byte[]> texts;
    int dimensions;
    try {
      JsonNode body = call.body();
      model = call.model(body, scope);
      format = body.path("encoding_format").asText("float");
      if (!format.equals("float") && !format.equals("base64")) {
        throw new InvalidParameterException(
            "encoding_format",
            null,
            "encoding_format must be float or base64, got '" + format + "'");
      }
      texts = texts(body.get("input"));
      requireEmbeddingContract(model, engine.metadata(model, null));
      dimensions = body.has("dimensions") ? positive(body.get("dimensions")) : -1;
    } catch (SluiceException e) {
      call.fail(e);
      return;
    }
    InferRequest request =
        new InferRequest(
            model,
            null,
            null,
            Map.of(),
            List.of(Tensor.ofBytes("text", new long[] {texts.size()}, texts)),
            List.of("embedding", "token_count"));
    engine
        .infer(request)
        .whenComplete(
            LastResort.guarded(
                ctx.response(),
                OpenAiErrors.BODY,
                (response, error) -> {
                  if (error != null) {
                    call.fail(error);
                    return;
                  }
                  try {
                    HttpReplies.send(
                        ctx.response(),
                        200,
                        "application/json",
                        MAPPER.writeValueAsBytes(
                            embeddingList(model, response.outputs(), format, dimensions)));
                    call.observe(200);
                  } catch (IOException | RuntimeException e) {
                    call.fail(e);
                  }
                }));
  }

  private static ObjectNode embeddingList(
      String model, List<Tensor> outputs, String format, int dimensions) {
    Tensor embeddings = outputs.get(0);
    long[] shape = embeddings.shape();
    int count = (int) shape[0];
    int width = (int) shape[1];
    int keep = dimensions > 0 ? Math.min(dimensions, width) : width;
    ByteBuffer data = embeddings.data();
    ObjectNode root = MAPPER.createObjectNode();
    root.put("object", "list");
    ArrayNode list = root.putArray("data");
    float[] vector = new float[width];
    for (int i = 0; i < count; i++) {
      for (int d = 0; d < width; d++) {
        vector[d] = data.getFloat();
      }
      float[] kept = truncate(vector, keep);
      ObjectNode item = list.addObject();
      item.put("object", "embedding");
      item.put("index", i);
      if (format.equals("base64")) {
        ByteBuffer bytes = ByteBuffer.allocate(keep * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : kept) {
          bytes.putFloat(value);
        }
        item.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
      } else {
        ArrayNode values = item.putArray("embedding");
        for (float value : kept) {
          values.add(value);
        }
      }
    }
    root.put("model", model);
    long tokens = 0;
    ByteBuffer counts = outputs.get(1).data();
    while (counts.hasRemaining()) {
      tokens += counts.getLong();
    }
    ObjectNode usage = root.putObject("usage");
    usage.put("prompt_tokens", tokens);
    usage.put("total_tokens", tokens);
    return root;
  }

  /**
   * The first {@code keep} dimensions, re-normalised (Matryoshka-style shortening, as OpenAI's
   * {@code dimensions}).
   */
  private static float[] truncate(float[] vector, int keep) {
    if (keep == vector.length) {
      return vector.clone();
    }
    float[] kept = java.util.Arrays.copyOf(vector, keep);
    double norm = 0;
    for (float value : kept) {
      norm += value * value;
    }
    if (norm > 0) {
      for (int i = 0; i < keep; i++) {
        kept[i] /= (float) Math.sqrt(norm);
      }
    }
    return kept;
  }

  private static void requireEmbeddingContract(String model, ModelMetadata metadata) {
    boolean textIn =
        metadata.inputs().size() == 1
            && metadata.inputs().get(0).name().equals("text")
            && metadata.inputs().get(0).datatype() == DataType.BYTES;
    boolean vectorsOut = false;
    boolean countsOut = false;
    for (TensorMetadata output : metadata.outputs()) {
      vectorsOut |= output.name().equals("embedding") && output.datatype() == DataType.FP32;
      countsOut |= output.name().equals("token_count") && output.datatype() == DataType.INT64;
    }
    if (!textIn || !vectorsOut || !countsOut) {
      throw new InvalidInputException("model '" + model + "' does not produce embeddings");
    }
  }

  static List<byte[]> texts(JsonNode input) {
    if (input == null || input.isNull()) {
      throw new InvalidInputException("you must provide an input parameter");
    }
    List<byte[]> texts = new ArrayList<>();
    if (input.isTextual()) {
      texts.add(input.asText().getBytes(StandardCharsets.UTF_8));
    } else if (input.isArray()) {
      for (JsonNode item : input) {
        if (!item.isTextual()) {
          throw new InvalidInputException(
              "input must be a string or an array of strings; token arrays are not supported");
        }
        texts.add(item.asText().getBytes(StandardCharsets.UTF_8));
      }
    } else {
      throw new InvalidInputException("input must be a string or an array of strings");
    }
    if (texts.isEmpty()) {
      throw new InvalidInputException("input must not be empty");
    }
    if (texts.size() > 2048) {
      throw new InvalidInputException("input may hold at most 2048 items, got " + texts.size());
    }
    return texts;
  }

  static int positive(JsonNode value) {
    if (!value.canConvertToInt() || value.asInt() < 1) {
      throw new InvalidInputException("dimensions must be a positive integer");
    }
    return value.asInt();
  }
}
