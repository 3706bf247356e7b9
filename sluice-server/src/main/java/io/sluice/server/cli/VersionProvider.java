package io.sluice.server.cli;

import io.sluice.server.SluiceServer;
import picocli.CommandLine;

final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {"sluice " + SluiceServer.VERSION};
  }
}
