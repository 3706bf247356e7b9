package io.sluice.http.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.NumberOutput;
import java.io.IOException;
import java.io.StringWriter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The writer's text is Jackson's own (Jackson's port of Schubfach, an independent implementation of
 * the same shortest-decimal rule) for every float and double tried, and reads back as the value.
 */
class FloatWriterTest {
  private static String written(ThrowingWrite write) throws IOException {
    StringWriter out = new StringWriter();
    try (JsonGenerator json = JsonFactories.JSON.createGenerator(out)) {
      json.writeStartArray();
      write.to(json, new FloatWriter());
      json.writeEndArray();
    }
    String text = out.toString();
    return text.substring(1, text.length() - 1);
  }

  private interface ThrowingWrite {
    void to(JsonGenerator json, FloatWriter floats) throws IOException;
  }

  @Test
  void floatsAreWrittenAsTheirShortestDecimalText() throws IOException {
    SplittableRandom random = new SplittableRandom(24);
    for (int i = 0; i < 20_000; i++) {
      float value = Float.intBitsToFloat(random.nextInt());
      if (!Float.isFinite(value)) {
        continue;
      }
      String text = written((json, floats) -> floats.write(json, value));
      assertThat(text).isEqualTo(NumberOutput.toString(value, true));
      assertThat(Float.parseFloat(text)).isEqualTo(value);
    }
    assertThat(written((json, floats) -> floats.write(json, 0.1f))).isEqualTo("0.1");
    assertThat(written((json, floats) -> floats.write(json, -1e-5f))).isEqualTo("-1.0E-5");
  }

  @Test
  void doublesAreWrittenAsTheirShortestDecimalText() throws IOException {
    SplittableRandom random = new SplittableRandom(25);
    for (int i = 0; i < 20_000; i++) {
      double value = Double.longBitsToDouble(random.nextLong());
      if (!Double.isFinite(value)) {
        continue;
      }
      String text = written((json, floats) -> floats.write(json, value));
      assertThat(text).isEqualTo(NumberOutput.toString(value, true));
      assertThat(Double.parseDouble(text)).isEqualTo(value);
    }
  }

  @Test
  void nanAndInfinitiesAreWrittenAsTheGeneratorWritesThem() throws IOException {
    for (float value : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      String expected = written((json, floats) -> json.writeNumber(value));
      assertThat(written((json, floats) -> floats.write(json, value))).isEqualTo(expected);
    }
    assertThat(
            written(
                (json, floats) -> {
                  floats.write(json, 1f);
                  floats.write(json, 2.5);
                }))
        .as("one writer, reused")
        .isEqualTo("1.0,2.5");
  }
}
