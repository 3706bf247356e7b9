package io.sluice.spi.transform;

import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import java.util.List;

/**
 * One pre- and post-processing step around a predictor, as KServe's transformer is, but in the
 * process that hosts the predictor: no HTTP hop. A deployment lists its steps outermost first; a
 * request's inputs go through every step's {@link #preprocess} in that order, the predictor runs,
 * and its outputs come back through every step's {@link #postprocess} in reverse order.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>A step is created knowing the metadata of what it wraps (the predictor, or the next step)
 *       and reports, in {@link #metadata()}, the inputs and outputs its callers see. Clients'
 *       inputs are checked against that metadata before {@link #preprocess} runs; a step that
 *       changes nothing on one side returns the wrapped metadata's tensors for that side.
 *   <li>{@link #preprocess} turns inputs named in {@link #metadata()}'s inputs into the wrapped
 *       model's inputs; {@link #postprocess} turns every output of the wrapped model into every
 *       output named in {@link #metadata()}'s outputs, and also sees the inputs this step received.
 *   <li>Tensors may hold a batch: requests may be merged along the first dimension before a step
 *       runs, so a step handles {@code N} rows and answers {@code N} rows.
 *   <li>Both methods may run on several threads at once. They throw {@link
 *       io.sluice.api.InvalidInputException} for inputs at fault (a corrupt image) and {@link
 *       io.sluice.api.InferenceFailedException} otherwise.
 *   <li>A step knows nothing about transports: it sees tensors, never HTTP or gRPC.
 *   <li>{@link #close()} runs once, after the last call.
 * </ul>
 */
public interface Transformer extends AutoCloseable {
  /** What callers of this step see. */
  ModelMetadata metadata();

  /** Callers' inputs → the wrapped model's inputs. */
  List<Tensor> preprocess(List<Tensor> inputs);

  /**
   * The wrapped model's outputs → this step's outputs.
   *
   * @param inputs what this step's {@link #preprocess} received
   * @param outputs every output of the wrapped model
   */
  List<Tensor> postprocess(List<Tensor> inputs, List<Tensor> outputs);

  @Override
  default void close() {}
}
