package io.sluice.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.DataType;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerCodecTest {
  @Test
  void framesHaveTheDocumentedLayout() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    WorkerCodec.write(new DataOutputStream(bytes), WorkerCodec.PING, 7, new byte[] {42});
    assertThat(bytes.toByteArray())
        .containsExactly(0, 0, 0, 10, WorkerCodec.PING, 0, 0, 0, 0, 0, 0, 0, 7, 42);
    WorkerCodec.Frame frame =
        WorkerCodec.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertThat(frame.type()).isEqualTo(WorkerCodec.PING);
    assertThat(frame.id()).isEqualTo(7);
    assertThat(frame.payload()).containsExactly(42);
  }

  @Test
  void tensorsMetadataAndSettingsRoundTrip() throws Exception {
    Tensor floats = Tensor.of("x", DataType.FP32, new long[] {1, 2}, ByteBuffer.wrap(new byte[8]));
    Tensor text =
        Tensor.ofBytes(
            "s", new long[] {2}, List.of("a".getBytes(StandardCharsets.UTF_8), new byte[0]));
    byte[] payload =
        WorkerCodec.payload(
            out -> {
              WorkerCodec.writeTensors(out, List.of(floats, text));
              WorkerCodec.writeMap(out, Map.of("k", "v"));
              WorkerCodec.writeMetadata(
                  out,
                  new ModelMetadata(
                      "m",
                      List.of("1"),
                      "p",
                      List.of(new TensorMetadata("x", DataType.FP32, new long[] {-1, 2})),
                      List.of()));
            });
    DataInputStream in = WorkerCodec.reader(payload);
    List<Tensor> tensors = WorkerCodec.readTensors(in);
    assertThat(tensors.get(0).shape()).containsExactly(1, 2);
    assertThat(tensors.get(1).bytesElements()).hasSize(2);
    assertThat(WorkerCodec.readMap(in)).containsEntry("k", "v");
    ModelMetadata metadata = WorkerCodec.readMetadata(in);
    assertThat(metadata.inputs().get(0).shape()).containsExactly(-1, 2);
    assertThat(in.available()).isZero();
  }

  @Test
  void stringsLongerThanWriteUtfAllowsRoundTrip() throws Exception {
    String stop = "a".repeat(100_000);
    String message = "é".repeat(40_000);
    var request =
        new io.sluice.api.GenerateRequest(
            "m",
            null,
            null,
            List.of(new io.sluice.api.GenerateRequest.ChatMessage("user", message)),
            3,
            null,
            null,
            List.of(stop),
            null);
    byte[] payload = WorkerCodec.payload(out -> WorkerCodec.writeGenerate(out, request));
    var decoded = WorkerCodec.readGenerate(WorkerCodec.reader(payload));
    assertThat(decoded.stop()).containsExactly(stop);
    assertThat(decoded.messages().get(0).content()).isEqualTo(message);

    byte[] map = WorkerCodec.payload(out -> WorkerCodec.writeMap(out, Map.of(stop, message)));
    assertThat(WorkerCodec.readMap(WorkerCodec.reader(map))).containsEntry(stop, message);
  }
}
