#!/usr/bin/env bash
# Prepares this machine to build and run the inferd image without Docker or a registry:
#   1. installs buildah, podman, runc and debootstrap from Debian's apt;
#   2. writes a storage.conf / containers.conf of our own (nothing under /etc is edited) and an
#      env.sh that points buildah/podman at them;
#   3. builds the local base image docker.io/library/debian:bookworm-slim with debootstrap when
#      it is missing (the Dockerfile's build stage is FROM it and `buildah bud --pull=never`).
# Idempotent: a second run only checks. The base image is imported only when missing (or made
# without copyright files), because a re-import changes its ID and throws away the layer cache of
# every build on top of it.
#
# The store lives outside the work tree (default /var/tmp/inferd-containers, override with
# INFERD_CONTAINERS_DIR) so a fresh clone (CI) reuses the base image and the build cache.
# Usage: scripts/container-tools.sh            then: . "$INFERD_CONTAINERS_DIR/env.sh"
set -euo pipefail

CDIR="${INFERD_CONTAINERS_DIR:-/var/tmp/inferd-containers}"
BASE_IMAGE="docker.io/library/debian:bookworm-slim"
PKGS=(buildah podman runc debootstrap)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { echo "container-tools: $*" >&2; }

# shellcheck source=lib/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_install_missing container-tools "${PKGS[@]}"

mkdir -p "$CDIR/storage" "$CDIR/run"
# overlay: vfs also works but is 2-20x slower and 4x bigger on disk.
cat > "$CDIR/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$CDIR/storage"
runroot = "$CDIR/run"
CONF
# runc, not crun: crun fails on this machine's hybrid cgroups. The explicit ulimits avoid
# "setrlimit ... not permitted" when podman would otherwise raise them past the hard limit.
cat > "$CDIR/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
CONF
cat > "$CDIR/env.sh" <<CONF
export CONTAINERS_STORAGE_CONF="$CDIR/storage.conf"
export CONTAINERS_CONF="$CDIR/containers.conf"
CONF
# shellcheck source=/dev/null
. "$CDIR/env.sh"

# has_copyrights: the base keeps each package's /usr/share/doc/<package>/copyright, which the
# image build copies into its package records; a base trimmed of them is made again. Checked
# where the image can be mounted (root); assumed elsewhere.
has_copyrights() {
  [ "$(id -u)" -eq 0 ] || return 0
  local mnt ok=1
  mnt="$(podman image mount "$BASE_IMAGE")"
  [ -f "$mnt/usr/share/doc/libc6/copyright" ] && ok=0
  podman image unmount "$BASE_IMAGE" >/dev/null
  return "$ok"
}

if podman image exists "$BASE_IMAGE" && has_copyrights; then
  log "$BASE_IMAGE present"
else
  # The mirror comes from this machine's apt configuration; it is never written into the repo.
  sources=/etc/apt/sources.list.d/debian.sources
  mirror="$(awk '/^URIs:/{print $2; exit}' "$sources")"
  rootfs="$(mktemp -d "$CDIR/rootfs.XXXXXX")"
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap bookworm (minbase) from the configured mirror (~45 s)"
  $SUDO debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
         "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/info/*
  # Like the official slim image: documentation goes, each package's copyright file stays (the
  # image's package records copy it; scanners and license tools read it).
  find "$rootfs/usr/share/doc" -type f ! -name copyright -delete
  cp "$sources" "$rootfs/etc/apt/sources.list.d/debian.sources"
  rm -f "$rootfs/etc/apt/sources.list"
  # The tar goes on stdin: a process substitution gave an empty image.
  tar --numeric-owner -C "$rootfs" -c . | podman import --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
  log "imported $BASE_IMAGE"
fi
log "ready: . $CDIR/env.sh"
