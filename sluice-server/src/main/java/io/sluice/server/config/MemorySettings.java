package io.sluice.server.config;

import io.sluice.engine.placement.HostMemory;
import io.sluice.engine.residency.SwapQuantum;
import java.time.Duration;

/**
 * The host memory budget replicas share, and the quantum a loaded replica keeps its room while
 * another deployment waits.
 *
 * @param budgetBytes the budget in bytes
 * @param declared whether the configuration gave it ({@code server.memoryBudget}), or it is the
 *     host's default
 */
public record MemorySettings(long budgetBytes, boolean declared, SwapQuantum quantum) {

  static MemorySettings load(SluiceConfig.Server server) throws ConfigException {
    long budget =
        server.memoryBudget() == null
            ? HostMemory.defaultBudget()
            : ConfigValues.parseSize("server.memoryBudget", server.memoryBudget());
    if (budget <= 0) {
      throw new ConfigException("server.memoryBudget", "must be larger than zero");
    }
    Duration time =
        server.swapQuantum() == null
            ? SwapQuantum.DEFAULT.time()
            : ConfigValues.positiveDuration("server.swapQuantum", server.swapQuantum());
    long requests =
        server.swapQuantumRequests() == null
            ? 0
            : ConfigValues.positive("server.swapQuantumRequests", server.swapQuantumRequests());
    return new MemorySettings(
        budget, server.memoryBudget() != null, new SwapQuantum(time, requests));
  }
}
