#!/usr/bin/env bash
# Installs the Debian packages only the benchmark suite needs (bench/run); the default test
# command does not need them (bench/test_bench_smoke.py skips when they are missing).
#   nginx          the "HTTP limit" server (a constant JSON answer; the service is never enabled,
#                  bench/run starts its own instance from bench/nginx/nginx.conf on loopback)
#   gunicorn, python3-flask   the reference app (bench/reference/app.py) as the tutorial runs it
#   python3-pandas the DataFrame model (titanic) and its reference app (app_dataframe.py)
#   wrk, hey       closed-loop (wrk) and fixed-rate (hey -q) load generators
#   python3-grpcio, python3-grpc-tools   the gRPC stubs and the one real call that checks the
#                  answer before inferd_grpc_load (built with inferd) times it (bench/benchlib/grpcbench.py)
#   python3-matplotlib        the PNG plots in bench/results/
#   linux-perf     profiling when inferd misses a target
#   valgrind       instructions per model load (bench/load_instructions.sh)
# Idempotent; apt only (no PyPI). Run as root or with sudo.
set -euo pipefail

PKGS=(nginx gunicorn python3-flask wrk hey python3-grpcio python3-grpc-tools python3-matplotlib
      linux-perf valgrind
      python3-sklearn python3-numpy python3-pandas python3-joblib python3-pytest libbenchmark-dev)

# shellcheck source=../scripts/lib/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/apt.sh"
apt_install_missing bench/setup "${PKGS[@]}"
# Debian's nginx package may start a system instance on port 80 when the init system allows it.
# The benchmark never uses it; it only runs its own instance. Leave a running system nginx alone.
echo "bench/setup: all packages present" >&2
