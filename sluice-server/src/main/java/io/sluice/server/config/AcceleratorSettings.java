package io.sluice.server.config;

import io.sluice.engine.placement.Accelerator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The {@code accelerators} section: devices declared by hand instead of discovered. */
final class AcceleratorSettings {
  private AcceleratorSettings() {}

  static List<Accelerator> accelerators(List<SluiceConfig.AcceleratorConfig> declared)
      throws ConfigException {
    if (declared == null) {
      return null;
    }
    List<Accelerator> accelerators = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < declared.size(); i++) {
      SluiceConfig.AcceleratorConfig device = declared.get(i);
      String at = "accelerators[" + i + "]";
      String id = ConfigValues.checkName(at + ".id", device.id());
      if (!ids.add(id)) {
        throw new ConfigException(at + ".id", "another accelerator is already named '" + id + "'");
      }
      if (device.vendor() == null) {
        throw new ConfigException(at + ".vendor", "missing; expected nvidia, amd or intel");
      }
      if (device.memory() == null) {
        throw new ConfigException(at + ".memory", "missing; give the device memory, e.g. 8Gi");
      }
      int index =
          device.index() == null ? i : ConfigValues.nonNegative(at + ".index", device.index());
      try {
        accelerators.add(
            new Accelerator(
                id,
                device.vendor(),
                index,
                device.type(),
                ConfigValues.parseSize(at + ".memory", device.memory())));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(at + ".vendor", e.getMessage());
      }
    }
    return accelerators;
  }
}
