package io.sluice.server.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ready pods behind each predictor revision's Service, from the cluster's Endpoints: Service
 * host ({@code {revision}.{namespace}.svc.cluster.local}) → the pods' {@code http://ip:port}. A
 * revision scaled to zero is listed with no pods, so the router holds its requests rather than
 * treating its Service as one server.
 */
public final class RevisionEndpoints {
  /** The label every revision Service (and so its Endpoints) carries. */
  public static final String REVISION_LABEL = "serving.sluice.io/revision";

  private RevisionEndpoints() {}

  /**
   * @param list an Endpoints list ({@code items}) selected by {@link #REVISION_LABEL}
   */
  public static Map<String, List<URI>> of(JsonNode list) {
    Map<String, List<URI>> groups = new LinkedHashMap<>();
    for (JsonNode endpoints : list.path("items")) {
      JsonNode metadata = endpoints.path("metadata");
      List<URI> pods = new ArrayList<>();
      for (JsonNode subset : endpoints.path("subsets")) {
        int port = httpPort(subset.path("ports"));
        if (port < 0) {
          continue;
        }
        for (JsonNode address :
            subset.path("addresses")) { // ready ones only: notReadyAddresses are left out
          String ip = address.path("ip").asText();
          pods.add(URI.create("http://" + (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port));
        }
      }
      groups.put(
          metadata.path("name").asText()
              + "."
              + metadata.path("namespace").asText()
              + ".svc.cluster.local",
          pods);
    }
    return groups;
  }

  private static int httpPort(JsonNode ports) {
    for (JsonNode port : ports) {
      if (port.path("name").asText().equals("http") || ports.size() == 1) {
        return port.path("port").asInt(-1);
      }
    }
    return -1;
  }
}
