# shellcheck shell=bash
# Sourced by the setup scripts: apt_install_missing TAG PKG... installs, from Debian's apt only,
# the packages of the list that are not installed yet (one `apt-get update` + one install), and
# is silent about the rest. Idempotent. Uses sudo when not run as root.
apt_install_missing() {
  local tag="$1"
  shift
  local sudo="" p
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "$tag: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}
