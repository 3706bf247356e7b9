package io.sluice.spi;

/**
 * A runtime loads one model format and runs it. Implementations are found with {@link
 * java.util.ServiceLoader} and are addressed in configuration by {@link #name()} ({@code runtime:
 * onnx}).
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>A runtime knows nothing about transports: it sees {@link io.sluice.api.Tensor}s, never HTTP
 *       or gRPC.
 *   <li>{@link #load} may block for as long as loading takes; the engine never calls it on an event
 *       loop.
 *   <li>{@link #load} either returns a model ready to serve or throws {@link ModelLoadException}
 *       with a message a user can act on; it must not leave native resources behind when it throws.
 *   <li>A runtime instance may load many models and must be safe to call from several threads.
 * </ul>
 */
public interface ModelRuntime {
  /** The name used in configuration, e.g. {@code onnx}. */
  String name();

  /** Loads the model described by {@code source}. */
  LoadedModel load(ModelSource source) throws ModelLoadException;
}
