package io.sluice.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code sluice}: the command line. */
@Command(
    name = "sluice",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Sluice model server.",
    subcommands = {
      ServeCommand.class,
      StatusCommand.class,
      ApplyCommand.class,
      ScaleCommand.class,
      TrafficCommand.Promote.class,
      TrafficCommand.Rollback.class,
      PullCommand.class
    })
public final class SluiceCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new SluiceCommand()).execute(args));
  }
}
