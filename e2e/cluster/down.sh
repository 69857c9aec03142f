#!/usr/bin/env bash
# Stops the test bed's daemon (and with it every pod it runs), then the local control plane,
# and removes their state; the built binaries stay cached.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export PATH="$kubernetes_bin:$kwok_bin:$PATH"
stop_testbed
if [[ -x "$kwok_bin/kwokctl" ]]; then
  output="$(kwokctl --name "$PORTICO_CLUSTER" delete cluster 2>&1)" || printf '%s\n' "$output" >&2
fi
rm -f "$kubeconfig"
log "cluster '$PORTICO_CLUSTER' stopped"
