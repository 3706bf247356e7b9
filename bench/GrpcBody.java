import io.sluice.protocol.kserve.grpc.proto.InferTensorContents;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import java.io.FileOutputStream;
import java.nio.ByteBuffer;

/**
 * Writes one gRPC-framed ModelInferRequest (5-byte length prefix + protobuf) for h2load:
 * java -cp ... GrpcBody.java MODEL INPUT DIMS(comma) OUT_FILE
 */
public class GrpcBody {
  public static void main(String[] args) throws Exception {
    String[] dims = args[2].split(",");
    ModelInferRequest.InferInputTensor.Builder input = ModelInferRequest.InferInputTensor.newBuilder()
        .setName(args[1]).setDatatype("FP32");
    long count = 1;
    for (String dim : dims) {
      input.addShape(Long.parseLong(dim));
      count *= Long.parseLong(dim);
    }
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (long i = 0; i < count; i++) {
      contents.addFp32Contents(i % 5);
    }
    byte[] message = ModelInferRequest.newBuilder().setModelName(args[0]).addInputs(input.setContents(contents))
        .build().toByteArray();
    try (FileOutputStream out = new FileOutputStream(args[3])) {
      out.write(ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length).put(message).array());
    }
  }
}
