#!/usr/bin/env bash
# Installs everything inferd needs to build, serve and test, from Debian's apt only.
# Idempotent: packages already present are skipped by apt. Run as root (or with sudo available).
set -euo pipefail

PKGS=(
  # build
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  # C++ libraries
  libboost-dev libboost-system-dev libsimdjson-dev libfmt-dev libcli11-dev libyaml-cpp-dev
  zlib1g-dev libbz2-dev liblzma-dev liblz4-dev
  # gRPC (without TLS): inferd's own transport on libnghttp2; protoc generates the messages for
  # protobuf's lite runtime
  libnghttp2-dev libprotobuf-dev protobuf-compiler
  # unit tests and micro-benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # fuzzing (libFuzzer) and sanitizers
  clang-14 libclang-rt-14-dev
  # formatting and static checks (scripts/lint.sh, tests/architecture/test_format.py)
  clang-format clang-tidy
  # tests: Debian's Python stack (no PyPI), parity against real scikit-learn
  python3 python3-sklearn python3-numpy python3-pandas python3-joblib python3-pytest python3-requests python3-yaml
  shellcheck
  # XGBoost: the Python package is the parity tests' oracle only (inferd reads and evaluates
  # XGBoost models itself)
  python3-xgboost
  # gRPC integration tests (a real client, stubs generated from src/grpc/proto)
  python3-grpcio python3-grpc-tools
  # metrics validation and load tools
  prometheus wrk
  # OpenAPI response validation; the GET / page tested in headless Chromium
  python3-jsonschema chromium
)

# shellcheck source=lib/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_install_missing setup "${PKGS[@]}"
echo "setup: all packages present" >&2
