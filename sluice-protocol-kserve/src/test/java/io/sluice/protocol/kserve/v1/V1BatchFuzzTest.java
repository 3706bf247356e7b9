package io.sluice.protocol.kserve.v1;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.DataType;
import io.sluice.api.ModelMetadata;
import io.sluice.api.SluiceException;
import io.sluice.api.TensorMetadata;
import java.util.List;

/** KServe V1 {@code instances} on arbitrary JSON: a batch or one of the project's own errors. */
class V1BatchFuzzTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ModelMetadata ONE_INPUT =
      new ModelMetadata(
          "m",
          List.of("1"),
          "fuzz",
          List.of(new TensorMetadata("x", DataType.FP32, new long[] {-1, 2})),
          List.of(new TensorMetadata("y", DataType.FP32, new long[] {-1})));
  private static final ModelMetadata TWO_INPUTS =
      new ModelMetadata(
          "m",
          List.of("1"),
          "fuzz",
          List.of(
              new TensorMetadata("a", DataType.INT64, new long[] {-1}),
              new TensorMetadata("b", DataType.BYTES, new long[] {-1})),
          List.of(new TensorMetadata("y", DataType.FP32, new long[] {-1})));

  @FuzzTest(maxDuration = "30s")
  void instancesBecomeABatchOrAnInputError(byte[] json) {
    JsonNode instances;
    try {
      instances = MAPPER.readTree(json);
    } catch (java.io.IOException notJson) {
      return; // the route answers 400 for unreadable JSON before this point
    }
    if (instances == null) {
      return;
    }
    for (ModelMetadata metadata : List.of(ONE_INPUT, TWO_INPUTS)) {
      try {
        V1Batch.of(metadata, instances);
      } catch (SluiceException expected) {
        // answered as 400
      }
    }
  }
}
