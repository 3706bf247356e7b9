package io.sluice.pipelines;

/**
 * A pipeline of deployments served at its own route prefix: {@link
 * io.sluice.pipelines.voice.VoiceSpec} or {@link io.sluice.pipelines.rag.RagSpec}.
 */
public interface PipelineSpec {
  String name();

  /** Where it is served, e.g. {@code /voice}. */
  String routePrefix();
}
