#!/usr/bin/env bash
# Starts the local control plane: etcd, kube-apiserver (RBAC and admission on),
# kube-controller-manager, kube-scheduler and the kwok controller, as processes on
# this machine under kwokctl's binary runtime (settings in kwokctl.yaml), the test bed's
# daemon (e2e/testbed/: the pod runtime and the load balancer), and two nodes. Idempotent: a
# running cluster is left as it is (its daemon restarted if it is gone; one without nodes, left
# by a start cut short, is replaced). Prints the address plan, and on stdout the settings that reach it:
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
    "$kubernetes_bin/kubectl" --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1 &&
    # A start cut off before its nodes were made (the test bed could not start) left a control
    # plane that schedules nothing: that is no running cluster, and is replaced.
    [[ -n "$("$kubernetes_bin/kubectl" --kubeconfig "$kubeconfig" get nodes -o name 2>/dev/null)" ]]
}

if [[ "${1:-}" == "--check" ]]; then
  running || exit 3
  print_settings
  exit 0
fi

bash "$cluster_dir/build.sh"
# kwokctl calls kubectl from PATH; it must be the one built with the apiserver.
export PATH="$kubernetes_bin:$kwok_bin:$PATH"

print_addresses() {
  sed -n 's/^address \(.*\)$/[cluster]   \1/p' "$testbed_log" >&2
}

if running; then
  if ! testbed_running; then
    log "cluster '$PORTICO_CLUSTER' is running without its test bed daemon: starting it"
    start_testbed
  fi
  log "cluster '$PORTICO_CLUSTER' is already running"
  print_settings
  exit 0
fi

# A cluster left behind by an earlier run (its processes gone) is replaced by a new one:
# every run starts from an empty etcd.
stop_testbed
kwokctl --name "$PORTICO_CLUSTER" delete cluster >/dev/null 2>&1 || true
mkdir -p "$(dirname "$kubeconfig")"
rm -f "$kubeconfig"

create_log="$(dirname "$kubeconfig")/create.log"
log "starting cluster '$PORTICO_CLUSTER' (Kubernetes $KUBERNETES_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
kwokctl --name "$PORTICO_CLUSTER" create cluster \
  --runtime binary \
  --config "$cluster_dir/kwokctl.yaml" \
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

# The daemon writes kwok's stages, which the nodes need to become Ready.
start_testbed || exit 1
kubectl --kubeconfig "$kubeconfig" apply -f "$cluster_dir/nodes.yaml" >&2
kubectl --kubeconfig "$kubeconfig" wait --for=condition=Ready node --all --timeout=60s >&2
# kwok makes a node's pod IP pool on first use without a lock: two pods given IPs at once on a
# new node can get the same one. One fake pod per node, one node at a time, makes each pool first.
for node in $(kubectl --kubeconfig "$kubeconfig" get nodes -o name); do
  node="${node#node/}"
  printf '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ip-pool-%s", "namespace": "default"}, "spec": {"nodeName": "%s", "containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10"}]}}' "$node" "$node" |
    kubectl --kubeconfig "$kubeconfig" apply -f - >/dev/null
  kubectl --kubeconfig "$kubeconfig" wait --for=jsonpath='{.status.podIP}' "pod/ip-pool-$node" --timeout=30s >/dev/null
  kubectl --kubeconfig "$kubeconfig" delete pod "ip-pool-$node" --wait=true >/dev/null
done
log "cluster '$PORTICO_CLUSTER' is ready; kubeconfig: $kubeconfig; test bed log: $testbed_log"
log "addresses (nothing else is ever a destination but loopback):"
print_addresses
print_settings
