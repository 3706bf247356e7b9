import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes two V2 infer bodies for one FP32 input of shape [ROWS, WIDTH] with the same random values: as JSON
 * ({@code json.body}) and with the binary tensor extension ({@code binary.body}: a JSON header asking for binary
 * outputs too, then the raw little-endian floats). Prints the binary body's JSON header length, the value of its
 * {@code Inference-Header-Content-Length}.
 *
 * java bench/TensorBodies.java OUT_DIR INPUT ROWS WIDTH
 */
public class TensorBodies {
  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    String input = args[1];
    int rows = Integer.parseInt(args[2]);
    int width = Integer.parseInt(args[3]);
    int count = rows * width;
    Random random = new Random(7);
    ByteBuffer raw = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
    StringBuilder json = new StringBuilder(count * 12);
    json.append("{\"inputs\":[{\"name\":\"").append(input).append("\",\"shape\":[").append(rows).append(',')
        .append(width).append("],\"datatype\":\"FP32\",\"data\":[");
    for (int i = 0; i < count; i++) {
      float value = random.nextFloat() * 2 - 1;
      raw.putFloat(value);
      json.append(i == 0 ? "" : ",").append(value);
    }
    json.append("]}]}");
    Files.writeString(out.resolve("json.body"), json);
    byte[] header = ("{\"inputs\":[{\"name\":\"" + input + "\",\"shape\":[" + rows + "," + width
        + "],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":" + count * 4
        + "}}],\"parameters\":{\"binary_data_output\":true}}").getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream binary = new ByteArrayOutputStream();
    binary.write(header);
    binary.write(raw.array());
    Files.write(out.resolve("binary.body"), binary.toByteArray());
    System.out.println(header.length);
  }
}
