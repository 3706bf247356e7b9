package io.sluice.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sluice status}: applications, deployments, replicas and autoscaler decisions of a running
 * server.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Show a running server's deployments.")
public final class StatusCommand implements Callable<Integer> {
  @Mixin AdminClient client;

  @Option(names = "--json", description = "Print the raw JSON status.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    HttpResponse<String> response = client.send("GET", "/api/v1/status", null);
    if (response.statusCode() != 200) {
      System.err.println("sluice status: " + response.statusCode() + " " + response.body());
      return 1;
    }
    if (json) {
      System.out.println(response.body());
      return 0;
    }
    JsonNode status = new ObjectMapper().readTree(response.body());
    System.out.printf("server ready: %s%n", status.get("ready").asBoolean());
    System.out.printf(
        "%-14s %-20s %-9s %-11s %8s %8s %7s %7s %7s  %s%n",
        "APPLICATION",
        "DEPLOYMENT",
        "REVISION",
        "STATE",
        "TRAFFIC%",
        "REPLICAS",
        "TARGET",
        "ONGOING",
        "QUEUED",
        "AUTOSCALER");
    for (JsonNode app : status.get("applications")) {
      for (JsonNode deployment : app.get("deployments")) {
        for (JsonNode revision : deployment.get("revisions")) {
          long ready = 0;
          for (JsonNode replica : revision.get("replicas")) {
            if (replica.get("state").asText().equals("READY")) {
              ready++;
            }
          }
          JsonNode decision = revision.path("autoscaling").path("lastDecision");
          System.out.printf(
              "%-14s %-20s %-9d %-11s %8d %8d %7d %7d %7d  %s%n",
              app.get("name").asText(),
              deployment.get("name").asText(),
              revision.get("revision").asInt(),
              revision.get("state").asText(),
              revision.get("trafficPercent").asInt(),
              ready,
              revision.get("targetReplicas").asInt(),
              revision.get("ongoing").asInt(),
              revision.get("queued").asInt(),
              decision.isMissingNode()
                  ? (revision.get("autoscaling").isNull() ? "fixed" : "-")
                  : decision.get("reason").asText());
        }
      }
    }
    return 0;
  }
}
