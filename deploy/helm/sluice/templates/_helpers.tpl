{{- define "sluice.name" -}}
{{- printf "%s-operator" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sluice.labels" -}}
app.kubernetes.io/name: sluice-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: sluice
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sluice.name" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sluice.predictorImage" -}}
{{- printf "%s:%s" .Values.predictor.image.repository .Values.predictor.image.tag -}}
{{- end -}}

{{- /* What the operator reads and writes in the namespaces it serves, and nothing more. */ -}}
{{- define "sluice.operatorRules" -}}
- apiGroups: [serving.kserve.io]
  resources: [inferenceservices]
  verbs: [get, list, watch, patch, update]
- apiGroups: [serving.kserve.io]
  resources: [inferenceservices/status, inferenceservices/finalizers]
  verbs: [get, patch, update]
- apiGroups: [serving.kserve.io]
  resources: [servingruntimes]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [apps]
  resources: [deployments/scale]
  verbs: [get, update, patch]
- apiGroups: [""]
  resources: [services, configmaps]
  verbs: [get, list, watch, create, update, patch, delete]
# {isvc}-predictor's Endpoints pointing at the routers
- apiGroups: [""]
  resources: [endpoints]
  verbs: [get, list, watch, create, update, delete]
# why a revision's pods are not ready (a crash, an image that cannot be pulled), for the status
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end -}}
