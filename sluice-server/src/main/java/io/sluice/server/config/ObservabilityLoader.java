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

/** The {@code server.observability} section. */
final class ObservabilityLoader {
  private ObservabilityLoader() {}

  static ObservabilitySettings observability(SluiceConfig.Server server) throws ConfigException {
    ObservabilitySettings.Tracing tracing = null;
    SluiceConfig.Tracing configured = server.tracing();
    if (configured != null) {
      String endpoint = configured.endpoint() == null ? "http://127.0.0.1:4318" : configured.endpoint();
      if (!endpoint.matches("https?://[^/\\s]+(/.*)?")) {
        throw new ConfigException("server.tracing.endpoint", "'" + endpoint + "' is not an http(s) URL such as http://127.0.0.1:4318");
      }
      double ratio = configured.sampleRatio() == null ? 1.0 : configured.sampleRatio();
      if (!(ratio >= 0 && ratio <= 1)) {
        throw new ConfigException("server.tracing.sampleRatio", "must be between 0 and 1, got " + ratio);
      }
      tracing = new ObservabilitySettings.Tracing(endpoint.replaceAll("/+$", ""), ratio,
          configured.serviceName() == null ? "sluice" : configured.serviceName());
    }
    return new ObservabilitySettings(server.dashboard() == null || server.dashboard(),
        Boolean.TRUE.equals(server.accessLog()), tracing);
  }
}
