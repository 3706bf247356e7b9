package io.sluice.protocol.kserve.v2;

import java.util.Map;

/**
 * How a V2 REST response should carry each output: as JSON {@code data} or as binary tensor data. A
 * per-output {@code binary_data} parameter wins over the request-level {@code binary_data_output}.
 */
public record OutputEncoding(boolean binaryByDefault, Map<String, Boolean> perOutput) {
  public OutputEncoding {
    perOutput = Map.copyOf(perOutput);
  }

  public static final OutputEncoding JSON = new OutputEncoding(false, Map.of());
  public static final OutputEncoding BINARY = new OutputEncoding(true, Map.of());

  public boolean binary(String outputName) {
    return perOutput.getOrDefault(outputName, binaryByDefault);
  }
}
