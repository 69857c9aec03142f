#!/usr/bin/env bash
# Prints the path of one YAML file holding every CRD of the Gateway API's experimental channel (a
# superset of the standard one) and its safe-upgrades admission policy, from the root module
# sigs.k8s.io/gateway-api at GATEWAY_API_VERSION (versions.env; its config/crd/experimental/).
# The module comes through the Go module proxy (checked against the checksum database); the file
# is written once into the version-keyed cache, so later runs need no Go at all.
#   kubectl apply --server-side -f "$(e2e/gateway-api/crds.sh)"
set -euo pipefail
gateway_api_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../cluster/lib.sh
source "$gateway_api_dir/../cluster/lib.sh"
# shellcheck source=versions.env
source "$gateway_api_dir/versions.env"

out="$PORTICO_CACHE/gateway-api/$GATEWAY_API_VERSION/experimental-crds.yaml"
if [[ -s "$out" ]]; then
  printf '%s\n' "$out"
  exit 0
fi

log "gateway-api: downloading sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION"
# Outside any module, so that no go.mod nearby changes what is resolved.
info="$(cd / && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")" || {
  printf '%s\n' "$info" >&2; log "gateway-api: go mod download failed"; exit 1; }
module_dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")"
shopt -s nullglob
sources=("$module_dir"/config/crd/experimental/gateway.networking*.yaml)
(( ${#sources[@]} )) || { log "gateway-api: no CRDs in $module_dir/config/crd/experimental"; exit 1; }

mkdir -p "$(dirname "$out")"
tmp="$(mktemp "$out.XXXXXX")"
for file in "${sources[@]}"; do
  # Every file is one or more documents; keep them apart.
  printf -- '---\n' >>"$tmp"
  cat "$file" >>"$tmp"
done
grep -q 'name: httproutes.gateway.networking.k8s.io' "$tmp" || { rm -f "$tmp"; log "gateway-api: the CRDs lack HTTPRoute"; exit 1; }
chmod 644 "$tmp" && mv "$tmp" "$out"
printf '%s\n' "$out"
