package io.sluice.runtime.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs ONNX models with ONNX Runtime (CPU). Settings: {@code intraOpThreads} (default 1: the engine
 * runs requests in parallel, so each session stays single-threaded unless told otherwise), {@code
 * interOpThreads}, {@code optimization} ({@code all}, {@code extended}, {@code basic}, {@code
 * none}).
 */
public final class OnnxModelRuntime implements ModelRuntime {
  @Override
  public String name() {
    return "onnx";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    Path file = modelFile(source.location());
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = sessionOptions(source)) {
      OrtSession session = environment.createSession(file.toString(), options);
      try {
        return new OnnxModel(source, environment, session);
      } catch (ModelLoadException | RuntimeException e) {
        session.close();
        throw e;
      }
    } catch (OrtException e) {
      throw new ModelLoadException("ONNX Runtime cannot load " + file + ": " + e.getMessage(), e);
    }
  }

  private static Path modelFile(Path location) throws ModelLoadException {
    if (Files.isDirectory(location)) {
      Path inside = location.resolve("model.onnx");
      if (Files.isRegularFile(inside)) {
        return inside;
      }
      throw new ModelLoadException(location + " is a directory without model.onnx");
    }
    if (!Files.isRegularFile(location)) {
      throw new ModelLoadException("no such file: " + location);
    }
    return location;
  }

  private static OrtSession.SessionOptions sessionOptions(ModelSource source)
      throws OrtException, ModelLoadException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    try {
      options.setIntraOpNumThreads(source.intSetting("intraOpThreads", 1, 0));
      options.setInterOpNumThreads(source.intSetting("interOpThreads", 1, 0));
      String level = source.settings().getOrDefault("optimization", "all");
      options.setOptimizationLevel(
          switch (level) {
            case "all" -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            case "extended" -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
            case "basic" -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
            case "none" -> OrtSession.SessionOptions.OptLevel.NO_OPT;
            default ->
                throw new ModelLoadException(
                    "optimization must be one of all, extended, basic, none; got '" + level + "'");
          });
      return options;
    } catch (OrtException | ModelLoadException | RuntimeException e) {
      options.close();
      throw e;
    }
  }
}
