package io.sluice.http.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;

/**
 * The one Jackson factory the protocol codecs share. Tensor payloads are mostly floating-point
 * numbers, so it uses Jackson's fast (Schubfach / FastDoubleParser) number writer and parser: JDK
 * {@code Float.toString} was the largest single cost of a JSON inference response.
 */
public final class JsonFactories {
  public static final JsonFactory JSON =
      JsonFactory.builder()
          .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
          .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          .build();

  private JsonFactories() {}
}
