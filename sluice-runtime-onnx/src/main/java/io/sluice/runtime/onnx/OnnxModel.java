package io.sluice.runtime.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.sluice.api.DataType;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelSource;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * One ONNX Runtime session. Sessions are thread-safe for {@code run}, so requests run concurrently.
 */
final class OnnxModel implements LoadedModel {
  private final OrtEnvironment environment;
  private final OrtSession session;
  private final ModelMetadata metadata;

  OnnxModel(ModelSource source, OrtEnvironment environment, OrtSession session)
      throws OrtException, ModelLoadException {
    this.environment = environment;
    this.session = session;
    this.metadata =
        new ModelMetadata(
            source.name(),
            List.of(source.version()),
            "onnx_onnxv1",
            describe("input", session.getInputInfo()),
            describe("output", session.getOutputInfo()));
  }

  private static List<TensorMetadata> describe(String kind, Map<String, NodeInfo> nodes)
      throws ModelLoadException {
    List<TensorMetadata> tensors = new ArrayList<>();
    for (NodeInfo node : nodes.values()) {
      if (!(node.getInfo() instanceof TensorInfo info)) {
        throw new ModelLoadException(
            kind
                + " '"
                + node.getName()
                + "' is a "
                + node.getInfo()
                + "; only tensor inputs and outputs can be served");
      }
      DataType datatype =
          OnnxTypes.toDataType(info.onnxType)
              .orElseThrow(
                  () ->
                      new ModelLoadException(
                          kind
                              + " '"
                              + node.getName()
                              + "' has element type "
                              + info.onnxType
                              + ", which has no V2 datatype"));
      tensors.add(new TensorMetadata(node.getName(), datatype, info.getShape()));
    }
    return tensors;
  }

  @Override
  public ModelMetadata metadata() {
    return metadata;
  }

  /**
   * Per-thread native memory for input tensors. ONNX Runtime reads a direct buffer in place, so
   * inputs are copied here once instead of into a fresh direct allocation per request; the tensors
   * built on it are closed before the thread's next inference reuses it.
   */
  private static final ThreadLocal<ByteBuffer[]> SCRATCH =
      ThreadLocal.withInitial(() -> new ByteBuffer[1]);

  @Override
  public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try {
      ByteBuffer scratch = scratch(inputs);
      for (Tensor input : inputs) {
        feeds.put(input.name(), toOnnx(input, scratch));
      }
      try (OrtSession.Result result = session.run(feeds, new LinkedHashSet<>(outputNames))) {
        List<Tensor> outputs = new ArrayList<>(outputNames.size());
        for (String name : outputNames) {
          OnnxValue value =
              result
                  .get(name)
                  .orElseThrow(
                      () ->
                          new InferenceFailedException(
                              "ONNX Runtime produced no output '" + name + "'"));
          outputs.add(fromOnnx(name, value));
        }
        return outputs;
      }
    } catch (OrtException e) {
      throw new InferenceFailedException("ONNX Runtime failed: " + e.getMessage(), e);
    } finally {
      for (OnnxTensor tensor : feeds.values()) {
        tensor.close();
      }
    }
  }

  private static ByteBuffer scratch(List<Tensor> inputs) {
    int needed = 0;
    for (Tensor input : inputs) {
      needed += input.byteSize();
    }
    ByteBuffer[] holder = SCRATCH.get();
    if (holder[0] == null || holder[0].capacity() < needed) {
      holder[0] = ByteBuffer.allocateDirect(Math.max(needed, 4096)).order(ByteOrder.nativeOrder());
    }
    return holder[0].clear();
  }

  private OnnxTensor toOnnx(Tensor input, ByteBuffer scratch) throws OrtException {
    OnnxJavaType javaType =
        OnnxTypes.toJavaType(input.datatype())
            .orElseThrow(
                () ->
                    new InvalidInputException(
                        "input '"
                            + input.name()
                            + "' is "
                            + input.datatype()
                            + ", which ONNX Runtime's Java API cannot create tensors of"));
    if (javaType == OnnxJavaType.STRING) {
      List<byte[]> elements = input.bytesElements();
      String[] strings = new String[elements.size()];
      for (int i = 0; i < strings.length; i++) {
        strings[i] = new String(elements.get(i), StandardCharsets.UTF_8);
      }
      return OnnxTensor.createTensor(environment, strings, input.shape());
    }
    ByteBuffer direct =
        scratch.slice(scratch.position(), input.byteSize()).order(ByteOrder.nativeOrder());
    direct.put(input.data()).flip();
    scratch.position(scratch.position() + input.byteSize());
    return OnnxTensor.createTensor(environment, direct, input.shape(), javaType);
  }

  private static Tensor fromOnnx(String name, OnnxValue value) throws OrtException {
    if (!(value instanceof OnnxTensor tensor)) {
      throw new InferenceFailedException(
          "output '" + name + "' is not a tensor (" + value.getType() + ")");
    }
    TensorInfo info = tensor.getInfo();
    long[] shape = info.getShape();
    DataType datatype =
        OnnxTypes.toDataType(info.onnxType)
            .orElseThrow(
                () ->
                    new InferenceFailedException(
                        "output '"
                            + name
                            + "' has element type "
                            + info.onnxType
                            + ", which has no V2 datatype"));
    if (datatype == DataType.BYTES) {
      List<byte[]> elements = new ArrayList<>();
      flattenStrings(tensor.getValue(), elements);
      return Tensor.ofBytes(name, shape, elements);
    }
    // getByteBuffer copies the native output into a fresh heap buffer: the tensor can own it.
    return Tensor.of(name, datatype, shape, tensor.getByteBuffer());
  }

  private static void flattenStrings(Object value, List<byte[]> into) {
    if (value instanceof String s) {
      into.add(s.getBytes(StandardCharsets.UTF_8));
    } else if (value != null && value.getClass().isArray()) {
      for (int i = 0, n = Array.getLength(value); i < n; i++) {
        flattenStrings(Array.get(value, i), into);
      }
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("closing ONNX session failed: " + e.getMessage(), e);
    }
  }
}
