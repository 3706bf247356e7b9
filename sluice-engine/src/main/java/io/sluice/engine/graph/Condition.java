package io.sluice.engine.graph;

import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.Tensor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Switch step's condition: one comparison between a value of the data the node received and a
 * literal, e.g. {@code score[0] > 0.5}, {@code label == "cat"}, {@code parameters.tier == "gold"}.
 * The left side is a tensor element ({@code name} is element 0, {@code name[i]} element i of the
 * flattened data) or a request parameter; operators are {@code == != < <= > >=}; literals are
 * numbers, quoted strings, {@code true} and {@code false}. A value that is missing, or of another
 * kind than the literal, makes the condition false.
 */
public final class Condition {
  private static final Pattern SYNTAX =
      Pattern.compile(
          "\\s*(parameters\\.[\\w.-]+|[\\w.:/-]+)(?:\\[(\\d+)])?\\s*(==|!=|<=|>=|<|>)\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'|true|false|[-+]?[\\d.]+(?:[eE][-+]?\\d+)?)\\s*");

  private final String text;
  private final String operand;
  private final int index;
  private final String operator;
  private final Object literal;

  private Condition(String text, String operand, int index, String operator, Object literal) {
    this.text = text;
    this.operand = operand;
    this.index = index;
    this.operator = operator;
    this.literal = literal;
  }

  /**
   * @throws IllegalArgumentException naming what is wrong with the text
   */
  public static Condition parse(String text) {
    Matcher matcher = SYNTAX.matcher(Objects.requireNonNull(text, "text"));
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a condition such as score[0] > 0.5 or label == \"cat\"");
    }
    String raw = matcher.group(4);
    Object literal;
    if (raw.startsWith("\"") || raw.startsWith("'")) {
      literal = raw.substring(1, raw.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
    } else if (raw.equals("true") || raw.equals("false")) {
      literal = Boolean.parseBoolean(raw);
    } else {
      try {
        literal = Double.parseDouble(raw);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "'" + raw + "' is not a number in condition '" + text + "'");
      }
    }
    if (!(literal instanceof Double)
        && !matcher.group(3).equals("==")
        && !matcher.group(3).equals("!=")) {
      throw new IllegalArgumentException("only numbers can be ordered in condition '" + text + "'");
    }
    int index = matcher.group(2) == null ? 0 : Integer.parseInt(matcher.group(2));
    return new Condition(text, matcher.group(1), index, matcher.group(3), literal);
  }

  /** Whether the condition holds on the data a node received. */
  public boolean test(InferRequest data) {
    Object value =
        operand.startsWith("parameters.")
            ? data.parameters().get(operand.substring("parameters.".length()))
            : element(data.inputs(), operand, index);
    if (value == null) {
      return false;
    }
    if (literal instanceof Double number) {
      double actual;
      if (value instanceof Number n) {
        actual = n.doubleValue();
      } else {
        try {
          actual = Double.parseDouble(value.toString());
        } catch (NumberFormatException e) {
          return false;
        }
      }
      return switch (operator) {
        case "==" -> actual == number;
        case "!=" -> actual != number;
        case "<" -> actual < number;
        case "<=" -> actual <= number;
        case ">" -> actual > number;
        default -> actual >= number;
      };
    }
    boolean equal = literal.toString().equals(value.toString());
    return operator.equals("==") == equal;
  }

  private static Object element(List<Tensor> tensors, String name, int index) {
    for (Tensor tensor : tensors) {
      if (!tensor.name().equals(name)) {
        continue;
      }
      if (index >= tensor.elementCount()) {
        return null;
      }
      if (tensor.datatype() == DataType.BYTES) {
        return new String(tensor.bytesElements().get(index), StandardCharsets.UTF_8);
      }
      ByteBuffer data = tensor.data();
      int at = index * tensor.datatype().elementSize();
      return switch (tensor.datatype()) {
        case BOOL -> data.get(at) != 0;
        case INT8 -> (double) data.get(at);
        case UINT8 -> (double) (data.get(at) & 0xFF);
        case INT16 -> (double) data.getShort(at);
        case UINT16 -> (double) (data.getShort(at) & 0xFFFF);
        case INT32 -> (double) data.getInt(at);
        case UINT32 -> (double) (data.getInt(at) & 0xFFFF_FFFFL);
        case INT64, UINT64 -> (double) data.getLong(at);
        case FP16 -> (double) Float.float16ToFloat(data.getShort(at));
        case BF16 -> (double) Float.intBitsToFloat((data.getShort(at) & 0xFFFF) << 16);
        case FP32 -> (double) data.getFloat(at);
        case FP64 -> data.getDouble(at);
        case BYTES -> null;
      };
    }
    return null;
  }

  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Condition condition && condition.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }
}
