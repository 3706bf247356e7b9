package io.sluice.protocol.kserve.client;

import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.replica.RemoteConnector;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.SupervisedModel;
import java.net.http.HttpClient;
import java.time.Duration;

/**
 * Remote replicas over the V2 REST protocol with the binary tensor extension: any V2 server
 * upstream (another Sluice, Triton, KServe, MLServer). The upstream model name is the deployment's,
 * or {@code settings.model}.
 */
public final class V2RemoteConnector implements RemoteConnector {
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @Override
  public SupervisedModel connect(String replicaId, DeploymentSpec spec) throws ModelLoadException {
    if (spec.endpoint() == null) {
      throw new ModelLoadException(
          "a remote deployment needs an http(s) storageUri naming its upstream server");
    }
    String model = spec.settings().getOrDefault("model", spec.name());
    return V2RemoteModel.connect(http, spec.endpoint(), model, spec.name());
  }
}
