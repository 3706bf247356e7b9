package io.sluice.engine.graph;

import java.util.List;
import java.util.Objects;

/** One node of a graph: a router and its steps, in order. */
public record NodeSpec(RouterType routerType, List<StepSpec> steps) {
  public NodeSpec {
    Objects.requireNonNull(routerType, "routerType");
    steps = List.copyOf(steps);
  }
}
