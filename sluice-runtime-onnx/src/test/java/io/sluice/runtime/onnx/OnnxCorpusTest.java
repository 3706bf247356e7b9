package io.sluice.runtime.onnx;

import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Tensor;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelSource;
import io.sluice.testkit.OnnxTestData;
import io.sluice.testkit.TensorDiff;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The ONNX runtime judged by ONNX's own backend test data (Debian libonnx-testdata): every case of
 * the corpus but the listed exclusions must reproduce its golden outputs, and every exclusion must
 * still fail (a fixed one leaves the list). {@code -Dsluice.onnx.writeExclusions=FILE} writes the
 * list this run would need, with each failure's reason, for a maintainer to review after an ONNX
 * Runtime or test-data upgrade.
 */
@Tag("slow")
class OnnxCorpusTest {
  /**
   * The served count of libonnx-testdata 1.14-1.20 with ONNX Runtime 1.29; a large drop means lost
   * cases.
   */
  private static final int AT_LEAST = 900;

  @Test
  void everyCaseButTheListedExclusionsReproducesItsGoldenOutputs() throws Exception {
    require(
        Files.isDirectory(OnnxTestData.ROOT),
        "libonnx-testdata is not installed (bin/install-test-deps)");
    Map<String, String> excluded = OnnxTestData.exclusions();
    OnnxModelRuntime runtime = new OnnxModelRuntime();
    Map<String, String> failures = new TreeMap<>();
    Map<String, String> fixed = new TreeMap<>();
    Map<String, String> found = new TreeMap<>();
    int reproduced = 0;
    for (String group : OnnxTestData.GROUPS) {
      for (OnnxTestData.Case testCase : OnnxTestData.cases(group)) {
        String key = group + "/" + testCase.name();
        found.put(key, "");
        String why = mismatch(runtime, testCase);
        if (why != null) {
          failures.put(key, why);
        } else if (excluded.containsKey(key)) {
          fixed.put(key, excluded.get(key));
        } else {
          reproduced++;
        }
      }
    }
    String target = System.getProperty("sluice.onnx.writeExclusions");
    if (target != null) {
      Files.writeString(
          Path.of(target),
          failures.entrySet().stream()
              .map(entry -> entry.getKey() + "\t" + entry.getValue())
              .collect(Collectors.joining("\n", "", "\n")));
    }
    System.out.printf(
        "ONNX corpus: %d cases, %d reproduced, %d excluded%n",
        found.size(), reproduced, excluded.size());
    Map<String, String> unexpected = new TreeMap<>(failures);
    unexpected.keySet().removeAll(excluded.keySet());
    assertThat(unexpected)
        .as("cases that differ from their golden outputs and are not excluded")
        .isEmpty();
    assertThat(fixed)
        .as("excluded cases that now pass: remove them from onnx-exclusions.tsv")
        .isEmpty();
    List<String> stale = new ArrayList<>(excluded.keySet());
    stale.removeAll(found.keySet());
    assertThat(stale).as("exclusions naming no case of the corpus").isEmpty();
    assertThat(reproduced)
        .isEqualTo(found.size() - excluded.size())
        .isGreaterThanOrEqualTo(AT_LEAST);
  }

  /**
   * Null when the runtime reproduces the case's golden outputs, else the first difference or the
   * error.
   */
  private static String mismatch(OnnxModelRuntime runtime, OnnxTestData.Case testCase) {
    try (LoadedModel model =
        runtime.load(new ModelSource(testCase.name(), "1", testCase.model(), Map.of()))) {
      if (model.metadata().inputs().size() != testCase.inputs().size()) {
        return "golden inputs do not cover the graph's inputs";
      }
      List<String> outputNames =
          model.metadata().outputs().stream().map(output -> output.name()).toList();
      if (outputNames.size() != testCase.outputs().size()) {
        return "golden outputs do not cover the graph's outputs";
      }
      List<Tensor> inputs = new ArrayList<>();
      for (int i = 0; i < testCase.inputs().size(); i++) {
        inputs.add(testCase.inputs().get(i).withName(model.metadata().inputs().get(i).name()));
      }
      List<Tensor> outputs = model.infer(inputs, outputNames);
      for (int i = 0; i < outputs.size(); i++) {
        Tensor expected = testCase.outputs().get(i);
        String why = TensorDiff.mismatch(expected, outputs.get(i).withName(expected.name()));
        if (why != null) {
          return "ONNX Runtime's output " + i + " differs: " + why;
        }
      }
      return null;
    } catch (Exception e) {
      String message =
          String.valueOf(e.getMessage())
              .replace(testCase.model().toString(), "model.onnx")
              .replace(testCase.model().getParent().toString(), "the case")
              .replaceAll("\\s+", " ")
              .strip();
      return e.getClass().getSimpleName()
          + ": "
          + (message.length() > 240 ? message.substring(0, 240) + "..." : message);
    }
  }
}
