package io.sluice.operator.crd;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/** KServe's ServingRuntime ({@code serving.kserve.io/v1alpha1}), namespaced. */
@Group("serving.kserve.io")
@Version("v1alpha1")
@Kind("ServingRuntime")
@Plural("servingruntimes")
public class ServingRuntime extends CustomResource<ServingRuntimeSpec, Void>
    implements Namespaced {}
