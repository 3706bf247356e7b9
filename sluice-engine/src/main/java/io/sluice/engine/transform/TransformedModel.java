package io.sluice.engine.transform;

import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.transform.StepSource;
import io.sluice.spi.transform.Transformer;
import io.sluice.spi.transform.TransformerFactories;
import io.sluice.spi.transform.TransformerFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A predictor behind its transformer steps: inputs go through each step's preprocess, outermost
 * first, the predictor runs with all its outputs, and they come back through each step's
 * postprocess. Callers see the outermost step's metadata; the engine validates against it as for
 * any model.
 */
public final class TransformedModel implements LoadedModel {
  private final LoadedModel predictor;
  private final List<Transformer> steps;
  private final List<String> predictorOutputs;

  private TransformedModel(LoadedModel predictor, List<Transformer> steps) {
    this.predictor = predictor;
    this.steps = steps;
    this.predictorOutputs =
        predictor.metadata().outputs().stream().map(TensorMetadata::name).toList();
  }

  /**
   * {@code predictor} wrapped in the spec's steps, or {@code predictor} itself when there are none.
   * A step that cannot be made closes the predictor and what was made before failing the load.
   */
  public static LoadedModel wrap(LoadedModel predictor, TransformerSpec spec, Path modelLocation)
      throws ModelLoadException {
    if (spec == null || spec.isEmpty()) {
      return predictor;
    }
    TransformerFactories factories = TransformerFactories.discover(spec.pluginDirectory());
    List<Transformer> made = new ArrayList<>();
    try {
      ModelMetadata wrapped = predictor.metadata();
      for (int i = spec.steps().size() - 1; i >= 0; i--) {
        TransformerSpec.Step step = spec.steps().get(i);
        TransformerFactory factory =
            factories
                .find(step.name())
                .orElseThrow(
                    () ->
                        new ModelLoadException(
                            "unknown transformer step '"
                                + step.name()
                                + "'; available: "
                                + factories.names()));
        Transformer transformer =
            factory.create(new StepSource(modelLocation, step.settings()), wrapped);
        made.addFirst(transformer);
        wrapped = transformer.metadata();
      }
      return new TransformedModel(predictor, List.copyOf(made));
    } catch (ModelLoadException | RuntimeException e) {
      made.forEach(Transformer::close);
      predictor.close();
      throw e instanceof ModelLoadException load
          ? load
          : new ModelLoadException("transformer failed to start: " + e.getMessage(), e);
    }
  }

  @Override
  public ModelMetadata metadata() {
    return steps.getFirst().metadata();
  }

  @Override
  public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    List<List<Tensor>> received = new ArrayList<>(steps.size());
    List<Tensor> current = inputs;
    for (Transformer step : steps) {
      received.add(current);
      current = step.preprocess(current);
    }
    List<Tensor> outputs = predictor.infer(current, predictorOutputs);
    for (int i = steps.size() - 1; i >= 0; i--) {
      outputs = steps.get(i).postprocess(received.get(i), outputs);
    }
    List<Tensor> wanted = new ArrayList<>(outputNames.size());
    for (String name : outputNames) {
      Tensor found = null;
      for (Tensor output : outputs) {
        if (output.name().equals(name)) {
          found = output;
          break;
        }
      }
      if (found == null) {
        throw new InferenceFailedException("the transformer produced no output '" + name + "'");
      }
      wanted.add(found);
    }
    return wanted;
  }

  @Override
  public long memoryBytes() {
    return predictor.memoryBytes();
  }

  @Override
  public void close() {
    try {
      steps.forEach(Transformer::close);
    } finally {
      predictor.close();
    }
  }
}
