#!/usr/bin/env bash
# Prints the path of echo-basic (the Gateway API conformance echo backend,
# sigs.k8s.io/gateway-api/conformance/echo-basic), building it first, once, through the Go module
# proxy from the wrapper module here into the version-keyed cache
# ($PORTICO_CACHE/bin/echo-basic-$GATEWAY_API_VERSION/echo-basic). It takes no flags, only
# environment: HTTP on HTTP_PORT (3000), h2c on H2C_PORT (3001), HTTPS on HTTPS_PORT (8443) when
# TLS_SERVER_CERT and TLS_SERVER_PRIVKEY name PEM files; it listens on every address.
set -euo pipefail
image_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../../cluster/lib.sh
source "$image_dir/../../../cluster/lib.sh"
# shellcheck source=versions.env
source "$image_dir/versions.env"
if ! grep -q "^[[:space:]]*sigs.k8s.io/gateway-api/conformance $GATEWAY_API_VERSION\b" "$image_dir/go.mod"; then
  log "echo-basic: go.mod does not pin sigs.k8s.io/gateway-api/conformance $GATEWAY_API_VERSION (versions.env)"
  exit 1
fi
build_go_tool "$image_dir" echo-basic "$GATEWAY_API_VERSION" sigs.k8s.io/gateway-api/conformance/echo-basic
