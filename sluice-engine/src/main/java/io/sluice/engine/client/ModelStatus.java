package io.sluice.engine.client;

/** A snapshot of one deployment's state, as the repository index reports it. */
public record ModelStatus(
    String application, String name, String version, ModelState state, String reason) {}
