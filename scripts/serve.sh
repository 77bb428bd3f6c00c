#!/usr/bin/env bash
# One command from a fresh machine to a running server: installs what is needed (Debian
# packages), builds inferd, and serves the bundled iris model (named "iris") on
# http://127.0.0.1:8080, and over gRPC on 127.0.0.1:8081.
# Try it:  curl -s -X POST 127.0.0.1:8080/predict -d '{"features": [5.1, 3.5, 1.4, 0.2]}'
# Override with env: INFERD_MODEL=path/to/model.pkl INFERD_PORT=9000 ./scripts/serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
if [[ -z "${INFERD_MODEL:-}" ]]; then
  export INFERD_MODEL=examples/iris/model.pkl INFERD_MODEL_NAME="${INFERD_MODEL_NAME:-iris}"
fi
export INFERD_HOST="${INFERD_HOST:-127.0.0.1}"
export INFERD_PORT="${INFERD_PORT:-8080}"
exec "${INFERD_BUILD_DIR:-build}/bin/inferd" serve "$@"
