package io.sluice.server.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.engine.autoscale.AutoscalingSpec;
import io.sluice.engine.batching.BatchingSpec;
import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.graph.Condition;
import io.sluice.engine.graph.GraphSpec;
import io.sluice.engine.graph.NodeSpec;
import io.sluice.engine.graph.RouterType;
import io.sluice.engine.graph.StepSpec;
import io.sluice.engine.transform.TransformerSpec;
import io.sluice.pipelines.PipelineSpec;
import io.sluice.spi.transform.TransformerFactories;
import io.sluice.engine.model.ScalingSpec;
import io.sluice.engine.model.TrafficSpec;
import io.sluice.engine.placement.Accelerator;
import io.sluice.engine.placement.ResourceRequest;
import io.sluice.engine.replica.ReplicaHosting;
import io.sluice.spi.Runtimes;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import io.sluice.storage.StorageException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code accelerators} section: devices declared by hand instead of discovered. */
final class AcceleratorSettings {
  private AcceleratorSettings() {}

  static List<Accelerator> accelerators(List<SluiceConfig.AcceleratorConfig> declared) throws ConfigException {
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
      int index = device.index() == null ? i : ConfigValues.nonNegative(at + ".index", device.index());
      try {
        accelerators.add(new Accelerator(id, device.vendor(), index, device.type(), ConfigValues.parseSize(at + ".memory", device.memory())));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(at + ".vendor", e.getMessage());
      }
    }
    return accelerators;
  }
}
