#!/usr/bin/env bash
# Builds the Go reference of the KIngress probe hash (main.go) once into the version-keyed
# cache and prints the binary's path. The key also covers this module's own files, so an edit
# of main.go or go.mod builds anew instead of running a stale binary.
set -euo pipefail
hashref_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$hashref_dir/../../cluster/lib.sh"
source "$hashref_dir/../versions.env"
log() { printf '[knative] %s\n' "$*" >&2; }

# go.mod must require the version the CRD and the goldens are said to come from.
grep -q "knative.dev/networking $KNATIVE_NETWORKING_VERSION\$" "$hashref_dir/go.mod" || {
  log "e2e/knative/hashref/go.mod does not require knative.dev/networking $KNATIVE_NETWORKING_VERSION (versions.env)"; exit 1; }

sources="$(cd "$hashref_dir" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-12)"
out="$PORTICO_CACHE/bin/knative-hashref-$KNATIVE_NETWORKING_VERSION-$sources"
if [[ ! -x "$out/hashref" ]]; then
  mkdir -p "$PORTICO_CACHE/bin"
  # One build at a time: parallel runs would otherwise race on the same directory.
  exec 9>"$PORTICO_CACHE/bin/.knative-hashref.lock"
  flock 9
  if [[ ! -x "$out/hashref" ]]; then
    log "building the Knative hash reference (knative.dev/networking $KNATIVE_NETWORKING_VERSION)"
    tmp="$out.tmp"
    rm -rf "$tmp" && mkdir -p "$tmp"
    # go.sum is committed: -mod=readonly makes a missing or changed checksum an error.
    (cd "$hashref_dir" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
      go build -trimpath -ldflags "-s -w" -o "$tmp/hashref" .)
    rm -rf "$out" && mv "$tmp" "$out"
  fi
fi
printf '%s\n' "$out/hashref"
