#!/usr/bin/env bash
# Writes the kustomization that deploys one release: manifests/overlays/<overlay> with every AiFactory image taken
# from <registry> at <version>. What the release workflow applies (staging: cpu, production: gpu, rollback: the
# previous version), and what you apply by hand:
#
#   kubectl apply -k "$(scripts/release-overlay.sh cpu ghcr.io/acme 1.2.3 "$(mktemp -d)")"
#
# Usage: scripts/release-overlay.sh <cpu|gpu> <registry> <version> <output folder>
# Prints the output folder. The overlays stay registry-free; only this generated file names the registry.
# kubectl has no `kustomize edit set image`, and kustomize refuses absolute resource paths: so the file is a new
# kustomization on top of the overlay, which it names by its path relative to the output folder.
set -euo pipefail

usage() { echo "usage: $0 <cpu|gpu> <registry, e.g. ghcr.io/acme> <version, e.g. 1.2.3> <output folder>" >&2; exit 2; }
[ $# -eq 4 ] || usage
overlay="$1" registry="$2" version="$3" output="$4"

# Which inference image each overlay runs (AiFactory.Inference.csproj, InferenceVariant).
case "$overlay" in
  cpu) variant=cpu ;;
  gpu) variant=cuda ;;
  *) echo "release-overlay: the overlay must be cpu or gpu, not '$overlay'" >&2; exit 2 ;;
esac

# Both values end up in YAML: only a registry path and a SemVer version are accepted, nothing that could add a key.
if ! [[ "$registry" =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$ ]]; then
  echo "release-overlay: '$registry' is not a registry path (lowercase host[:port][/namespace...])" >&2
  exit 2
fi
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "release-overlay: '$version' is not a release version (SemVer: 1.2.3 or 1.2.3-rc.1)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$output"
output="$(cd "$output" && pwd)"
base="$(realpath --relative-to="$output" "$root/manifests/overlays/$overlay")"

cat >"$output/kustomization.yaml" <<EOF
# Written by scripts/release-overlay.sh $overlay $registry $version
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- $base
images:
- name: aifactory/inference
  newName: $registry/aifactory/inference
  newTag: $version-$variant
- name: aifactory/gateway
  newName: $registry/aifactory/gateway
  newTag: $version
- name: aifactory/dashboard
  newName: $registry/aifactory/dashboard
  newTag: $version
EOF
echo "$output"
