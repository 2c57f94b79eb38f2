#!/usr/bin/env bash
# Deploys one release to the cluster kubectl points at and waits until it rolled out: the release workflow's
# staging, production and rollback jobs all deploy through this, so a rollback is the same deploy of an older
# version.
#
#   scripts/deploy.sh <cpu|gpu> <registry> <version>      e.g. scripts/deploy.sh gpu ghcr.io/acme 1.2.3
#
# The kustomization comes from scripts/release-overlay.sh (the overlay with the release's images). kubectl uses
# KUBECONFIG, or the kubeconfig's content in KUBECONFIG_DATA (the workflow's environment secret, never a command
# line argument); NAMESPACE, when set, is the namespace to deploy to (else the context's).
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 <cpu|gpu> <registry> <version>" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -n "${KUBECONFIG_DATA:-}" ]; then
  (umask 077 && printf '%s\n' "$KUBECONFIG_DATA" >"$work/kubeconfig")
  export KUBECONFIG="$work/kubeconfig"
fi
namespace=()
[ -z "${NAMESPACE:-}" ] || namespace=(--namespace "$NAMESPACE")

kustomization="$("$root/scripts/release-overlay.sh" "$1" "$2" "$3" "$work/release")"
echo "deploy: $1 overlay, $2 at $3"
kubectl apply "${namespace[@]}" -k "$kustomization"

# Inference becomes ready only once every model loaded and warmed up (the startup probe allows 10 minutes).
for deployment in inference gateway dashboard; do
  kubectl rollout status "${namespace[@]}" "deployment/$deployment" --timeout=15m
done
echo "deploy: $3 rolled out"
