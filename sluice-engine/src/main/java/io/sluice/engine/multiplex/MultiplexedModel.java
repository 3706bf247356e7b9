package io.sluice.engine.multiplex;

import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotFoundException;
import io.sluice.api.Tensor;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica of a multiplexed deployment (Ray Serve's {@code serve.multiplexed}): many models of
 * one runtime behind one replica, each request naming one. At most {@code maxLoaded} are loaded at
 * once; loading another closes the least recently used (once the calls running on it return). The
 * first model is loaded at start, to learn the signature every model of the deployment shares.
 */
public final class MultiplexedModel implements LoadedModel {
  private static final Logger log = LoggerFactory.getLogger(MultiplexedModel.class);

  private final String deployment;
  private final ModelRuntime runtime;
  private final String version;
  private final Map<String, String> settings;
  private final Map<String, Path> models;
  private final int maxLoaded;
  private final ModelMetadata metadata;

  /** Loaded models, least recently used first. */
  private final LinkedHashMap<String, Loaded> loaded = new LinkedHashMap<>(16, 0.75f, true);

  private long loads;

  private static final class Loaded {
    final LoadedModel model;
    int calls;
    boolean evicted;

    Loaded(LoadedModel model) {
      this.model = model;
    }
  }

  private MultiplexedModel(
      String deployment,
      ModelRuntime runtime,
      String version,
      Map<String, String> settings,
      Map<String, Path> models,
      int maxLoaded)
      throws ModelLoadException {
    this.deployment = deployment;
    this.runtime = runtime;
    this.version = version;
    this.settings = Map.copyOf(settings);
    this.models = Map.copyOf(models);
    this.maxLoaded = maxLoaded;
    String first = models.keySet().iterator().next();
    LoadedModel model = load(first);
    loaded.put(first, new Loaded(model));
    ModelMetadata signature = model.metadata();
    this.metadata =
        new ModelMetadata(
            deployment,
            signature.versions(),
            signature.platform(),
            signature.inputs(),
            signature.outputs());
  }

  /**
   * Opens the models under {@code folder}, loading the first.
   *
   * @throws ModelLoadException when the folder holds no model, or the first does not load
   */
  public static MultiplexedModel open(
      String deployment,
      ModelRuntime runtime,
      Path folder,
      String version,
      Map<String, String> settings,
      int maxLoaded)
      throws ModelLoadException {
    Map<String, Path> models = MultiplexedModels.in(folder);
    if (models.isEmpty()) {
      throw new ModelLoadException(
          "a multiplexed deployment's storageUri must be a folder of models; "
              + folder
              + " has none");
    }
    return new MultiplexedModel(deployment, runtime, version, settings, models, maxLoaded);
  }

  private LoadedModel load(String id) throws ModelLoadException {
    long started = System.nanoTime();
    LoadedModel model = runtime.load(new ModelSource(id, version, models.get(id), settings));
    loads++;
    log.info(
        "deployment {}: model {} loaded in {} ms",
        deployment,
        id,
        (System.nanoTime() - started) / 1_000_000);
    return model;
  }

  @Override
  public ModelMetadata metadata() {
    return metadata;
  }

  /** The ids of every model it can serve. */
  public Set<String> ids() {
    return models.keySet();
  }

  /** Whether model {@code id} is loaded now (the router prefers such a replica). */
  public synchronized boolean holds(String id) {
    Loaded model = loaded.get(id);
    return model != null && !model.evicted;
  }

  /** The ids loaded now, least recently used first. */
  public synchronized List<String> loadedIds() {
    return List.copyOf(loaded.keySet());
  }

  /** Models loaded so far, the first included (a load after an eviction counts again). */
  public synchronized long loads() {
    return loads;
  }

  @Override
  public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    throw new InvalidInputException(
        "model '"
            + deployment
            + "' serves many models: name one with the serve_multiplexed_model_id header or"
            + " /v2/models/"
            + deployment
            + "/versions/{model id}");
  }

  /** Runs model {@code id}, loading it first (and closing the least recently used) if need be. */
  public List<Tensor> infer(String id, List<Tensor> inputs, List<String> outputNames) {
    Loaded model = take(id);
    try {
      return model.model.infer(inputs, outputNames);
    } finally {
      give(model);
    }
  }

  private synchronized Loaded take(String id) {
    if (!models.containsKey(id)) {
      throw new ModelNotFoundException(
          "model '" + deployment + "' has no model '" + id + "' (it has " + models.size() + ")");
    }
    Loaded model = loaded.get(id);
    if (model == null) {
      try {
        model = new Loaded(load(id));
      } catch (ModelLoadException e) {
        throw new io.sluice.api.InferenceFailedException(
            "model '" + id + "' of '" + deployment + "' failed to load: " + e.getMessage());
      }
      loaded.put(id, model);
      evictBeyondLimit();
    }
    model.calls++;
    return model;
  }

  private void evictBeyondLimit() {
    Iterator<Map.Entry<String, Loaded>> oldest = loaded.entrySet().iterator();
    List<Loaded> closing = new ArrayList<>();
    while (loaded.size() > maxLoaded && oldest.hasNext()) {
      Map.Entry<String, Loaded> entry = oldest.next();
      Loaded model = entry.getValue();
      oldest.remove();
      model.evicted = true;
      closing.add(model);
      log.info(
          "deployment {}: model {} unloaded (least recently used)", deployment, entry.getKey());
      if (model.calls == 0) {
        model.model.close();
      }
    }
  }

  private synchronized void give(Loaded model) {
    model.calls--;
    if (model.evicted && model.calls == 0) {
      model.model.close();
    }
  }

  @Override
  public synchronized void close() {
    for (Loaded model : loaded.values()) {
      model.model.close();
    }
    loaded.clear();
  }
}
