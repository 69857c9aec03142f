#!/usr/bin/env bash
# Prints the path of operator-verify (github.com/operator-framework/api/cmd/operator-verify, the
# OLM bundle validators), building it first, once, through the Go module proxy from the wrapper
# module operator-verify/ into the version-keyed cache (about a minute). It logs errors and
# still exits 0, so a caller checks its output for error lines:
#   "$(bash e2e/olm/operator-verify.sh)" manifests --operatorhub_validate --object_validate bundle/
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_go_tool "$olm_dir/operator-verify" operator-verify "$OPERATOR_FRAMEWORK_API_VERSION" github.com/operator-framework/api/cmd/operator-verify
