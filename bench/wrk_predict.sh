#!/usr/bin/env bash
# Load-tests POST /predict with wrk at 1, 16 and 64 connections and prints req/s, p50, p99.
#
#   bench/wrk_predict.sh --url http://127.0.0.1:8080          # a server you started
#   bench/wrk_predict.sh --model iris.pkl [--threads N]       # starts inferd on a free loopback
#                                                             # port and stops it (by PID) after
# Options: --duration 10s (per run), --connections "1 16 64", --bin PATH (default build/bin/inferd).
# Loopback only: the URL must point at 127.0.0.1 / localhost.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
url=""; model=""; threads=1; duration=10s; conns="1 16 64"
bin="${INFERD_BIN:-${INFERD_BUILD_DIR:-$here/../build}/bin/inferd}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --url) url="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) conns="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 2; }

server_pid=""; log=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  [[ -n "$log" ]] && rm -f "$log"
}
trap cleanup EXIT

if [[ -n "$model" ]]; then
  log="$(mktemp)"
  "$bin" serve --model "$model" --host 127.0.0.1 --port 0 --threads "$threads" 2>"$log" &
  server_pid=$!
  port=""
  for _ in $(seq 100); do
    port="$(grep -o '"msg":"listening".*"port":[0-9]*' "$log" | grep -o '"port":[0-9]*' | cut -d: -f2 || true)"
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n "$port" ]] || { echo "server did not report its port" >&2; cat "$log" >&2; exit 1; }
  url="http://127.0.0.1:$port"
fi
[[ -n "$url" ]] || { echo "give --url or --model" >&2; exit 2; }
case "$url" in
  http://127.0.0.1:*|http://localhost:*|http://\[::1\]:*) ;;
  *) echo "refusing non-loopback URL: $url" >&2; exit 2 ;;
esac

if [[ -n "$model" ]]; then who="inferd --threads $threads"; else who="external server"; fi
echo "target: $url/predict ($who), $duration per run"
printf "%-12s %12s %10s %10s %8s\n" connections req/s p50_ms p99_ms errors
for c in $conns; do
  out="$(wrk -t1 -c"$c" -d"$duration" --latency -s "$here/predict.lua" "$url/predict")"
  line="$(grep '^RESULT' <<<"$out")"
  rps="$(sed -E 's/.*req_per_s=([0-9.]+).*/\1/' <<<"$line")"
  p50="$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$line")"
  p99="$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$line")"
  err="$(sed -E 's/.*errors=([0-9]+) non2xx=([0-9]+).*/\1+\2/' <<<"$line")"
  printf "%-12s %12s %10s %10s %8s\n" "$c" "$rps" "$p50" "$p99" "$err"
done
