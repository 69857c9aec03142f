#!/usr/bin/env bash
# Builds the Go reference of the KIngress probe hash (main.go) once into the version-keyed
# cache and prints the binary's path. The key also covers this module's own files, so an edit
# of main.go or go.mod builds anew instead of running a stale binary.
set -euo pipefail
hashref_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$hashref_dir/../../cluster/lib.sh"
source "$hashref_dir/../versions.env"

# go.mod must require the version the CRD and the goldens are said to come from.
grep -q "knative.dev/networking $KNATIVE_NETWORKING_VERSION\$" "$hashref_dir/go.mod" || {
  log "e2e/knative/hashref/go.mod does not require knative.dev/networking $KNATIVE_NETWORKING_VERSION (versions.env)"; exit 1; }

sources="$(cd "$hashref_dir" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-12)"
build_go_tool "$hashref_dir" knative-hashref "$KNATIVE_NETWORKING_VERSION-$sources" .
