package io.sluice.spi;

import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import java.util.List;

/**
 * One loaded model, ready to run.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>{@link #metadata()} is fixed once the model is loaded and must return almost immediately.
 *   <li>{@link #infer} may be called from several threads at once and blocks until the outputs
 *       exist. The engine has already checked input names, datatypes and shapes against {@link
 *       #metadata()}. It throws {@link io.sluice.api.InvalidInputException} for inputs the model
 *       itself rejects and {@link io.sluice.api.InferenceFailedException} for failures while
 *       running.
 *   <li>Ownership: the input tensors stay owned by the caller; the returned tensors are owned by
 *       the caller and must not share native memory that {@link #close()} frees.
 *   <li>{@link #close()} is called once, after every {@link #infer} call has returned, and frees
 *       everything.
 * </ul>
 */
public interface LoadedModel extends AutoCloseable {
  ModelMetadata metadata();

  /**
   * Runs the model.
   *
   * @param inputs the input tensors, one per model input that the request supplied
   * @param outputNames the outputs to produce, in the order wanted; never empty
   * @return the outputs, in the order of {@code outputNames}
   */
  List<Tensor> infer(List<Tensor> inputs, List<String> outputNames);

  /**
   * The memory the loaded model holds (weights, caches, its process if it has one of its own), for
   * the host memory budget; -1 when the runtime cannot tell. Called once, right after loading.
   */
  default long memoryBytes() {
    return -1;
  }

  /** Frees the model's resources. */
  @Override
  void close();
}
