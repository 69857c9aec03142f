# Shared by the OLM tool scripts; sourced, not run. Builds a Go tool from its wrapper module in
# this folder into the version-keyed cache of e2e/cluster/lib.sh, once, under the same lock as
# the control plane's builds.
olm_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../cluster/lib.sh
source "$olm_dir/../cluster/lib.sh"
# shellcheck source=versions.env
source "$olm_dir/versions.env"

# build_tool MODULE_DIR NAME VERSION PACKAGE: prints the binary's path, building it if missing.
# A wrapper module rather than `go install PACKAGE@VERSION`: that also reads the module's version
# list for deprecations, which the proxy may refuse (it does for operator-framework/api).
build_tool() {
  local module_dir="$1" name="$2" version="$3" package="$4"
  local out="$PORTICO_CACHE/bin/$name-$version"
  if [[ ! -x "$out/$name" ]]; then
    mkdir -p "$PORTICO_CACHE/bin"
    (
      # One build at a time: parallel runs would otherwise race on the cache.
      exec 9>"$PORTICO_CACHE/bin/.build.lock"
      flock 9
      if [[ ! -x "$out/$name" ]]; then
        log "building $name $version"
        local tmp="$out.tmp"
        rm -rf "$tmp" && mkdir -p "$tmp"
        (cd "$olm_dir/$module_dir" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
          go build -trimpath -ldflags "-s -w" -o "$tmp/$name" "$package") >&2
        rm -rf "$out" && mv "$tmp" "$out"
      fi
    )
  fi
  printf '%s\n' "$out/$name"
}
