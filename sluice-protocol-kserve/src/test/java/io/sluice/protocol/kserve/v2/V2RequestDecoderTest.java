package io.sluice.protocol.kserve.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.DataType;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class V2RequestDecoderTest {
  private static final Supplier<ModelMetadata> NO_METADATA =
      () -> {
        throw new AssertionError("metadata is only needed for raw requests");
      };

  private static DecodedInferRequest decode(String json) {
    return V2RequestDecoder.decode(
        "m", null, json.getBytes(StandardCharsets.UTF_8), null, NO_METADATA);
  }

  @Test
  void dataBeforeDatatypeIsBufferedAndDecodedOnceTheTypeIsKnown() {
    Tensor input =
        decode(
                "{\"inputs\":[{\"data\":[[1,2],[3,4]],\"name\":\"x\",\"shape\":[2,2],\"datatype\":\"INT16\"}]}")
            .request()
            .inputs()
            .get(0);
    ByteBuffer data = input.data();
    assertThat(new short[] {data.getShort(), data.getShort(), data.getShort(), data.getShort()})
        .containsExactly(1, 2, 3, 4);
  }

  @Test
  void unsignedSixtyFourBitValuesKeepTheirFullRange() {
    Tensor input =
        decode(
                "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"UINT64\",\"data\":[18446744073709551615]}]}")
            .request()
            .inputs()
            .get(0);
    assertThat(input.data().getLong()).isEqualTo(-1L);
    assertThatThrownBy(
            () ->
                decode(
                    "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"UINT64\",\"data\":[18446744073709551616]}]}"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("out of range for UINT64");
    assertThatThrownBy(
            () ->
                decode(
                    "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"UINT8\",\"data\":[-1]}]}"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("out of range for UINT8");
  }

  @Test
  void bfloat16IsRoundedToNearestEven() {
    Tensor input =
        decode(
                "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"BF16\",\"data\":[1.00390625]}]}")
            .request()
            .inputs()
            .get(0);
    assertThat(input.data().getShort()).isEqualTo((short) 0x3F80);
  }

  @Test
  void binaryDataOutputAndPerOutputFlagsDecideEachOutputsEncoding() {
    DecodedInferRequest decoded =
        decode(
            "{\"parameters\":{\"binary_data_output\":true,\"priority\":3},"
                + "\"inputs\":[{\"name\":\"x\",\"shape\":[0],\"datatype\":\"FP32\",\"data\":[]}],"
                + "\"outputs\":[{\"name\":\"a\",\"parameters\":{\"binary_data\":false}},{\"name\":\"b\"}]}");
    assertThat(decoded.outputEncoding().binary("a")).isFalse();
    assertThat(decoded.outputEncoding().binary("b")).isTrue();
    assertThat(decoded.request().requestedOutputs()).containsExactly("a", "b");
    assertThat(decoded.request().parameters())
        .containsEntry("priority", 3L)
        .doesNotContainKey("binary_data_output");
  }

  @Test
  void rawRequestInfersTheVariableDimension() {
    ModelMetadata metadata =
        new ModelMetadata(
            "m",
            List.of("1"),
            "p",
            List.of(new TensorMetadata("in", DataType.FP32, new long[] {-1, 2})),
            List.of());
    DecodedInferRequest decoded =
        V2RequestDecoder.decode("m", null, new byte[24], 0, () -> metadata);
    assertThat(decoded.request().inputs().get(0).shape()).containsExactly(3, 2);
    assertThat(decoded.outputEncoding().binary("anything")).isTrue();
    assertThatThrownBy(() -> V2RequestDecoder.decode("m", null, new byte[12], 0, () -> metadata))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("does not divide");
  }
}
