#!/usr/bin/env bash
# Prints the path of the Gateway API conformance suite as one test binary, building it first,
# once, through the Go module proxy from the wrapper module conformance/ into the version-keyed
# cache ($PORTICO_CACHE/bin/gateway-api-conformance-$GATEWAY_API_VERSION/gateway-api-conformance).
# The suite is a Go test (sigs.k8s.io/gateway-api/conformance.RunConformance), so the binary is
# `go test -c`; run it with -test.run TestConformance and the suite's own flags.
set -euo pipefail
gateway_api_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module_dir="$(cd "$gateway_api_dir/../../conformance" && pwd)"
# shellcheck source=../cluster/lib.sh
source "$gateway_api_dir/../cluster/lib.sh"
# shellcheck source=versions.env
source "$gateway_api_dir/versions.env"
if ! grep -q "^require sigs.k8s.io/gateway-api/conformance $GATEWAY_API_VERSION\$" "$module_dir/go.mod"; then
  log "conformance: $module_dir/go.mod does not pin sigs.k8s.io/gateway-api/conformance $GATEWAY_API_VERSION (versions.env)"
  exit 1
fi
build_go_test "$module_dir" gateway-api-conformance "$GATEWAY_API_VERSION"
