#!/usr/bin/env bash
# Installs the policy engines' CRDs on a test cluster, so `kubescribe apply/validate --live/diff`
# have the kinds to work with: KubeArmor (4), Tetragon (TracingPolicy, TracingPolicyNamespaced),
# Cilium (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy), from the corpus's upstream copies.
# NetworkPolicy needs nothing. Calico's projectcalico.org/v3 kinds are served by Calico's own API
# server, not by CRDs, so they are not installed here.
#
# The engines' agents are not installed (nothing runs pods on scripts/cluster/start.sh's cluster):
# `kubescribe cluster` then says "installed, NOT running" for them.
#
# Usage: scripts/cluster/install-crds.sh [KUBECONFIG]
# Env:   KUBESCRIBE_CORPUS (default ../shared/corpus), KUBECTL (default kubectl)
#
# Two edits kube-apiserver < 1.25 needs, made on a copy (the corpus stays as it is):
#  - Tetragon's CRDs carry `default: ""` on string fields, which 1.20 refuses: those lines are
#    dropped (the defaults are empty strings, so nothing changes for policies);
#  - CRDs with CEL rules (x-kubernetes-validations) are refused under server-side apply, so the
#    CRDs are created with a plain `kubectl create --validate=false` (an existing one is left alone). Such a server
#    stores them without the rules; `kubescribe validate --live` then evaluates the rules of the
#    upstream CRD it bundles and says so.
set -euo pipefail
cd "$(dirname "$0")/../.."
KC=${1:-${KUBECONFIG:-$HOME/.kube/config}}
CORPUS=${KUBESCRIBE_CORPUS:-../shared/corpus}
KUBECTL=${KUBECTL:-kubectl}
command -v "$KUBECTL" >/dev/null || { echo "no kubectl (set KUBECTL)" >&2; exit 1; }
[ -d "$CORPUS/crds" ] || { echo "no corpus at $CORPUS (set KUBESCRIBE_CORPUS)" >&2; exit 1; }
CRDS=(
  crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorPolicy.yaml
  crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorHostPolicy.yaml
  crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorClusterPolicy.yaml
  crds/kubearmor/kubearmor-KubeArmor/deployments/CRD/KubeArmorNetworkPolicy.yaml
  crds/tetragon/cilium-tetragon/pkg/k8s/apis/cilium.io/client/crds/v1alpha1/cilium.io_tracingpolicies.yaml
  crds/tetragon/cilium-tetragon/pkg/k8s/apis/cilium.io/client/crds/v1alpha1/cilium.io_tracingpoliciesnamespaced.yaml
  crds/cilium/metio-kube-custom-resources-rs/crd-catalog/cilium/cilium/cilium.io/v2/ciliumnetworkpolicies.yaml
  crds/cilium/metio-kube-custom-resources-rs/crd-catalog/cilium/cilium/cilium.io/v2/ciliumclusterwidenetworkpolicies.yaml
)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
for rel in "${CRDS[@]}"; do
  out="$TMP/$(basename "$rel")"
  # the only edit: `default: ""` lines (Tetragon) dropped
  grep -v -E '^[[:space:]]*default: ""[[:space:]]*$' "$CORPUS/$rel" > "$out"
  # --validate=false: kubectl checks against the server's own OpenAPI, which before 1.25 lacks
  # x-kubernetes-validations
  if "$KUBECTL" --kubeconfig "$KC" create --validate=false -f "$out" >/dev/null 2>"$TMP/err"; then
    echo "created: $(basename "$rel")"
  elif grep -q AlreadyExists "$TMP/err"; then
    echo "present: $(basename "$rel")"
  else
    cat "$TMP/err" >&2; exit 1
  fi
  "$KUBECTL" --kubeconfig "$KC" wait --for condition=established --timeout=60s -f "$out" >/dev/null
done
echo "established: ${#CRDS[@]} CRDs"
