package io.sluice.server.cli;

import java.net.http.HttpResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code sluice scale DEPLOYMENT REPLICAS}: set a fixed-size deployment's replica count. */
@Command(
    name = "scale",
    mixinStandardHelpOptions = true,
    description = "Set a deployment's replica count.")
public final class ScaleCommand implements Callable<Integer> {
  @Mixin AdminClient client;

  @Parameters(index = "0", description = "Deployment name.")
  String deployment;

  @Parameters(index = "1", description = "Number of replicas (>= 1).")
  int replicas;

  @Override
  public Integer call() throws Exception {
    HttpResponse<String> response =
        client.send(
            "POST",
            "/api/v1/deployments/" + deployment + "/scale",
            "{\"replicas\":" + replicas + "}");
    if (response.statusCode() != 200) {
      System.err.println("sluice scale: " + response.statusCode() + " " + response.body());
      return 1;
    }
    System.out.println(response.body());
    return 0;
  }
}
