#!/usr/bin/env bash
# Builds the local control plane's binaries into the version-keyed cache, once.
# kube-apiserver, kube-controller-manager, kube-scheduler and kubectl come from
# k8s.io/kubernetes, etcd from go.etcd.io/etcd/server/v3, kwok and kwokctl from
# sigs.k8s.io/kwok; all through the Go module proxy.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
mkdir -p "$PORTICO_CACHE/bin"
# One build at a time: parallel test runs would otherwise race on the cache.
exec 9>"$PORTICO_CACHE/bin/.build.lock"
flock 9

build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

build_kubernetes() {
  local out="$kubernetes_bin"
  [[ -x "$out/kube-apiserver" && -x "$out/kube-controller-manager" && -x "$out/kube-scheduler" && -x "$out/kubectl" ]] && return
  log "building Kubernetes $KUBERNETES_VERSION (cold: tens of minutes on 2 cores)"
  local v="${KUBERNETES_VERSION#v}" major minor
  major="${v%%.*}"; minor="${v#*.}"; minor="${minor%%.*}"
  local ldflags="" pkg
  # kwokctl and kubectl read these to learn the component versions.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  done
  local tmp="$out.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  (cd "$cluster_dir/kubernetes" && go build -trimpath -ldflags "-s -w$ldflags" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  rm -rf "$out" && mv "$tmp" "$out"
}

build_etcd() {
  local out="$etcd_bin"
  [[ -x "$out/etcd" ]] && return
  log "building etcd $ETCD_VERSION"
  local tmp="$out.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  (cd "$cluster_dir/etcd" && go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
  rm -rf "$out" && mv "$tmp" "$out"
}

build_kwok() {
  local out="$kwok_bin"
  [[ -x "$out/kwok" && -x "$out/kwokctl" ]] && return
  log "building kwok $KWOK_VERSION"
  local tmp="$out.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  GOBIN="$tmp" go install -trimpath -ldflags "-s -w" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
  rm -rf "$out" && mv "$tmp" "$out"
}

build_etcd
build_kwok
build_kubernetes
log "binaries ready in $PORTICO_CACHE/bin"
