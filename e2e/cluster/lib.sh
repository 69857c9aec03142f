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
# Where kwokctl has the apiserver write its audit log (policy: audit-policy.yaml).
audit_log="$KWOK_WORKDIR/clusters/$PORTICO_CLUSTER/logs/audit.log"

log() { printf '[cluster] %s\n' "$*" >&2; }

# build_go_tool MODULE_DIR NAME KEY PACKAGE: prints the path of tool NAME built from PACKAGE in the
# wrapper Go module at MODULE_DIR, building it into $PORTICO_CACHE/bin/NAME-KEY if missing.
# A wrapper module with a committed go.sum (-mod=readonly) rather than `go install PACKAGE@VERSION`:
# that also reads the module's version list for deprecations, which the proxy may refuse (it does
# for operator-framework/api).
build_go_tool() {
  local module_dir="$1" name="$2" key="$3" package="$4"
  local out="$PORTICO_CACHE/bin/$name-$key"
  if [[ ! -x "$out/$name" ]]; then
    mkdir -p "$PORTICO_CACHE/bin"
    (
      # One build at a time: parallel runs would otherwise race on the cache.
      exec 9>"$PORTICO_CACHE/bin/.build.lock"
      flock 9
      if [[ ! -x "$out/$name" ]]; then
        log "building $name $key"
        local tmp="$out.tmp"
        rm -rf "$tmp" && mkdir -p "$tmp"
        (cd "$module_dir" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
          go build -trimpath -ldflags "-s -w" -o "$tmp/$name" "$package") >&2
        rm -rf "$out" && mv "$tmp" "$out"
      fi
    )
  fi
  printf '%s\n' "$out/$name"
}
