package io.sluice.operator.scale;

import java.io.IOException;
import java.util.Map;

/** Where the load of predictor revisions comes from: requests ongoing and waiting, keyed {@code namespace/revision}. */
@FunctionalInterface
public interface RevisionLoad {
  /** The load now; throws when it cannot be known (then nothing is scaled). */
  Map<String, Double> read() throws IOException, InterruptedException;
}
