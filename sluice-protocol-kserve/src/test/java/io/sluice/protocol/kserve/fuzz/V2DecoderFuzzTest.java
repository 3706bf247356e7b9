package io.sluice.protocol.kserve.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.api.DataType;
import io.sluice.api.ModelMetadata;
import io.sluice.api.SluiceException;
import io.sluice.api.TensorMetadata;
import io.sluice.protocol.kserve.grpc.GrpcTensorCodec;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import io.sluice.protocol.kserve.v2.V2RequestDecoder;
import java.util.List;

/**
 * The V2 decoders on arbitrary input (JSON, JSON plus binary tensor data, the raw single-input
 * form, and gRPC messages): a request or one of the project's own errors, nothing else.
 */
class V2DecoderFuzzTest {
  private static final ModelMetadata METADATA =
      new ModelMetadata(
          "m",
          List.of("1"),
          "fuzz",
          List.of(new TensorMetadata("x", DataType.FP32, new long[] {-1, 2})),
          List.of(new TensorMetadata("y", DataType.FP32, new long[] {-1})));

  @FuzzTest(maxDuration = "30s")
  void restDecoderThrowsOnlyItsOwnErrors(FuzzedDataProvider data) {
    Integer headerLength =
        switch (data.consumeInt(0, 2)) {
          case 0 -> null;
          case 1 -> 0;
          default -> data.consumeInt(-1, 4096);
        };
    byte[] body = data.consumeRemainingAsBytes();
    try {
      V2RequestDecoder.decode("m", null, body, headerLength, () -> METADATA);
    } catch (SluiceException expected) {
      // answered as 400/404 with the message
    }
  }

  @FuzzTest(maxDuration = "30s")
  void grpcCodecThrowsOnlyItsOwnErrors(byte[] message) {
    ModelInferRequest request;
    try {
      request = ModelInferRequest.parseFrom(message);
    } catch (InvalidProtocolBufferException notAMessage) {
      return; // the gRPC layer answers INTERNAL/INVALID_ARGUMENT before the codec runs
    }
    try {
      GrpcTensorCodec.decode(request);
    } catch (SluiceException expected) {
      // answered as INVALID_ARGUMENT with the message
    }
  }
}
