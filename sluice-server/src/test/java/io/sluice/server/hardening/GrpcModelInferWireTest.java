package io.sluice.server.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.netty.handler.codec.http2.Http2Headers;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import io.sluice.protocol.kserve.grpc.proto.ModelInferResponse;
import io.sluice.server.TestServer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uncompressed {@code ModelInfer} calls on the wire, frame by frame: a message is read whole
 * however the client cuts it into DATA frames, the answer is headers, one length-prefixed message
 * and trailers, and every way a request message can be wrong ends the call with its gRPC status.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcModelInferWireTest {
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
  void aMessageCutIntoSmallDataFramesIsReadWholeAndAnsweredInOneMessage() throws Exception {
    byte[] values = floats(300);
    byte[] message = framed((byte) 0, echoRequest(values).toByteArray());
    for (int frameBytes : new int[] {3, 7, 1000}) { // 3 splits the length prefix itself
      List<RawHttp2.Frame> answer = call(message, frameBytes, false);
      assertThat(answer).as("HEADERS, DATA, trailers").hasSize(3);
      assertThat(answer.get(0).type()).isEqualTo(RawHttp2.HEADERS);
      assertThat(answer.get(1).type()).isEqualTo(RawHttp2.DATA);
      assertThat(answer.get(2).type()).isEqualTo(RawHttp2.HEADERS);
      assertThat(answer.get(2).endsStream()).isTrue();
      byte[] body = answer.get(1).payload();
      assertThat(body[0]).as("compressed flag").isZero();
      int length = ByteBuffer.wrap(body, 1, 4).getInt();
      assertThat(length).isEqualTo(body.length - 5);
      ModelInferResponse response =
          ModelInferResponse.parseFrom(Arrays.copyOfRange(body, 5, body.length));
      assertThat(response.getRawOutputContents(0).toByteArray()).isEqualTo(values);
      assertThat(lastHeaders.get(0).get("content-type").toString()).isEqualTo("application/grpc");
      assertThat(lastHeaders.get(1).get("grpc-status").toString()).isEqualTo("0");
    }
  }

  @Test
  void aMessageLargerThanTheLimitIsRefusedBeforeItArrives() throws Exception {
    byte[] prefix = ByteBuffer.allocate(15).put((byte) 0).putInt(2 << 20).array();
    try (RawHttp2 client = new RawHttp2(server.server().port())) {
      client.postHeaders(1, MODEL_INFER, "content-type", "application/grpc", "te", "trailers");
      client.frame(RawHttp2.DATA, 0, 1, prefix); // the stream stays open: 2 MiB are announced
      firstHeaders(client);
      assertThat(grpcStatus()).isEqualTo("8"); // RESOURCE_EXHAUSTED
    }
  }

  @Test
  void aCallThatEndsBeforeItsMessageIsInvalidArgument() throws Exception {
    byte[] cut = ByteBuffer.allocate(15).put((byte) 0).putInt(100).array();
    call(cut, 16_384, true);
    assertThat(grpcStatus()).isEqualTo("3");
    call(new byte[] {0, 0}, 16_384, true);
    assertThat(grpcStatus()).isEqualTo("3");
  }

  @Test
  void aCompressedMessageWithoutAnEncodingIsInternal() throws Exception {
    byte[] message = framed((byte) 1, echoRequest(floats(4)).toByteArray());
    call(message, 16_384, true);
    assertThat(grpcStatus()).isEqualTo("13");
  }

  @Test
  void bytesThatAreNotARequestMessageAreInvalidArgument() throws Exception {
    byte[] garbage = new byte[40];
    Arrays.fill(garbage, (byte) 0xFF);
    call(framed((byte) 0, garbage), 16_384, true);
    assertThat(grpcStatus()).isEqualTo("3");
  }

  @Test
  void aModelThatDoesNotExistIsNotFound() throws Exception {
    byte[] message =
        framed(
            (byte) 0,
            echoRequest(floats(4)).toBuilder().setModelName("nope").build().toByteArray());
    call(message, 16_384, true);
    assertThat(grpcStatus()).isEqualTo("5");
  }

  private static ModelInferRequest echoRequest(byte[] values) {
    return ModelInferRequest.newBuilder()
        .setModelName("echo")
        .addInputs(
            ModelInferRequest.InferInputTensor.newBuilder()
                .setName("INPUT0")
                .setDatatype("FP32")
                .addShape(values.length / 4))
        .addRawInputContents(ByteString.copyFrom(values))
        .build();
  }

  private static byte[] floats(int count) {
    ByteBuffer values = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      values.putFloat(i * 0.5f - 7);
    }
    return values.array();
  }

  private static byte[] framed(byte flag, byte[] message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(flag);
    out.writeBytes(ByteBuffer.allocate(4).putInt(message.length).array());
    out.writeBytes(message);
    return out.toByteArray();
  }

  private final List<Http2Headers> lastHeaders = new ArrayList<>();

  /**
   * One call on a bare connection; the frames of stream 1 until it ends (or only the first
   * HEADERS).
   */
  private List<RawHttp2.Frame> call(byte[] body, int frameBytes, boolean firstHeadersOnly)
      throws Exception {
    lastHeaders.clear();
    List<RawHttp2.Frame> frames = new ArrayList<>();
    try (RawHttp2 client = new RawHttp2(server.server().port())) {
      client.post(
          1, MODEL_INFER, body, frameBytes, "content-type", "application/grpc", "te", "trailers");
      for (RawHttp2.Frame frame; (frame = client.read()) != null; ) {
        if (frame.stream() != 1
            || (frame.type() != RawHttp2.HEADERS && frame.type() != RawHttp2.DATA)) {
          continue;
        }
        frames.add(frame);
        if (frame.type() == RawHttp2.HEADERS) {
          lastHeaders.add(client.headers(frame));
          if (firstHeadersOnly) {
            return frames;
          }
        }
        if (frame.endsStream()) {
          return frames;
        }
      }
    }
    throw new AssertionError("the connection closed before the call ended: " + frames);
  }

  private void firstHeaders(RawHttp2 client) throws Exception {
    for (RawHttp2.Frame frame; (frame = client.read()) != null; ) {
      if (frame.type() == RawHttp2.HEADERS && frame.stream() == 1) {
        lastHeaders.clear();
        lastHeaders.add(client.headers(frame));
        return;
      }
    }
    throw new AssertionError("the connection closed without an answer");
  }

  /** grpc-status of the last HEADERS read (a trailers-only answer carries it there). */
  private String grpcStatus() {
    CharSequence status = lastHeaders.get(lastHeaders.size() - 1).get("grpc-status");
    return status == null ? null : status.toString();
  }
}
