#!/usr/bin/env bash
# Stages a dynamically linked binary and the Debian files it needs into a runtime root, and
# records where every staged library came from, the way distroless images do, so that
# vulnerability scanners (Trivy, Grype, Syft) list the packages of a FROM scratch image.
#
# Usage (in the Dockerfile's build stage, a Debian system with the libraries installed):
#   stage-runtime.sh BINARY ROOTFS
#
# Contract, for ROOTFS afterwards:
#   * BINARY is at ROOTFS/usr/local/bin/<name>, unchanged.
#   * Every shared object `ldd BINARY` lists is at the path the dpkg database gives it (so
#     symlinks such as libstdc++.so.6 -> libstdc++.so.6.0.30 are kept as symlinks and the file
#     they name is staged too); a library that no installed package owns fails the script.
#   * So are /etc/os-release and /etc/debian_version (base-files): scanners identify the
#     distribution from them and match the package records against its security data only
#     then; without them the records would be listed but never checked.
#   * For every package that owns a staged file:
#       var/lib/dpkg/status.d/<package>          its status stanza (Package, Version,
#                                                Architecture, Source, Maintainer, ...), from
#                                                dpkg-query; no Status field, as in distroless
#       var/lib/dpkg/status.d/<package>.md5sums  dpkg's checksums of the staged regular files
#                                                (from its md5sums, or its Conffiles for a
#                                                conffile); Trivy and Syft read them to map files
#                                                to packages. A staged file whose content is not
#                                                the package's fails the script.
#       usr/share/doc/<package>/copyright        the package's copyright file (a missing one
#                                                fails the script: licences must be shipped)
#   * A statically linked BINARY stages nothing besides itself.
#   * The staged root runs BINARY --help under chroot: the file set is complete.
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: $0 BINARY ROOTFS" >&2
  exit 2
fi
BINARY="$1"
ROOTFS="$2"
NAME="$(basename "$BINARY")"

log() { echo "stage-runtime: $*" >&2; }

install -D -m 0755 "$BINARY" "$ROOTFS/usr/local/bin/$NAME"

# owner PATH: prints "package:arch" when the dpkg database lists exactly PATH (a path starting
# with / is matched exactly by dpkg-query -S), nothing otherwise. Diversion lines are ignored.
owner() {
  dpkg-query -S "$1" 2>/dev/null | awk -v p="$1" '$NF == p && $1 !~ /^diversion/ { sub(/:$/, "", $1); print $1; exit }'
}

# dpkg_path PATH: the spelling of PATH the dpkg database knows. With merged /usr, ldd may say
# /lib/x86_64-linux-gnu/libstdc++.so.6 while the package ships /usr/lib/x86_64-linux-gnu/...
# (and the other way round for libc6, which bookworm still ships under /lib).
dpkg_path() {
  local p="$1" c
  for c in "$p" "/usr$p" "${p#/usr}"; do
    if [ -n "$(owner "$c")" ]; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

declare -A OWNER=()   # staged path -> package:arch
stage() {
  local p dir target
  if ! p="$(dpkg_path "$1")"; then
    log "no installed package owns $1: cannot record where it came from"
    exit 1
  fi
  [ -n "${OWNER[$p]:-}" ] && return 0
  OWNER[$p]="$(owner "$p")"
  dir="$(dirname "$p")"
  mkdir -p "$ROOTFS$dir"
  cp -P --preserve=mode,timestamps "$p" "$ROOTFS$p"
  if [ -L "$p" ]; then
    target="$(readlink "$p")"
    case "$target" in
      /*) ;;
      *) target="$(realpath -m -s "$dir/$target")" ;;  # lexically: ../usr/lib/os-release
    esac
    stage "$target"
  fi
}

ldd_out="$(ldd "$BINARY" 2>&1 || true)"
if grep -q "not a dynamic executable\|statically linked" <<<"$ldd_out"; then
  log "$NAME is statically linked: no shared libraries to stage"
elif grep -q "not found" <<<"$ldd_out"; then
  log "ldd cannot resolve every library:"
  echo "$ldd_out" >&2
  exit 1
else
  # Lines: "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" and the loader's
  # "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no path and is skipped.
  while read -r lib; do
    stage "$lib"
  done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_out")
fi
stage /etc/os-release
stage /etc/debian_version

declare -A FILES=()   # package:arch -> staged paths, newline-separated
for p in "${!OWNER[@]}"; do
  FILES[${OWNER[$p]}]+="$p"$'\n'
done

status_d="$ROOTFS/var/lib/dpkg/status.d"
mkdir -p "$status_d"
# dpkg-query's field names; empty ones (no Source when it equals Package, say) are dropped below.
# shellcheck disable=SC2016  # ${...} are dpkg-query's fields, not shell expansions
FORMAT='Package: ${Package}\nVersion: ${Version}\nArchitecture: ${Architecture}\nSource: ${Source}\nMaintainer: ${Maintainer}\nInstalled-Size: ${Installed-Size}\nDepends: ${Depends}\nSection: ${Section}\nPriority: ${Priority}\nMulti-Arch: ${Multi-Arch}\nHomepage: ${Homepage}\nDescription: ${Description}\n'
for pkg in "${!FILES[@]}"; do
  name="${pkg%%:*}"
  dpkg-query -W -f="$FORMAT" "$pkg" | grep -v '^[A-Za-z-]*: *$' > "$status_d/$name"

  sums="$(dpkg-query --control-path "$pkg" md5sums)"
  conffiles="$(dpkg-query -W -f='${Conffiles}\n' "$pkg")"
  : > "$status_d/$name.md5sums"
  while read -r p; do
    [ -z "$p" ] || [ -L "$p" ] && continue
    md5="$(awk -v f="${p#/}" '$2 == f { print $1; exit }' "$sums")"
    [ -n "$md5" ] || md5="$(awk -v f="$p" '$1 == f { print $2; exit }' <<<"$conffiles")"
    if [ -z "$md5" ]; then
      log "dpkg has no checksum of $p for $pkg ($sums, Conffiles)"
      exit 1
    fi
    echo "$md5  ${p#/}" >> "$status_d/$name.md5sums"
  done <<<"${FILES[$pkg]}"
  sort -k2 -o "$status_d/$name.md5sums" "$status_d/$name.md5sums"
  if ! (cd "$ROOTFS" && md5sum --quiet -c "$status_d/$name.md5sums" >&2); then
    log "a file staged for $pkg is not the package's file (edited after installation?)"
    exit 1
  fi

  copyright="/usr/share/doc/$name/copyright"
  if [ ! -f "$copyright" ]; then
    log "$copyright is missing (a base image that deleted /usr/share/doc entirely?)"
    exit 1
  fi
  install -D -m 0644 "$copyright" "$ROOTFS$copyright"
  log "recorded $name $(dpkg-query -W -f='${Version}' "$pkg"): $(tr '\n' ' ' <<<"${FILES[$pkg]}")"
done

chroot "$ROOTFS" "/usr/local/bin/$NAME" --help >/dev/null
