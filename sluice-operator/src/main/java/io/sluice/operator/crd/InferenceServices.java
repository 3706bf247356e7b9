package io.sluice.operator.crd;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The InferenceServices of the namespaces an operator serves. */
public final class InferenceServices {
  private InferenceServices() {}

  /**
   * @param namespaces the namespaces (empty: all)
   */
  public static List<InferenceService> in(KubernetesClient client, Set<String> namespaces) {
    if (namespaces.isEmpty()) {
      return client.resources(InferenceService.class).inAnyNamespace().list().getItems();
    }
    List<InferenceService> all = new ArrayList<>();
    for (String namespace : namespaces) {
      all.addAll(client.resources(InferenceService.class).inNamespace(namespace).list().getItems());
    }
    return all;
  }
}
