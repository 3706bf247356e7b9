#!/usr/bin/env bash
# The platform on the dev cluster, measured as a cluster team would before trusting it:
#  1. time from `kubectl apply` of an InferenceService at minReplicas 0 to its first answer through
#     {isvc}-predictor (SERVICES of them applied at once; p50 and max),
#  2. API-server requests per second at rest (the API server's own apiserver_request_total, watches left
#     out), before the chart is installed and with SERVICES services routed by 3 routers and 2 operators,
#     all scaled to zero; the difference is Sluice's cost at rest,
#  3. operator failover: the leader's pod deleted while a service is at zero pods; time until the other
#     operator holds the Lease, and until a request sent at the deletion is answered (it needs the new
#     leader to start a pod).
#
#   bench/k8s.sh [SERVICES]   (default 10; builds the cluster on first use; results: bench/results/k8s.txt)
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SERVICES=${1:-10}
NS=sluice-bench
cd "$ROOT"
. bin/java-home.sh
mvn -q -B -ntp -DskipTests install >/dev/null
bin/install-helm >/dev/null
HELM=${SLUICE_HELM:-$HOME/.cache/sluice/helm/4.1.4/helm}
started=""
if ! bin/dev-cluster status >/dev/null 2>&1; then
  bin/dev-cluster up >/dev/null
  started=yes
fi
bin/dev-cluster image >/dev/null
eval "$(bin/dev-cluster env)"
K=${SLUICE_KUBECTL:-kubectl}
MODELS=$(dirname "$(dirname "$SLUICE_DEV_CLUSTER")")/bench-models
mkdir -p "$BENCH/results"
RESULTS="$BENCH/results/k8s.txt"
WORK=$(mktemp -d)
cleanup() {
  "$HELM" --kubeconfig "$SLUICE_DEV_CLUSTER" uninstall sluice -n sluice-system --wait >/dev/null 2>&1 || true
  $K delete namespace "$NS" sluice-system --wait=false >/dev/null 2>&1 || true
  $K delete pv "$NS-models" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  if [ -n "$started" ]; then bin/dev-cluster down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

requests_at_rest() { # requests per second over 60 s, watches left out
  local before after
  before=$($K get --raw /metrics | awk '/^apiserver_request_total\{/ && !/verb="WATCH"/ {s += $NF} END {printf "%d", s}')
  sleep 60
  after=$($K get --raw /metrics | awk '/^apiserver_request_total\{/ && !/verb="WATCH"/ {s += $NF} END {printf "%d", s}')
  awk -v a="$after" -v b="$before" 'BEGIN {printf "%.2f", (a - b) / 60}'
}

zeros=$(printf '0,%.0s' $(seq 59))0
BODY="{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [3, 4, 5], \"data\": [$zeros]}]}"
answer() { # HTTP status of one inference of service $1 through its alias (cluster IP $2), or 000
  curl -s -o /dev/null -w '%{http_code}' --max-time 120 -H 'content-type: application/json' \
    -d "$BODY" "http://$2/v2/models/$1/infer" || true
}
alias_ip() { $K get svc "$1-predictor" -n "$NS" -o jsonpath='{.spec.clusterIP}' 2>/dev/null || true; }

echo "k8s bench: cluster at rest without Sluice (60 s)"
baseline=$(requests_at_rest)

$K apply -f deploy/helm/sluice/crds/ >/dev/null
mkdir -p "$MODELS"
cp models/softmax/model.onnx "$MODELS/softmax.onnx"
chmod 755 "$MODELS"; chmod 644 "$MODELS/softmax.onnx"
cat > "$WORK/volume.yaml" <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $NS}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: $NS-models}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadOnlyMany]
  hostPath: {path: $MODELS}
  storageClassName: $NS
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: models, namespace: $NS}
spec:
  accessModes: [ReadOnlyMany]
  resources: {requests: {storage: 1Gi}}
  storageClassName: $NS
  volumeName: $NS-models
YAML
$K apply -f "$WORK/volume.yaml" >/dev/null
"$HELM" --kubeconfig "$SLUICE_DEV_CLUSTER" install sluice deploy/helm/sluice -n sluice-system --create-namespace \
  --skip-crds --set "operator.watchNamespaces={$NS}" --set router.replicaCount=3 --set operator.replicaCount=2 \
  --wait --timeout 5m >/dev/null

echo "k8s bench: $SERVICES InferenceServices applied at once"
for i in $(seq "$SERVICES"); do
  (
    start=$(date +%s.%N)
    cat <<YAML | $K apply -f - >/dev/null
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: s$i
  namespace: $NS
  annotations: {serving.sluice.io/scale-to-zero-delay: 10s, serving.sluice.io/downscale-delay: 10s, serving.sluice.io/look-back-period: 2s}
spec:
  predictor:
    minReplicas: 0
    model: {modelFormat: {name: onnx}, storageUri: pvc://models/softmax.onnx}
YAML
    while true; do
      ip=$(alias_ip "s$i")
      if [ -n "$ip" ] && [ "$(answer "s$i" "$ip")" = 200 ]; then break; fi
      sleep 0.2
    done
    awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f\n", e - s}' > "$WORK/served-$i"
  ) &
done
wait
sort -n "$WORK"/served-* > "$WORK/served"
p50=$(awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}' "$WORK/served")
max=$(tail -1 "$WORK/served")

echo "k8s bench: waiting for every revision to scale to zero"
for _ in $(seq 120); do
  pods=$($K get pods -n "$NS" --no-headers 2>/dev/null | wc -l)
  [ "$pods" -eq 0 ] && break
  sleep 2
done
sleep 15
echo "k8s bench: at rest with $SERVICES services (60 s)"
with_sluice=$(requests_at_rest)

echo "k8s bench: operator failover"
leader=$($K get lease sluice-operator -n sluice-system -o jsonpath='{.spec.holderIdentity}')
ip=$(alias_ip s1)
start=$(date +%s.%N)
$K delete pod "$leader" -n sluice-system --wait=false >/dev/null
( code=$(answer s1 "$ip"); awk -v s="$start" -v e="$(date +%s.%N)" -v c="$code" 'BEGIN {printf "%s %.1f\n", c, e - s}' > "$WORK/woke" ) &
while [ "$($K get lease sluice-operator -n sluice-system -o jsonpath='{.spec.holderIdentity}')" = "$leader" ]; do
  sleep 0.5
done
took_over=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
wait
read -r woke_status woke_after < "$WORK/woke"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ); $SERVICES services at minReplicas 0, 3 routers, 2 operators"
  echo "apply -> first answer through {isvc}-predictor: p50 ${p50} s, max ${max} s (all: $(tr '\n' ' ' < "$WORK/served"))"
  echo "API-server requests/s at rest (watches left out): ${baseline} without Sluice, ${with_sluice} with it"
  echo "operator failover: the other operator led after ${took_over} s; a request sent at the deletion to a service at zero pods: HTTP ${woke_status} after ${woke_after} s"
} | tee -a "$RESULTS"
