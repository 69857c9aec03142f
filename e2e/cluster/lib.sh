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

# The test bed's daemon (e2e/testbed/main.ts): pod runtime and load balancer. Its pods' files
# live under /run (every user can reach them, as pods of any uid must) and their logs under /var/log.
repo_dir="$(cd "$cluster_dir/../.." && pwd)"
testbed_log="$KWOK_WORKDIR/clusters/$PORTICO_CLUSTER/logs/testbed.log"
testbed_pid="$KWOK_WORKDIR/clusters/$PORTICO_CLUSTER/testbed.pid"
testbed_state="/run/portico-testbed/$PORTICO_CLUSTER"
testbed_logs="/var/log/portico-testbed/$PORTICO_CLUSTER"

log() { printf '[cluster] %s\n' "$*" >&2; }

testbed_running() {
  [[ -f "$testbed_pid" ]] && kill -0 "$(cat "$testbed_pid")" 2>/dev/null
}

# stop_testbed: SIGTERM to the daemon, which stops every pod it runs; SIGKILL after 60 s.
stop_testbed() {
  # Every daemon of this cluster, also one whose pid file a concurrent start overwrote: two
  # daemons would both run each pod.
  local pids; pids="$( (cat "$testbed_pid" 2>/dev/null; pgrep -f -- "e2e/testbed/main.ts .*--state-dir $testbed_state " || true) | sort -u)"
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $pids; do
    for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$testbed_pid"
}

# start_testbed: starts the daemon in the background and waits for its "testbed ready" line.
start_testbed() {
  local node="$repo_dir/node_modules/.bin/node"
  [[ -x "$node" ]] || { log "the test bed runs on the project's Node ($node): run npm ci first"; return 1; }
  [[ $EUID -eq 0 ]] || { log "the test bed needs root: each pod gets a network namespace of its own"; return 1; }
  mkdir -p "$(dirname "$testbed_log")"
  stop_testbed
  : >"$testbed_log"
  setsid "$node" "$repo_dir/e2e/testbed/main.ts" --kubeconfig "$kubeconfig" --state-dir "$testbed_state" --log-dir "$testbed_logs" \
    >>"$testbed_log" 2>&1 </dev/null &
  echo $! >"$testbed_pid"
  for _ in $(seq 1 1200); do
    grep -q '^testbed ready$' "$testbed_log" && return 0
    testbed_running || break
    sleep 0.1
  done
  tail -n 30 "$testbed_log" >&2
  log "the test bed's daemon did not start (log above, all of it in $testbed_log)"
  return 1
}

# build_go_tool MODULE_DIR NAME KEY PACKAGE: prints the path of tool NAME built from PACKAGE in the
# wrapper Go module at MODULE_DIR, building it into $PORTICO_CACHE/bin/NAME-KEY if missing.
# A wrapper module with a committed go.sum (-mod=readonly) rather than `go install PACKAGE@VERSION`:
# that also reads the module's version list for deprecations, which the proxy may refuse (it does
# for operator-framework/api).
build_go_tool() {
  cached_go_build "$1" "$2" "$3" build "$4"
}

# build_go_test MODULE_DIR NAME KEY: the same for the tests of the wrapper module's own package,
# as one test binary (`go test -c`), for a suite that is a Go test.
build_go_test() {
  cached_go_build "$1" "$2" "$3" test -c .
}

# cached_go_build MODULE_DIR NAME KEY VERB ARGS...: `go VERB ... -o NAME ARGS...` in MODULE_DIR,
# into $PORTICO_CACHE/bin/NAME-KEY, once; prints the path.
cached_go_build() {
  local module_dir="$1" name="$2" key="$3" verb="$4"
  shift 4
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
          go "$verb" -trimpath -ldflags "-s -w" -o "$tmp/$name" "$@") >&2
        rm -rf "$out" && mv "$tmp" "$out"
      fi
    )
  fi
  printf '%s\n' "$out/$name"
}
