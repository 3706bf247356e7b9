package io.sluice.server.config;

import io.sluice.engine.graph.Condition;
import io.sluice.engine.graph.GraphSpec;
import io.sluice.engine.graph.NodeSpec;
import io.sluice.engine.graph.RouterType;
import io.sluice.engine.graph.StepSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code graphs} section: inference graphs whose steps name deployments of the same
 * configuration.
 */
final class GraphSettings {
  private GraphSettings() {}

  static List<GraphSpec> graphs(
      List<SluiceConfig.Graph> configured, Set<String> prefixes, Set<String> deployments)
      throws ConfigException {
    List<GraphSpec> graphs = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int g = 0; g < configured.size(); g++) {
      SluiceConfig.Graph graph = configured.get(g);
      String at = "graphs[" + g + "]";
      String name = ConfigValues.checkName(at + ".name", graph.name());
      if (!names.add(name)) {
        throw new ConfigException(at + ".name", "another graph is already named '" + name + "'");
      }
      String prefix =
          ConfigValues.normalisePrefix(
              at + ".routePrefix", graph.routePrefix() == null ? "/" + name : graph.routePrefix());
      if (!prefixes.add(prefix)) {
        throw new ConfigException(
            at + ".routePrefix", "an application or graph already uses " + prefix);
      }
      if (graph.nodes() == null || graph.nodes().isEmpty()) {
        throw new ConfigException(at + ".nodes", "a graph needs nodes, one of them named 'root'");
      }
      Map<String, NodeSpec> nodes = new LinkedHashMap<>();
      for (Map.Entry<String, SluiceConfig.GraphNode> entry : graph.nodes().entrySet()) {
        nodes.put(entry.getKey(), node(at + ".nodes." + entry.getKey(), entry.getValue()));
      }
      GraphSpec spec = new GraphSpec(name, prefix, nodes);
      List<String> problems = spec.problems(deployments);
      if (!problems.isEmpty()) {
        String first = problems.getFirst();
        int colon = first.indexOf(": ");
        throw new ConfigException(at + "." + first.substring(0, colon), first.substring(colon + 2));
      }
      graphs.add(spec);
    }
    return graphs;
  }

  static NodeSpec node(String at, SluiceConfig.GraphNode node) throws ConfigException {
    if (node == null || node.routerType() == null) {
      throw new ConfigException(
          at + ".routerType", "missing; expected Sequence, Switch, Ensemble or Splitter");
    }
    RouterType type;
    try {
      type = RouterType.parse(node.routerType());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          at + ".routerType",
          "'"
              + node.routerType()
              + "' is not a router type; expected Sequence, Switch, Ensemble or Splitter");
    }
    List<StepSpec> steps = new ArrayList<>();
    List<SluiceConfig.GraphStep> configured = node.steps() == null ? List.of() : node.steps();
    for (int i = 0; i < configured.size(); i++) {
      SluiceConfig.GraphStep step = configured.get(i);
      String stepAt = at + ".steps[" + i + "]";
      if (step == null) {
        throw new ConfigException(stepAt, "empty step");
      }
      String name = step.name();
      if (name == null) {
        String target =
            step.serviceName() != null
                ? step.serviceName()
                : step.nodeName() != null ? step.nodeName() : "step";
        boolean taken =
            configured.stream()
                .anyMatch(
                    other ->
                        other != step
                            && other != null
                            && (target.equals(other.name())
                                || other.name() == null && target.equals(other.serviceName())));
        name = taken ? target + "-" + i : target;
      }
      String data = step.data() == null ? "$response" : step.data();
      if (!data.equals("$response") && !data.equals("$request")) {
        throw new ConfigException(
            stepAt + ".data", "must be $request or $response, got '" + data + "'");
      }
      Condition condition = null;
      if (step.condition() != null) {
        try {
          condition = Condition.parse(step.condition());
        } catch (IllegalArgumentException e) {
          throw new ConfigException(stepAt + ".condition", e.getMessage());
        }
      }
      String dependency = step.dependency() == null ? "Hard" : step.dependency();
      if (!dependency.equalsIgnoreCase("Hard") && !dependency.equalsIgnoreCase("Soft")) {
        throw new ConfigException(
            stepAt + ".dependency", "must be Hard or Soft, got '" + dependency + "'");
      }
      Duration timeout =
          step.timeout() == null
              ? null
              : ConfigValues.positiveDuration(stepAt + ".timeout", step.timeout());
      steps.add(
          new StepSpec(
              name,
              step.serviceName(),
              step.nodeName(),
              data.equals("$request"),
              condition,
              step.weight() == null ? (type == RouterType.SPLITTER ? 0 : 1) : step.weight(),
              dependency.equalsIgnoreCase("Soft"),
              timeout));
    }
    return new NodeSpec(type, steps);
  }
}
