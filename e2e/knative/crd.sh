#!/usr/bin/env bash
# Prints the path of Knative's KIngress CRD (ingresses.networking.internal.knative.dev), taken
# from the knative.dev/networking module pinned in versions.env. The module comes through the
# Go module proxy (checked against the checksum database); the CRD is copied once into the
# version-keyed cache, so later runs need no Go at all.
#   kubectl apply -f "$(e2e/knative/crd.sh)"
set -euo pipefail
knative_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The cluster scripts define where the cache lives; one definition for every cached artifact.
source "$knative_dir/../cluster/lib.sh"
source "$knative_dir/versions.env"
log() { printf '[knative] %s\n' "$*" >&2; }

crd_name=ingresses.networking.internal.knative.dev
out="$PORTICO_CACHE/knative/networking-$KNATIVE_NETWORKING_VERSION/$crd_name.yaml"
if [[ -s "$out" ]]; then
  printf '%s\n' "$out"
  exit 0
fi

log "downloading knative.dev/networking@$KNATIVE_NETWORKING_VERSION"
# Outside any module, so that no go.mod nearby changes what is resolved.
info="$(cd / && GOFLAGS=-mod=mod go mod download -json "knative.dev/networking@$KNATIVE_NETWORKING_VERSION")" || {
  printf '%s\n' "$info" >&2; log "go mod download failed"; exit 1; }
module_dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")"
source_file="$module_dir/config/ingress.yaml"
[[ -f "$source_file" ]] || { log "no config/ingress.yaml in $module_dir"; exit 1; }

# Keep only the document that defines the Ingress CRD, in case the file ever holds several.
mkdir -p "$(dirname "$out")"
tmp="$(mktemp "$out.XXXXXX")"
awk -v name="$crd_name" '
  function flush() { if (doc ~ ("\n  name: " name "\n")) { printf "%s", doc; found++ } doc = "" }
  /^---/ { flush(); next }
  { doc = doc $0 "\n" }
  END { flush(); exit found == 1 ? 0 : 1 }
' "$source_file" >"$tmp" || { rm -f "$tmp"; log "$source_file holds no single $crd_name CRD"; exit 1; }
chmod 644 "$tmp" && mv "$tmp" "$out"
printf '%s\n' "$out"
