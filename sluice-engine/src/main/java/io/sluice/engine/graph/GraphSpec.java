package io.sluice.engine.graph;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An inference graph, as KServe's InferenceGraph declares one: named nodes, each a router over
 * steps, entered at the node named {@code root}.
 *
 * @param name the graph's name (its V2 model name)
 * @param routePrefix where it is served, e.g. {@code /pipeline}
 * @param nodes the nodes by name; one is {@code root}
 */
public record GraphSpec(String name, String routePrefix, Map<String, NodeSpec> nodes) {
  public static final String ROOT = "root";

  public GraphSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(routePrefix, "routePrefix");
    nodes = Map.copyOf(nodes);
  }

  public NodeSpec root() {
    return nodes.get(ROOT);
  }

  /**
   * What is wrong with the graph, as messages naming the node and step; empty when it can run: a
   * root exists, steps name a known deployment or node (one of the two), no node reaches itself,
   * Switch steps have conditions, Splitter weights are positive.
   */
  public List<String> problems(Set<String> deployments) {
    List<String> problems = new ArrayList<>();
    if (!nodes.containsKey(ROOT)) {
      problems.add("nodes: a graph needs a node named 'root'");
    }
    for (Map.Entry<String, NodeSpec> entry : nodes.entrySet()) {
      String at = "nodes." + entry.getKey();
      NodeSpec node = entry.getValue();
      if (node.steps().isEmpty()) {
        problems.add(at + ".steps: a node needs at least one step");
      }
      Set<String> stepNames = new HashSet<>();
      for (int i = 0; i < node.steps().size(); i++) {
        StepSpec step = node.steps().get(i);
        String stepAt = at + ".steps[" + i + "]";
        if (!stepNames.add(step.name())) {
          problems.add(stepAt + ".name: another step of this node is named '" + step.name() + "'");
        }
        if ((step.deployment() == null) == (step.node() == null)) {
          problems.add(
              stepAt + ": a step names exactly one of serviceName (a deployment) and nodeName");
        } else if (step.deployment() != null && !deployments.contains(step.deployment())) {
          problems.add(stepAt + ".serviceName: no deployment is named '" + step.deployment() + "'");
        } else if (step.node() != null && !nodes.containsKey(step.node())) {
          problems.add(stepAt + ".nodeName: no node is named '" + step.node() + "'");
        }
        if (node.routerType() == RouterType.SWITCH && step.condition() == null) {
          problems.add(stepAt + ".condition: every step of a Switch node needs a condition");
        }
        if (node.routerType() == RouterType.SPLITTER && !(step.weight() > 0)) {
          problems.add(stepAt + ".weight: every step of a Splitter node needs a positive weight");
        }
      }
    }
    for (String start : nodes.keySet()) {
      if (reaches(start, start, new HashSet<>())) {
        problems.add("nodes." + start + ": the node reaches itself through nodeName steps");
      }
    }
    return problems;
  }

  private boolean reaches(String from, String target, Set<String> seen) {
    NodeSpec node = nodes.get(from);
    if (node == null || !seen.add(from)) {
      return false;
    }
    for (StepSpec step : node.steps()) {
      if (step.node() != null
          && (step.node().equals(target) || reaches(step.node(), target, seen))) {
        return true;
      }
    }
    return false;
  }
}
