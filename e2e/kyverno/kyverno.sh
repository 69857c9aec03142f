#!/usr/bin/env bash
# Prints the path of the Kyverno CLI (github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno), building
# it first, once, through the Go module proxy from the wrapper module cli/ into the version-keyed
# cache of e2e/cluster/lib.sh (cold: about 6 minutes on two cores, and one more to download its
# modules). The version is the one cli/go.mod requires:
#   "$(bash e2e/kyverno/kyverno.sh)" apply policy.yaml --resource service.yaml
set -euo pipefail
cli_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cli"
# shellcheck source=../cluster/lib.sh
source "$cli_dir/../../cluster/lib.sh"
version="$(sed -n 's#^[[:space:]]*github.com/kyverno/kyverno \(v[^ ]*\).*#\1#p' "$cli_dir/go.mod")"
build_go_tool "$cli_dir" kyverno "$version" github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno
