package io.sluice.server.cli;

import java.net.http.HttpResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** Moves a deployment's traffic: the shared body of {@code promote} and {@code rollback}. */
abstract class TrafficCommand implements Callable<Integer> {
  @Mixin AdminClient client;

  @Parameters(index = "0", description = "Deployment name.")
  String deployment;

  abstract String action();

  @Override
  public Integer call() throws Exception {
    HttpResponse<String> response =
        client.send("POST", "/api/v1/deployments/" + deployment + "/" + action(), null);
    if (response.statusCode() != 200) {
      System.err.println(
          "sluice " + action() + ": " + response.statusCode() + " " + response.body());
      return 1;
    }
    System.out.println(response.body());
    return 0;
  }

  @picocli.CommandLine.Command(
      name = "promote",
      mixinStandardHelpOptions = true,
      description = "Send all of a deployment's traffic to its latest revision.")
  static final class Promote extends TrafficCommand {
    @Override
    String action() {
      return "promote";
    }
  }

  @picocli.CommandLine.Command(
      name = "rollback",
      mixinStandardHelpOptions = true,
      description = "Send all of a deployment's traffic back to its previous revision.")
  static final class Rollback extends TrafficCommand {
    @Override
    String action() {
      return "rollback";
    }
  }
}
