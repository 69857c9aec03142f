#!/usr/bin/env bash
# Starts one container of a pod the test bed runs, already inside the pod's network namespace and
# in new mount and UTS namespaces of its own (container.ts starts it through nsenter and unshare):
# the container's root is an overlay over the machine's own root (its writes land in the pod's
# directory, never on the machine), the image's files and the pod's volumes are bind-mounted at
# their paths, and the command runs as the container's user with the container's environment.
#   container-launch.sh STATE_DIR HOSTNAME UID GID WORKDIR MOUNTS_FILE -- COMMAND [ARG]...
# MOUNTS_FILE: one mount a line, "SOURCE<TAB>TARGET<TAB>ro|rw".
set -euo pipefail
state="$1" hostname="$2" uid="$3" gid="$4" workdir="$5" mounts="$6"
shift 6
[[ "$1" == "--" ]] && shift

root="$state/root"
mkdir -p "$state/upper" "$state/work" "$root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$state/upper,workdir=$state/work" "$root"
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
# The machine's /tmp and /run are its own, not the container's.
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mount -t tmpfs -o mode=755 tmpfs "$root/run"
# Mounts come parent first (container.ts sorts them), and all are read-write until every one is
# made: a mount point inside a read-only volume is made before that volume turns read-only.
read_only=()
while IFS=$'\t' read -r source target mode; do
  [[ -z "$source" ]] && continue
  # The path as the container sees it: a link on the way (/var/run -> /run) resolves inside its root.
  target="$(chroot "$root" /usr/bin/realpath -m "$target")"
  if [[ -d "$source" ]]; then
    mkdir -p "$root$target"
  else
    mkdir -p "$(dirname "$root$target")"
    [[ -e "$root$target" ]] || : >"$root$target"
  fi
  mount --bind "$source" "$root$target"
  [[ "$mode" == "ro" ]] && read_only+=("$root$target")
done <"$mounts"
for target in "${read_only[@]}"; do mount -o remount,bind,ro "$target"; done
hostname "$hostname"
exec chroot --userspec="$uid:$gid" "$root" /usr/bin/env -C "$workdir" -- "$@"
