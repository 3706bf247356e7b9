package io.sluice.operator.crd;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * KServe's ClusterServingRuntime ({@code serving.kserve.io/v1alpha1}): a ServingRuntime for every
 * namespace.
 */
@Group("serving.kserve.io")
@Version("v1alpha1")
@Kind("ClusterServingRuntime")
@Plural("clusterservingruntimes")
public class ClusterServingRuntime extends CustomResource<ServingRuntimeSpec, Void> {}
