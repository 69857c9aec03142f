#!/usr/bin/env bash
# Starts the local control plane: etcd, kube-apiserver (RBAC and admission on),
# kube-controller-manager, kube-scheduler and the kwok controller, as processes on
# this machine under kwokctl's binary runtime, plus two fake nodes. Idempotent: a
# running cluster is left as it is. Prints, on stdout, the settings that reach it:
#   eval "$(e2e/cluster/up.sh)"   # sets KUBECONFIG, puts the built kubectl on PATH, and names
#                                 # the apiserver's audit log (PORTICO_AUDIT_LOG)
# With --check, starts nothing: exits 0 (and prints the settings) if the cluster runs, 3 if not.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

print_settings() {
  printf 'export KUBECONFIG=%q\n' "$kubeconfig"
  printf 'export PATH=%q:"$PATH"\n' "$kubernetes_bin"
  printf 'export PORTICO_AUDIT_LOG=%q\n' "$audit_log"
}

running() {
  [[ -f "$kubeconfig" && -x "$kubernetes_bin/kubectl" ]] &&
    "$kubernetes_bin/kubectl" --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1
}

if [[ "${1:-}" == "--check" ]]; then
  running || exit 3
  print_settings
  exit 0
fi

bash "$cluster_dir/build.sh"
# kwokctl calls kubectl from PATH; it must be the one built with the apiserver.
export PATH="$kubernetes_bin:$kwok_bin:$PATH"

if running; then
  log "cluster '$PORTICO_CLUSTER' is already running"
  print_settings
  exit 0
fi

# A cluster left behind by an earlier run (its processes gone) is replaced by a new one:
# every run starts from an empty etcd.
kwokctl --name "$PORTICO_CLUSTER" delete cluster >/dev/null 2>&1 || true
mkdir -p "$(dirname "$kubeconfig")"
rm -f "$kubeconfig"

create_log="$(dirname "$kubeconfig")/create.log"
log "starting cluster '$PORTICO_CLUSTER' (Kubernetes $KUBERNETES_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
kwokctl --name "$PORTICO_CLUSTER" create cluster \
  --runtime binary \
  --kube-apiserver-binary "$kubernetes_bin/kube-apiserver" \
  --kube-controller-manager-binary "$kubernetes_bin/kube-controller-manager" \
  --kube-scheduler-binary "$kubernetes_bin/kube-scheduler" \
  --etcd-binary "$etcd_bin/etcd" \
  --kwok-controller-binary "$kwok_bin/kwok" \
  --kube-authorization=true \
  --kube-admission=true \
  --kube-audit-policy "$cluster_dir/audit-policy.yaml" \
  --kubeconfig "$kubeconfig" \
  --wait 2m >"$create_log" 2>&1 || { cat "$create_log" >&2; log "kwokctl could not start the cluster (log above)"; exit 1; }

kubectl --kubeconfig "$kubeconfig" apply -f "$cluster_dir/nodes.yaml" >&2
kubectl --kubeconfig "$kubeconfig" wait --for=condition=Ready node --all --timeout=60s >&2
log "cluster '$PORTICO_CLUSTER' is ready; kubeconfig: $kubeconfig"
print_settings
