package io.sluice.server.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import io.sluice.protocol.kserve.grpc.proto.ModelInferResponse;
import io.sluice.server.TestServer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * gzip-compressed gRPC requests: a real client's are answered; a decompression bomb (a small
 * message that inflates past the size limit) is refused with RESOURCE_EXHAUSTED before it is
 * inflated; a message that is not gzip is an error, not a hang.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcCompressionTest {
  private static final String MODEL_INFER = "/inference.GRPCInferenceService/ModelInfer";
  private TestServer server;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    server =
        TestServer.start(
            dir,
            """
        server:
          maxRequestBody: 1Mi
        applications:
          - name: app
            deployments:
              - {name: echo, runtime: test-echo, storageUri: '%s'}
        """
                .formatted(placeholder));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Test
  void grpcJavasGzipRequestsAreAnswered() {
    ByteBuffer values = ByteBuffer.allocate(4 * 1000).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 1000; i++) {
      values.putFloat(i);
    }
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName("echo")
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("INPUT0")
                    .setDatatype("FP32")
                    .addShape(1000))
            .addRawInputContents(ByteString.copyFrom(values.array()))
            .build();
    for (int i = 0; i < 3; i++) {
      ModelInferResponse response = server.grpc().withCompression("gzip").modelInfer(request);
      assertThat(response.getRawOutputContents(0).toByteArray()).isEqualTo(values.array());
    }
  }

  @Test
  void aMessageThatInflatesPastTheLimitIsRefusedUninflated() throws Exception {
    ByteArrayOutputStream zipped = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 200; i++) {
        gzip.write(zeros); // 200 MiB of zeros: about 200 KB compressed, well under the 1 MiB limit
      }
    }
    long started = System.nanoTime();
    RawHttp2.Frame answer = call(zipped.toByteArray(), (byte) 1);
    assertThat((System.nanoTime() - started) / 1e9)
        .as("seconds to the answer (inflating it all took 5.7)")
        .isLessThan(5);
    assertThat(status(answer)).isEqualTo("8"); // RESOURCE_EXHAUSTED
  }

  @Test
  void aCompressedMessageThatIsNotGzipIsAnError() throws Exception {
    assertThat(status(call("not gzip at all".getBytes(), (byte) 1))).isEqualTo("13"); // INTERNAL
  }

  private io.netty.handler.codec.http2.Http2Headers lastHeaders;

  /**
   * One ModelInfer call on a bare HTTP/2 connection with a gzip call encoding; the first HEADERS
   * answered.
   */
  private RawHttp2.Frame call(byte[] payload, byte compressedFlag) throws Exception {
    byte[] message =
        ByteBuffer.allocate(5 + payload.length)
            .put(compressedFlag)
            .putInt(payload.length)
            .put(payload)
            .array();
    try (RawHttp2 client = new RawHttp2(server.server().port())) {
      client.post(
          1,
          MODEL_INFER,
          message,
          "content-type",
          "application/grpc",
          "te",
          "trailers",
          "grpc-encoding",
          "gzip");
      for (RawHttp2.Frame frame; (frame = client.read()) != null; ) {
        if (frame.type() == RawHttp2.HEADERS && frame.stream() == 1) {
          lastHeaders = client.headers(frame);
          return frame;
        }
      }
    }
    throw new AssertionError("the connection closed without an answer");
  }

  private String status(RawHttp2.Frame answer) {
    assertThat(answer.endsStream()).as("a trailers-only answer").isTrue();
    return lastHeaders.get("grpc-status").toString();
  }
}
