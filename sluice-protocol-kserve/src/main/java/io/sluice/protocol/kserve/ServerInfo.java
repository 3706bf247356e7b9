package io.sluice.protocol.kserve;

import java.util.List;

/** What the server says about itself in V2 server metadata. */
public record ServerInfo(String name, String version, List<String> extensions) {
  /** The V2 extensions this protocol module implements, advertised exactly. */
  public static final List<String> V2_EXTENSIONS =
      List.of("binary_tensor_data", "model_repository", "statistics");

  public ServerInfo {
    extensions = List.copyOf(extensions);
  }
}
