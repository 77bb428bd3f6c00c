#!/usr/bin/env bash
# The server's cost per call, gRPC ModelInfer (inferd_grpc_load) beside REST V2 infer, measured
# the ways docs/benchmarks.md ("The server's work per call, counted") quotes. inferd runs with
# --threads 1 on 127.0.0.1:18080 (gRPC 18081); MODELS is a directory holding NAME.pkl, NAME.grpc
# and NAME.v2.json (bench/run writes them under bench/results/raw/models/).
#
#   bench/grpc_call_cost.sh instructions MODELS NAME grpc|rest [--cache]
#       callgrind over inferd's event loops, 20,000 calls at 64 connections (REST: hey -c 64);
#       prints instructions per call (--cache: also simulated L1 instruction / data read misses)
#   bench/grpc_call_cost.sh cpu MODELS NAME [ROUNDS]
#       inferd's user and system CPU per call (/proc/PID/stat), REST V2 under wrk -c64 then gRPC
#       64x1, 3 s each, per round
#   bench/grpc_call_cost.sh wakeups MODELS NAME
#       sched_wakeup per call, machine-wide (perf stat -a), gRPC 64x1 then REST V2 under wrk -c64
#   bench/grpc_call_cost.sh shapes MODELS NAME "INFERD_A INFERD_B ..." "CONNS ..." [ROUNDS]
#       gRPC calls/s and p50 at C connections x 1 stream for 2 s, the binaries taking turns, a
#       fresh server per run
#
# INFERD (default build/bin/inferd) and GRPC_LOAD (default build/bin/inferd_grpc_load) pick the
# binaries. Needs bench/setup.sh's tools (wrk, hey, valgrind, linux-perf).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
usage="usage: $0 instructions|cpu|wakeups|shapes MODELS NAME ... (see the header)"
mode="${1:?$usage}"
models="${2:?$usage}"
name="${3:?$usage}"
inferd="${INFERD:-$here/../build/bin/inferd}"
grpc_load="${GRPC_LOAD:-$here/../build/bin/inferd_grpc_load}"
rest_url="http://127.0.0.1:18080/v2/models/$name/infer"
server_pid=""

start_server() {  # start_server [prefix command...]: inferd (under the prefix), ready on return
  "$@" "$inferd" serve --model "$models/$name.pkl" --host 127.0.0.1 --port 18080 --grpc-port 18081 \
    --threads 1 >/dev/null 2>&1 &
  server_pid=$!
  for _ in $(seq 120); do
    curl -sf -o /dev/null http://127.0.0.1:18080/v2/health/ready && return 0
    sleep 0.25
  done
  echo "grpc_call_cost.sh: inferd did not become ready" >&2
  exit 2
}
stop_server() {
  kill -INT "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}
trap stop_server EXIT
grpc_run() {  # grpc_run CONNECTIONS ARGS...: inferd_grpc_load's JSON summary line
  local c="$1"
  shift
  "$grpc_load" --port 18081 --path /inference.GRPCInferenceService/ModelInfer --body "$models/$name.grpc" \
    --connections "$c" --streams 1 "$@" | tail -1
}
wrk_run() {  # wrk_run SECONDS: requests done
  wrk -t1 -c64 -d"$1"s -s "$here/lua/post.lua" "$rest_url" -- "$models/$name.v2.json" |
    awk '/requests in/ {print $1}'
}
json_field() { /usr/bin/python3 -c 'import json, sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }
cpu_ticks() { awk '{print $14 + $15, $14, $15}' "/proc/$server_pid/stat"; }

case "$mode" in
  instructions)
    kind="${4:?$usage}"
    cache=()
    # valgrind takes each cache as size,associativity,line size.
    # shellcheck disable=SC2054
    [[ "${5:-}" == "--cache" ]] && cache=(--cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 --LL=1048576,16,64)
    out="$(mktemp)"
    start_server valgrind --tool=callgrind --collect-atstart=no "--toggle-collect=inferd::RunEventLoop*" \
      "${cache[@]}" --callgrind-out-file="$out"
    calls=20000
    if [[ "$kind" == grpc ]]; then
      done_calls="$(grpc_run 64 --calls "$calls" | json_field ok)"
    else
      done_calls="$(hey -n "$calls" -c 64 -m POST -T application/json -D "$models/$name.v2.json" "$rest_url" |
        awk '/\[200\]/ {print $2}')"
    fi
    stop_server
    /usr/bin/python3 - "$out" "$done_calls" "$kind" <<'PY'
import sys
events, summary = [], []
for line in open(sys.argv[1]):
    if line.startswith("events:"):
        events = line.split()[1:]
    elif line.startswith("summary:"):
        summary = [int(v) for v in line.split()[1:]]
n = int(sys.argv[2])
per = dict(zip(events, (v / n for v in summary)))
extra = "".join(f", {k} {per[k]:,.0f}" for k in ("I1mr", "D1mr", "DLmr") if k in per)
print(f"{sys.argv[3]}: {per['Ir']:,.0f} instructions per call{extra} ({n} calls)")
PY
    rm -f "$out"
    ;;
  cpu)
    hz="$(getconf CLK_TCK)"
    start_server
    for _ in $(seq "${4:-3}"); do
      read -r _ u0 s0 < <(cpu_ticks)
      n1="$(wrk_run 3)"
      read -r _ u1 s1 < <(cpu_ticks)
      n2="$(grpc_run 64 --duration 3 | json_field ok)"
      read -r _ u2 s2 < <(cpu_ticks)
      awk -v hz="$hz" -v n1="$n1" -v n2="$n2" -v u0="$u0" -v s0="$s0" -v u1="$u1" -v s1="$s1" -v u2="$u2" -v s2="$s2" \
        'BEGIN { f = 1e6 / hz; printf "REST V2 %d/s user %.2f sys %.2f us | gRPC %d/s user %.2f sys %.2f us per call\n",
                 n1 / 3, (u1 - u0) * f / n1, (s1 - s0) * f / n1, n2 / 3, (u2 - u1) * f / n2, (s2 - s1) * f / n2 }'
    done
    ;;
  wakeups)
    start_server
    ev=sched:sched_wakeup,irq_vectors:call_function_single_entry
    stat="$(mktemp)"
    n="$(perf stat -a -e "$ev" -o "$stat" -- "$grpc_load" --port 18081 \
      --path /inference.GRPCInferenceService/ModelInfer --body "$models/$name.grpc" --connections 64 --streams 1 \
      --calls 150000 | tail -1 | json_field ok)"
    awk -v n="$n" '/sched_wakeup|call_function/ {gsub(",", "", $1); printf "gRPC %s per call %.2f\n", $2, $1 / n}' "$stat"
    n="$(perf stat -a -e "$ev" -o "$stat" -- wrk -t1 -c64 -d2s -s "$here/lua/post.lua" "$rest_url" -- \
      "$models/$name.v2.json" | awk '/requests in/ {print $1}')"
    awk -v n="$n" '/sched_wakeup|call_function/ {gsub(",", "", $1); printf "REST V2 %s per call %.2f\n", $2, $1 / n}' "$stat"
    rm -f "$stat"
    ;;
  shapes)
    binaries="${4:?$usage}"
    conns="${5:?$usage}"
    for _ in $(seq "${6:-3}"); do
      for c in $conns; do
        line="${c}x1"
        for inferd in $binaries; do
          start_server
          line="$line | $(basename "$inferd") $(grpc_run "$c" --duration 2 |
            /usr/bin/python3 -c 'import json, sys; d = json.loads(sys.stdin.read()); print(round(d["rps"]), "calls/s p50", d["p50_us"], "us")')"
          stop_server
        done
        echo "$line"
      done
    done
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
