package io.sluice.server.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.server.TestServer;
import io.sluice.server.config.ConfigLoader;
import io.sluice.spi.Runtimes;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import io.sluice.storage.testing.LocalFileServer;
import io.sluice.storage.testing.LocalHub;
import io.sluice.storage.testing.LocalS3;
import io.sluice.storage.testing.TestCertificates;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One ONNX model served three times, fetched from a local HTTPS server, a local hub and a local S3.
 */
class RemoteStorageServingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @Test
  void aModelFetchedOverHttpsHuggingFaceAndS3LoadsAndAnswers() throws Exception {
    byte[] model = Files.readAllBytes(Path.of("../models/softmax/model.onnx"));
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model));
    TestCertificates certificates = new TestCertificates();
    try (LocalFileServer https =
            new LocalFileServer(certificates.serverContext(certificates.server("localhost")));
        LocalHub hub = new LocalHub("acme/softmax", "1111111111111111111111111111111111111111");
        LocalS3 s3 = new LocalS3(Files.createDirectories(dir.resolve("s3")))) {
      https.put("/models/softmax.onnx", model);
      hub.put("model.onnx", model);
      s3.put("models", "softmax/1/model.onnx", model);

      Map<String, String> environment = new HashMap<>(s3.environment());
      environment.put("HF_ENDPOINT", hub.endpoint().toString());
      environment.put("HF_HUB_CACHE", dir.resolve("hf").toString());
      ModelStore store =
          new ModelStore(
              dir.resolve("cache"),
              List.of(),
              URI.create("http://127.0.0.1:9/"),
              Progress.SILENT,
              environment,
              ModelStore.defaultHttpClient(certificates.context(null)));
      Runtimes runtimes = Runtimes.discover();
      String yaml =
          """
          applications:
            - name: models
              routePrefix: /models
              deployments:
                - {name: from-https, runtime: onnx, storageUri: '%s#sha256=%s'}
                - {name: from-hub, runtime: onnx, storageUri: 'hf://acme/softmax/model.onnx'}
                - {name: from-s3, runtime: onnx, storageUri: 's3://models/softmax/1'}
          """
              .formatted(https.uri("/models/softmax.onnx"), sha256);
      try (TestServer server =
          TestServer.start(dir, yaml, runtimes, new ConfigLoader(runtimes, store))) {
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < 60; i++) {
          data.append(i == 0 ? "" : ",").append(i % 7);
        }
        String body =
            "{\"inputs\":[{\"name\":\"x\",\"shape\":[3,4,5],\"datatype\":\"FP32\",\"data\":["
                + data
                + "]}]}";
        JsonNode expected = null;
        for (String name : new String[] {"from-https", "from-hub", "from-s3"}) {
          var response = server.post("/v2/models/" + name + "/infer", body);
          assertThat(response.statusCode()).as(name + ": " + response.body()).isEqualTo(200);
          JsonNode output = JSON.readTree(response.body()).get("outputs").get(0).get("data");
          assertThat(output.size()).isEqualTo(60);
          if (expected == null) {
            expected = output;
          }
          assertThat(output).as(name).isEqualTo(expected);
        }
      }
    }
  }
}
