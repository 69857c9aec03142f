#!/usr/bin/env bash
# Runs test layers with coverage: unit, integration (local control plane), e2e (control
# plane + operator + real Envoy), conformance (the Gateway API's own suite). Sets up what they need first: the pinned Envoy in .venv
# and the control plane's binaries (built once, cached). A cluster this script starts, it
# stops (PORTICO_KEEP_CLUSTER=1 keeps it). The last line is "N passed, N failed".
#   e2e/test.sh [unit|integration|e2e|conformance|k3d|all]...   (default: all)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

layers=("$@")
[[ ${#layers[@]} -eq 0 ]] && layers=(all)
specs=()
needs_cluster=0
for layer in "${layers[@]}"; do
  case "$layer" in
    unit) specs+=('operator/**/*.test.ts' 'xds/**/*.test.ts' 'bench/**/*.test.ts' 'e2e/testbed/**/*.test.ts') ;;
    integration) specs+=('e2e/integration/**/*.test.ts'); needs_cluster=1 ;;
    e2e) specs+=('e2e/local/**/*.test.ts'); needs_cluster=1 ;;
    # The Gateway API's own conformance suite, built from the Go module proxy (e2e/gateway-api/).
    conformance) specs+=('e2e/conformance/**/*.test.ts'); needs_cluster=1 ;;
    # Its own cluster (k3d, in Docker); skipped with the reason on a host without a Docker engine.
    k3d) specs+=('e2e/k3d/**/*.test.ts') ;;
    # The RBAC check goes last: it reads what the operator did during every suite before it.
    all) specs+=('operator/**/*.test.ts' 'xds/**/*.test.ts' 'bench/**/*.test.ts' 'e2e/testbed/**/*.test.ts' 'e2e/integration/**/*.test.ts' 'e2e/local/**/*.test.ts' 'e2e/conformance/**/*.test.ts' 'e2e/k3d/**/*.test.ts' 'e2e/rbac/**/*.test.ts'); needs_cluster=1 ;;
    *) echo "unknown test layer '$layer': expected unit, integration, e2e, conformance, k3d or all" >&2; exit 2 ;;
  esac
done

started_cluster=0
stop_cluster() {
  if [[ $started_cluster == 1 && -z "${PORTICO_KEEP_CLUSTER:-}" ]]; then
    bash e2e/cluster/down.sh
    started_cluster=0
  fi
}
trap stop_cluster EXIT

if [[ $needs_cluster == 1 ]]; then
  bash e2e/envoy/install.sh >/dev/null
  if ! bash e2e/cluster/up.sh --check >/dev/null; then
    started_cluster=1
    bash e2e/cluster/up.sh >/dev/null
  fi
fi

# The summary line also goes to PORTICO_TEST_SUMMARY when the caller names a file (.ci/run does).
summary="${PORTICO_TEST_SUMMARY:-$(mktemp)}"
set +e
PORTICO_TEST_SUMMARY="$summary" c8 --reporter=text-summary --reporter=html --reporter=lcov \
  --all --include 'operator/**' --include 'xds/**' --exclude '**/*.test.ts' mocha "${specs[@]}"
status=$?
set -e
stop_cluster
if [[ -s "$summary" ]]; then
  cat "$summary"
else
  echo "0 passed, 1 failed (mocha did not finish: exit $status)"
  status=1
fi
[[ -n "${PORTICO_TEST_SUMMARY:-}" ]] || rm -f "$summary"
exit "$status"
