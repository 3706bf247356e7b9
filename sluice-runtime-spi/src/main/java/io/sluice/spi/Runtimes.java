package io.sluice.spi;

import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The runtimes available to a server, by name. Built once at start-up and passed to whoever needs
 * it.
 */
public final class Runtimes {
  private final Map<String, ModelRuntime> byName;

  public Runtimes(Iterable<? extends ModelRuntime> runtimes) {
    Map<String, ModelRuntime> map = new TreeMap<>();
    for (ModelRuntime runtime : runtimes) {
      map.put(runtime.name(), runtime);
    }
    this.byName = Map.copyOf(map);
  }

  /** Every runtime on the class path, found with {@link ServiceLoader}. */
  public static Runtimes discover() {
    return new Runtimes(ServiceLoader.load(ModelRuntime.class));
  }

  public Optional<ModelRuntime> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public java.util.Set<String> names() {
    return new java.util.TreeSet<>(byName.keySet());
  }
}
