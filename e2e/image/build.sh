#!/usr/bin/env bash
# Builds the operator image (the repository's Dockerfile) with buildah, on a machine that
# reaches no container registry: the two base images the Dockerfile takes as build arguments
# are assembled here from files this machine already has, and kept in buildah's storage.
#
#   localhost/portico-base/build:node<version>    stands in for a Node 24 image with npm and a
#       shell (docker.io/library/node:24-bookworm-slim): the Node 24 binary of the npm `node`
#       package (a devDependency), this machine's npm, dash and the few coreutils the build
#       stage runs, with the shared libraries they load.
#   localhost/portico-base/runtime:node<version>  stands in for gcr.io/distroless/nodejs24-debian12:nonroot:
#       the same Node at /nodejs/bin/node, its libraries, CA certificates, a passwd with
#       nonroot (65532); no shell. Entrypoint /nodejs/bin/node, user 65532, as distroless has it.
#
# The build stage's `npm ci` reaches the npm registry as this machine does (host network; the
# build base trusts the CA bundle this machine's npm is told to trust, if any).
#
#   e2e/image/build.sh [--tag NAME] [--probe] [--rebuild-bases] [-- EXTRA BUILDAH BUILD ARGS]
#
# Progress goes to stderr; the last line on stdout is the image id. --probe only checks that
# buildah can create, mount and commit a container here (exit 0) and says why not otherwise.
# BUILDAH_ISOLATION (default chroot) and the storage driver (buildah's default) can be changed
# through buildah's own environment variables.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tag="localhost/portico:dev"
probe=0
rebuild_bases=0
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tag) tag="$2"; shift 2 ;;
    --probe) probe=1; shift ;;
    --rebuild-bases) rebuild_bases=1; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "build.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
export BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"
log() { echo "build.sh: $*" >&2; }

command -v buildah >/dev/null || { echo "buildah is not installed (Debian: apt-get install buildah)" >&2; exit 3; }

if [[ $probe == 1 ]]; then
  # Storage, mount and commit: what assembling the bases needs. RUN steps are tried by the build itself.
  ctr="$(buildah from scratch 2>&1)" || { echo "buildah from scratch failed: $ctr" >&2; exit 4; }
  trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
  mnt="$(buildah mount "$ctr" 2>&1)" || { echo "buildah mount failed: $mnt" >&2; exit 4; }
  out="$(buildah umount "$ctr" 2>&1)" || { echo "buildah umount failed: $out" >&2; exit 4; }
  echo "buildah works here ($(buildah --version), storage driver $(buildah info --format '{{.store.GraphDriverName}}'), isolation $BUILDAH_ISOLATION)"
  exit 0
fi

node_bin="$root/node_modules/node/bin/node"
[[ -x $node_bin ]] || { echo "no Node binary at $node_bin: run npm ci first" >&2; exit 2; }
node_version="$("$node_bin" --version)"
[[ $node_version == v24.* ]] || { echo "$node_bin is Node $node_version, not 24" >&2; exit 2; }
npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
npm_version="$(node -p "require('$npm_dir/package.json').version")"
# A CA bundle this machine's npm is told to trust (a TLS-inspecting proxy's), else the system one.
cafile="$(npm config get cafile 2>/dev/null || true)"
[[ -n $cafile && $cafile != null && -f $cafile ]] || cafile=/etc/ssl/certs/ca-certificates.crt
[[ -f $cafile ]] || cafile=""

# What goes into a base decides whether a cached one is still right; bump base_format when
# assemble() below changes what it puts in.
base_format=1
base_key="$(
  { echo "$base_format $node_version $npm_version"; sha256sum "$node_bin" | cut -d' ' -f1; [[ -z $cafile ]] || sha256sum "$cafile" | cut -d' ' -f1; } | sha256sum | cut -c1-16
)"
build_base="localhost/portico-base/build:node${node_version#v}"
runtime_base="localhost/portico-base/runtime:node${node_version#v}"

# Copies a host file to the same path under $1, dereferenced; /lib* and /bin go under /usr
# (the image is usr-merged, as Debian is).
put() {
  local rootfs="$1" path="$2" target
  case "$path" in
    /usr/*) target="$path" ;;
    *) target="/usr$path" ;;
  esac
  mkdir -p "$rootfs$(dirname "$target")"
  cp -L "$path" "$rootfs$target"
}

# A program and every shared library it loads (from ldd).
put_program() {
  local rootfs="$1" program="$2" destination="$3" lib
  mkdir -p "$rootfs$(dirname "$destination")"
  cp -L "$program" "$rootfs$destination"
  while read -r lib; do
    [[ -e $rootfs$lib ]] || put "$rootfs" "$lib"
  done < <(ldd "$program" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}')
}

skeleton() {
  local rootfs="$1"
  mkdir -p "$rootfs"/{usr/bin,usr/lib,usr/lib64,usr/sbin,etc/ssl/certs,tmp,root,home/nonroot,proc,sys,dev}
  ln -s usr/bin "$rootfs/bin"
  ln -s usr/sbin "$rootfs/sbin"
  ln -s usr/lib "$rootfs/lib"
  ln -s usr/lib64 "$rootfs/lib64"
  chmod 1777 "$rootfs/tmp"
  chmod 700 "$rootfs/root"
  chown 65532:65532 "$rootfs/home/nonroot"
  chmod 700 "$rootfs/home/nonroot"
  cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
nonroot:x:65532:
EOF
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  [[ -z $cafile ]] || cp -L "$cafile" "$rootfs/etc/ssl/certs/ca-certificates.crt"
}

# assemble NAME KIND: a base image from scratch, committed as NAME.
assemble() {
  local name="$1" kind="$2" ctr mnt
  ctr="$(buildah from scratch)"
  mnt="$(buildah mount "$ctr")"
  skeleton "$mnt"
  local common=(--label "dev.portico.base-key=$base_key" --env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    --env "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" --os linux --arch amd64)
  if [[ $kind == runtime ]]; then
    put_program "$mnt" "$node_bin" /nodejs/bin/node
    buildah umount "$ctr" >/dev/null
    buildah config "${common[@]}" --user 65532:65532 --workingdir /home/nonroot \
      --entrypoint '["/nodejs/bin/node"]' "$ctr"
  else
    put_program "$mnt" "$node_bin" /usr/local/bin/node
    mkdir -p "$mnt/usr/local/lib/node_modules"
    cp -R "$npm_dir" "$mnt/usr/local/lib/node_modules/npm"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
    # A shell and what the build stage's RUN lines call; npm runs scripts through sh.
    put_program "$mnt" "$(readlink -f /bin/dash)" /usr/bin/dash
    ln -s dash "$mnt/usr/bin/sh"
    local tool
    for tool in cat cp env find ls mkdir mv rm chmod ln; do
      put_program "$mnt" "$(readlink -f "$(command -v "$tool")")" "/usr/bin/$tool"
    done
    buildah umount "$ctr" >/dev/null
    # npm's HTTPS goes through Node, which reads only its own CA list unless told otherwise.
    buildah config "${common[@]}" --env "NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
      --user 0:0 --workingdir / --cmd '["node"]' "$ctr"
  fi
  buildah commit --quiet --rm "$ctr" "$name" >/dev/null
  log "assembled $name"
}

base_ready() {
  [[ $rebuild_bases == 0 ]] && [[ "$(buildah inspect --type image --format '{{index .OCIv1.Config.Labels "dev.portico.base-key"}}' "$1" 2>/dev/null)" == "$base_key" ]]
}
base_ready "$build_base" || assemble "$build_base" build
base_ready "$runtime_base" || assemble "$runtime_base" runtime

revision="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"
git -C "$root" diff --quiet HEAD 2>/dev/null || revision="$revision-dirty"
version="$(node -p "require('$root/package.json').version")"
# The commit's time, not the clock's: the same tree builds the same image (and reuses its cache).
created="$(TZ=UTC git -C "$root" log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd 2>/dev/null || echo 1970-01-01T00:00:00Z)"
log "building $tag from $build_base and $runtime_base (isolation $BUILDAH_ISOLATION)"
iidfile="$(mktemp)"
trap 'rm -f "$iidfile"' EXIT
build=(buildah build --layers --pull=never --network host
  --build-arg "BUILD_IMAGE=$build_base" --build-arg "RUNTIME_IMAGE=$runtime_base"
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "CREATED=$created"
  --file "$root/Dockerfile" "${extra[@]}")
"${build[@]}" --iidfile "$iidfile" --tag "$tag" "$root" >&2

# Layers of earlier builds are cache no longer reachable from a name: drop them, or every
# source change leaves half a gigabyte behind. The build stage is named first (all from
# cache) so that its layers stay, for the next build to reuse. Only images made from the
# bases above (their label) are touched.
"${build[@]}" --quiet --target build --tag localhost/portico-base/build-stage:cache "$root" >/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  mapfile -t stale < <(buildah images --all --quiet --no-trunc --filter dangling=true --filter label=dev.portico.base-key)
  [[ ${#stale[@]} -gt 0 ]] || break
  buildah rmi "${stale[@]}" >/dev/null 2>&1 || break
done
cat "$iidfile"
echo
