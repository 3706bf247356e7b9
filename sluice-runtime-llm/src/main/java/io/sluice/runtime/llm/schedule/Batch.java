package io.sluice.runtime.llm.schedule;

/**
 * The tokens of one decoding step: token, position, sequence, and whether the model should output
 * logits.
 */
public final class Batch {
  private final int[] tokens;
  private final int[] positions;
  private final int[] sequences;
  private final boolean[] outputs;
  private int size;

  public Batch(int capacity) {
    tokens = new int[capacity];
    positions = new int[capacity];
    sequences = new int[capacity];
    outputs = new boolean[capacity];
  }

  /** Appends a token; returns its row. */
  public int add(int token, int position, int sequence, boolean output) {
    tokens[size] = token;
    positions[size] = position;
    sequences[size] = sequence;
    outputs[size] = output;
    return size++;
  }

  public void clear() {
    size = 0;
  }

  public int size() {
    return size;
  }

  public int capacity() {
    return tokens.length;
  }

  public int token(int row) {
    return tokens[row];
  }

  public int position(int row) {
    return positions[row];
  }

  public int sequence(int row) {
    return sequences[row];
  }

  public boolean output(int row) {
    return outputs[row];
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("Batch[");
    for (int row = 0; row < size; row++) {
      text.append(row == 0 ? "" : " ")
          .append(sequences[row])
          .append('@')
          .append(positions[row])
          .append(':')
          .append(tokens[row])
          .append(outputs[row] ? "*" : "");
    }
    return text.append(']').toString();
  }
}
