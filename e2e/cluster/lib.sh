# Shared settings of the local control plane scripts; sourced, not run.
cluster_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$cluster_dir/versions.env"

# Binaries are cached by version outside the repo so that every clone and every
# run shares one build.
PORTICO_CACHE="${PORTICO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portico}"
PORTICO_CLUSTER="${PORTICO_CLUSTER:-portico}"
kubernetes_bin="$PORTICO_CACHE/bin/kubernetes-$KUBERNETES_VERSION"
etcd_bin="$PORTICO_CACHE/bin/etcd-$ETCD_VERSION"
kwok_bin="$PORTICO_CACHE/bin/kwok-$KWOK_VERSION"
# kwokctl keeps each cluster's state (pids, certificates, logs) under its workdir.
export KWOK_WORKDIR="$PORTICO_CACHE/kwok"
kubeconfig="$PORTICO_CACHE/clusters/$PORTICO_CLUSTER/kubeconfig"

log() { printf '[cluster] %s\n' "$*" >&2; }
