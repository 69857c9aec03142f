#!/usr/bin/env bash
# Prints the path of olm-operator (OLM v0's cmd/olm: the controller that turns a
# ClusterServiceVersion into its Deployment and reports the CSV's phase), building it first,
# once, through the Go module proxy from the wrapper module olm/ into the version-keyed cache
# (about 5 minutes on 2 cores). It runs outside the cluster with a kubeconfig (KUBECONFIG) once
# OLM's CRDs (github.com/operator-framework/api's crds/) are applied; it serves health and
# metrics on :8080.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_go_tool "$olm_dir/olm" olm "$OPERATOR_LIFECYCLE_MANAGER_VERSION" github.com/operator-framework/operator-lifecycle-manager/cmd/olm
