package io.sluice.operator.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * KServe's InferenceService ({@code serving.kserve.io/v1beta1}), the subset Sluice serves. Fields
 * Sluice does not serve are kept by the API server (the schema preserves them) and refused by the
 * operator with a condition that names them.
 */
@Group("serving.kserve.io")
@Version("v1beta1")
@Kind("InferenceService")
@Plural("inferenceservices")
@Singular("inferenceservice")
@ShortNames("isvc")
@AdditionalPrinterColumn(
    name = "URL",
    jsonPath = ".status.url",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type=='Ready')].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Prev",
    jsonPath = ".status.components.predictor.traffic[?(@.tag=='prev')].percent",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Latest",
    jsonPath = ".status.components.predictor.traffic[?(@.latestRevision==true)].percent",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "PrevRolledoutRevision",
    jsonPath = ".status.components.predictor.traffic[?(@.tag=='prev')].revisionName",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "LatestReadyRevision",
    jsonPath = ".status.components.predictor.traffic[?(@.latestRevision==true)].revisionName",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class InferenceService extends CustomResource<InferenceServiceSpec, InferenceServiceStatus>
    implements Namespaced {}
