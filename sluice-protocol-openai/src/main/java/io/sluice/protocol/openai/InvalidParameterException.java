package io.sluice.protocol.openai;

import io.sluice.api.InvalidInputException;

/**
 * Invalid input that OpenAI's error names by its parameter ({@code param}) and, where it has one, a
 * code.
 */
public final class InvalidParameterException extends InvalidInputException {
  private final String param;
  private final String code;

  public InvalidParameterException(String param, String code, String message) {
    super(message);
    this.param = param;
    this.code = code;
  }

  public String param() {
    return param;
  }

  public String code() {
    return code;
  }
}
