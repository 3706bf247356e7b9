package io.sluice.engine.graph;

import java.util.Locale;

/** How a node uses its steps (KServe InferenceGraph's router types). */
public enum RouterType {
  /**
   * Each step in turn; a step gets the previous step's answer, or the node's request when it says
   * so.
   */
  SEQUENCE,
  /**
   * The first step whose condition holds on the node's request; none: the request comes back as it
   * was.
   */
  SWITCH,
  /**
   * Every step at once on the node's request; the answers merged, each output named {@code
   * step.output}.
   */
  ENSEMBLE,
  /** One step, drawn at random in proportion to the steps' weights. */
  SPLITTER;

  /**
   * KServe's spelling ({@code Sequence}, {@code Switch}, {@code Ensemble}, {@code Splitter}), any
   * case.
   */
  public static RouterType parse(String text) {
    return valueOf(text.strip().toUpperCase(Locale.ROOT));
  }
}
