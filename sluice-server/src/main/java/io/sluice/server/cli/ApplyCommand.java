package io.sluice.server.cli;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code sluice apply FILE}: apply a whole configuration to a running server. */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    description = "Apply a configuration to a running server.")
public final class ApplyCommand implements Callable<Integer> {
  @Mixin AdminClient client;

  @Parameters(index = "0", description = "Configuration file (YAML).")
  Path file;

  @Override
  public Integer call() throws Exception {
    HttpResponse<String> response = client.send("PUT", "/api/v1/config", Files.readString(file));
    if (response.statusCode() != 200) {
      System.err.println("sluice apply: " + response.statusCode() + " " + response.body());
      return 1;
    }
    System.out.println(response.body());
    return 0;
  }
}
